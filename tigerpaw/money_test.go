package tigerpaw

import (
	"encoding/json"
	"math"
	"testing"
)

func TestParseCents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Cents
		wantErr bool
	}{
		{in: "0", want: 0},
		{in: "12", want: 1200},
		{in: "12.5", want: 1250},
		{in: "12.50", want: 1250},
		{in: "12.5000", want: 1250},
		{in: "4.505", want: 451},
		{in: "4.504999", want: 450},
		{in: "0.125", want: 13},
		{in: "-0.125", want: -13},
		{in: "-4.505", want: -451},
		{in: "0.005", want: 1},
		{in: "0.0049999", want: 0},
		{in: "-0.004", want: 0},
		{in: "1.005", want: 101}, // 1.005 is not exact in binary; text arithmetic is
		{in: "2.675", want: 268},
		{in: "1e2", want: 10000},
		{in: "1.2E1", want: 1200},
		{in: "125e-3", want: 13},
		{in: "5e-7", want: 0},
		{in: ".5", want: 50},
		{in: "+3", want: 300},
		{in: "000012.3400", want: 1234},
		{in: "92233720368547758.07", want: math.MaxInt64},
		{in: "92233720368547758.08", wantErr: true},
		{in: "1e30", wantErr: true},
		{in: "", wantErr: true},
		{in: "-", wantErr: true},
		{in: ".", wantErr: true},
		{in: "abc", wantErr: true},
		{in: "1.2.3", wantErr: true},
		{in: "1e", wantErr: true},
		{in: "1e1234567", wantErr: true},
		{in: "NaN", wantErr: true},
	}
	for _, tc := range tests {
		got, err := ParseCents(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseCents(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseCents(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestCentsJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json string
		want Cents
	}{
		{`4.505`, 451},
		{`"4.505"`, 451},
		{`10.0`, 1000},
		{`-0.01`, -1},
	}
	for _, tc := range tests {
		var c Cents
		if err := json.Unmarshal([]byte(tc.json), &c); err != nil {
			t.Errorf("Unmarshal(%s): %v", tc.json, err)
			continue
		}
		if c != tc.want {
			t.Errorf("Unmarshal(%s) = %d, want %d", tc.json, c, tc.want)
		}
	}
	c := Cents(77)
	if err := json.Unmarshal([]byte(`null`), &c); err != nil || c != 77 {
		t.Errorf("null: got %d, %v; want 77 unchanged", c, err)
	}
	for _, bad := range []string{`"x"`, `true`, `"1`} {
		if err := json.Unmarshal([]byte(bad), &c); err == nil {
			t.Errorf("Unmarshal(%s) gave no error", bad)
		}
	}
	for _, tc := range []struct {
		c    Cents
		want string
	}{{0, "0.00"}, {5, "0.05"}, {-5, "-0.05"}, {123456, "1234.56"}, {-100, "-1.00"}, {math.MinInt64, "-92233720368547758.08"}} {
		b, err := json.Marshal(tc.c)
		if err != nil || string(b) != tc.want || tc.c.String() != tc.want {
			t.Errorf("Marshal(%d) = %s, %v; want %s", tc.c, b, err, tc.want)
		}
		// What is written reads back the same.
		var back Cents
		if err := json.Unmarshal(b, &back); err != nil || back != tc.c {
			t.Errorf("round trip of %d gave %d, %v", tc.c, back, err)
		}
	}
}
