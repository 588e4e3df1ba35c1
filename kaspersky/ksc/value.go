package ksc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"
)

// Params is a KSC params container: named values. As a method argument or a
// top-level result it travels as a bare JSON object; nested inside another params
// or an array it travels wrapped as {"type":"params","value":{...}}.
//
// The values a Params (or an array) may hold, and the KSC type each one encodes to:
//
//	nil            null (inside arrays only)
//	bool, string   plain JSON
//	int, int32     plain JSON integer (KSC int, 32 bits)
//	int64          long
//	time.Time      datetime, UTC, second precision; the zero time is ""
//	Date           date
//	[]byte         binary (base64)
//	float32        float
//	float64        double
//	Params         params
//	[]any          array (also []string, []int, []int64, []Params)
//
// [DecodeValue] produces the same Go types, so decoding and encoding round-trip.
type Params map[string]any

// Date is a KSC date (a calendar day without time of day). The zero Date encodes
// as "".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// The layouts of KSC's date and time strings.
const (
	dateTimeLayout = "2006-01-02T15:04:05Z"
	dateLayout     = "2006-01-02"
)

// The type tags of wrapped values.
const (
	tagLong     = "long"
	tagDateTime = "datetime"
	tagDate     = "date"
	tagBinary   = "binary"
	tagFloat    = "float"
	tagDouble   = "double"
	tagParams   = "params"
)

// maxValueDepth bounds the nesting of decoded and encoded values so that hostile
// input cannot exhaust the stack.
const maxValueDepth = 64

// ErrValue is wrapped by every error of the value codec.
var ErrValue = errors.New("ksc: invalid value")

func valueErr(path, format string, args ...any) error {
	if path == "" {
		path = "value"
	}
	return fmt.Errorf("%w at %s: %s", ErrValue, path, fmt.Sprintf(format, args...))
}

// EncodeValue encodes v in KSC's JSON value encoding. A Params at the top is
// encoded wrapped, as it would be inside an array; use [EncodeArgs] for the
// arguments of a method.
func EncodeValue(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := encodeValue(&buf, v, "", 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// EncodeArgs encodes the named arguments of a method call as the request body:
// a bare JSON object whose params-typed members are bare too, with everything
// nested inside them encoded (and wrapped) as values. A nil args encodes as {}.
func EncodeArgs(args Params) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(256)
	if err := encodeParamsBody(&buf, args, "", 0, true); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func encodeParamsBody(buf *bytes.Buffer, p Params, path string, depth int, bareMembers bool) error {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeJSONString(buf, k)
		buf.WriteByte(':')
		sub := joinPath(path, k)
		v := p[k]
		if v == nil {
			return valueErr(sub, "null is not allowed as a params member")
		}
		if bareMembers {
			if inner, ok := asParams(v); ok {
				if err := encodeParamsBody(buf, inner, sub, depth+1, false); err != nil {
					return err
				}
				continue
			}
		}
		if err := encodeValue(buf, v, sub, depth+1); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

func asParams(v any) (Params, bool) {
	switch p := v.(type) {
	case Params:
		return p, true
	case map[string]any:
		return Params(p), true
	}
	return nil, false
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func encodeValue(buf *bytes.Buffer, v any, path string, depth int) error {
	if depth > maxValueDepth {
		return valueErr(path, "nested deeper than %d levels", maxValueDepth)
	}
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(x))
	case string:
		writeJSONString(buf, x)
	case int:
		if x < math.MinInt32 || x > math.MaxInt32 {
			return valueErr(path, "int %d does not fit KSC's 32-bit int; use int64 for a long", x)
		}
		buf.WriteString(strconv.Itoa(x))
	case int32:
		buf.WriteString(strconv.FormatInt(int64(x), 10))
	case int64:
		writeWrapped(buf, tagLong, strconv.FormatInt(x, 10))
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return valueErr(path, "float %v has no JSON form", x)
		}
		writeWrapped(buf, tagFloat, strconv.FormatFloat(float64(x), 'g', -1, 32))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return valueErr(path, "double %v has no JSON form", x)
		}
		writeWrapped(buf, tagDouble, strconv.FormatFloat(x, 'g', -1, 64))
	case time.Time:
		s := ""
		if !x.IsZero() {
			s = x.UTC().Format(dateTimeLayout)
		}
		var q bytes.Buffer
		writeJSONString(&q, s)
		writeWrapped(buf, tagDateTime, q.String())
	case Date:
		if !x.IsZero() && (x.Month < 1 || x.Month > 12 || x.Day < 1 || x.Day > 31 || x.Year < 0 || x.Year > 9999) {
			return valueErr(path, "date %d-%d-%d is not a calendar day", x.Year, int(x.Month), x.Day)
		}
		writeWrapped(buf, tagDate, `"`+x.String()+`"`)
	case []byte:
		writeWrapped(buf, tagBinary, `"`+base64.StdEncoding.EncodeToString(x)+`"`)
	case Params:
		return encodeWrappedParams(buf, x, path, depth)
	case map[string]any:
		return encodeWrappedParams(buf, Params(x), path, depth)
	case []any:
		return encodeArray(buf, len(x), func(i int) any { return x[i] }, path, depth)
	case []string:
		return encodeArray(buf, len(x), func(i int) any { return x[i] }, path, depth)
	case []int:
		return encodeArray(buf, len(x), func(i int) any { return x[i] }, path, depth)
	case []int64:
		return encodeArray(buf, len(x), func(i int) any { return x[i] }, path, depth)
	case []Params:
		return encodeArray(buf, len(x), func(i int) any { return x[i] }, path, depth)
	default:
		return valueErr(path, "Go type %T has no KSC encoding", v)
	}
	return nil
}

