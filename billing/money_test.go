package billing

import (
	"errors"
	"math"
	"testing"
)

func TestMoneyString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		m    Money
		want string
	}{
		{0, "0.00"},
		{5, "0.05"},
		{450, "4.50"},
		{100, "1.00"},
		{123456, "1234.56"},
		{-5, "-0.05"},
		{-1050, "-10.50"},
		{math.MaxInt64, "92233720368547758.07"},
		{math.MinInt64, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("Money(%d).String() = %q, want %q", int64(tt.m), got, tt.want)
		}
	}
}

func TestParseMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Money
		wantErr bool
	}{
		{"4.50", 450, false},
		{"4.5", 450, false},
		{"4", 400, false},
		{" 12.05 ", 1205, false},
		{"-0.05", -5, false},
		{"+3.10", 310, false},
		{".75", 75, false},
		{"0", 0, false},
		{"", 0, true},
		{"-", 0, true},
		{"4.", 0, true},
		{"4.505", 0, true},
		{"4,50", 0, true},
		{"1e3", 0, true},
		{"4.5x", 0, true},
		{"99999999999999999999", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseMoney(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseMoney(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidMoney) {
				t.Errorf("ParseMoney(%q) error %v does not wrap ErrInvalidMoney", tt.in, err)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("ParseMoney(%q) = %d, want %d", tt.in, got, tt.want)
		}
		if back, err := ParseMoney(got.String()); err != nil || back != got {
			t.Errorf("ParseMoney(%q) does not round-trip: %d, %v", got.String(), back, err)
		}
	}
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"4.50", "-0.05", ".5", "+12", "1e3", "", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMoney(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidMoney) {
				t.Fatalf("ParseMoney(%q) error %v does not wrap ErrInvalidMoney", s, err)
			}
			return
		}
		back, err := ParseMoney(m.String())
		if err != nil || back != m {
			t.Fatalf("ParseMoney(%q) = %d does not round-trip through %q: %d, %v", s, m, m.String(), back, err)
		}
	})
}
