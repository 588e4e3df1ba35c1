package ksc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

// The types in this file decode single attributes of result-set items. Each is
// tolerant in the ways wire-level servers differ: a number may come plain or
// wrapped as a long, a datetime may be "", wrapped or absent, a params item may be
// wrapped or bare.

// flexInt is an integer attribute: plain JSON number, wrapped long (number or
// numeric string), or null/absent (ok false).
type flexInt struct {
	v  int64
	ok bool
}

// UnmarshalJSON implements json.Unmarshaler for flexInt.
func (f *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return fmt.Errorf("empty integer")
	}
	switch c := b[0]; {
	case c == 'n':
		*f = flexInt{}
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		n, err := parseIntJSON(b)
		if err != nil {
			return err
		}
		*f = flexInt{v: n, ok: true}
		return nil
	case c == 't' || c == 'f':
		var v bool
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*f = flexInt{ok: true}
		if v {
			f.v = 1
		}
		return nil
	case c == '{':
		// Fast path for the exact shape servers send.
		if v, ok := bytes.CutPrefix(b, longPrefix); ok && len(v) > 1 && v[len(v)-1] == '}' {
			if n, err := parseIntJSON(bytes.TrimSpace(v[:len(v)-1])); err == nil {
				*f = flexInt{v: n, ok: true}
				return nil
			}
		}
		var env struct {
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(b, &env); err != nil {
			return err
		}
		if env.Type != tagLong && env.Type != "int" {
			return fmt.Errorf("wrapped %q where an integer was expected", env.Type)
		}
		v := bytes.TrimSpace(env.Value)
		if len(v) > 1 && v[0] == '"' {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			v = []byte(s)
		}
		if len(v) == 0 || string(v) == "null" {
			*f = flexInt{}
			return nil
		}
		n, err := parseIntJSON(v)
		if err != nil {
			return err
		}
		*f = flexInt{v: n, ok: true}
		return nil
	}
	return fmt.Errorf("%.40q is not an integer", b)
}

func parseIntJSON(b []byte) (int64, error) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		// A server may send an unsigned 64-bit mask.
		u, uerr := strconv.ParseUint(string(b), 10, 64)
		if uerr != nil {
			return 0, fmt.Errorf("%.40q is not a 64-bit integer", b)
		}
		return int64(u), nil
	}
	return n, nil
}

var (
	longPrefix     = []byte(`{"type":"long","value":`)
	dateTimePrefix = []byte(`{"type":"datetime","value":"`)
)

// flexTime is a datetime attribute: "YYYY-MM-DDTHH:MM:SSZ" plain or wrapped,
// "" or null (zero), or a wrapped date.
type flexTime struct{ t time.Time }

// UnmarshalJSON implements json.Unmarshaler for flexTime.
func (f *flexTime) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return fmt.Errorf("empty datetime")
	}
	switch b[0] {
	case 'n':
		f.t = time.Time{}
		return nil
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		t, err := parseDateTime(s)
		if err != nil {
			return err
		}
		f.t = t
		return nil
	case '{':
		// Fast path for the exact shape servers send, without escapes.
		if v, ok := bytes.CutPrefix(b, dateTimePrefix); ok && bytes.HasSuffix(v, []byte(`"}`)) {
			v = v[:len(v)-2]
			if bytes.IndexByte(v, '\\') < 0 && bytes.IndexByte(v, '"') < 0 {
				t, err := parseDateTime(string(v))
				if err != nil {
					return err
				}
				f.t = t
				return nil
			}
		}
		var env struct {
			Type  string  `json:"type"`
			Value *string `json:"value"`
		}
		if err := json.Unmarshal(b, &env); err != nil {
			return fmt.Errorf("datetime: %w", err)
		}
		if env.Value == nil {
			f.t = time.Time{}
			return nil
		}
		switch env.Type {
		case tagDateTime:
			t, err := parseDateTime(*env.Value)
			if err != nil {
				return err
			}
			f.t = t
			return nil
		case tagDate:
			d, err := parseDate(*env.Value)
			if err != nil {
				return err
			}
			if !d.IsZero() {
				f.t = time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
			}
			return nil
		}
		return fmt.Errorf("wrapped %q where a datetime was expected", env.Type)
	}
	return fmt.Errorf("%.40q is not a datetime", b)
}

// countInt is the count a server announces for a result set (PxgRetVal,
// lKeyCount): what flexInt reads, except a boolean, which flexInt takes as 0
// or 1 for the sake of flexBool but which as a count would read as an empty
// (false) or one-item (true) set.
type countInt struct{ flexInt }

// UnmarshalJSON implements json.Unmarshaler for countInt.
func (c *countInt) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && (b[0] == 't' || b[0] == 'f') {
		return fmt.Errorf("count %.40q is a boolean, not an integer", b)
	}
	return c.flexInt.UnmarshalJSON(b)
}

// flexBool is a boolean attribute; 0/1 numbers are accepted too.
type flexBool struct {
	v  bool
	ok bool
}

