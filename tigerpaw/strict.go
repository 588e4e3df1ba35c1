package tigerpaw

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// This file holds the one strict path every list answer goes through. The
// integration deletes charges and closes orders when something is absent from
// a read, so an absence must be real: a missing or null list, a null element,
// an element that is not an object or lacks its identity field is a decode
// error wrapping ErrMalformedResponse, never an empty or shortened list. The
// client stays tolerant of field types (see tolerant.go); it is strict about
// completeness and identity.

// ErrMalformedResponse means an answer of the server could not be read as a
// complete answer: it is not the JSON expected, a list is missing, null or
// holds a null element or an element without its identity field, a paged read
// received fewer or more items than the server announced, or the answer is
// larger than the client's caps. The call is not repeated and the answer must
// not be read as "nothing there". It never matches ErrNotFound.
var ErrMalformedResponse = errors.New("tigerpaw: malformed response")

// Caps of one response. A body is read only up to MaxResponseBytes; before it
// is decoded, a scan without allocation counts its JSON values and array
// elements, and a body with more than MaxResponseValues values or
// MaxResponseItems array elements (all arrays together) is refused with
// ErrMalformedResponse. With these caps the memory a decode takes is a small
// multiple of MaxResponseBytes, whatever the body holds.
const (
	// MaxResponseBytes caps how much of a response body is read.
	MaxResponseBytes = maxResponseBytes
	// MaxResponseItems caps the number of array elements of one answer.
	MaxResponseItems = 100_000
	// MaxResponseValues caps the number of JSON values (scalars, arrays,
	// objects, object members' values) of one answer.
	MaxResponseValues = 500_000
	// maxDepth caps the nesting of one answer, as encoding/json does.
	maxDepth = 10_000
)

// checkLimits scans a JSON text and refuses it when it holds more values,
// array elements or nesting than the caps allow. It does not validate the
// JSON: a text that is not JSON is left for the decoder to report.
func checkLimits(body []byte) error {
	values, items := 0, 0
	var stack []byte // '[' or '{' per open container
	expectValue := true
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch c {
		case ' ', '\t', '\n', '\r', ':':
			continue
		case ',':
			expectValue = true
			continue
		case ']', '}':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectValue = false
			continue
		}
		inObject := len(stack) > 0 && stack[len(stack)-1] == '{'
		if c == '"' {
			// Skip the string. In an object, a string where a value is expected
			// after a comma or the opening brace is a key, not a value.
			j := i + 1
			for j < len(body) && body[j] != '"' {
				if body[j] == '\\' {
					j++
				}
				j++
			}
			isKey := inObject && expectValue && !afterColon(body, i)
			i = j
			if isKey {
				continue
			}
		} else if c != '[' && c != '{' {
			// A scalar: skip to its end.
			for i+1 < len(body) && !endsScalar(body[i+1]) {
				i++
			}
		}
		values++
		if len(stack) > 0 && stack[len(stack)-1] == '[' {
			items++
		}
		switch {
		case values > MaxResponseValues:
			return fmt.Errorf("more than %d JSON values in one answer", MaxResponseValues)
		case items > MaxResponseItems:
			return fmt.Errorf("more than %d list elements in one answer", MaxResponseItems)
		}
		if c == '[' || c == '{' {
			if len(stack) >= maxDepth {
				return fmt.Errorf("nested deeper than %d levels", maxDepth)
			}
			stack = append(stack, c)
			expectValue = true
			continue
		}
		expectValue = false
	}
	return nil
}

// endsScalar reports whether b ends a scalar token.
func endsScalar(b byte) bool {
	switch b {
	case ' ', '\t', '\n', '\r', ',', ':', ']', '}', '[', '{', '"':
		return true
	}
	return false
}

// afterColon reports whether the token starting at i follows a colon (so it is
// an object member's value, not a key).
func afterColon(body []byte, i int) bool {
	for j := i - 1; j >= 0; j-- {
		switch body[j] {
		case ' ', '\t', '\n', '\r':
			continue
		case ':':
			return true
		}
		return false
	}
	return false
}

// malformed builds an error of an answer that is not a complete answer.
// sameNumber checks that a single object read by its number carries that
// number: an empty object, null or another object's answer is
// ErrMalformedResponse, never an object of number 0.
func sameNumber(path, field string, got, want int) error {
	if got != want {
		return malformed(http.MethodGet, path, "%s is %d, want %d (the number asked for)", field, got, want)
	}
	return nil
}

