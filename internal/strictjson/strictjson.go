// Package strictjson reads hand-edited JSON files strictly: one JSON value,
// decoded into a Go value with every member known and none given twice, and
// errors that say where.
//
// encoding/json alone accepts a key given twice in an object (keeping the last
// one silently), and reports syntax errors by byte offset; a file edited by
// hand deserves better: [Unmarshal] refuses what encoding/json would guess
// about, and names the key path (e.g. tenants[0].account.number) or the line
// and column of each problem.
package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// The kinds of [Error]: errors.Is(err, ErrDuplicateKey) and so on.
var (
	// ErrEmpty: the data holds nothing but white space.
	ErrEmpty = errors.New("empty file")
	// ErrSyntax: the data is not JSON.
	ErrSyntax = errors.New("malformed JSON")
	// ErrTrailingData: a second value, or anything else, follows the first.
	ErrTrailingData = errors.New("unexpected data after the JSON value")
	// ErrDuplicateKey: an object gives a key twice. For an object decoded into
	// a struct, two keys that match one field (as encoding/json matches them,
	// regardless of letter case) are the same key.
	ErrDuplicateKey = errors.New("duplicate key")
	// ErrUnknownField: an object decoded into a struct has a member the struct
	// does not define.
	ErrUnknownField = errors.New("unknown field")
	// ErrType: a value has the wrong JSON type for its Go type (a string for a
	// number, a fraction for an integer, …).
	ErrType = errors.New("wrong type")
	// ErrValue: a type's own UnmarshalJSON or UnmarshalText refused a value.
	ErrValue = errors.New("invalid value")
)

// Error is data [Unmarshal] refused, with where.
type Error struct {
	// Kind is one of ErrEmpty, ErrSyntax, ErrTrailingData, ErrDuplicateKey,
	// ErrUnknownField, ErrType and ErrValue.
	Kind error
	// Path is the key path of the value concerned: keys joined by "." and array
	// indexes in brackets (tigerpaw.url, tenants[1].id); empty for the whole
	// document or when not known.
	Path string
	// Key is the key given twice, or unknown, as written.
	Key string
	// Offset is the byte offset of the problem (of its key, for a member); Line
	// and Column locate it, both from 1, columns in characters. All three are 0
	// when not known (an ErrValue).
	Offset       int64
	Line, Column int
	// Reason says what is wrong, without where: `key "url" given twice`,
	// `unknown field "apiKey"`, "want a string, got a number", …
	Reason string
	// Err is the underlying error (of encoding/json, or of an UnmarshalJSON
	// method), if any.
	Err error
}

// Error says where and what: "path: reason" when the path is known, "line L,
// column C: reason" otherwise, and only "empty file" for an empty file.
func (e *Error) Error() string {
	switch {
	case e.Kind == ErrEmpty:
		return e.Reason
	case e.Path != "":
		return e.Path + ": " + e.Reason
	case e.Line > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Reason)
	}
	return e.Reason
}

// Unwrap returns the kind and the underlying error.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// bom is the UTF-8 byte order mark that Windows editors put first.
var bom = []byte("\xEF\xBB\xBF")

// Unmarshal decodes data, which must hold exactly one JSON value (white space
// around it aside), into v, a non-nil pointer, as encoding/json does, and
// refuses, with an *[Error]: empty data, malformed JSON, data after the value,
// a key given twice in one object at any depth, a member a struct does not
// define, and values of the wrong type. A leading UTF-8 byte order mark is
// skipped; offsets count from after it. On an error v may be partly set.
func Unmarshal(data []byte, v any) error {
	data = bytes.TrimPrefix(data, bom)
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("strictjson: Unmarshal needs a non-nil pointer, not %T", v)
	}
	if err := Check(data); err != nil {
		return err
	}
	w := walk(data, rv.Type().Elem(), "", -1)
	if w.problem != nil {
		return w.problem
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(data, rv.Type().Elem(), err)
	}
	return nil
}

// Check reports, as an *[Error], whether data is empty, malformed, or holds
// something after its first JSON value. A leading UTF-8 byte order mark is
// skipped.
func Check(data []byte) error {
	data = bytes.TrimPrefix(data, bom)
	if len(bytes.Trim(data, " \t\r\n")) == 0 {
		return newError(data, ErrEmpty, "", 0, ErrEmpty.Error(), nil)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var first json.RawMessage
	if err := dec.Decode(&first); err == nil {
		rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")
		if off := int64(len(data) - len(rest)); len(rest) > 0 {
			return newError(data, ErrTrailingData, "", off, ErrTrailingData.Error(), nil)
		}
		return nil
	}
	// json.Unmarshal reports every syntax error with an offset, including the
	// end of the input.
	err := json.Unmarshal(data, &first)
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		// The offset counts the offending byte.
		return newError(data, ErrSyntax, "", max(0, syn.Offset-1), syn.Error(), err)
	}
	if err == nil {
		err = errors.New("the JSON value cannot be read")
	}
	return newError(data, ErrSyntax, "", 0, err.Error(), err)
}

