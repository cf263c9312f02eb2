#!/bin/bash
# Prints the revenue of ONE till export file.
# Written for the v1 tills (columns date,store,product,units,unit_price).
# usage: daily-total.sh FILE
awk -F, 'NR > 1 { total += $4 * $5 } END { printf "%.2f\n", total }' "$1"