func malformed(method, path, format string, args ...any) error {
	return fmt.Errorf("tigerpaw: %s %s: decode response: %s: %w", method, path, fmt.Sprintf(format, args...), ErrMalformedResponse)
}

// listSpec says how to read the elements of one kind of list strictly.
type listSpec[T any] struct {
	// what names an element in errors ("additional charge").
	what string
	// required lists the fields every element must carry with a non-null
	// value; "A.B" names field B of the object in field A. Names match
	// ignoring case, as Tigerpaw's do.
	required []string
	// check, when set, checks the values of a decoded element (an identity
	// that must be positive or not empty, a price that must not be negative).
	check func(v *T) error
}

// decodeList reads raw, a JSON array of spec's elements, strictly: the list
// must be present and not null, and each element an object that decodes and
// carries its required fields; the first bad element ends the read with an
// error naming it. The array is streamed element by element, so a bad element
// is found without decoding the rest.
func decodeList[T any](c *Client, method, path string, raw []byte, spec listSpec[T]) ([]T, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, malformed(method, path, "the %s list is missing", spec.what)
	}
	if err := checkLimits(raw); err != nil {
		return nil, malformed(method, path, "%s list: %v", spec.what, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, malformed(method, path, "%s list: %v", spec.what, err)
	}
	if tok == nil {
		return nil, malformed(method, path, "the %s list is null", spec.what)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, malformed(method, path, "the %s list is not a JSON array", spec.what)
	}
	out := []T{}
	for i := 0; dec.More(); i++ {
		var el json.RawMessage
		if err := dec.Decode(&el); err != nil {
			return nil, malformed(method, path, "%s %d: %v", spec.what, i, err)
		}
		v, err := decodeElement(c, el, spec)
		if err != nil {
			return nil, malformed(method, path, "%s %d: %v", spec.what, i, err)
		}
		out = append(out, v)
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return nil, malformed(method, path, "%s list: %v", spec.what, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed(method, path, "%s list: data after the list", spec.what)
	}
	return out, nil
}

// decodeElement decodes one list element and checks its identity.
func decodeElement[T any](c *Client, el json.RawMessage, spec listSpec[T]) (T, error) {
	var v T
	el = bytes.TrimSpace(el)
	if string(el) == "null" {
		return v, errors.New("is null")
	}
	if len(el) == 0 || el[0] != '{' {
		return v, errors.New("is not a JSON object")
	}
	if err := decodeValue(el, &v, c.loc); err != nil {
		return v, err
	}
	for _, name := range spec.required {
		if err := requireField(el, name); err != nil {
			return v, err
		}
	}
	if spec.check != nil {
		if err := spec.check(&v); err != nil {
			return v, err
		}
	}
	return v, nil
}

// requireField checks that the object obj has the field name ("A.B" for a
// field of a nested object) with a value other than null.
func requireField(obj json.RawMessage, name string) error {
	first, rest, nested := strings.Cut(name, ".")
	var members map[string]json.RawMessage
	if err := json.Unmarshal(obj, &members); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var val json.RawMessage
	found := 0
	for k, v := range members {
		if strings.EqualFold(k, first) {
			val = v
			found++
		}
	}
	switch {
	case found == 0:
		return fmt.Errorf("%s is missing", first)
	case found > 1:
		return fmt.Errorf("%s is given %d times in different letter cases", first, found)
	case string(bytes.TrimSpace(val)) == "null":
		return fmt.Errorf("%s is null", first)
	}
	if !nested {
		return nil
	}
	if b := bytes.TrimSpace(val); len(b) == 0 || b[0] != '{' {
		return fmt.Errorf("%s is not a JSON object", first)
	}
	if err := requireField(val, rest); err != nil {
		return fmt.Errorf("%s.%w", first, err)
	}
	return nil
}

// getStrictList GETs a JSON array and reads it with decodeList.
func getStrictList[T any](ctx context.Context, c *Client, path string, spec listSpec[T]) ([]T, error) {
	body, err := c.do(ctx, &request{method: "GET", path: path, retry: true})
	if err != nil {
		return nil, err
	}
	return decodeList(c, "GET", path, body, spec)
}

// positiveField checks an identity number of a decoded element.
func positiveField(name string, v int) error {
	if v <= 0 {
		return fmt.Errorf("%s %d is not positive", name, v)
	}
	return nil
}

// textField checks an identity text of a decoded element.
func textField(name, v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("%s is empty", name)
	}
	return nil
}
