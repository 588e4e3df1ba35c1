package tigerpaw

import "time"

// RetryPolicy says how a failed attempt is repeated. Only transport errors and
// HTTP 429, 502, 503 and 504 are retried, and creates only when the request never
// left the client. The wait before attempt n+1 is BaseDelay·2^(n-1), capped at
// MaxDelay and jittered to lie between half of that and all of it, or the
// server's Retry-After when that is longer. A Retry-After longer than MaxDelay
// ends the retries: the call fails with the server's *APIError, whose RetryAfter
// says when to come back.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included; at
	// least 1 (1 means no retries).
	MaxAttempts int
	// BaseDelay is the wait before the second attempt; not negative.
	BaseDelay time.Duration
	// MaxDelay caps one backoff wait and is the longest Retry-After waited
	// for; not below BaseDelay.
	MaxDelay time.Duration
}

// DefaultRetryPolicy returns the policy a Client uses unless WithRetryPolicy
// says otherwise: 4 attempts, 500ms base delay, 30s cap.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, BaseDelay: 500 * time.Millisecond, MaxDelay: 30 * time.Second}
}
