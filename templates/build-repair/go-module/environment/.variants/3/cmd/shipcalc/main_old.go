package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"acme.test/shipcalc/internal/quote"
	"acme.test/shipcalc/internal/zones"
)

// main of shipcalc 1.x: parcels as whitespace-separated fields, tariff from TARIFF.
func main() {
	tf, err := os.Open(os.Getenv("TARIFF"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	table, err := zones.Load(tf)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 6 {
			continue
		}
		var n [4]int64
		for j := range n {
			n[j], _ = strconv.ParseInt(f[j+1], 10, 64)
		}
		q, err := quote.Price(table, quote.Parcel{
			ID: f[0], WeightG: n[0], LengthCm: n[1], WidthCm: n[2], HeightCm: n[3], Zone: f[5],
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			continue
		}
		fmt.Printf("%s %d %s\n", q.ID, q.ChargeableG, q.Price)
	}
}
