# Oracle for build-repair/go-module: run in /workspace by the agent's shell.
# Puts back one module path and the required version of the vendored dependency, the fork's own
# module path, one `zones` package that owns ErrUnknownZone and reads CSV tariffs (no import
# cycle, no build tags), Go 1.19 code (units.Max, not the max builtin), a single main, and a
# vendor/ tree regenerated from third_party/units.
cd /workspace &&
rm -f internal/zones/lookup.go internal/zones/load_csv.go internal/zones/load_json.go \
      internal/quote/errors.go cmd/shipcalc/main_old.go &&
cat > go.mod <<'GOFILE' &&
module acme.test/shipcalc

go 1.19

require acme.test/units v1.3.0

replace acme.test/units => ./third_party/units
GOFILE
cat > third_party/units/go.mod <<'GOFILE' &&
module acme.test/units

go 1.18
GOFILE
cat > internal/zones/zones.go <<'GOFILE' &&
// Package zones reads the tariff table: one line per delivery zone.
package zones

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"acme.test/units/money"
)

// ErrUnknownZone is returned by Table.Lookup for a zone the table does not have.
var ErrUnknownZone = errors.New("unknown zone")

// Zone is one row of the tariff table.
type Zone struct {
	Name     string
	Base     money.Cents // price of any parcel
	PerKg    money.Cents // added per chargeable kilogram (pro rata)
	Oversize money.Cents // added when a side is longer than MaxSideCm
}

// Table maps zone names to zones.
type Table map[string]Zone

// Lookup returns the zone called name.
func (t Table) Lookup(name string) (Zone, error) {
	z, ok := t[name]
	if !ok {
		return Zone{}, fmt.Errorf("%w %q", ErrUnknownZone, name)
	}
	return z, nil
}

// Load reads a table in CSV: zone,base_cents,per_kg_cents,oversize_cents with a header line.
func Load(r io.Reader) (Table, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("empty tariff table")
	}
	t := Table{}
	for i, row := range rows[1:] {
		if len(row) != 4 {
			return nil, fmt.Errorf("tariff line %d: want 4 fields, got %d", i+2, len(row))
		}
		var cents [3]money.Cents
		for j, field := range row[1:] {
			v, err := strconv.ParseInt(strings.TrimSpace(field), 10, 64)
			if err != nil || v < 0 {
				return nil, fmt.Errorf("tariff line %d: bad amount %q", i+2, field)
			}
			cents[j] = money.Cents(v)
		}
		t[strings.TrimSpace(row[0])] = Zone{strings.TrimSpace(row[0]), cents[0], cents[1], cents[2]}
	}
	return t, nil
}
GOFILE
cat > internal/quote/quote.go <<'GOFILE' &&
// Package quote prices parcels against a tariff table.
package quote

import (
	"acme.test/shipcalc/internal/zones"
	"acme.test/units"
	"acme.test/units/money"
)

const (
	// VolumetricDivisor converts cm^3 to volumetric grams (5000 cm^3 count as 1 kg).
	VolumetricDivisor = 5
	// Step is the weight step that chargeable weight is rounded up to, in grams.
	Step = 500
	// MaxSideCm is the longest side a parcel may have without the oversize charge.
	MaxSideCm = 120
)

// Parcel is one parcel to price.
type Parcel struct {
	ID                          string
	WeightG                     int64
	LengthCm, WidthCm, HeightCm int64
	Zone                        string
}

// Quote is the price of one parcel.
type Quote struct {
	ID          string
	ChargeableG int64
	Price       money.Cents
}

// Chargeable returns the weight a parcel is charged for: the larger of its real and its
// volumetric weight, rounded up to the next Step.
func Chargeable(p Parcel) int64 {
	volumetric := units.CeilDiv(p.LengthCm*p.WidthCm*p.HeightCm, VolumetricDivisor)
	return units.RoundUp(units.Max(p.WeightG, volumetric), Step)
}

// Price prices one parcel.
func Price(t zones.Table, p Parcel) (Quote, error) {
	z, err := t.Lookup(p.Zone)
	if err != nil {
		return Quote{}, err
	}
	g := Chargeable(p)
	price := z.Base + money.Cents(units.CeilDiv(int64(z.PerKg)*g, 1000))
	if p.LengthCm > MaxSideCm || p.WidthCm > MaxSideCm || p.HeightCm > MaxSideCm {
		price += z.Oversize
	}
	return Quote{p.ID, g, price}, nil
}
GOFILE
cat > internal/quote/quote_test.go <<'GOFILE' &&
package quote

import (
	"errors"
	"strings"
	"testing"

	"acme.test/shipcalc/internal/zones"
)

const table = `zone,base_cents,per_kg_cents,oversize_cents
home,450,120,1500
eu,900,310,2500
`

func TestChargeable(t *testing.T) {
	cases := []struct {
		p    Parcel
		want int64
	}{
		{Parcel{WeightG: 1, LengthCm: 1, WidthCm: 1, HeightCm: 1}, 500},
		{Parcel{WeightG: 500, LengthCm: 10, WidthCm: 10, HeightCm: 10}, 500},
		{Parcel{WeightG: 501, LengthCm: 10, WidthCm: 10, HeightCm: 10}, 1000},
		{Parcel{WeightG: 300, LengthCm: 50, WidthCm: 40, HeightCm: 30}, 12000},
	}
	for _, c := range cases {
		if got := Chargeable(c.p); got != c.want {
			t.Errorf("Chargeable(%+v) = %d, want %d", c.p, got, c.want)
		}
	}
}

func TestPrice(t *testing.T) {
	tab, err := zones.Load(strings.NewReader(table))
	if err != nil {
		t.Fatal(err)
	}
	q, err := Price(tab, Parcel{"p1", 2300, 20, 20, 20, "eu"})
	if err != nil {
		t.Fatal(err)
	}
	if q.ChargeableG != 2500 || q.Price.String() != "16.75" {
		t.Errorf("got %+v (%s)", q, q.Price)
	}
	q, _ = Price(tab, Parcel{"p2", 1000, 130, 10, 10, "home"})
	if q.Price.String() != "23.10" {
		t.Errorf("oversize: got %s", q.Price)
	}
	if _, err := Price(tab, Parcel{"p3", 1, 1, 1, 1, "mars"}); !errors.Is(err, zones.ErrUnknownZone) {
		t.Errorf("unknown zone: got %v", err)
	}
}
GOFILE
cat > cmd/shipcalc/main.go <<'GOFILE' &&
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
GOFILE
GOPROXY=off GOFLAGS=-mod=mod go mod vendor &&
GOPROXY=off go build ./... && GOPROXY=off go vet ./... && GOPROXY=off go test ./... &&
GOPROXY=off go build -o /tmp/shipcalc ./cmd/shipcalc && /tmp/shipcalc -tariff data/tariff.csv data/parcels.csv