// MemberOffset returns the offset of the key of the member at path (in the
// syntax of [Error.Path]) in valid JSON data, and false when there is none.
// The first of a key given twice counts.
func MemberOffset(data []byte, path string) (int64, bool) {
	data = bytes.TrimPrefix(data, bom)
	w := &walker{dec: newTokenDecoder(data), data: data, want: path, wantOff: -1, target: -1, targetOff: -1, find: true}
	w.value(nil, "")
	return w.wantOff, w.wantOff >= 0
}

// Position converts a byte offset in data into a line and a column (in
// characters), both from 1.
func Position(data []byte, off int64) (line, col int) {
	off = max(0, min(off, int64(len(data))))
	before := data[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, 1 + utf8.RuneCount(before[start:])
}

func newError(data []byte, kind error, path string, off int64, reason string, err error) *Error {
	line, col := Position(data, off)
	return &Error{Kind: kind, Path: path, Offset: off, Line: line, Column: col, Reason: reason, Err: err}
}

// skipSpace returns the offset of the first byte at or after off that is not
// JSON white space or a comma.
func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
		off++
	}
	return off
}

// decodeError turns an error of encoding/json's Decode of valid, checked data
// into an *Error.
func decodeError(data []byte, t reflect.Type, err error) error {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		reason := fmt.Sprintf("want %s, got %s", want(typ.Type), got(typ.Value))
		w := walk(data, t, "", typ.Offset)
		if w.targetOff < 0 {
			return newError(data, ErrType, typ.Field, max(0, typ.Offset-1), reason, err)
		}
		return newError(data, ErrType, w.targetPath, w.targetOff, reason, err)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		// The walk found every unknown field encoding/json knows of; this is a
		// safety net.
		key, _ := strconv.Unquote(name)
		e := newError(data, ErrUnknownField, "", 0, fmt.Sprintf("unknown field %q", key), err)
		e.Key = key
		return e
	}
	return &Error{Kind: ErrValue, Reason: err.Error(), Err: err}
}

// want names what a Go type takes in JSON.
func want(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer of at least 0"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array"
	case reflect.Array:
		return "an array"
	}
	return "a value of type " + t.String()
}

// got names the JSON value of an UnmarshalTypeError.
func got(value string) string {
	switch {
	case value == "string", value == "object", value == "array":
		return article(value) + " " + value
	case value == "bool":
		return "a boolean"
	case value == "number":
		return "a number"
	case strings.HasPrefix(value, "number "):
		return "the number " + strings.TrimPrefix(value, "number ")
	}
	return value
}

func article(word string) string {
	if strings.IndexByte("aeiou", word[0]) >= 0 {
		return "an"
	}
	return "a"
}

// newTokenDecoder reads the tokens of data, numbers as json.Number: a number
// too large for a float64 is no error there.
func newTokenDecoder(data []byte) *json.Decoder {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec
}

// walker walks valid JSON along the Go type it decodes into. It finds the
// first key given twice or unknown (problem), the key of the member at path
// want, and the innermost member or array element whose value contains the
// offset target.
type walker struct {
	data []byte
	dec  *json.Decoder
	// find: only look for want; no problems.
	find bool

	want    string
	wantOff int64

	target     int64
	targetPath string
	targetOff  int64

	problem *Error
	stop    bool
}

// walk walks data, valid JSON, along type t.
func walk(data []byte, t reflect.Type, want string, target int64) *walker {
	w := &walker{data: data, dec: newTokenDecoder(data), want: want, wantOff: -1, target: target, targetOff: -1}
	w.value(t, "")
	return w
}