func encodeWrappedParams(buf *bytes.Buffer, p Params, path string, depth int) error {
	buf.WriteString(`{"type":"params","value":`)
	if err := encodeParamsBody(buf, p, path, depth, false); err != nil {
		return err
	}
	buf.WriteByte('}')
	return nil
}

func encodeArray(buf *bytes.Buffer, n int, at func(int) any, path string, depth int) error {
	buf.WriteByte('[')
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := encodeValue(buf, at(i), path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
			return err
		}
	}
	buf.WriteByte(']')
	return nil
}

func writeWrapped(buf *bytes.Buffer, tag, rawValue string) {
	buf.WriteString(`{"type":"`)
	buf.WriteString(tag)
	buf.WriteString(`","value":`)
	buf.WriteString(rawValue)
	buf.WriteByte('}')
}

// writeJSONString appends s as a JSON string. encoding/json never fails on a
// string, and escapes what JSON and HTML require.
func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s)
	buf.Write(b)
}

// DecodeValue decodes one JSON value in KSC's encoding into the Go types listed
// at [Params]. It accepts what servers are known to send: wrapped or plain
// numbers, "" for an unknown datetime, bare objects where a wrapped params is
// expected. It returns an error wrapping [ErrValue] for anything else and never
// panics.
func DecodeValue(data []byte) (any, error) {
	raw, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	return fromJSON(raw, "", 0)
}

// DecodeParams decodes a bare or wrapped params object.
func DecodeParams(data []byte) (Params, error) {
	v, err := DecodeValue(data)
	if err != nil {
		return nil, err
	}
	p, ok := v.(Params)
	if !ok {
		return nil, valueErr("", "got %s, want params", kindName(v))
	}
	return p, nil
}

func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrValue, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the JSON value", ErrValue)
	}
	return raw, nil
}

