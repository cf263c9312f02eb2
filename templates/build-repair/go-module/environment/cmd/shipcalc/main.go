// Command shipcalc prices a batch of parcels.
//
//	shipcalc -tariff data/tariff.csv [parcels.csv]
//
// The parcel file (stdin when not given) is CSV with the header
// id,weight_g,length_cm,width_cm,height_cm,zone. The output is CSV: id,chargeable_g,price
// per parcel, then a TOTAL line.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"acme.test/shipcalc/internal/quote"
	"acme.test/shipcalc/internal/zones"
	"acme.test/units/money"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "shipcalc: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	tariff := flag.String("tariff", "data/tariff.csv", "tariff table (CSV)")
	flag.Parse()

	tf, err := os.Open(*tariff)
	if err != nil {
		fail("%v", err)
	}
	table, err := zones.Load(tf)
	tf.Close()
	if err != nil {
		fail("%s: %v", *tariff, err)
	}

	var in io.Reader = os.Stdin
	if flag.NArg() > 0 {
		f, err := os.Open(flag.Arg(0))
		if err != nil {
			fail("%v", err)
		}
		defer f.Close()
		in = f
	}
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = 6
	rows, err := cr.ReadAll()
	if err != nil {
		fail("%v", err)
	}
	out := csv.NewWriter(os.Stdout)
	var totalG int64
	var total money.Cents
	for i, row := range rows {
		if i == 0 {
			continue // header
		}
		var n [4]int64
		for j := range n {
			v, err := strconv.ParseInt(strings.TrimSpace(row[j+1]), 10, 64)
			if err != nil || v <= 0 {
				fail("line %d: bad number %q", i+1, row[j+1])
			}
			n[j] = v
		}
		q, err := quote.Price(table, quote.Parcel{
			ID: row[0], WeightG: n[0], LengthCm: n[1], WidthCm: n[2], HeightCm: n[3],
			Zone: strings.TrimSpace(row[5]),
		})
		if err != nil {
			fail("line %d: %v", i+1, err)
		}
		totalG += q.ChargeableG
		total += q.Price
		out.Write([]string{q.ID, strconv.FormatInt(q.ChargeableG, 10), q.Price.String()})
	}
	out.Write([]string{"TOTAL", strconv.FormatInt(totalG, 10), total.String()})
	out.Flush()
	if err := out.Error(); err != nil {
		fail("%v", err)
	}
}
