// Package retry holds the retry machinery the module's HTTP clients share:
// a [Policy] of attempts and capped, jittered exponential backoff, the reading
// of a Retry-After header ([ParseRetryAfter]), a wait that honours its context
// ([Sleep]) and the pacing of attempts through a rate [Limiter] ([Pace]).
//
// It decides nothing about which failures are worth repeating: each client
// keeps that rule, since it depends on the API it speaks. A client loop reads:
//
//	for attempt := 1; ; attempt++ {
//		if err := retry.Pace(ctx, limiter); err != nil { … }
//		… send; stop on success or on a failure that must not be repeated …
//		if attempt >= policy.MaxAttempts { … give up … }
//		wait, ok := policy.Delay(attempt, rand.Float64(), retryAfter, policy.MaxDelay)
//		if !ok { … give up: the server asks for a longer wait … }
//		if err := retry.Sleep(ctx, wait); err != nil { … }
//	}
package retry
