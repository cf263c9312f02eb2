package zone

import "fmt"

// Lookup returns the zone called name.
func (t Table) Lookup(name string) (Zone, error) {
	z, ok := t[name]
	if !ok {
		return Zone{}, fmt.Errorf("%w %q", ErrUnknownZone, name)
	}
	return z, nil
}
