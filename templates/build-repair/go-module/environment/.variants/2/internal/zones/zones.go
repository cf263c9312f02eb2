// Package zones reads the tariff table: one line per delivery zone.
package zones

import (
	"fmt"

	"acme.test/shipcalc/internal/quote"
	"acme.test/units/money"
)

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
		return Zone{}, fmt.Errorf("%w %q", quote.ErrUnknownZone, name)
	}
	return z, nil
}
