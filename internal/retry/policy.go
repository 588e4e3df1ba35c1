package retry

import (
	"fmt"
	"time"
)

// Policy says how often a failed attempt is repeated and how long is waited
// in between.
type Policy struct {
	// MaxAttempts is the total number of attempts, the first included; at
	// least 1 (1 means no retries).
	MaxAttempts int
	// BaseDelay is the wait before the second attempt; each later wait
	// doubles, up to MaxDelay.
	BaseDelay time.Duration
	// MaxDelay caps one backoff wait.
	MaxDelay time.Duration
}

// Validate reports the first field of p that makes no sense, naming it.
func (p Policy) Validate() error {
	switch {
	case p.MaxAttempts < 1:
		return fmt.Errorf("MaxAttempts is %d; it must be at least 1", p.MaxAttempts)
	case p.BaseDelay < 0:
		return fmt.Errorf("BaseDelay is %v; it must not be negative", p.BaseDelay)
	case p.MaxDelay < p.BaseDelay:
		return fmt.Errorf("MaxDelay %v is below BaseDelay %v", p.MaxDelay, p.BaseDelay)
	}
	return nil
}

// Backoff returns the wait after failed attempt n (counted from 1):
// BaseDelay·2^(n-1), capped at MaxDelay, then jittered to lie between half of
// that and all of it. random, a number in [0, 1] (rand.Float64), picks the
// point in between; values outside are clamped, NaN counts as 0. Any n is
// safe: the doubling stops at the cap and never overflows.
func (p Policy) Backoff(n int, random float64) time.Duration {
	d := min(p.BaseDelay, p.MaxDelay)
	if d <= 0 {
		return 0
	}
	for i := 1; i < n && d < p.MaxDelay; i++ {
		if d > p.MaxDelay/2 {
			d = p.MaxDelay
			break
		}
		d *= 2
	}
	switch {
	case !(random > 0): // also NaN
		random = 0
	case random > 1:
		random = 1
	}
	low := d / 2
	span := d - low
	// The product is below 2^62, so the conversion is exact enough and the
	// clamp only absorbs rounding.
	return low + min(time.Duration(float64(span)*random), span)
}

// Delay returns the wait after failed attempt n before the next one: the
// [Policy.Backoff], or the server's retryAfter when that is longer. It returns
// false when retryAfter is longer than limit: the caller then ends its retries
// and reports the server's answer, rather than come back before the server
// asked or wait longer than it allows.
func (p Policy) Delay(n int, random float64, retryAfter, limit time.Duration) (time.Duration, bool) {
	if retryAfter > limit {
		return 0, false
	}
	return max(p.Backoff(n, random), retryAfter), true
}
