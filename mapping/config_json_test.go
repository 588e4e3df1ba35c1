package mapping_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// rich returns a configuration that uses every member of the JSON form.
func rich() mapping.Config {
	return mapping.Config{
		Name:              "main",
		Revision:          3,
		Solution:          mapping.SolutionKSC,
		ExternalProductID: 7,
		Tenants: []mapping.Tenant{
			{ID: "vs-1", Name: "Müller GmbH", Account: &mapping.AccountMapping{Number: 1001,
				Billing: mapping.Billing{Enabled: true, Agreement: 10010, PriceLevel: 2}}},
			{ID: "vs-2", Name: "ООО «Ромашка»", Account: &mapping.AccountMapping{Number: 1002}},
			{ID: "vs-3", Name: "ÖZTÜRK Ltd"},
		},
		PriceBook: mapping.PriceBook{BillByCategory: true, Apps: []mapping.AppItems{
			mapping.ItemsByCategory(kaspersky.AppKESBAdvanced, "KESB-WS", "KESB-SRV", "KESB-NW"),
			mapping.SingleItem(kaspersky.AppKESCloudPlus, "KESC-PLUS"),
		}},
	}
}

func TestMarshalGolden(t *testing.T) {
	t.Parallel()
	got, err := mapping.Marshal(rich())
	must(t, err)
	path := filepath.Join("testdata", "config_v1.golden.json")
	if *update {
		must(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	must(t, err)
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("Marshal output (-golden +got), run with -update if intended:\n%s", d)
	}
	back, err := mapping.Unmarshal(want)
	must(t, err)
	if d := cmp.Diff(rich(), back); d != "" {
		t.Errorf("Unmarshal(golden) (-want +got):\n%s", d)
	}
	again, err := mapping.Marshal(back)
	must(t, err)
	if !bytes.Equal(again, got) {
		t.Error("Marshal is not deterministic over a round trip")
	}
}

func TestUnmarshalHandWritten(t *testing.T) {
	t.Parallel()
	doc := `{
	  "Version": 1,
	  "name": "hub",
	  "SOLUTION": "hub",
	  "tenants": [{"id": "co-1", "name": "Company", "account": {"number": 42}}],
	  "priceBook": {"apps": [{"app": "office365", "item": "O365"}]}
	}`
	got, err := mapping.Decode(strings.NewReader(doc))
	must(t, err)
	want := mapping.Config{
		Name: "hub", Solution: mapping.SolutionHub,
		Tenants:   []mapping.Tenant{{ID: "co-1", Name: "Company", Account: &mapping.AccountMapping{Number: 42}}},
		PriceBook: mapping.PriceBook{Apps: []mapping.AppItems{mapping.SingleItem(kaspersky.AppOffice365, "O365")}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Decode (-want +got):\n%s", d)
	}
}

func TestUnmarshalErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		doc       string
		kind      error
		line, col int
		field     string
	}{
		{"unknown tenant member", "{\n  \"version\": 1,\n  \"tenants\": [\n    {\"id\": \"ü\", \"nmae\": \"y\"}\n  ]\n}",
			mapping.ErrUnknownField, 4, 17, "tenants[0].nmae"},
		{"unknown top-level member", `{"version": 1, "extra": true}`, mapping.ErrUnknownField, 1, 16, "extra"},
		{"member known elsewhere", `{"version":1,"name":"n","tenants":[{"id":"a","name":"b"}],"priceBook":{"name":"x"}}`,
			mapping.ErrUnknownField, 1, 72, "priceBook.name"},
		{"unknown billing member", "{\"version\":1,\n\"tenants\":[{\"id\":\"a\",\"account\":{\"billing\":{\"enabled\":true,\"foo\":1}}}]}",
			mapping.ErrUnknownField, 2, 59, "tenants[0].account.billing.foo"},
		{"unknown member of the second app", "{\"version\": 1,\n\"priceBook\": {\"apps\": [{\"app\": \"a\"}, {\"app\": \"b\", \"serverz\": \"\"}]}}",
			mapping.ErrUnknownField, 2, 51, "priceBook.apps[1].serverz"},
		{"unknown member with a nested value", `{"version":1,"tenants":[{"id":"a","extra":{"deep":[1,{"x":2}]}}]}`,
			mapping.ErrUnknownField, 1, 35, "tenants[0].extra"},
		{"missing comma", "{\n  \"version\": 1\n  \"name\": \"a\"\n}", mapping.ErrMalformed, 3, 3, ""},
		{"trailing data", `{"version": 1} x`, mapping.ErrMalformed, 1, 16, ""},
		{"empty", ``, mapping.ErrMalformed, 1, 1, ""},
		{"not an object", `[1]`, mapping.ErrMalformed, 1, 1, ""},
		{"string for a number", `{"version": 1, "tenants": [{"id": "a", "account": {"number": "12"}}]}`,
			mapping.ErrMalformed, 1, 52, "tenants[0].account.number"},
		{"number for a string", `{"version": 1, "tenants": [{"id": "a"}, {"id": 5}]}`,
			mapping.ErrMalformed, 1, 42, "tenants[1].id"},
		{"object for a list", `{"version":1,"tenants":{"id":"a"}}`, mapping.ErrMalformed, 1, 14, "tenants"},
		{"fraction", `{"version": 1, "revision": 1.5}`, mapping.ErrMalformed, 1, 16, "revision"},
		{"missing version", `{"name": "a"}`, mapping.ErrUnsupportedVersion, 1, 1, "version"},
		{"future version", "{\n  \"name\": \"x\",\n  \"version\": 2}", mapping.ErrUnsupportedVersion, 3, 3, "version"},
		{"version as a string", `{"version": "1"}`, mapping.ErrUnsupportedVersion, 1, 2, "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := mapping.Unmarshal([]byte(tt.doc))
			var de *mapping.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Unmarshal() = %v, want a *DecodeError", err)
			}
			if !errors.Is(err, tt.kind) || de.Line != tt.line || de.Column != tt.col || de.Field != tt.field {
				t.Errorf("Unmarshal() = %v (line %d, column %d, field %q); want %v at %d:%d, field %q",
					err, de.Line, de.Column, de.Field, tt.kind, tt.line, tt.col, tt.field)
			}
			if !strings.Contains(err.Error(), "line ") || (tt.field != "" && !strings.Contains(err.Error(), tt.field)) {
				t.Errorf("error text %q does not say where", err)
			}
		})
	}
}

