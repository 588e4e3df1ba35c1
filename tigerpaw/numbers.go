package tigerpaw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// FlexString is a text field whose JSON may come as a string or as a number
// (Tigerpaw's models leave some identifiers' types open). It always holds text.
type FlexString string

// UnmarshalJSON accepts a string, a number, a boolean or null.
func (f *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return fmt.Errorf("flexible string: empty JSON value")
	case string(b) == "null":
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = FlexString(s)
		return nil
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*f = FlexString(n.String())
		return nil
	case string(b) == "true" || string(b) == "false":
		*f = FlexString(b)
		return nil
	}
	return fmt.Errorf("flexible string: cannot read %s", truncate(string(b), 20))
}

// normalizeNumbers rewrites every JSON number whose value is a whole number but
// whose text has a fraction or an exponent ("10.0", "1e2") as a plain integer
// ("10", "100"), so that Go integer fields accept Json.NET's decimals. Strings and
// other numbers are copied unchanged; invalid JSON is passed through for the
// decoder to report.
func normalizeNumbers(in []byte) []byte {
	var out []byte // allocated on the first rewrite
	last := 0
	for i := 0; i < len(in); {
		c := in[i]
		switch {
		case c == '"':
			i++
			for i < len(in) {
				if in[i] == '\\' {
					i += 2
					continue
				}
				if in[i] == '"' {
					break
				}
				i++
			}
			i++
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(in) && strings.IndexByte("0123456789.eE+-", in[j]) >= 0 {
				j++
			}
			if rewritten, ok := wholeNumber(string(in[i:j])); ok {
				out = append(out, in[last:i]...)
				out = append(out, rewritten...)
				last = j
			}
			i = j
		default:
			i++
		}
	}
	if out == nil {
		return in
	}
	return append(out, in[last:]...)
}

// wholeNumber returns the integer text of a number token with a fraction or an
// exponent whose value is whole and fits 19 digits.
func wholeNumber(tok string) (string, bool) {
	if !strings.ContainsAny(tok, ".eE") {
		return "", false
	}
	s := tok
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		es := s[i+1:]
		if len(es) == 0 || len(es) > 5 {
			return "", false
		}
		e, err := strconv.Atoi(es)
		if err != nil {
			return "", false
		}
		exp = e
	}
	intPart, frac, hasDot := strings.Cut(mant, ".")
	// Only valid JSON numbers are rewritten: digits before the dot without a
	// leading zero, digits after it.
	if intPart == "" || !allDigits(intPart) || !allDigits(frac) || hasDot && frac == "" ||
		len(intPart) > 1 && intPart[0] == '0' {
		return "", false
	}
	digits := intPart + frac
	scale := len(frac) - exp // value = digits · 10^-scale
	var whole string
	switch {
	case scale <= 0:
		if len(digits)-scale > 40 {
			return "", false
		}
		whole = digits + strings.Repeat("0", -scale)
	case scale >= len(digits):
		if strings.Trim(digits, "0") != "" {
			return "", false
		}
		whole = "0"
	default:
		if strings.Trim(digits[len(digits)-scale:], "0") != "" {
			return "", false
		}
		whole = digits[:len(digits)-scale]
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		return "0", true
	}
	if len(whole) > 19 {
		return "", false
	}
	if neg {
		whole = "-" + whole
	}
	return whole, true
}
