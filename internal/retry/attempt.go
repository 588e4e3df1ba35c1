package retry

import "context"

type attemptKey struct{}

// WithAttempt returns ctx marked as carrying attempt n (counted from 1) of a
// request. The clients mark the context of every request they send, so that
// an http.RoundTripper below them can tell a retry (n > 1) from a first
// attempt by reading [AttemptOf] of the request's context.
func WithAttempt(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, attemptKey{}, n)
}

// AttemptOf returns the attempt number WithAttempt stored in ctx, or 0 when
// ctx carries none (a request not sent by one of the clients).
func AttemptOf(ctx context.Context) int {
	n, _ := ctx.Value(attemptKey{}).(int)
	return n
}
