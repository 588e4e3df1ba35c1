package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

type account struct {
	Number  int  `json:"number"`
	Billing bool `json:"billing,omitempty"`
}

type tenant struct {
	ID      string   `json:"id"`
	Account *account `json:"account,omitempty"`
}

type common struct {
	Name string `json:"name"`
}

type doc struct {
	common
	Version int               `json:"version"`
	Tenants []tenant          `json:"tenants"`
	Labels  map[string]string `json:"labels,omitempty"`
	Extra   any               `json:"extra,omitempty"`
	Every   duration          `json:"every,omitempty"`
	Skip    string            `json:"-"`
	Plain   string
}

// duration decodes itself from a string such as "5m".
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	*d = duration(v)
	return err
}

func TestUnmarshalValid(t *testing.T) {
	t.Parallel()
	in := "\xEF\xBB\xBF" + `{"name": "n", "version": 1, "tenants": [{"id": "a", "account": {"number": 7}}],
		"labels": {"x": "1", "X": "2"}, "extra": {"deep": [1, {"y": 2}]}, "every": "5m", "PLAIN": "p"}` + "\n\t "
	var got doc
	if err := Unmarshal([]byte(in), &got); err != nil {
		t.Fatal(err)
	}
	want := doc{common: common{Name: "n"}, Version: 1, Tenants: []tenant{{ID: "a", Account: &account{Number: 7}}},
		Labels: map[string]string{"x": "1", "X": "2"}, Extra: map[string]any{"deep": []any{1.0, map[string]any{"y": 2.0}}},
		Every: duration(5 * time.Minute), Plain: "p"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Unmarshal = %+v, want %+v", got, want)
	}
}

func TestUnmarshalErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        string
		kind      error
		path, key string
		line, col int
		text      string
	}{
		{"empty", "", ErrEmpty, "", "", 1, 1, "empty file"},
		{"white space", " \n\t\r\n", ErrEmpty, "", "", 1, 1, "empty file"},
		{"only a byte order mark", "\xEF\xBB\xBF", ErrEmpty, "", "", 1, 1, "empty file"},
		{"missing comma", "{\n  \"version\": 1\n  \"name\": \"a\"\n}", ErrSyntax, "", "", 3, 3,
			"line 3, column 3: invalid character '\"' after object key:value pair"},
		{"truncated", `{"name": `, ErrSyntax, "", "", 1, 9, "line 1, column 9: unexpected end of JSON input"},
		{"trailing value", "{\"version\": 1}\n{}", ErrTrailingData, "", "", 2, 1, "line 2, column 1: unexpected data after the JSON value"},
		{"trailing garbage", `{"version": 1} x`, ErrTrailingData, "", "", 1, 16, "line 1, column 16: unexpected data after the JSON value"},
		{"duplicate top-level key", "{\"name\": \"a\",\n \"name\": \"b\"}", ErrDuplicateKey, "name", "name", 2, 2, `name: key "name" given twice`},
		{"duplicate in another letter case", `{"name": "a", "NAME": "b"}`, ErrDuplicateKey, "NAME", "NAME", 1, 15, `NAME: key "NAME" given twice`},
		{"duplicate deep", `{"tenants": [{"id": "a"}, {"id": "b", "account": {"number": 1, "number": 2}}]}`,
			ErrDuplicateKey, "tenants[1].account.number", "number", 1, 64, `tenants[1].account.number: key "number" given twice`},
		{"duplicate in a map", `{"labels": {"x": "1", "x": "2"}}`, ErrDuplicateKey, "labels.x", "x", 1, 23, `labels.x: key "x" given twice`},
		{"duplicate in an untyped value", `{"extra": {"deep": [{"a": 1, "a": 1}]}}`, ErrDuplicateKey, "extra.deep[0].a", "a", 1, 30, `extra.deep[0].a: key "a" given twice`},
		{"unknown field", "{\"tenants\": [\n  {\"id\": \"a\", \"nmae\": 1}]}", ErrUnknownField, "tenants[0].nmae", "nmae", 2, 15, `tenants[0].nmae: unknown field "nmae"`},
		{"ignored field is unknown", `{"Skip": "x"}`, ErrUnknownField, "Skip", "Skip", 1, 2, `Skip: unknown field "Skip"`},
		{"wrong type", `{"tenants": [{"id": "a"}, {"id": 5}]}`, ErrType, "tenants[1].id", "", 1, 28, "tenants[1].id: want a string, got a number"},
		{"fraction for an integer", `{"version": 1.5}`, ErrType, "version", "", 1, 2, "version: want an integer, got the number 1.5"},
		{"object for a list", `{"tenants": {"id": "a"}}`, ErrType, "tenants", "", 1, 2, "tenants: want an array, got an object"},
		{"element of the wrong type", `{"tenants": [{"id": "a"}, 7]}`, ErrType, "tenants[1]", "", 1, 27, "tenants[1]: want an object, got a number"},
		{"not an object", `[1]`, ErrType, "", "", 1, 1, "line 1, column 1: want an object, got an array"},
		{"bool for a string", `{"name": true}`, ErrType, "name", "", 1, 2, "name: want a string, got a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var v doc
			err := Unmarshal([]byte(tt.in), &v)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Unmarshal() = %v, want an *Error", err)
			}
			if !errors.Is(err, tt.kind) || e.Path != tt.path || e.Key != tt.key || e.Line != tt.line || e.Column != tt.col || err.Error() != tt.text {
				t.Errorf("Unmarshal() = %q (kind %v, path %q, key %q, line %d, column %d);\nwant %q (kind %v, path %q, key %q, line %d, column %d)",
					err, e.Kind, e.Path, e.Key, e.Line, e.Column, tt.text, tt.kind, tt.path, tt.key, tt.line, tt.col)
			}
		})
	}
}

