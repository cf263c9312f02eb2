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
