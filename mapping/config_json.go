package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// FormatVersion is the version of the JSON form that [Marshal] writes and
// [Unmarshal] reads.
//
// # The JSON form, version 1
//
// A configuration is one JSON object:
//
//	{
//	  "version": 1,                      // required; other versions are refused
//	  "name": "main",                    // the integration's name in its store
//	  "revision": 3,                     // set by stores; omit in a hand-written file
//	  "solution": "ksc",                 // "ksc" (Kaspersky Security Center) or "hub" (Business Hub)
//	  "externalProductId": 12,           // Tigerpaw External Product of the API user
//	  "tenants": [                       // virtual servers or companies in the integration
//	    {
//	      "id": "vs-1", "name": "Müller GmbH",
//	      "account": {                   // omitted when the tenant is not mapped
//	        "number": 1052932,           // Tigerpaw account number
//	        "billing": {"enabled": true, "agreement": 77, "priceLevel": 2}
//	      }
//	    }
//	  ],
//	  "priceBook": {
//	    "billByCategory": true,
//	    "apps": [                        // application ids of kaspersky.Catalog, or "x-…"
//	      {"app": "kesb-advanced", "workstations": "KESB-WS", "servers": "KESB-SRV", "nonWindows": "KESB-NW"},
//	      {"app": "kes-cloud-plus", "item": "KESC-PLUS"}
//	    ]
//	  }
//	}
//
// Members are matched case-insensitively, as encoding/json does; unknown members
// and a member given twice in one object are errors. Zero values may be
// omitted. A leading UTF-8 byte order mark is ignored.
const FormatVersion = 1

// maxDocument is the largest JSON form Decode reads.
const maxDocument = 16 << 20

// Errors of the JSON form, wrapped in a *[DecodeError].
var (
	// ErrUnsupportedVersion: the "version" member is missing or names a version
	// this package does not read.
	ErrUnsupportedVersion = errors.New("unsupported format version")
	// ErrUnknownField: an object has a member the format does not define.
	ErrUnknownField = errors.New("unknown field")
	// ErrMalformed: the document is not JSON, a value has the wrong type, or an
	// object gives a member twice.
	ErrMalformed = errors.New("malformed JSON")
)

// DecodeError is a JSON form that could not be read, with where.
type DecodeError struct {
	// Offset is the byte offset of the problem in the document.
	Offset int64
	// Line and Column locate Offset: both start at 1; columns count characters.
	Line, Column int
	// Field is the path of the member concerned (e.g. tenants[0].account.nmber),
	// when known.
	Field string
	// Err is the cause: ErrUnsupportedVersion, ErrUnknownField or ErrMalformed,
	// possibly wrapping an encoding/json error.
	Err error
}

