package tigerpaw

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoffGrowsAndCaps(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{MaxAttempts: 10, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	tests := []struct {
		attempt  int
		low, top time.Duration
	}{
		{1, 50 * time.Millisecond, 100 * time.Millisecond},
		{2, 100 * time.Millisecond, 200 * time.Millisecond},
		{3, 200 * time.Millisecond, 400 * time.Millisecond},
		{5, 500 * time.Millisecond, time.Second},
		{60, 500 * time.Millisecond, time.Second},
		{5000, 500 * time.Millisecond, time.Second},
	}
	for _, tc := range tests {
		if got := p.backoff(tc.attempt, 0); got != tc.low {
			t.Errorf("backoff(%d, 0) = %v, want %v", tc.attempt, got, tc.low)
		}
		if got := p.backoff(tc.attempt, 0.999999); got < tc.low || got > tc.top {
			t.Errorf("backoff(%d, ~1) = %v, want within [%v, %v]", tc.attempt, got, tc.low, tc.top)
		}
	}
}

func TestRetryPolicyValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p  RetryPolicy
		ok bool
	}{
		{DefaultRetryPolicy(), true},
		{RetryPolicy{MaxAttempts: 1}, true},
		{RetryPolicy{MaxAttempts: 0}, false},
		{RetryPolicy{MaxAttempts: 2, BaseDelay: -1}, false},
		{RetryPolicy{MaxAttempts: 2, BaseDelay: time.Second, MaxDelay: time.Millisecond}, false},
	}
	for _, tc := range tests {
		if err := tc.p.validate(); (err == nil) != tc.ok {
			t.Errorf("validate(%+v) = %v, want ok %v", tc.p, err, tc.ok)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"99999999999999999", time.Duration(1<<63 - 1)},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tc := range tests {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
