package billing

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in minor units of the agreement's currency: 450 is 4.50.
// Prices are compared as Money, never as floating point numbers.
type Money int64

// String formats the amount with two decimals and no grouping, as in "4.50",
// "-0.05" or "1200.00".
func (m Money) String() string {
	var buf [24]byte
	return string(m.appendTo(buf[:0]))
}

// appendTo appends the String form of m to b.
func (m Money) appendTo(b []byte) []byte {
	u := uint64(m)
	if m < 0 {
		b = append(b, '-')
		u = -u // two's complement: correct for the minimum value too
	}
	b = strconv.AppendUint(b, u/100, 10)
	c := u % 100
	return append(b, '.', byte('0'+c/10), byte('0'+c%10))
}

// ErrInvalidMoney is wrapped by the errors of ParseMoney.
var ErrInvalidMoney = errors.New("invalid amount")

// ParseMoney reads a decimal amount such as "4.5", "4.50", "-12" or "+0.05" into
// minor units. It accepts at most two decimals: an amount with more is an error,
// not rounded, so that a price is never changed silently.
func ParseMoney(s string) (Money, error) {
	t := strings.TrimSpace(s)
	neg := false
	if t != "" && (t[0] == '-' || t[0] == '+') {
		neg = t[0] == '-'
		t = t[1:]
	}
	whole, frac, dot := strings.Cut(t, ".")
	switch {
	case whole == "" && frac == "":
		return 0, fmt.Errorf("billing: amount %q: no digits: %w", s, ErrInvalidMoney)
	case dot && frac == "":
		return 0, fmt.Errorf("billing: amount %q: no digits after the point: %w", s, ErrInvalidMoney)
	case len(frac) > 2:
		return 0, fmt.Errorf("billing: amount %q: more than two decimals: %w", s, ErrInvalidMoney)
	}
	if whole == "" {
		whole = "0"
	}
	for _, part := range [...]string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, fmt.Errorf("billing: amount %q: unexpected %q: %w", s, part[i], ErrInvalidMoney)
			}
		}
	}
	units, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || units > (1<<63-1)/100-1 {
		return 0, fmt.Errorf("billing: amount %q: out of range: %w", s, ErrInvalidMoney)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	cents, _ := strconv.ParseInt(frac, 10, 64) // two checked digits
	v := units*100 + cents
	if neg {
		v = -v
	}
	return Money(v), nil
}
