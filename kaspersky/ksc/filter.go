package ksc

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Filter is a search filter in KSC's syntax, which resembles RFC 2254:
// (&(KLHST_WKS_DN="pc*")(KLHST_WKS_STATUS_ID<>0)). Build filters with the
// functions below; they quote and escape every value, so that no value can
// change the filter's structure. A Filter that could not be built carries its
// error, which String hides and Build returns.
type Filter struct {
	expr string
	err  error
}

// Build returns the filter text, or the first error met while building it.
func (f Filter) Build() (string, error) {
	if f.err != nil {
		return "", f.err
	}
	return f.expr, nil
}

// String returns the filter text ("" for a filter with an error).
func (f Filter) String() string {
	if f.err != nil {
		return ""
	}
	return f.expr
}

// Err returns the error met while building the filter, if any.
func (f Filter) Err() error { return f.err }

func validAttr(name string) error {
	if name == "" {
		return fmt.Errorf("ksc: filter: empty attribute name")
	}
	for _, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return fmt.Errorf("ksc: filter: attribute name %q has character %q; only letters, digits and _ are allowed", name, r)
		}
	}
	return nil
}

// filterLiteral renders a value: strings in double quotes with every quote
// doubled, times as T"YYYY-MM-DD HH:MM:SS" in UTC, integers in decimal, booleans
// as 1 and 0.
func filterLiteral(v any) (string, error) {
	switch x := v.(type) {
	case string:
		if strings.ContainsRune(x, 0) {
			return "", fmt.Errorf("ksc: filter: string value contains a NUL character")
		}
		return `"` + strings.ReplaceAll(x, `"`, `""`) + `"`, nil
	case time.Time:
		if x.IsZero() {
			return "", fmt.Errorf("ksc: filter: zero time value")
		}
		return `T"` + x.UTC().Format("2006-01-02 15:04:05") + `"`, nil
	case int:
		return strconv.Itoa(x), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint32:
		return strconv.FormatUint(uint64(x), 10), nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	}
	return "", fmt.Errorf("ksc: filter: value of type %T is not supported", v)
}

func compare(attr, op string, v any) Filter {
	if err := validAttr(attr); err != nil {
		return Filter{err: err}
	}
	lit, err := filterLiteral(v)
	if err != nil {
		return Filter{err: fmt.Errorf("%w (attribute %s)", err, attr)}
	}
	return Filter{expr: "(" + attr + " " + op + " " + lit + ")"}
}

// Eq matches attr = v. For strings, KSC treats * as a wildcard.
func Eq(attr string, v any) Filter { return compare(attr, "=", v) }

// Ne matches attr <> v.
func Ne(attr string, v any) Filter { return compare(attr, "<>", v) }

// Lt matches attr < v.
func Lt(attr string, v any) Filter { return compare(attr, "<", v) }

// Le matches attr <= v.
func Le(attr string, v any) Filter { return compare(attr, "<=", v) }

// Gt matches attr > v.
func Gt(attr string, v any) Filter { return compare(attr, ">", v) }

// Ge matches attr >= v.
func Ge(attr string, v any) Filter { return compare(attr, ">=", v) }

// BitsSet matches when any of the bits of mask are set in attr:
// (attr&mask<>0).
func BitsSet(attr string, mask int64) Filter {
	if err := validAttr(attr); err != nil {
		return Filter{err: err}
	}
	if mask <= 0 {
		return Filter{err: fmt.Errorf("ksc: filter: bit mask %d for %s is not positive", mask, attr)}
	}
	return Filter{expr: "(" + attr + "&" + strconv.FormatInt(mask, 10) + "<>0)"}
}

func combine(op string, fs []Filter) Filter {
	if len(fs) == 0 {
		return Filter{err: fmt.Errorf("ksc: filter: %s of nothing", op)}
	}
	var b strings.Builder
	b.WriteString("(" + op)
	for _, f := range fs {
		if f.err != nil {
			return f
		}
		if f.expr == "" {
			return Filter{err: fmt.Errorf("ksc: filter: empty operand in %s", op)}
		}
		b.WriteString(f.expr)
	}
	b.WriteString(")")
	return Filter{expr: b.String()}
}

// And matches when all of fs match.
func And(fs ...Filter) Filter { return combine("&", fs) }

// Or matches when any of fs matches.
func Or(fs ...Filter) Filter { return combine("|", fs) }

// Not matches when f does not.
func Not(f Filter) Filter {
	if f.err != nil {
		return f
	}
	if f.expr == "" {
		return Filter{err: fmt.Errorf("ksc: filter: Not of an empty filter")}
	}
	return Filter{expr: "(!" + f.expr + ")"}
}