func TestUnmarshalOwnDecoderError(t *testing.T) {
	t.Parallel()
	var v doc
	err := Unmarshal([]byte(`{"every": "soon"}`), &v)
	if !errors.Is(err, ErrValue) || !strings.Contains(err.Error(), `invalid duration "soon"`) {
		t.Errorf("Unmarshal() = %v, want ErrValue with the method's reason", err)
	}
	if err := Unmarshal([]byte(`{}`), v); err == nil {
		t.Error("Unmarshal into a non-pointer succeeded")
	}
}

// TestDuplicateAfterHugeNumber: a number no float64 holds does not end the
// search for duplicate keys.
func TestDuplicateAfterHugeNumber(t *testing.T) {
	t.Parallel()
	var v any
	err := Unmarshal([]byte(`{"a": 1e999, "b": 1, "b": 2}`), &v)
	if !errors.Is(err, ErrDuplicateKey) {
		t.Errorf("Unmarshal() = %v, want ErrDuplicateKey", err)
	}
}

// TestEmbeddedFields follows encoding/json's rules for embedded structs: a
// shallower field hides a deeper one, a tagged one an untagged one, and two
// fields neither rule decides between are both unknown.
func TestEmbeddedFields(t *testing.T) {
	t.Parallel()
	type A struct{ X, Y, Z int }
	type B struct {
		X int
		Y int `json:"Y"`
		Z int
	}
	type outer struct {
		A
		*B
		X int
	}
	for _, tt := range []struct {
		in      string
		unknown bool
	}{{`{"X": 1}`, false}, {`{"Y": 1}`, false}, {`{"Z": 1}`, true}} {
		var v, std outer
		err := Unmarshal([]byte(tt.in), &v)
		dec := json.NewDecoder(strings.NewReader(tt.in))
		dec.DisallowUnknownFields()
		stdErr := dec.Decode(&std)
		if (err != nil) != tt.unknown || (stdErr != nil) != tt.unknown {
			t.Errorf("%s: Unmarshal() = %v, encoding/json %v; want unknown: %v", tt.in, err, stdErr, tt.unknown)
		}
	}
	var v outer
	if err := Unmarshal([]byte(`{"X": 1, "x": 2}`), &v); !errors.Is(err, ErrDuplicateKey) {
		t.Errorf("X and x: %v, want ErrDuplicateKey", err)
	}
}

