package tigerpaw

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// ProductType is the type of an external product (ExternalProduct.ProductType).
// Tigerpaw 18.2.1 sends it as an integer enum (0, 1, …) and does not document
// the names of its values; some servers write a name instead. ProductType keeps
// what the server sent as text, so that neither form is lost: a number as its
// decimal digits ("0"), a name as written. Code returns the number.
//
// It is a string type so that code comparing it with text keeps compiling; a
// value read from 18.2.1 compares equal to its digits (ProductType("0")).
type ProductType string

// UnmarshalJSON accepts a JSON integer (the documented form, also with a zero
// fraction such as 1.0), a string (digits, read as the number, or a name, kept
// trimmed) and null
// (which leaves the value unchanged). Any other JSON value is an error of type
// *json.UnmarshalTypeError, which encoding/json completes with the field name.
func (p *ProductType) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return &json.UnmarshalTypeError{Value: "empty value", Type: reflect.TypeFor[ProductType]()}
	case string(b) == "null":
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			s = strconv.FormatInt(n, 10) // digits as the number form has them
		}
		*p = ProductType(s)
		return nil
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		tok := string(b)
		if w, ok := wholeNumber(tok); ok {
			tok = w
		}
		n, err := strconv.ParseInt(tok, 10, 64)
		if err != nil {
			return &json.UnmarshalTypeError{Value: "number " + truncate(string(b), 24), Type: reflect.TypeFor[ProductType]()}
		}
		*p = ProductType(strconv.FormatInt(n, 10))
		return nil
	}
	value := "value"
	switch b[0] {
	case '{':
		value = "object"
	case '[':
		value = "array"
	case 't', 'f':
		value = "bool"
	}
	return &json.UnmarshalTypeError{Value: value, Type: reflect.TypeFor[ProductType]()}
}

// MarshalJSON writes the number form when the value is an integer (as 18.2.1
// does), the text otherwise, and null for the empty value.
func (p ProductType) MarshalJSON() ([]byte, error) {
	if n, ok := p.Code(); ok {
		return []byte(strconv.FormatInt(int64(n), 10)), nil
	}
	if p == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(p))
}

// Code returns the integer value of the type and whether it is one (false for
// a name or the empty value).
func (p ProductType) Code() (int, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(string(p)), 10, 0)
	if err != nil {
		return 0, false
	}
	return int(n), true
}

// String returns the value as the server sent it: the digits of the number
// (18.2.1 names none of its values, so none is invented here) or the name.
func (p ProductType) String() string { return string(p) }
