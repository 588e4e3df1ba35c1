package hub

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hubtest"
)

const (
	testEmail    = "msp@example.com"
	testPassword = "pa55-w0rd-S3CRET"
)

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sleeps records the waits of a client instead of sleeping.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// env is a fake server with a client logged in as the test user.
type env struct {
	srv    *hubtest.Server
	c      *Client
	clock  *fakeClock
	sleeps *sleeps
}

// setup starts a TLS fake with the test user and a client of it whose clock is
// shared with the server and whose backoff waits are recorded, not slept.
func setup(t *testing.T, opts ...Option) *env {
	t.Helper()
	clock := newFakeClock()
	srv := hubtest.NewServer(hubtest.WithTLS(), hubtest.WithClock(clock.Now), hubtest.WithTokenTTL(time.Hour))
	t.Cleanup(srv.Close)
	srv.AddUser(testEmail, testPassword)
	base := []Option{
		WithCredentials(Credentials{Email: testEmail, Password: testPassword}),
		WithRootCAs(srv.CertPool()),
		WithClock(clock.Now),
		WithRetryPolicy(RetryPolicy{MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxRetryAfter: 30 * time.Second}),
	}
	c, err := NewClient(srv.URL, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	s := &sleeps{}
	c.sleep = s.sleep
	return &env{srv: srv, c: c, clock: clock, sleeps: s}
}

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// recordingTransport records the Authorization headers it sends.
type recordingTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	auth []string
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	if a := req.Header.Get("Authorization"); a != "" {
		r.auth = append(r.auth, a)
	}
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

func (r *recordingTransport) tokens() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.auth...)
}
