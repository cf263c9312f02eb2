// Package money formats amounts kept in whole cents.
package money

import "fmt"

// Cents is an amount of money in cents.
type Cents int64

// String formats the amount with two decimals, e.g. 1234 -> "12.34", -5 -> "-0.05".
func (c Cents) String() string {
	sign := ""
	if c < 0 {
		sign = "-"
		c = -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, int64(c)/100, int64(c)%100)
}
