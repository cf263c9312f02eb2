// Package units has the integer arithmetic our services share for weights and sizes.
package units

// CeilDiv returns a/b rounded up, for a >= 0 and b > 0.
func CeilDiv(a, b int64) int64 {
	return (a + b - 1) / b
}

// RoundUp returns the smallest multiple of step that is >= x, for x >= 0 and step > 0.
func RoundUp(x, step int64) int64 {
	return (x/step + 1) * step
}

// Max returns the larger of a and b.
func Max(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