func TestDecodeErrorText(t *testing.T) {
	t.Parallel()
	_, err := mapping.Unmarshal([]byte("{\"version\": 1,\n  \"nmae\": \"x\"}"))
	want := `mapping: configuration JSON, line 2, column 3, field nmae: unknown field "nmae"`
	if err == nil || err.Error() != want {
		t.Errorf("error text:\n got %v\nwant %s", err, want)
	}
}

func TestDecodeLimits(t *testing.T) {
	t.Parallel()
	big := strings.NewReader(strings.Repeat(" ", 16<<20) + `{"version":1}`)
	if _, err := mapping.Decode(big); !errors.Is(err, mapping.ErrMalformed) {
		t.Errorf("Decode of an oversized document = %v, want ErrMalformed", err)
	}
	fault := errors.New("read fault")
	if _, err := mapping.Decode(iotest.ErrReader(fault)); !errors.Is(err, fault) {
		t.Errorf("Decode of a failing reader = %v", err)
	}
}

func FuzzUnmarshal(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "config_v1.golden.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add([]byte(`{"version":1,"tenants":[{"id":"a","account":{"number":1}}]}`))
	f.Add([]byte(`{"version":1,"priceBook":{"apps":[{"app":"x","nope":1}]}}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := mapping.Unmarshal(data)
		if err != nil {
			var de *mapping.DecodeError
			if !errors.As(err, &de) || de.Line < 1 || de.Column < 1 || de.Offset < 0 || de.Offset > int64(len(data)) {
				t.Fatalf("error %v without a valid position", err)
			}
			_ = c.Check()
			return
		}
		out, err := mapping.Marshal(c)
		if err != nil {
			t.Fatalf("Marshal of a decoded configuration: %v", err)
		}
		back, err := mapping.Unmarshal(out)
		if err != nil {
			t.Fatalf("Unmarshal(Marshal(c)): %v\n%s", err, out)
		}
		if d := cmp.Diff(c, back); d != "" {
			t.Fatalf("round trip (-first +second):\n%s", d)
		}
	})
}

// TestUnmarshalDuplicateMembers refuses a member given twice in one object
// (in any letter case, as members match case-insensitively): encoding/json
// would keep the last one silently, so a hand-edited file could drop a whole
// list of tenants or switch billing off without a word.
func TestUnmarshalDuplicateMembers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		doc       string
		line, col int
		field     string
	}{
		{"top-level list twice", "{\"version\": 1,\n\"tenants\": [{\"id\": \"a\", \"name\": \"A\"}],\n\"tenants\": []}", 3, 1, "tenants"},
		{"billing flag twice", `{"version":1,"tenants":[{"id":"a","account":{"number":1,"billing":{"enabled":true,"agreement":7,"Enabled":false}}}]}`,
			1, 97, "tenants[0].account.billing.Enabled"},
		{"item twice in the second app", `{"version":1,"priceBook":{"apps":[{"app":"a"},{"app":"b","item":"X","item":"Y"}]}}`,
			1, 69, "priceBook.apps[1].item"},
		{"version twice", `{"version":1,"version":1}`, 1, 14, "version"},
		{"solution twice, once with a long s", `{"version":1,"solution":"ksc","ſolution":"hub"}`, 1, 31, "ſolution"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := mapping.Unmarshal([]byte(tt.doc))
			var de *mapping.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Unmarshal() = %v, want a *DecodeError", err)
			}
			if !errors.Is(err, mapping.ErrMalformed) || de.Line != tt.line || de.Column != tt.col || de.Field != tt.field {
				t.Errorf("Unmarshal() = %v (line %d, column %d, field %q); want ErrMalformed at %d:%d, field %q",
					err, de.Line, de.Column, de.Field, tt.line, tt.col, tt.field)
			}
			if !strings.Contains(err.Error(), "twice") {
				t.Errorf("error text %q does not say the member is repeated", err)
			}
		})
	}
	// The same name in different objects is no duplicate.
	ok := `{"version":1,"name":"n","tenants":[{"id":"a","name":"A"},{"id":"b","name":"B"}]}`
	if _, err := mapping.Unmarshal([]byte(ok)); err != nil {
		t.Errorf("Unmarshal of members repeated across objects: %v", err)
	}
}

// TestUnmarshalByteOrderMark reads a file saved with a UTF-8 byte order mark,
// as Windows editors write them.
func TestUnmarshalByteOrderMark(t *testing.T) {
	t.Parallel()
	plain, err := mapping.Marshal(rich())
	must(t, err)
	got, err := mapping.Decode(bytes.NewReader(append([]byte("\xEF\xBB\xBF"), plain...)))
	must(t, err)
	if d := cmp.Diff(rich(), got); d != "" {
		t.Errorf("Decode with a BOM (-want +got):\n%s", d)
	}
	_, err = mapping.Unmarshal([]byte("\xEF\xBB\xBF{\"version\": 1, \"nmae\": 1}"))
	var de *mapping.DecodeError
	if !errors.As(err, &de) || de.Line != 1 || de.Column != 16 || de.Field != "nmae" {
		t.Errorf("error after a BOM = %v, want line 1 column 16 (the BOM is not a character of the text)", err)
	}
}