// Error says where and what.
func (e *DecodeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mapping: configuration JSON, line %d, column %d", e.Line, e.Column)
	if e.Field != "" {
		fmt.Fprintf(&b, ", field %s", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the cause.
func (e *DecodeError) Unwrap() error { return e.Err }

// document is the version 1 JSON form.
type document struct {
	Version int `json:"version"`
	Config
}

// Marshal returns the JSON form of cfg, indented, ending in a newline. The output
// is deterministic: equal configurations give equal bytes.
func Marshal(cfg Config) ([]byte, error) {
	b, err := json.MarshalIndent(document{Version: FormatVersion, Config: cfg}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("mapping: encoding configuration %q: %w", cfg.Name, err)
	}
	return append(b, '\n'), nil
}

// Decode reads one configuration in its JSON form from r (at most 16 MiB), as
// [Unmarshal] does.
func Decode(r io.Reader) (Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return Config{}, fmt.Errorf("mapping: reading configuration: %w", err)
	}
	if len(data) > maxDocument {
		return Config{}, fmt.Errorf("mapping: configuration is larger than %d bytes: %w", maxDocument, ErrMalformed)
	}
	return Unmarshal(data)
}

// Unmarshal parses the JSON form of a configuration. It refuses a missing or
// unknown "version", unknown members, members given twice in one object (in any
// letter case) and malformed JSON with a *[DecodeError] that gives the line,
// column and field. A leading UTF-8 byte order mark is skipped; offsets count
// from after it. It does not apply the configuration's rules: see
// [Config.Check] and [Validate].
func Unmarshal(data []byte) (Config, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	// A first, lenient pass finds syntax errors anywhere in the document and
	// reads the version, which decides how to read the rest.
	var probe struct {
		Version *json.RawMessage `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return Config{}, jsonError(data, err)
	}
	if probe.Version == nil {
		return Config{}, decodeError(data, 0, "version", fmt.Errorf(`%w: the "version" member is missing (want %d)`, ErrUnsupportedVersion, FormatVersion))
	}
	if v := string(*probe.Version); v != strconv.Itoa(FormatVersion) {
		off := max(0, walk(data, reflect.TypeFor[document](), "version", -1).wantOff)
		return Config{}, decodeError(data, off, "version", fmt.Errorf("%w: version %s (this package reads version %d)", ErrUnsupportedVersion, v, FormatVersion))
	}
	var doc document
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			w := walk(data, reflect.TypeFor[document](), "", -1)
			name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
			return Config{}, decodeError(data, max(0, w.unknownOff), w.unknownPath, fmt.Errorf("%w %q", ErrUnknownField, name))
		}
		return Config{}, jsonError(data, err)
	}
	// encoding/json keeps the last of repeated members silently; a repeated
	// member in a hand-edited file is a mistake that must not pass.
	if w := walk(data, reflect.TypeFor[document](), "", -1); w.dupOff >= 0 {
		return Config{}, decodeError(data, w.dupOff, w.dupPath, fmt.Errorf("%w: member %q is given twice", ErrMalformed, w.dupName))
	}
	// Empty lists and absent lists are the same configuration.
	c := doc.Config
	if len(c.Tenants) == 0 {
		c.Tenants = nil
	}
	if len(c.PriceBook.Apps) == 0 {
		c.PriceBook.Apps = nil
	}
	return c, nil
}

// jsonError turns an encoding/json error into a *DecodeError that points at the
// offending character or member.
func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// The offset counts the offending byte.
		return decodeError(data, max(0, syn.Offset-1), "", fmt.Errorf("%w: %w", ErrMalformed, err))
	case errors.As(err, &typ):
		want := typ.Type.String()
		if typ.Field == "" {
			want = "the configuration object"
		}
		cause := fmt.Errorf("%w: %s value where %s is expected", ErrMalformed, typ.Value, want)
		w := walk(data, reflect.TypeFor[document](), "", typ.Offset)
		if w.targetOff < 0 {
			return decodeError(data, max(0, typ.Offset-1), strings.TrimPrefix(typ.Field, "Config."), cause)
		}
		return decodeError(data, w.targetOff, w.targetPath, cause)
	}
	return decodeError(data, 0, "", fmt.Errorf("%w: %w", ErrMalformed, err))
}

func decodeError(data []byte, off int64, field string, err error) *DecodeError {
	line, col := position(data, off)
	return &DecodeError{Offset: off, Line: line, Column: col, Field: field, Err: err}
}

// position converts a byte offset into a line and a column (in characters),
// both starting at 1.
func position(data []byte, off int64) (line, col int) {
	off = max(0, min(off, int64(len(data))))
	before := data[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, 1 + utf8.RuneCount(before[start:])
}

// walker walks a valid JSON document along the Go type it decodes into, and
// finds: the first member the type does not define (stopping there), the
// member with path want, and the innermost member whose value contains the
// offset target.
type walker struct {
	data   []byte
	dec    *json.Decoder
	want   string
	target int64

	unknownPath string
	unknownOff  int64
	wantOff     int64
	targetPath  string
	targetOff   int64
	dupPath     string
	dupName     string
	dupOff      int64
	stop        bool
}

// walk walks data along type t.
func walk(data []byte, t reflect.Type, want string, target int64) *walker {
	w := &walker{data: data, dec: json.NewDecoder(bytes.NewReader(data)), want: want, target: target,
		wantOff: -1, targetOff: -1, unknownOff: -1, dupOff: -1}
	w.value(t, "")
	return w
}

// keyStart returns the offset of the next member name: the decoder stands after
// the previous token, possibly before a comma and spaces.
func (w *walker) keyStart() int64 {
	off := w.dec.InputOffset()
	for off < int64(len(w.data)) && strings.IndexByte(" \t\r\n,", w.data[off]) >= 0 {
		off++
	}
	return off
}

// token reads the next token; at the end of the input or on an error the walk
// stops.
func (w *walker) token() (json.Token, bool) {
	tok, err := w.dec.Token()
	if err != nil {
		w.stop = true
		return nil, false
	}
	return tok, true
}

// value walks one JSON value expected to be of type t (nil: any).
func (w *walker) value(t reflect.Type, path string) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
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
			w.value(elem, fmt.Sprintf("%s[%d]", path, i))
		}
	} else {
		isStruct := t != nil && t.Kind() == reflect.Struct
		var seen map[string]bool // members of this object, folded as they match
		for w.dec.More() && !w.stop {
			off := w.keyStart()
			tok, ok := w.token()
			if !ok {
				return
			}
			key, _ := tok.(string)
			p := key
			if path != "" {
				p = path + "." + key
			}
			var ft reflect.Type
			switch {
			case isStruct:
				var known bool
				if ft, known = fieldType(t, key); !known {
					w.unknownPath, w.unknownOff, w.stop = p, off, true
					return
				}
			case t != nil && t.Kind() == reflect.Map:
				ft = t.Elem()
			}
			if isStruct && w.dupOff < 0 {
				folded := fold(key) // Unicode simple folding, as encoding/json matches names
				if seen[folded] {
					w.dupPath, w.dupName, w.dupOff = p, key, off
				}
				if seen == nil {
					seen = map[string]bool{}
				}
				seen[folded] = true
			}
			if p == w.want && w.wantOff < 0 {
				w.wantOff = off
			}
			w.value(ft, p)
			if w.targetOff < 0 && off < w.target && w.target <= w.dec.InputOffset() {
				w.targetPath, w.targetOff = p, off
			}
		}
	}
	if !w.stop {
		w.token() // the closing delimiter
	}
}

// fieldType returns the type of the member key of struct t, matched as
// encoding/json matches names (exact first, then without regard to case),
// including the members of embedded structs.
func fieldType(t reflect.Type, key string) (reflect.Type, bool) {
	var fold reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			if ft, ok := fieldType(f.Type, key); ok {
				return ft, true
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == key {
			return f.Type, true
		}
		if fold == nil && strings.EqualFold(name, key) {
			fold = f.Type
		}
	}
	return fold, fold != nil
}