func fromJSON(raw any, path string, depth int) (any, error) {
	if depth > maxValueDepth {
		return nil, valueErr(path, "nested deeper than %d levels", maxValueDepth)
	}
	switch x := raw.(type) {
	case nil, bool, string:
		return x, nil
	case json.Number:
		return plainNumber(x, path)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			v, err := fromJSON(e, path+"["+strconv.Itoa(i)+"]", depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case map[string]any:
		if tag, val, ok := wrappedParts(x); ok {
			return fromWrapped(tag, val, path, depth)
		}
		return paramsFromJSON(x, path, depth)
	}
	return nil, valueErr(path, "unexpected JSON %T", raw)
}

func paramsFromJSON(m map[string]any, path string, depth int) (Params, error) {
	p := make(Params, len(m))
	for k, e := range m {
		sub := joinPath(path, k)
		if e == nil {
			// Servers are not supposed to send null members; keep them absent.
			continue
		}
		v, err := fromJSON(e, sub, depth+1)
		if err != nil {
			return nil, err
		}
		p[k] = v
	}
	return p, nil
}

// wrappedParts recognises {"type": <known tag>, "value": V}. An object with other
// members, or an unknown tag, is a bare params.
func wrappedParts(m map[string]any) (string, any, bool) {
	if len(m) != 2 {
		return "", nil, false
	}
	tag, ok := m["type"].(string)
	if !ok {
		return "", nil, false
	}
	val, ok := m["value"]
	if !ok {
		return "", nil, false
	}
	switch tag {
	case tagLong, tagDateTime, tagDate, tagBinary, tagFloat, tagDouble, tagParams:
		return tag, val, true
	}
	return "", nil, false
}

func fromWrapped(tag string, val any, path string, depth int) (any, error) {
	switch tag {
	case tagLong:
		n, err := longFrom(val)
		if err != nil {
			return nil, valueErr(path, "long: %v", err)
		}
		return n, nil
	case tagDateTime:
		s, ok := val.(string)
		if val == nil {
			return time.Time{}, nil
		}
		if !ok {
			return nil, valueErr(path, "datetime value is %s, want a string", jsonKind(val))
		}
		t, err := parseDateTime(s)
		if err != nil {
			return nil, valueErr(path, "%v", err)
		}
		return t, nil
	case tagDate:
		s, ok := val.(string)
		if val == nil {
			return Date{}, nil
		}
		if !ok {
			return nil, valueErr(path, "date value is %s, want a string", jsonKind(val))
		}
		d, err := parseDate(s)
		if err != nil {
			return nil, valueErr(path, "%v", err)
		}
		return d, nil
	case tagBinary:
		s, ok := val.(string)
		if !ok {
			return nil, valueErr(path, "binary value is %s, want a base64 string", jsonKind(val))
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			if b2, err2 := base64.RawStdEncoding.DecodeString(s); err2 == nil {
				return b2, nil
			}
			return nil, valueErr(path, "binary value is not base64: %v", err)
		}
		return b, nil
	case tagFloat, tagDouble:
		f, err := floatFrom(val)
		if err != nil {
			return nil, valueErr(path, "%s: %v", tag, err)
		}
		if tag == tagFloat {
			if math.Abs(f) > math.MaxFloat32 {
				return nil, valueErr(path, "float %v overflows 32 bits", f)
			}
			return float32(f), nil
		}
		return f, nil
	default: // tagParams
		switch m := val.(type) {
		case nil:
			return Params{}, nil
		case map[string]any:
			return paramsFromJSON(m, path, depth)
		}
		return nil, valueErr(path, "params value is %s, want an object", jsonKind(val))
	}
}

func plainNumber(n json.Number, path string) (any, error) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		if i >= math.MinInt32 && i <= math.MaxInt32 {
			return int(i), nil
		}
		return i, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return nil, valueErr(path, "number %s out of range", string(n))
	}
	return f, nil
}

func longFrom(v any) (int64, error) {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i, nil
		}
		return 0, fmt.Errorf("%s is not a 64-bit integer", string(x))
	case string:
		i, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a 64-bit integer", x)
		}
		return i, nil
	}
	return 0, fmt.Errorf("value is %s, want an integer", jsonKind(v))
}

func floatFrom(v any) (float64, error) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = x
	default:
		return 0, fmt.Errorf("value is %s, want a number", jsonKind(v))
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return f, nil
}

// parseDateTime accepts KSC's "YYYY-MM-DDTHH:MM:SSZ", any RFC 3339 time, and ""
// (unknown, the zero time). Results are UTC and truncated to the second.
func parseDateTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(dateTimeLayout, s)
	if err != nil {
		t, err = time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("datetime %q is not YYYY-MM-DDTHH:MM:SSZ", s)
		}
	}
	t = t.UTC().Truncate(time.Second)
	if y := t.Year(); y < 0 || y > 9999 {
		return time.Time{}, fmt.Errorf("datetime %q is outside years 0000-9999", s)
	}
	return t, nil
}

func parseDate(s string) (Date, error) {
	if s == "" {
		return Date{}, nil
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q is not YYYY-MM-DD", s)
	}
	return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func kindName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case Params:
		return "params"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%T", v)
}
