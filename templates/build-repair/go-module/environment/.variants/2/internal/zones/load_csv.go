//go:build csvtariff

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
