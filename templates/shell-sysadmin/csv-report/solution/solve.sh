# Oracle for shell-sysadmin/csv-report: run in /workspace by the agent's shell.
# Writes bin/sales-summary.sh with this instance's separator ($SYNTH_PARAM_DELIMITER) built in:
# header-driven columns, BOM and CRLF stripped, comments and blank lines skipped, money summed
# in whole cents, sorted by revenue then name.
cd /workspace &&
mkdir -p bin &&
{
  printf '#!/bin/bash\n# Sales summary of a till export folder (see data/FORMAT.md).\n'
  printf '# usage: sales-summary.sh INPUT_DIR OUTPUT_FILE\n'
  printf 'sep=%q\n' "$SYNTH_PARAM_DELIMITER"
  cat <<'SCRIPT'
set -euo pipefail
if [ "$#" -ne 2 ]; then
  echo "usage: $0 INPUT_DIR OUTPUT_FILE" >&2
  exit 2
fi
in=$1
out=$2
if [ ! -d "$in" ]; then
  echo "sales-summary: $in is not a directory" >&2
  exit 1
fi
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
shopt -s nullglob
{
  for f in "$in"/*.csv; do
    [ -f "$f" ] || continue
    sed '1s/^\xEF\xBB\xBF//; s/\r$//' "$f" |
      awk -F"$sep" -v OFS='\t' '
        FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        /^#/ || /^[[:space:]]*$/ { next }
        { print $col["product"], $col["units"], $col["unit_price"] }'
  done
} | awk -F'\t' '
    { cents = int($3 * 100 + 0.5); units[$1] += $2; rev[$1] += $2 * cents }
    END { for (p in units) printf "%d\t%s\t%d\n", rev[p], p, units[p] }' |
  LC_ALL=C sort -t "$(printf '\t')" -k1,1nr -k2,2 |
  awk -F'\t' -v sep="$sep" '
    function money(c,  s) { s = ""; if (c < 0) { s = "-"; c = -c }
                            return sprintf("%s%d.%02d", s, int(c / 100), c % 100) }
    BEGIN { print "product" sep "units" sep "revenue" }
    { print $2 sep $3 sep money($1); tu += $3; tr += $1 }
    END { print "TOTAL" sep (tu + 0) sep money(tr + 0) }' > "$tmp"
cat "$tmp" > "$out"
SCRIPT
} > bin/sales-summary.sh &&
chmod +x bin/sales-summary.sh &&
bin/sales-summary.sh data/sales /tmp/sales-summary.csv &&
cat /tmp/sales-summary.csv
