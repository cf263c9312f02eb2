//go:build !csvtariff

package zones

import (
	"encoding/json"
	"fmt"
	"io"

	"acme.test/units/money"
)

type jsonZone struct {
	Zone     string `json:"zone"`
	Base     int64  `json:"base_cents"`
	PerKg    int64  `json:"per_kg_cents"`
	Oversize int64  `json:"oversize_cents"`
}

// Load reads a table in JSON: a list of {"zone", "base_cents", "per_kg_cents", "oversize_cents"}.
func Load(r io.Reader) (Table, error) {
	var rows []jsonZone
	if err := json.NewDecoder(r).Decode(&rows); err != nil {
		return nil, err
	}
	t := Table{}
	for i, row := range rows {
		if row.Base < 0 || row.PerKg < 0 || row.Oversize < 0 {
			return nil, fmt.Errorf("tariff entry %d: negative amount", i+1)
		}
		t[row.Zone] = Zone{row.Zone, money.Cents(row.Base), money.Cents(row.PerKg), money.Cents(row.Oversize)}
	}
	return t, nil
}
