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
