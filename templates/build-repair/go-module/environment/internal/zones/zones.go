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