func (w *walker) token() (json.Token, bool) {
	tok, err := w.dec.Token()
	if err != nil {
		w.stop = true
		return nil, false
	}
	return tok, true
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// generic reports whether the values of t are walked without a type: an
// interface, or a type that decodes itself.
func generic(t reflect.Type) bool {
	if t == nil || t.Kind() == reflect.Interface {
		return true
	}
	if t.Kind() != reflect.Pointer {
		t = reflect.PointerTo(t)
	}
	return t.Implements(jsonUnmarshaler) || t.Implements(textUnmarshaler)
}

// value walks one JSON value expected to be of type t (nil: any).
func (w *walker) value(t reflect.Type, path string) {
	for t != nil && !generic(t) && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && generic(t) {
		t = nil
	}
	tok, ok := w.token()
	if !ok {
		return
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return
	}
	if d == '[' {
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; w.dec.More() && !w.stop; i++ {
			start := skipSpace(w.data, w.dec.InputOffset())
			p := fmt.Sprintf("%s[%d]", path, i)
			w.value(elem, p)
			w.found(p, start)
		}
	} else {
		w.object(t, path)
	}
	if !w.stop {
		w.token() // the closing delimiter
	}
}

// found records the member or element at path, which starts at off and whose
// value was just walked, if it holds the target and nothing inside it did.
func (w *walker) found(path string, off int64) {
	if w.targetOff < 0 && !w.stop && off < w.target && w.target <= w.dec.InputOffset() {
		w.targetPath, w.targetOff = path, off
	}
}

// object walks the members of an object expected to be of type t (nil: any;
// else a struct or a map), after its '{'.
func (w *walker) object(t reflect.Type, path string) {
	var fields *structFields
	var elem reflect.Type
	switch {
	case t != nil && t.Kind() == reflect.Struct:
		fields = fieldsOf(t)
	case t != nil && t.Kind() == reflect.Map:
		elem = t.Elem()
	}
	seen := map[string]bool{} // keys, or the fields they match
	for w.dec.More() && !w.stop {
		off := skipSpace(w.data, w.dec.InputOffset())
		tok, ok := w.token()
		if !ok {
			return
		}
		key, _ := tok.(string)
		p := key
		if path != "" {
			p = path + "." + key
		}
		if p == w.want && w.wantOff < 0 {
			w.wantOff = off
		}
		id, vt := key, elem
		if fields != nil {
			f, known := fields.lookup(key)
			if !known {
				if w.flag(ErrUnknownField, p, key, off, fmt.Sprintf("unknown field %q", key)) {
					return
				}
			} else {
				id, vt = f.id, f.typ
			}
		}
		if seen[id] {
			if w.flag(ErrDuplicateKey, p, key, off, fmt.Sprintf("key %q given twice", key)) {
				return
			}
		}
		seen[id] = true
		w.value(vt, p)
		w.found(p, off)
	}
}

// flag records the first problem, and reports whether the walk stops there.
func (w *walker) flag(kind error, path, key string, off int64, reason string) bool {
	if w.find {
		return false
	}
	w.problem = newError(w.data, kind, path, off, reason, nil)
	w.problem.Key = key
	w.stop = true
	return true
}

// structFields is how encoding/json matches the keys of an object to the
// fields of a struct.
type structFields struct {
	byName map[string]field
	list   []field // for the matches regardless of letter case, in order
}

// field is one field of a struct, embedded ones included: id tells fields
// apart, typ is its type.
type field struct {
	name, id string
	index    []int
	typ      reflect.Type
}

// lookup matches key as encoding/json does: exactly first, then regardless of
// letter case (Unicode simple folding).
func (s *structFields) lookup(key string) (field, bool) {
	if f, ok := s.byName[key]; ok {
		return f, true
	}
	for _, f := range s.list {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return field{}, false
}

var fieldCache sync.Map // reflect.Type → *structFields

// fieldsOf returns the fields encoding/json decodes into in struct t: its
// exported fields and those of its embedded structs, a shallower field hiding
// deeper ones of its name, a tagged one the untagged ones of its depth, and
// fields of one name and depth that none of these rules decide between left
// out (as encoding/json leaves them).
func fieldsOf(t reflect.Type) *structFields {
	if s, ok := fieldCache.Load(t); ok {
		return s.(*structFields)
	}
	type candidate struct {
		field
		depth  int
		tagged bool
	}
	var all []candidate
	type level struct {
		t     reflect.Type
		index []int
	}
	visited := map[reflect.Type]bool{}
	next := []level{{t: t}}
	for depth := 0; len(next) > 0; depth++ {
		current := next
		next = nil
		for _, l := range current {
			if visited[l.t] {
				continue
			}
			visited[l.t] = true
			for i := range l.t.NumField() {
				sf := l.t.Field(i)
				index := append(append([]int(nil), l.index...), i)
				ft := sf.Type
				if sf.Anonymous {
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, _, _ := strings.Cut(tag, ",")
				if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct {
					next = append(next, level{t: ft, index: index})
					continue
				}
				tagged := name != ""
				if name == "" {
					name = sf.Name
				}
				all = append(all, candidate{field: field{name: name, id: fmt.Sprint(index), index: index, typ: sf.Type}, depth: depth, tagged: tagged})
			}
		}
	}
	s := &structFields{byName: map[string]field{}}
	names := map[string][]candidate{}
	var order []string
	for _, c := range all {
		if _, ok := names[c.name]; !ok {
			order = append(order, c.name)
		}
		names[c.name] = append(names[c.name], c)
	}
	for _, name := range order {
		cs := names[name]
		depth := cs[0].depth
		for _, c := range cs {
			depth = min(depth, c.depth)
		}
		var best []candidate
		for _, c := range cs {
			if c.depth == depth {
				best = append(best, c)
			}
		}
		if len(best) > 1 {
			var tagged []candidate
			for _, c := range best {
				if c.tagged {
					tagged = append(tagged, c)
				}
			}
			best = tagged
		}
		if len(best) != 1 {
			continue
		}
		s.byName[name] = best[0].field
		s.list = append(s.list, best[0].field)
	}
	// Of two fields whose names differ only in letter case, encoding/json
	// matches a key to the first in the order of the struct.
	slices.SortFunc(s.list, func(a, b field) int { return slices.Compare(a.index, b.index) })
	actual, _ := fieldCache.LoadOrStore(t, s)
	return actual.(*structFields)
}
