package retry

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestPolicyValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Policy
		want string // "" for a valid policy, else a part of the message
	}{
		{"one attempt, no waits", Policy{MaxAttempts: 1}, ""},
		{"usual", Policy{MaxAttempts: 4, BaseDelay: 500 * time.Millisecond, MaxDelay: 30 * time.Second}, ""},
		{"cap equals base", Policy{MaxAttempts: 2, BaseDelay: time.Second, MaxDelay: time.Second}, ""},
		{"zero attempts", Policy{}, "MaxAttempts is 0; it must be at least 1"},
		{"negative attempts", Policy{MaxAttempts: -3}, "MaxAttempts is -3"},
		{"negative base", Policy{MaxAttempts: 2, BaseDelay: -time.Second}, "BaseDelay is -1s; it must not be negative"},
		{"cap below base", Policy{MaxAttempts: 2, BaseDelay: time.Second, MaxDelay: time.Millisecond}, "MaxDelay 1ms is below BaseDelay 1s"},
		{"negative cap", Policy{MaxAttempts: 2, MaxDelay: -1}, "MaxDelay -1ns is below BaseDelay 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.p.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate(%+v) = %v, want nil", tt.p, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate(%+v) = %v, want an error containing %q", tt.p, err, tt.want)
			}
		})
	}
}

func TestPolicyBackoff(t *testing.T) {
	t.Parallel()
	p := Policy{MaxAttempts: 10, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	huge := Policy{MaxAttempts: 2, BaseDelay: time.Nanosecond, MaxDelay: math.MaxInt64}
	tests := []struct {
		name   string
		p      Policy
		n      int
		random float64
		want   time.Duration
	}{
		{"first, lowest jitter", p, 1, 0, 50 * time.Millisecond},
		{"first, highest jitter", p, 1, 1, 100 * time.Millisecond},
		{"first, middle", p, 1, 0.5, 75 * time.Millisecond},
		{"second doubles", p, 2, 0, 100 * time.Millisecond},
		{"third doubles again", p, 3, 1, 400 * time.Millisecond},
		{"fifth is capped", p, 5, 1, time.Second},
		{"capped, lowest jitter", p, 5, 0, 500 * time.Millisecond},
		{"far attempt stays capped", p, math.MaxInt, 1, time.Second},
		{"zero attempt counts as first", p, 0, 1, 100 * time.Millisecond},
		{"negative attempt counts as first", p, -7, 0, 50 * time.Millisecond},
		{"random below 0 clamps", p, 1, -4, 50 * time.Millisecond},
		{"random above 1 clamps", p, 1, 9, 100 * time.Millisecond},
		{"NaN counts as 0", p, 1, math.NaN(), 50 * time.Millisecond},
		{"+Inf clamps to 1", p, 1, math.Inf(1), 100 * time.Millisecond},
		{"zero base never waits", Policy{MaxAttempts: 3, MaxDelay: time.Second}, 3, 1, 0},
		{"zero cap never waits", Policy{MaxAttempts: 3, BaseDelay: time.Second}, 2, 1, 0},
		{"base above cap is capped", Policy{MaxAttempts: 2, BaseDelay: time.Minute, MaxDelay: time.Second}, 1, 1, time.Second},
		{"odd nanoseconds keep the full value", Policy{MaxAttempts: 2, BaseDelay: 3, MaxDelay: 3}, 1, 1, 3},
		{"odd nanoseconds keep the half", Policy{MaxAttempts: 2, BaseDelay: 3, MaxDelay: 3}, 1, 0, 1},
		{"no overflow near the top", huge, 63, 1, 1 << 62},
		{"no overflow at the cap", huge, 64, 1, math.MaxInt64},
		{"no overflow far beyond", huge, 1 << 30, 1, math.MaxInt64},
		{"no overflow at the cap, half", huge, 1000, 0, math.MaxInt64 / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.p.Backoff(tt.n, tt.random); got != tt.want {
				t.Errorf("%+v.Backoff(%d, %v) = %v, want %v", tt.p, tt.n, tt.random, got, tt.want)
			}
		})
	}
}

func TestPolicyBackoffStaysInRange(t *testing.T) {
	t.Parallel()
	p := Policy{MaxAttempts: 10, BaseDelay: 3 * time.Millisecond, MaxDelay: 7 * time.Second}
	for n := 1; n <= 80; n++ {
		full := min(p.BaseDelay<<min(n-1, 40), p.MaxDelay)
		for _, r := range []float64{0, 0.1, 0.25, 0.5, 0.75, 0.999999, 1} {
			got := p.Backoff(n, r)
			if got < full/2 || got > full {
				t.Fatalf("Backoff(%d, %v) = %v, want within [%v, %v]", n, r, got, full/2, full)
			}
		}
	}
}

func TestPolicyDelay(t *testing.T) {
	t.Parallel()
	p := Policy{MaxAttempts: 4, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	tests := []struct {
		name       string
		n          int
		retryAfter time.Duration
		limit      time.Duration
		want       time.Duration
		wantOK     bool
	}{
		{"no Retry-After: backoff", 2, 0, time.Second, 200 * time.Millisecond, true},
		{"shorter Retry-After: backoff", 2, 50 * time.Millisecond, time.Second, 200 * time.Millisecond, true},
		{"longer Retry-After wins", 1, 700 * time.Millisecond, time.Second, 700 * time.Millisecond, true},
		{"Retry-After at the limit", 1, time.Second, time.Second, time.Second, true},
		{"Retry-After beyond the limit ends retries", 1, time.Second + 1, time.Second, 0, false},
		{"a limit above MaxDelay allows more", 1, 30 * time.Second, time.Minute, 30 * time.Second, true},
		{"a zero limit refuses any Retry-After", 1, time.Second, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := p.Delay(tt.n, 1, tt.retryAfter, tt.limit)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Delay(%d, 1, %v, %v) = %v, %t; want %v, %t", tt.n, tt.retryAfter, tt.limit, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
