package tigerpaw

import (
	"encoding/json"
	"testing"
)

func TestNormalizeNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{"Quantity":10.0}`, `{"Quantity":10}`},
		{`{"Quantity":10.5}`, `{"Quantity":10.5}`},
		{`[1.000,-2.0,0.0,-0.0]`, `[1,-2,0,0]`},
		{`{"A":1e2,"B":1.5e1,"C":15e-1,"D":1E+3}`, `{"A":100,"B":15,"C":15e-1,"D":1000}`},
		{`{"Name":"10.0","Esc":"a\"1.0\\","N":3.0}`, `{"Name":"10.0","Esc":"a\"1.0\\","N":3}`},
		{`{"Big":1e40,"Huge":12345678901234567890.0}`, `{"Big":1e40,"Huge":12345678901234567890.0}`},
		{`{"Small":0.0001e4,"Z":0e5,"Tiny":1e-99999}`, `{"Small":1,"Z":0,"Tiny":1e-99999}`},
		{`{"Price":12.5000}`, `{"Price":12.5000}`},
		{`not json 1.0`, `not json 1`},
		{`"unterminated 1.0`, `"unterminated 1.0`},
		{`-.0 1.e2 01.0 -`, `-.0 1.e2 01.0 -`},
	}
	for _, tc := range tests {
		if got := string(normalizeNumbers([]byte(tc.in))); got != tc.want {
			t.Errorf("normalizeNumbers(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestDecodeTolerantIntegers(t *testing.T) {
	t.Parallel()
	var got struct {
		Quantity   int
		Rank       int
		Price      Cents
		Text       string
		PriceLevel int
	}
	err := decodeBody([]byte(`{"Quantity": 90.0, "Rank": 2e0, "Price": 10.0, "Text": "5.0", "PriceLevel": 3}`), &got, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Quantity != 90 || got.Rank != 2 || got.Price != 1000 || got.Text != "5.0" || got.PriceLevel != 3 {
		t.Errorf("decoded %+v", got)
	}
	if err := decodeBody([]byte(`{"Quantity": 90.5}`), &got, nil); err == nil {
		t.Error("a fraction in an integer field gave no error")
	}
	if err := decodeBody([]byte(`  `), &got, nil); err == nil {
		t.Error("an empty body gave no error")
	}
}

func TestFlexString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json    string
		want    FlexString
		wantErr bool
	}{
		{`"abc"`, "abc", false},
		{`42`, "42", false},
		{`-4.5`, "-4.5", false},
		{`true`, "true", false},
		{`null`, "keep", false},
		{`{}`, "", true},
		{`[1]`, "", true},
		{`"bad`, "", true},
	}
	for _, tc := range tests {
		f := FlexString("keep")
		err := json.Unmarshal([]byte(tc.json), &f)
		if (err != nil) != tc.wantErr {
			t.Errorf("Unmarshal(%s) error = %v, want error %v", tc.json, err, tc.wantErr)
			continue
		}
		if err == nil && f != tc.want {
			t.Errorf("Unmarshal(%s) = %q, want %q", tc.json, f, tc.want)
		}
	}
	var f FlexString
	if err := f.UnmarshalJSON(nil); err == nil {
		t.Error("empty input gave no error")
	}
}
