package retry

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryAfterCap is the longest wait [ParseRetryAfter] returns; a server asking
// for more is taken to ask for this much.
const RetryAfterCap = 24 * time.Hour

// ParseRetryAfter reads the value of a Retry-After header (RFC 9110, section
// 10.2.3): a number of seconds, or an HTTP date that is turned into the time
// left from now. An empty, unreadable or negative value, zero, or a date that
// is not after now gives 0. The result is at most RetryAfterCap, however large
// the number.
func ParseRetryAfter(header string, now time.Time) time.Duration {
	v := strings.TrimSpace(header)
	if v == "" {
		return 0
	}
	if digitsOnly(v) {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(RetryAfterCap/time.Second) {
			// Only a number too large for int64 fails to parse here.
			return RetryAfterCap
		}
		return time.Duration(secs) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	// Time.Sub saturates instead of overflowing.
	return min(max(t.Sub(now), 0), RetryAfterCap)
}

// digitsOnly reports whether s is made of ASCII digits only.
func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
