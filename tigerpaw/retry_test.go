package tigerpaw_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

func TestWithRetryPolicyNamesTheBadField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    tigerpaw.RetryPolicy
		want string // "" when the policy is accepted
	}{
		{"default", tigerpaw.DefaultRetryPolicy(), ""},
		{"one attempt", tigerpaw.RetryPolicy{MaxAttempts: 1}, ""},
		{"zero attempts", tigerpaw.RetryPolicy{}, "WithRetryPolicy: MaxAttempts is 0"},
		{"negative base", tigerpaw.RetryPolicy{MaxAttempts: 2, BaseDelay: -1}, "WithRetryPolicy: BaseDelay is -1ns"},
		{"cap below base", tigerpaw.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Second, MaxDelay: time.Millisecond}, "WithRetryPolicy: MaxDelay 1ms is below BaseDelay 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tigerpaw.NewClient("https://tp.example.com", tigerpaw.WithKeys("p", "k"), tigerpaw.WithRetryPolicy(tt.p))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("NewClient = %v, want the policy accepted", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("NewClient = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestDefaultRetryPolicyIsAFreshValue(t *testing.T) {
	t.Parallel()
	p := tigerpaw.DefaultRetryPolicy()
	p.MaxAttempts = 99
	if got := tigerpaw.DefaultRetryPolicy(); got.MaxAttempts != 4 || got.BaseDelay != 500*time.Millisecond || got.MaxDelay != 30*time.Second {
		t.Errorf("DefaultRetryPolicy() = %+v after a caller changed its copy", got)
	}
}

// countingLimiter counts its waits and answers them with err.
type countingLimiter struct {
	mu  sync.Mutex
	n   int
	err error
}

func (l *countingLimiter) Wait(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	return l.err
}

func (l *countingLimiter) waits() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

func TestWithLimiterWaitedBeforeEveryAttempt(t *testing.T) {
	t.Parallel()
	l := &countingLimiter{}
	srv, c := setup(t, tigerpaw.WithLimiter(l))
	srv.FailNext("GET", "/api/accounts/{n}", 2, tigerpawtest.Fault{Status: 503})
	if _, err := c.Accounts.Get(t.Context(), 1001); err != nil {
		t.Fatal(err)
	}
	if n := l.waits(); n != 3 {
		t.Errorf("limiter waits = %d, want 3 (one per attempt)", n)
	}

	// A limiter that refuses ends the call at once, without a retry.
	l.err = errors.New("limiter closed")
	_, err := c.Accounts.Get(t.Context(), 1001)
	if !errors.Is(err, l.err) || !strings.Contains(err.Error(), "rate limiter: limiter closed") {
		t.Errorf("err = %v, want it to wrap the limiter's refusal", err)
	}
	if n := l.waits(); n != 4 {
		t.Errorf("limiter waits = %d, want 4", n)
	}
	if n := srv.Count("GET", "/api/accounts/{n}"); n != 3 {
		t.Errorf("requests = %d, want 3: the refused call must not reach the server", n)
	}
}

func TestWithLimiterRejectsNilRateLimiter(t *testing.T) {
	t.Parallel()
	var l *rate.Limiter
	_, err := tigerpaw.NewClient("https://tp.example.com", tigerpaw.WithKeys("p", "k"), tigerpaw.WithLimiter(l))
	if err == nil || !strings.Contains(err.Error(), "WithLimiter: limiter is nil") {
		t.Errorf("NewClient = %v, want a nil limiter refused", err)
	}
}