func TestMemberOffset(t *testing.T) {
	t.Parallel()
	data := []byte("{\"name\": \"x\",\n \"tenants\": [{\"id\": 1}, {\"id\": 2}], \"version\": 2}")
	for path, want := range map[string]int64{"name": 1, "version": 50, "tenants[1].id": 39, "tenants": 15, "nope": -1} {
		got, ok := MemberOffset(data, path)
		if got != want || ok != (want >= 0) {
			t.Errorf("MemberOffset(%q) = %d, %v; want %d", path, got, ok, want)
		}
	}
}

func TestPosition(t *testing.T) {
	t.Parallel()
	data := []byte("ab\nçd\n")
	for off, want := range map[int64][2]int{0: {1, 1}, 2: {1, 3}, 3: {2, 1}, 5: {2, 2}, 6: {2, 3}, 100: {3, 1}, -4: {1, 1}} {
		if l, c := Position(data, off); l != want[0] || c != want[1] {
			t.Errorf("Position(%d) = %d:%d, want %d:%d", off, l, c, want[0], want[1])
		}
	}
}

// hasDuplicateKey reports whether valid JSON data has an object with a key
// given twice, exactly: the test's own reading, independent of the walker.
func hasDuplicateKey(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		keys   map[string]bool
		object bool
		key    bool // the next token of an object is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if top != nil && top.object {
					top.key = true
				}
				stack = append(stack, &frame{keys: map[string]bool{}, object: d == '{', key: true})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if top != nil && top.object {
			if top.key {
				s := tok.(string)
				if top.keys[s] {
					return true
				}
				top.keys[s] = true
			}
			top.key = !top.key
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{"name": "n", "version": 1, "tenants": [{"id": "a", "account": {"number": 7}}]}`,
		`{"a": {"b": [1, {"c": 1, "c": 2}]}}`, `{"a": 1e999, "a": 1}`, `[1, 2, {"x": null}]`, `"s"`, ``, `{`, `{} {}`,
		`{"labels": {"x": "1", "x": "1"}}`, `{"NAME": 1, "name": 2}`, "\xEF\xBB\xBF{}", `{"tenants": [{"id": 1}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkError := func(err error) {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if e.Kind != ErrValue && (e.Line < 1 || e.Column < 1 || e.Offset < 0 || e.Offset > int64(len(data))) {
				t.Fatalf("error %v without a valid position: %+v", err, e)
			}
		}
		var untyped any
		err := Unmarshal(data, &untyped)
		if err != nil {
			checkError(err)
		}
		body := bytes.TrimPrefix(data, bom)
		if json.Valid(body) && hasDuplicateKey(body) && !errors.Is(err, ErrDuplicateKey) {
			t.Fatalf("a duplicate key was accepted: %v", err)
		}
		if err == nil {
			var std any
			if serr := json.Unmarshal(body, &std); serr != nil || !reflect.DeepEqual(untyped, std) {
				t.Fatalf("accepted, but encoding/json says %v or decodes otherwise", serr)
			}
		}
		var typed doc
		err = Unmarshal(data, &typed)
		if err != nil {
			checkError(err)
			return
		}
		if hasDuplicateKey(body) {
			t.Fatal("a duplicate key was accepted into a struct")
		}
		var std doc
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if serr := dec.Decode(&std); serr != nil || !reflect.DeepEqual(typed, std) {
			t.Fatalf("accepted, but encoding/json says %v or decodes otherwise", serr)
		}
	})
}
