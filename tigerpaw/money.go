package tigerpaw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Cents is an amount of money in minor units (cents). Tigerpaw sends prices as
// decimal numbers; Cents reads the number's text exactly (no float64 on the way)
// and rounds half away from zero to a whole cent, so 4.505 is 451 and -0.125 is
// -13. It writes itself as a decimal number with two fraction digits.
type Cents int64

// String formats c as a decimal amount, e.g. "-12.05".
func (c Cents) String() string {
	sign := ""
	u := uint64(c)
	if c < 0 {
		sign = "-"
		u = uint64(-c) // also right for math.MinInt64, as an unsigned magnitude
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// MarshalJSON writes c as a JSON number with two fraction digits.
func (c Cents) MarshalJSON() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalJSON reads a JSON number (or a number in a string); null leaves c
// unchanged.
func (c *Cents) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("money: %w", err)
		}
	}
	v, err := ParseCents(s)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// ParseCents converts a decimal number text ("12", "-4.505", "1.2E1") to cents,
// rounding half away from zero.
func ParseCents(s string) (Cents, error) {
	orig := s
	bad := func(reason string) (Cents, error) {
		return 0, fmt.Errorf("money: %q is not a decimal amount: %s", truncate(orig, 40), reason)
	}
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || len(s[i+1:]) > 6 {
			return bad("bad exponent")
		}
		exp = e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return bad("expected digits")
	}
	digits := strings.TrimLeft(intPart+frac, "0")
	if digits == "" {
		return 0, nil
	}
	// value = digits · 10^(exp - len(frac)); cents = value · 100.
	shift := exp - len(frac) + 2
	var whole string
	roundUp := false
	switch {
	case shift >= 0:
		if len(digits)+shift > 19 {
			return bad("out of range")
		}
		whole = digits + strings.Repeat("0", shift)
	case -shift > len(digits):
		whole = "0" // below half a cent
	default:
		keep := len(digits) + shift
		whole = digits[:keep]
		roundUp = digits[keep] >= '5'
		if whole == "" {
			whole = "0"
		}
	}
	n, err := strconv.ParseUint(whole, 10, 64)
	if err != nil {
		return bad("out of range")
	}
	if roundUp {
		n++
	}
	limit := uint64(math.MaxInt64)
	if neg {
		limit++ // math.MinInt64 has one more unit of magnitude
	}
	if n > limit || n == 0 && roundUp {
		return bad("out of range")
	}
	if neg {
		return Cents(-int64(n-1) - 1), nil
	}
	return Cents(int64(n)), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