// UnmarshalJSON implements json.Unmarshaler for flexBool.
func (f *flexBool) UnmarshalJSON(b []byte) error {
	var n flexInt
	if err := n.UnmarshalJSON(b); err != nil {
		return fmt.Errorf("boolean: %w", err)
	}
	*f = flexBool{v: n.v != 0, ok: n.ok}
	return nil
}

// item is one element of a result-set array: a wrapped params holding T, a bare
// object holding T, or null (an error for the readers).
type item[T any] struct {
	v    T
	null bool
}

// UnmarshalJSON implements json.Unmarshaler for item.
func (it *item[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == 'n' {
		it.null = true
		return nil
	}
	if len(b) == 0 || b[0] != '{' {
		return fmt.Errorf("result-set item %.40q is not an object", b)
	}
	var env struct {
		Type  string `json:"type"`
		Value *T     `json:"value"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return err
	}
	if env.Type == tagParams {
		if env.Value == nil {
			it.null = true
			return nil
		}
		it.v = *env.Value
		return nil
	}
	// A bare object: the item's attributes themselves.
	return json.Unmarshal(b, &it.v)
}

// maxAnswerItems bounds the elements one array of an answer may hold (the
// largest chunk WithChunkSize allows), so that decoding a body takes memory in
// proportion to what was asked for, not to how small its elements are.
const maxAnswerItems = 100000

// cappedArray is a JSON array decoded one element at a time, with at most
// maxAnswerItems elements. set is false when the array was null (or absent).
type cappedArray[E any] struct {
	elems []E
	set   bool
}

// UnmarshalJSON implements json.Unmarshaler for cappedArray.
func (a *cappedArray[E]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*a = cappedArray[E]{}
	if len(b) > 0 && b[0] == 'n' {
		return nil
	}
	// Small reads keep the decoder's buffer small: it holds one element at a
	// time, not the rest of the array.
	dec := json.NewDecoder(&smallReader{b: b})
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return fmt.Errorf("%.40q is not an array", b)
	}
	for dec.More() {
		if len(a.elems) >= maxAnswerItems {
			return fmt.Errorf("array has more than %d elements", maxAnswerItems)
		}
		var e E
		if err := dec.Decode(&e); err != nil {
			return err
		}
		if len(a.elems) == cap(a.elems) {
			// Doubling: append grows large slices by a quarter, which
			// allocates five times the final size on the way.
			a.elems = slices.Grow(a.elems, max(len(a.elems), 16))
		}
		a.elems = append(a.elems, e)
	}
	a.set = true
	return nil
}

// smallReader reads b at most 4 KB at a time.
type smallReader struct{ b []byte }

func (r *smallReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 4<<10)], r.b)
	r.b = r.b[n:]
	return n, nil
}

// itemArray is the {"KLCSP_ITERATOR_ARRAY": [...]} container of chunk and
// iterator results (also accepted wrapped as params). set is false when the
// container held no array under its name, or a null one.
type itemArray[T any] struct {
	Items []item[T]
	set   bool
	field string
}

// UnmarshalJSON implements json.Unmarshaler for itemArray.
func (a *itemArray[T]) UnmarshalJSON(b []byte) error {
	return a.decode(b, "KLCSP_ITERATOR_ARRAY", 0)
}

func (a *itemArray[T]) decode(b []byte, field string, depth int) error {
	a.field = field
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == 'n' {
		a.Items, a.set = nil, false
		return nil
	}
	var top struct {
		Iter  cappedArray[item[T]] `json:"KLCSP_ITERATOR_ARRAY"`
		Range cappedArray[item[T]] `json:"KLEVP_EVENT_RANGE_ARRAY"`
		Type  string               `json:"type"`
		Value json.RawMessage      `json:"value"`
	}
	if err := json.Unmarshal(b, &top); err != nil {
		return err
	}
	arr := top.Iter
	if field == "KLEVP_EVENT_RANGE_ARRAY" {
		arr = top.Range
	}
	switch {
	case arr.set:
		a.Items, a.set = arr.elems, true
	case top.Type == tagParams && len(top.Value) > 0 && depth == 0:
		return a.decode(top.Value, field, depth+1)
	default:
		a.Items, a.set = nil, false
	}
	return nil
}

// list returns the items, or an error (wrapping ErrIncomplete, naming method
// and container) when the array is missing or null or an element is null.
func (a *itemArray[T]) list(method, container string) ([]T, error) {
	field := a.field
	if field == "" {
		field = "KLCSP_ITERATOR_ARRAY"
	}
	if !a.set {
		return nil, incomplete(method, "%s.%s is missing or null", container, field)
	}
	out := make([]T, 0, len(a.Items))
	for i := range a.Items {
		if a.Items[i].null {
			return nil, incomplete(method, "%s.%s element %d is null", container, field, i)
		}
		out = append(out, a.Items[i].v)
	}
	return out, nil
}

// eventArray is the {"KLEVP_EVENT_RANGE_ARRAY": [...]} container of event ranges.
type eventArray[T any] struct{ itemArray[T] }

// UnmarshalJSON implements json.Unmarshaler for eventArray.
func (a *eventArray[T]) UnmarshalJSON(b []byte) error {
	return a.decode(b, "KLEVP_EVENT_RANGE_ARRAY", 0)
}
