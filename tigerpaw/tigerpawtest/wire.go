package tigerpawtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// This file holds the fake's own JSON conventions, written independently of
// package tigerpaw so that a decoding bug of the client cannot hide behind the
// same bug in the fake.

const zonelessLayout = "2006-01-02T15:04:05"

// dateOut writes a date-time as Json.NET writes a SQL datetime: no zone, in the
// server's zone; the zero time is null.
func (s *Server) dateOut(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.In(s.loc).Format(zonelessLayout)
}

// moneyOut writes cents as a SQL money decimal with four fraction digits.
func moneyOut(cents int64) json.Number {
	sign := ""
	u := uint64(cents)
	if cents < 0 {
		sign, u = "-", uint64(-cents)
	}
	return json.Number(fmt.Sprintf("%s%d.%02d00", sign, u/100, u%100))
}

// decimalOut writes an integer as a decimal with a fraction ("5.0").
func decimalOut(n int) json.Number { return json.Number(strconv.Itoa(n) + ".0") }

// ratOf reads a JSON number, or a number in a JSON string, exactly.
func ratOf(raw json.RawMessage) (*big.Rat, error) {
	raw = bytes.TrimSpace(raw)
	text := string(raw)
	if len(raw) > 0 && raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return nil, err
		}
	}
	text = strings.TrimSpace(text)
	if text == "" || len(text) > 64 || strings.ContainsAny(text, "/") {
		return nil, fmt.Errorf("%q is not a number", text)
	}
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return nil, fmt.Errorf("%q is not a number", text)
	}
	return r, nil
}

// centsOf converts a JSON amount to cents, rounding half away from zero.
func centsOf(raw json.RawMessage) (int64, error) {
	r, err := ratOf(raw)
	if err != nil {
		return 0, err
	}
	r.Mul(r, big.NewRat(100, 1))
	neg := r.Sign() < 0
	r.Abs(r)
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).Cmp(r.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return 0, errors.New("amount out of range")
	}
	if neg {
		return -q.Int64(), nil
	}
	return q.Int64(), nil
}

// intOf reads a JSON integer, accepting a decimal with a zero fraction.
func intOf(raw json.RawMessage) (int, error) {
	r, err := ratOf(raw)
	if err != nil {
		return 0, err
	}
	if !r.IsInt() || !r.Num().IsInt64() || r.Num().Int64() > 1<<31 || r.Num().Int64() < -(1<<31) {
		return 0, fmt.Errorf("%s is not a whole number", r.RatString())
	}
	return int(r.Num().Int64()), nil
}

// stringOf reads a JSON string (a number is taken as its text).
func stringOf(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return "", nil
	}
	if len(raw) > 0 && raw[0] != '"' {
		if _, err := ratOf(raw); err == nil {
			return string(raw), nil
		}
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// boolOf reads a JSON boolean.
func boolOf(raw json.RawMessage) (bool, error) {
	var b bool
	err := json.Unmarshal(raw, &b)
	return b, err
}

// dateIn reads a date-time sent by a client: a string or {"DateTime": ...};
// a value without a zone is in the server's zone.
func (s *Server) dateIn(raw json.RawMessage) (time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return time.Time{}, nil
	}
	if len(raw) > 0 && raw[0] == '{' {
		var w map[string]json.RawMessage
		if err := json.Unmarshal(raw, &w); err != nil {
			return time.Time{}, err
		}
		inner, ok := fields(w)["datetime"]
		if !ok {
			return time.Time{}, errors.New(`expected {"DateTime": ...}`)
		}
		raw = inner
	}
	var text string
	if err := json.Unmarshal(raw, &text); err != nil {
		return time.Time{}, err
	}
	if t, err := time.Parse(time.RFC3339Nano, text); err == nil {
		return t, nil
	}
	return time.ParseInLocation("2006-01-02T15:04:05.999999999", text, s.loc)
}

// fields lower-cases the keys of a JSON object: Tigerpaw matches field names
// case-insensitively.
func fields(m map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

// object decodes a request body that must be a JSON object.
func object(body []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("body is not a JSON object: %v", err)
	}
	if m == nil {
		return nil, errors.New("body is null")
	}
	return fields(m), nil
}

// pageOf cuts items[start:start+size] and builds the paging fields.
func pageOf[T any](items []T, start, size int) ([]T, map[string]any) {
	if size <= 0 {
		size = DefaultPageSize
	}
	size = min(size, MaxPageSize)
	if start < 0 {
		start = 0
	}
	total := len(items)
	if start > total {
		start = total
	}
	end := min(start+size, total)
	next := 0
	if end < total {
		next = end
	}
	out := items[start:end]
	if out == nil {
		out = []T{}
	}
	return out, map[string]any{"PageSize": size, "NextRow": next, "TotalCount": total, "Success": true, "Message": ""}
}

func itoa(n int) string { return strconv.Itoa(n) }
