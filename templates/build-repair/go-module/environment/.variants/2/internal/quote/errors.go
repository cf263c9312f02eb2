package quote

import "errors"

// ErrUnknownZone is returned when a parcel names a zone the tariff table does not have.
var ErrUnknownZone = errors.New("unknown zone")
