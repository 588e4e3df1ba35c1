package ksc

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s (-want +got):\n%s", name, d)
	}
}

func TestEncodeArgsGolden(t *testing.T) {
	t.Parallel()
	args := Params{
		"wstrFilter":        `(KLHST_WKS_DN = "a""b")`,
		"vecFieldsToReturn": []string{"KLHST_WKS_HOSTNAME", "KLHST_WKS_DN"},
		"vecFieldsToOrder":  []Params{{"Name": "KLHST_WKS_DN", "Asc": true}},
		"pParams": Params{
			"KLSRVH_SLAVE_REC_DEPTH": 0,
			"nested":                 Params{"when": time.Date(2025, 4, 27, 23, 59, 1, 0, time.UTC), "day": Date{2025, time.April, 27}},
			"big":                    int64(1) << 40,
			"blob":                   []byte{0, 1, 2, 255},
			"f":                      float32(1.5),
			"d":                      2.25,
			"never":                  time.Time{},
			"list":                   []any{nil, "x", 3, Params{}},
			"ints":                   []int{1, 2},
			"longs":                  []int64{3},
			"m":                      map[string]any{"k": "v"},
		},
		"nStart": 0,
		"flag":   false,
		"n32":    int32(-7),
	}
	got, err := EncodeArgs(args)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "encode_args.golden.json", append(got, '\n'))

	// What was encoded decodes to the same values.
	back, err := DecodeParams(got)
	if err != nil {
		t.Fatal(err)
	}
	if back["nStart"] != 0 || back["n32"] != -7 || back["flag"] != false {
		t.Errorf("plain values changed: %v %v %v", back["nStart"], back["n32"], back["flag"])
	}
	p := back["pParams"].(Params)
	want := Params{"when": time.Date(2025, 4, 27, 23, 59, 1, 0, time.UTC), "day": Date{2025, time.April, 27}}
	if d := cmp.Diff(want, p["nested"]); d != "" {
		t.Errorf("nested (-want +got):\n%s", d)
	}
	if p["big"] != int64(1)<<40 || p["f"] != float32(1.5) || p["d"] != 2.25 || !p["never"].(time.Time).IsZero() {
		t.Errorf("wrapped scalars changed: %#v", p)
	}
	if d := cmp.Diff([]byte{0, 1, 2, 255}, p["blob"]); d != "" {
		t.Errorf("binary (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]any{nil, "x", 3, Params{}}, p["list"]); d != "" {
		t.Errorf("array (-want +got):\n%s", d)
	}
}

func TestDecodeValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want any
	}{
		{`null`, nil},
		{`true`, true},
		{`"s"`, "s"},
		{`42`, 42},
		{`-2147483648`, -2147483648},
		{`4294967296`, int64(4294967296)},
		{`1.5`, 1.5},
		{`{"type":"long","value":12345678901}`, int64(12345678901)},
		{`{"type":"long","value":"77"}`, int64(77)},
		{`{"type":"datetime","value":"2025-04-27T23:59:01Z"}`, time.Date(2025, 4, 27, 23, 59, 1, 0, time.UTC)},
		{`{"type":"datetime","value":"2025-04-27T23:59:01.5+02:00"}`, time.Date(2025, 4, 27, 21, 59, 1, 0, time.UTC)},
		{`{"type":"datetime","value":""}`, time.Time{}},
		{`{"type":"datetime","value":null}`, time.Time{}},
		{`{"type":"date","value":"2025-04-27"}`, Date{2025, time.April, 27}},
		{`{"type":"date","value":""}`, Date{}},
		{`{"type":"date","value":null}`, Date{}},
		{`{"type":"binary","value":"AAEC"}`, []byte{0, 1, 2}},
		{`{"type":"binary","value":"AAE"}`, []byte{0, 1}},
		{`{"type":"float","value":0.5}`, float32(0.5)},
		{`{"type":"double","value":"0.25"}`, 0.25},
		{`{"type":"params","value":{"a":{"type":"params","value":{"b":1}}}}`, Params{"a": Params{"b": 1}}},
		{`{"type":"params","value":null}`, Params{}},
		{`{"a":1,"n":null}`, Params{"a": 1}},
		{`{"type":"unknown","value":1}`, Params{"type": "unknown", "value": 1}},
		{`{"type":"long","value":1,"x":2}`, Params{"type": "long", "value": 1, "x": 2}},
		{`[1,{"type":"long","value":2},null]`, []any{1, int64(2), nil}},
	}
	for _, tt := range tests {
		got, err := DecodeValue([]byte(tt.in))
		if err != nil {
			t.Errorf("DecodeValue(%s): %v", tt.in, err)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("DecodeValue(%s) (-want +got):\n%s", tt.in, d)
		}
	}
}

func TestDecodeValueErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{``, "invalid value"},
		{`{`, "invalid value"},
		{`1 2`, "trailing data"},
		{`1e400`, "out of range"},
		{`{"type":"long","value":1.5}`, "not a 64-bit integer"},
		{`{"type":"long","value":"x"}`, "not a 64-bit integer"},
		{`{"type":"long","value":true}`, "want an integer"},
		{`{"type":"datetime","value":1}`, "want a string"},
		{`{"type":"datetime","value":"yesterday"}`, "not YYYY-MM-DDTHH:MM:SSZ"},
		{`{"type":"date","value":"2025-13-01"}`, "not YYYY-MM-DD"},
		{`{"type":"date","value":5}`, "want a string"},
		{`{"type":"binary","value":"!!"}`, "not base64"},
		{`{"type":"binary","value":1}`, "base64 string"},
		{`{"type":"float","value":1e39}`, "overflows 32 bits"},
		{`{"type":"double","value":"NaN"}`, "finite"},
		{`{"type":"double","value":[]}`, "want a number"},
		{`{"type":"params","value":[]}`, "want an object"},
		{`{"a":{"type":"long","value":"?"}}`, "at a:"},
		{`[{"type":"long","value":"?"}]`, "at [0]"},
		{strings.Repeat("[", 100) + strings.Repeat("]", 100), "nested deeper"},
	}
	for _, tt := range tests {
		_, err := DecodeValue([]byte(tt.in))
		if err == nil || !errors.Is(err, ErrValue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("DecodeValue(%.30s) error = %v, want ErrValue mentioning %q", tt.in, err, tt.want)
		}
	}
	if _, err := DecodeParams([]byte(`[1]`)); err == nil || !strings.Contains(err.Error(), "want params") {
		t.Errorf("DecodeParams(array) = %v", err)
	}
	if _, err := DecodeParams([]byte(`{`)); err == nil {
		t.Error("DecodeParams(bad JSON) succeeded")
	}
}

func TestEncodeValueErrors(t *testing.T) {
	t.Parallel()
	deep := any(Params{})
	for range maxValueDepth + 2 {
		deep = []any{deep}
	}
	nan := 0.0
	nan /= nan
	tests := []struct {
		v    any
		want string
	}{
		{1 << 40, "does not fit"},
		{float32(nan), "no JSON form"},
		{nan, "no JSON form"},
		{Date{2025, 13, 1}, "not a calendar day"},
		{struct{}{}, "has no KSC encoding"},
		{Params{"a": nil}, "null is not allowed"},
		{[]Params{{"x": uint8(1)}}, "[0].x"},
		{deep, "nested deeper"},
	}
	for _, tt := range tests {
		_, err := EncodeValue(tt.v)
		if err == nil || !errors.Is(err, ErrValue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("EncodeValue(%T) error = %v, want ErrValue mentioning %q", tt.v, err, tt.want)
		}
	}
	if _, err := EncodeArgs(Params{"p": Params{"x": nil}}); err == nil {
		t.Error("EncodeArgs with a null params member succeeded")
	}
	if got, err := EncodeArgs(nil); err != nil || string(got) != "{}" {
		t.Errorf("EncodeArgs(nil) = %s, %v", got, err)
	}
	if got, err := EncodeValue(Date{}); err != nil || string(got) != `{"type":"date","value":""}` {
		t.Errorf("EncodeValue(zero Date) = %s, %v", got, err)
	}
	if s := (Date{2025, time.January, 2}).String(); s != "2025-01-02" {
		t.Errorf("Date.String = %q", s)
	}
}
