package tigerpaw

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// This file makes the decoding of Tigerpaw's answers tolerant of the one
// mistake its models invite: an enum-like or id-like field written as a number
// where the model says text, or as text ("12") where it says a number. The
// fast path is a plain decode; only when that fails on a type mismatch is the
// body coerced along the Go type it decodes into and decoded again. Whatever
// still does not fit (an object where a number is expected, text that is not
// a number) fails with encoding/json's error, which names the field.

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	fieldsByType        sync.Map // reflect.Type → structFields
)

// decodeTolerant decodes body into v, coercing number/string mismatches of
// string, integer and float fields when the plain decode reports one.
func decodeTolerant(body []byte, v any) error {
	err := json.Unmarshal(body, v)
	var te *json.UnmarshalTypeError
	if err == nil || !errors.As(err, &te) {
		return err
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return err
	}
	fixed, changed := coerce(doc, rv.Type().Elem())
	if !changed {
		return err
	}
	again, merr := json.Marshal(fixed)
	if merr != nil {
		return err
	}
	rv.Elem().SetZero()
	return json.Unmarshal(again, v)
}

// coerce rewrites the parts of a generic JSON value (decoded with UseNumber)
// whose form does not match the Go type t but whose content does: a number for
// a string field becomes its text, a string holding an integer for an integer
// field (or a number for a float field) becomes the number. Types that decode
// themselves are left to do so. It reports whether anything changed.
func coerce(doc any, t reflect.Type) (any, bool) {
	if t.Implements(jsonUnmarshalerType) || reflect.PointerTo(t).Implements(jsonUnmarshalerType) ||
		t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return doc, false
	}
	switch t.Kind() {
	case reflect.Pointer:
		return coerce(doc, t.Elem())
	case reflect.String:
		if n, ok := doc.(json.Number); ok {
			return string(n), true
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if s, ok := doc.(string); ok {
			if n, ok := integerText(s); ok {
				return json.Number(n), true
			}
		}
	case reflect.Float32, reflect.Float64:
		if s, ok := doc.(string); ok {
			if s = strings.TrimSpace(s); isJSONNumber(s) {
				return json.Number(s), true
			}
		}
	case reflect.Slice, reflect.Array:
		items, ok := doc.([]any)
		if !ok {
			return doc, false
		}
		changed := false
		for i, it := range items {
			var c bool
			if items[i], c = coerce(it, t.Elem()); c {
				changed = true
			}
		}
		return items, changed
	case reflect.Map:
		m, ok := doc.(map[string]any)
		if !ok {
			return doc, false
		}
		changed := false
		for k, it := range m {
			var c bool
			if m[k], c = coerce(it, t.Elem()); c {
				changed = true
			}
		}
		return m, changed
	case reflect.Struct:
		m, ok := doc.(map[string]any)
		if !ok {
			return doc, false
		}
		fields := jsonFields(t)
		changed := false
		for k, it := range m {
			ft, ok := fields.lookup(k)
			if !ok {
				continue
			}
			var c bool
			if m[k], c = coerce(it, ft); c {
				changed = true
			}
		}
		return m, changed
	}
	return doc, false
}

// integerText returns the digits of a string that holds an integer ("12",
// " -3 ", "10.0"), or false.
func integerText(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if !isJSONNumber(s) {
		return "", false
	}
	if w, ok := wholeNumber(s); ok {
		s = w
	}
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return s, true
	}
	if _, err := strconv.ParseUint(s, 10, 64); err == nil {
		return s, true
	}
	return "", false
}

// isJSONNumber reports whether s is a JSON number literal.
func isJSONNumber(s string) bool {
	return s != "" && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) && json.Valid([]byte(s))
}

// structFields maps JSON member names to the types of the fields they decode
// into, matched as encoding/json does: exactly first, then ignoring case.
type structFields map[string]reflect.Type

func (f structFields) lookup(name string) (reflect.Type, bool) {
	if t, ok := f[name]; ok {
		return t, true
	}
	for k, t := range f {
		if strings.EqualFold(k, name) {
			return t, true
		}
	}
	return nil, false
}

// jsonFields lists the JSON names of a struct's fields, promoted ones included;
// of two fields with one name the shallower wins.
func jsonFields(t reflect.Type) structFields {
	if f, ok := fieldsByType.Load(t); ok {
		return f.(structFields)
	}
	out := structFields{}
	depth := map[string]int{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() {
			continue
		}
		name := f.Name
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		if n, _, _ := strings.Cut(tag, ","); n != "" {
			name = n
		} else if f.Anonymous && f.Type.Kind() == reflect.Struct {
			continue // its fields are promoted
		}
		if d, seen := depth[name]; seen && d <= len(f.Index) {
			continue
		}
		depth[name] = len(f.Index)
		out[name] = f.Type
	}
	fieldsByType.Store(t, out)
	return out
}
