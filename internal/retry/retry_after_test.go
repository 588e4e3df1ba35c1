package retry

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   string
		want time.Duration
	}{
		{"empty", "", 0},
		{"blank", "   ", 0},
		{"seconds", "3", 3 * time.Second},
		{"seconds with spaces", " 120 ", 2 * time.Minute},
		{"leading zeros", "007", 7 * time.Second},
		{"zero", "0", 0},
		{"negative", "-5", 0},
		{"plus sign", "+5", 0},
		{"fraction", "1.5", 0},
		{"words", "soon", 0},
		{"at the cap", "86400", RetryAfterCap},
		{"above the cap", "86401", RetryAfterCap},
		{"huge", "999999999", RetryAfterCap},
		{"beyond int64 seconds in nanoseconds", "9223372037", RetryAfterCap},
		{"beyond int64", "99999999999999999999999", RetryAfterCap},
		{"date ahead", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"date now", now.Format(http.TimeFormat), 0},
		{"date past", now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"date far ahead", now.AddDate(3, 0, 0).Format(http.TimeFormat), RetryAfterCap},
		{"RFC 850 date", now.Add(time.Hour).Format("Monday, 02-Jan-06 15:04:05 GMT"), time.Hour},
		{"ANSI C date", now.Add(2 * time.Minute).Format(time.ANSIC), 2 * time.Minute},
		{"broken date", "Sun, 29 Nov 2026 99:00:00 GMT", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ParseRetryAfter(tt.in, now); got != tt.want {
				t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseRetryAfterFarClocks(t *testing.T) {
	t.Parallel()
	// Dates at the ends of what http.ParseTime reads, against clocks at the
	// ends of time.Time: Sub must saturate, never wrap to a wrong sign.
	late := "Fri, 31 Dec 9999 23:59:59 GMT"
	early := "Mon, 01 Jan 0001 00:00:00 GMT"
	tests := []struct {
		name string
		in   string
		now  time.Time
		want time.Duration
	}{
		{"late date, zero clock", late, time.Time{}, RetryAfterCap},
		{"early date, far clock", early, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ParseRetryAfter(tt.in, tt.now); got != tt.want {
				t.Errorf("ParseRetryAfter(%q, %v) = %v, want %v", tt.in, tt.now, got, tt.want)
			}
		})
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	for _, s := range []string{"", "0", "3", " 120 ", "-5", "+5", "1.5", "99999999999999999999", "soon",
		now.Add(time.Minute).Format(http.TimeFormat), now.Add(-time.Minute).Format(http.TimeFormat),
		"Fri, 31 Dec 9999 23:59:59 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ParseRetryAfter(s, now)
		if got < 0 || got > RetryAfterCap {
			t.Fatalf("ParseRetryAfter(%q) = %v, outside [0, %v]", s, got, RetryAfterCap)
		}
		if again := ParseRetryAfter(s, now); again != got {
			t.Fatalf("ParseRetryAfter(%q) = %v, then %v", s, got, again)
		}
		// A plain number of seconds within the cap is read exactly.
		if n, err := strconv.ParseUint(s, 10, 64); err == nil && s[0] != '+' && n <= uint64(RetryAfterCap/time.Second) {
			if want := time.Duration(n) * time.Second; got != want {
				t.Fatalf("ParseRetryAfter(%q) = %v, want %v", s, got, want)
			}
		}
		// A date is read as the time left from now, never more than asked.
		if d, err := http.ParseTime(s); err == nil {
			if left := d.Sub(now); left > 0 && left <= RetryAfterCap && got != left {
				t.Fatalf("ParseRetryAfter(%q) = %v, want %v", s, got, left)
			}
		}
	})
}
