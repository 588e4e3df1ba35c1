package ksctest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// The fake renders values the way a KSC server does: plain JSON for strings,
// ints and booleans, {"type": T, "value": V} for longs, datetimes and nested
// params.

func wrapParams(m map[string]any) map[string]any { return map[string]any{"type": "params", "value": m} }

func wrapLong(n int64) map[string]any { return map[string]any{"type": "long", "value": n} }

func wrapDateTime(t time.Time) map[string]any {
	s := ""
	if !t.IsZero() {
		s = t.UTC().Format("2006-01-02T15:04:05Z")
	}
	return map[string]any{"type": "datetime", "value": s}
}

func parseArgs(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var args map[string]any
	if err := dec.Decode(&args); err != nil {
		return nil, err
	}
	if args == nil {
		return nil, fmt.Errorf("body is null")
	}
	return args, nil
}

func missing(name string) *PxgError {
	return &PxgError{Code: 1186, Module: "KLPRCI", Message: "Parameter '" + name + "' not found",
		Format: "Parameter '%1' not found", FormatID: 1186, LocModule: "KLPRCI", Args: []any{name}}
}

func typeMismatch(name, want string) *PxgError {
	return &PxgError{Code: 1187, Module: "KLPAR", Message: "Parameter '" + name + "' has wrong type, expected " + want,
		Format: "Parameter '%1' has wrong type, expected %2", FormatID: 1187, LocModule: "KLPAR", Args: []any{name, want}}
}

func argString(args map[string]any, name string) (string, *PxgError) {
	v, ok := args[name]
	if !ok {
		return "", missing(name)
	}
	s, ok := v.(string)
	if !ok {
		return "", typeMismatch(name, "string")
	}
	return s, nil
}

// argInt reads an int argument: a plain integer, or a wrapped long.
func argInt(args map[string]any, name string) (int64, *PxgError) {
	v, ok := args[name]
	if !ok {
		return 0, missing(name)
	}
	n, ok := intValue(v)
	if !ok {
		return 0, typeMismatch(name, "int")
	}
	return n, nil
}

func intValue(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, 64)
		return n, err == nil
	case map[string]any:
		if x["type"] == "long" {
			return intValue(x["value"])
		}
	}
	return 0, false
}

// argStrings reads an array of plain strings.
func argStrings(args map[string]any, name string) ([]string, *PxgError) {
	v, ok := args[name]
	if !ok {
		return nil, missing(name)
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, typeMismatch(name, "array")
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, typeMismatch(name, "array of strings")
		}
		out = append(out, s)
	}
	return out, nil
}

// argBareParams reads a top-level params argument, which must be a bare object.
func argBareParams(args map[string]any, name string) (map[string]any, *PxgError) {
	v, ok := args[name]
	if !ok {
		return nil, missing(name)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, typeMismatch(name, "params")
	}
	if t, isWrapped := m["type"]; isWrapped && t == "params" && len(m) == 2 {
		return nil, typeMismatch(name, "bare params object (top-level params are not wrapped)")
	}
	return m, nil
}

type orderField struct {
	name string
	asc  bool
}

// argOrder reads vecFieldsToOrder: an array of wrapped params {Name, Asc}.
func argOrder(args map[string]any, name string) ([]orderField, *PxgError) {
	v, ok := args[name]
	if !ok {
		return nil, missing(name)
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, typeMismatch(name, "array")
	}
	var out []orderField
	for _, e := range arr {
		m, ok := e.(map[string]any)
		if !ok || m["type"] != "params" {
			return nil, typeMismatch(name, "array of wrapped params")
		}
		p, ok := m["value"].(map[string]any)
		if !ok {
			return nil, typeMismatch(name, "array of wrapped params")
		}
		n, ok := p["Name"].(string)
		if !ok {
			return nil, typeMismatch(name+".Name", "string")
		}
		asc, ok := p["Asc"].(bool)
		if !ok {
			return nil, typeMismatch(name+".Asc", "bool")
		}
		out = append(out, orderField{name: n, asc: asc})
	}
	return out, nil
}

// paramDateTime reads a wrapped datetime member of a params; absent is zero.
func paramDateTime(p map[string]any, name string) (time.Time, bool, *PxgError) {
	v, ok := p[name]
	if !ok {
		return time.Time{}, false, nil
	}
	m, ok := v.(map[string]any)
	if !ok || m["type"] != "datetime" {
		return time.Time{}, false, typeMismatch(name, "datetime")
	}
	s, ok := m["value"].(string)
	if !ok {
		return time.Time{}, false, typeMismatch(name, "datetime")
	}
	if s == "" {
		return time.Time{}, false, nil
	}
	t, err := time.Parse("2006-01-02T15:04:05Z", s)
	if err != nil {
		return time.Time{}, false, typeMismatch(name, "datetime YYYY-MM-DDTHH:MM:SSZ")
	}
	return t, true, nil
}
