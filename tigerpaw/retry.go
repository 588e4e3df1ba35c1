package tigerpaw

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy says how a failed attempt is repeated. Only transport errors and
// HTTP 429, 502, 503 and 504 are retried, and creates only when the request never
// left the client. The wait before attempt n+1 is BaseDelay·2^(n-1), capped at
// MaxDelay, with random jitter over its upper half, and at least the server's
// Retry-After. A Retry-After longer than MaxDelay ends the retries.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, at least 1 (1 = no retries).
	MaxAttempts int
	// BaseDelay is the wait before the second attempt.
	BaseDelay time.Duration
	// MaxDelay caps one wait.
	MaxDelay time.Duration
}

// DefaultRetryPolicy returns the policy a Client uses unless told otherwise:
// 4 attempts, 500ms base delay, 30s cap.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, BaseDelay: 500 * time.Millisecond, MaxDelay: 30 * time.Second}
}

func (p RetryPolicy) validate() error {
	switch {
	case p.MaxAttempts < 1:
		return errors.New("MaxAttempts must be at least 1")
	case p.BaseDelay < 0:
		return errors.New("BaseDelay must not be negative")
	case p.MaxDelay < p.BaseDelay:
		return errors.New("MaxDelay must not be below BaseDelay")
	}
	return nil
}

// backoff returns the wait after failed attempt n (1-based), given a random
// number in [0,1) for the jitter.
func (p RetryPolicy) backoff(n int, random float64) time.Duration {
	d := float64(p.BaseDelay) * math.Pow(2, float64(n-1))
	if d > float64(p.MaxDelay) || math.IsInf(d, 0) {
		d = float64(p.MaxDelay)
	}
	half := d / 2
	return time.Duration(half + half*random)
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(math.MaxInt64/time.Second) {
			return time.Duration(math.MaxInt64)
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
