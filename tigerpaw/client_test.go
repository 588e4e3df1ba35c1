package tigerpaw_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

func TestNewClientValidatesOptions(t *testing.T) {
	t.Parallel()
	keys := tigerpaw.WithKeys("pub", "priv")
	tests := []struct {
		name    string
		url     string
		opts    []tigerpaw.Option
		wantErr string
	}{
		{name: "ok", url: "https://tp.example.com/", opts: []tigerpaw.Option{keys}},
		{name: "bad url", url: "://x", opts: []tigerpaw.Option{keys}, wantErr: "base URL"},
		{name: "no scheme", url: "tp.example.com", opts: []tigerpaw.Option{keys}, wantErr: "scheme"},
		{name: "ftp", url: "ftp://tp.example.com", opts: []tigerpaw.Option{keys}, wantErr: "scheme"},
		{name: "no host", url: "https://", opts: []tigerpaw.Option{keys}, wantErr: "host"},
		{name: "user info", url: "https://u:p@tp.example.com", opts: []tigerpaw.Option{keys}, wantErr: "user information"},
		{name: "no keys", url: "https://tp.example.com", wantErr: "WithKeys"},
		{name: "empty public key", url: "https://tp.example.com", opts: []tigerpaw.Option{tigerpaw.WithKeys(" ", "x")}, wantErr: "public key"},
		{name: "empty private key", url: "https://tp.example.com", opts: []tigerpaw.Option{tigerpaw.WithKeys("x", "")}, wantErr: "private key"},
		{name: "newline after private key", url: "https://tp.example.com", opts: []tigerpaw.Option{tigerpaw.WithKeys("x", "secret\n")}, wantErr: "white space"},
		{name: "space before public key", url: "https://tp.example.com", opts: []tigerpaw.Option{tigerpaw.WithKeys(" x", "secret")}, wantErr: "white space"},
		{name: "colon in public key", url: "https://tp.example.com", opts: []tigerpaw.Option{tigerpaw.WithKeys("a:b", "x")}, wantErr: "':'"},
		{name: "nil option", url: "https://tp.example.com", opts: []tigerpaw.Option{keys, nil}, wantErr: "option 1 is nil"},
		{name: "nil http client", url: "https://tp.example.com", opts: []tigerpaw.Option{keys, tigerpaw.WithHTTPClient(nil)}, wantErr: "WithHTTPClient"},
		{name: "nil logger", url: "https://tp.example.com", opts: []tigerpaw.Option{keys, tigerpaw.WithLogger(nil)}, wantErr: "WithLogger"},
		{name: "zero rate", url: "https://tp.example.com", opts: []tigerpaw.Option{keys, tigerpaw.WithRateLimit(0, 1)}, wantErr: "rate"},
		{name: "zero burst", url: "https://tp.example.com", opts: []tigerpaw.Option{keys, tigerpaw.WithRateLimit(1, 0)}, wantErr: "burst"},
		{name: "nil limiter", url: "https://tp.example.com", opts: []tigerpaw.Option{keys, tigerpaw.WithLimiter(nil)}, wantErr: "WithLimiter"},
		{name: "bad retry", url: "https://tp.example.com", opts: []tigerpaw.Option{keys, tigerpaw.WithRetryPolicy(tigerpaw.RetryPolicy{})}, wantErr: "MaxAttempts"},
		{name: "nil zone", url: "https://tp.example.com", opts: []tigerpaw.Option{keys, tigerpaw.WithTimeZone(nil)}, wantErr: "WithTimeZone"},
		{name: "nil clock", url: "https://tp.example.com", opts: []tigerpaw.Option{keys, tigerpaw.WithClock(nil)}, wantErr: "WithClock"},
		{name: "page size", url: "https://tp.example.com", opts: []tigerpaw.Option{keys, tigerpaw.WithPageSize(0)}, wantErr: "WithPageSize"},
		{name: "user agent", url: "https://tp.example.com", opts: []tigerpaw.Option{keys, tigerpaw.WithUserAgent("a\r\nb")}, wantErr: "WithUserAgent"},
		{name: "all good options", url: "http://tp.example.com/tigerpaw/", opts: []tigerpaw.Option{keys,
			tigerpaw.WithHTTPClient(http.DefaultClient), tigerpaw.WithLogger(slog.Default()), tigerpaw.WithRateLimit(2, 2),
			tigerpaw.WithLimiter(rate.NewLimiter(1, 1)), tigerpaw.WithRetryPolicy(tigerpaw.DefaultRetryPolicy()),
			tigerpaw.WithTimeZone(time.Local), tigerpaw.WithClock(time.Now), tigerpaw.WithPageSize(10), tigerpaw.WithUserAgent("me/1")}},
	}
	for _, tc := range tests {
		c, err := tigerpaw.NewClient(tc.url, tc.opts...)
		if tc.wantErr == "" {
			if err != nil || c == nil {
				t.Errorf("%s: NewClient = %v, %v", tc.name, c, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: err = %v, want one mentioning %q", tc.name, err, tc.wantErr)
		}
	}
	c, err := tigerpaw.NewClient(" https://tp.example.com/base/?q=1#f ", keys)
	if err != nil || c.BaseURL() != "https://tp.example.com/base" {
		t.Errorf("BaseURL = %q, %v", c.BaseURL(), err)
	}
}

func TestSecretsNeverShown(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := srv.Client(t, tigerpaw.WithLogger(logger))
	srv.FailNext("GET", "/api/diagnostics/validate/user", 1, tigerpawtest.Fault{Status: 503})
	if err := c.ValidateUser(t.Context()); err != nil {
		t.Fatal(err)
	}
	bad := srv.Client(t, tigerpaw.WithKeys(srv.PublicKey, srv.PrivateKey+"x"))
	err := bad.ValidateUser(t.Context())
	if !errors.Is(err, tigerpaw.ErrUnauthorized) {
		t.Fatalf("wrong key: %v", err)
	}
	mu.Lock()
	logged := logs.String()
	mu.Unlock()
	if !strings.Contains(logged, "tigerpaw request failed") || !strings.Contains(logged, "status=503") {
		t.Errorf("the retried failure was not logged:\n%s", logged)
	}
	shown := []string{
		fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%s", c), c.String(),
		fmt.Sprintf("%v", *c), fmt.Sprintf("%+v", *c), err.Error(), logged,
	}
	for _, s := range shown {
		if strings.Contains(s, srv.PrivateKey) {
			t.Errorf("private key shown in %q", s)
		}
		if strings.Contains(s, "TSI ") {
			t.Errorf("authorization token shown in %q", s)
		}
	}
	if !strings.Contains(c.String(), srv.URL) {
		t.Errorf("String() = %q, want the base URL", c.String())
	}
	var nilClient *tigerpaw.Client
	if nilClient.String() == "" {
		t.Error("nil client String is empty")
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	srv := tigerpawtest.NewServer(t, tigerpawtest.WithClock(func() time.Time { return now }))
	tests := []struct {
		name string
		opts []tigerpaw.Option
		ok   bool
	}{
		{name: "right keys and clock", opts: []tigerpaw.Option{tigerpaw.WithClock(func() time.Time { return now })}, ok: true},
		{name: "clock 4 minutes behind", opts: []tigerpaw.Option{tigerpaw.WithClock(func() time.Time { return now.Add(-4 * time.Minute) })}, ok: true},
		{name: "clock 6 minutes behind", opts: []tigerpaw.Option{tigerpaw.WithClock(func() time.Time { return now.Add(-6 * time.Minute) })}},
		{name: "clock 6 minutes ahead", opts: []tigerpaw.Option{tigerpaw.WithClock(func() time.Time { return now.Add(6 * time.Minute) })}},
		{name: "wrong private key", opts: []tigerpaw.Option{tigerpaw.WithClock(func() time.Time { return now }), tigerpaw.WithKeys(srv.PublicKey, "nope")}},
		{name: "wrong public key", opts: []tigerpaw.Option{tigerpaw.WithClock(func() time.Time { return now }), tigerpaw.WithKeys("other", srv.PrivateKey)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := srv.Client(t, tc.opts...)
			err := c.ValidateUser(t.Context())
			if tc.ok != (err == nil) {
				t.Fatalf("ValidateUser = %v, want ok %v", err, tc.ok)
			}
			if !tc.ok {
				var ae *tigerpaw.APIError
				if !errors.Is(err, tigerpaw.ErrUnauthorized) || !errors.As(err, &ae) || ae.StatusCode != 401 || ae.Message == "" {
					t.Errorf("err = %v, want a 401 APIError matching ErrUnauthorized", err)
				}
			}
		})
	}
	info, err := srv.Client(t, tigerpaw.WithClock(func() time.Time { return now })).ProductInformation(t.Context())
	if err != nil || !strings.Contains(string(info), "18.2.1") {
		t.Errorf("ProductInformation = %s, %v", info, err)
	}
}

func TestRetriesOnTransientFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fault     tigerpawtest.Fault
		n         int
		wantErr   bool
		wantCalls int
	}{
		{name: "503 twice then success", fault: tigerpawtest.Fault{Status: 503}, n: 2, wantCalls: 3},
		{name: "502", fault: tigerpawtest.Fault{Status: 502}, n: 1, wantCalls: 2},
		{name: "504", fault: tigerpawtest.Fault{Status: 504}, n: 1, wantCalls: 2},
		{name: "429 with short Retry-After", fault: tigerpawtest.Fault{Status: 429, RetryAfter: "0"}, n: 1, wantCalls: 2},
		{name: "dropped connection", fault: tigerpawtest.Fault{Drop: true}, n: 1, wantCalls: 2},
		{name: "always 503", fault: tigerpawtest.Fault{Status: 503}, n: 10, wantErr: true, wantCalls: 4},
		{name: "500 is not retried", fault: tigerpawtest.Fault{Status: 500}, n: 1, wantErr: true, wantCalls: 1},
		{name: "Retry-After beyond the cap ends retries", fault: tigerpawtest.Fault{Status: 503, RetryAfter: "60"}, n: 1, wantErr: true, wantCalls: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t)
			// A search is a POST that may be retried; a dropped connection on it is
			// not retried by net/http itself, so the count is the client's own.
			srv.FailNext("POST", "/api/accounts/search", tc.n, tc.fault)
			got, err := tigerpaw.Collect(c.Accounts.Search(t.Context(), tigerpaw.Search{}))
			if tc.wantErr != (err != nil) {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && len(got) != 5 {
				t.Errorf("got %d accounts, want 5", len(got))
			}
			if n := srv.Count("POST", "/api/accounts/search"); n != tc.wantCalls {
				t.Errorf("requests = %d, want %d", n, tc.wantCalls)
			}
			var ae *tigerpaw.APIError
			if tc.fault.RetryAfter == "60" && (!errors.As(err, &ae) || ae.RetryAfter != time.Minute) {
				t.Errorf("APIError.RetryAfter = %+v", ae)
			}
		})
	}
}

// timedTransport records when each round trip starts.
type timedTransport struct {
	next  http.RoundTripper
	mu    sync.Mutex
	times []time.Time
}

func (tt *timedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	tt.mu.Lock()
	tt.times = append(tt.times, time.Now())
	tt.mu.Unlock()
	return tt.next.RoundTrip(r)
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	seed(srv)
	tt := &timedTransport{next: srv.HTTPClient().Transport}
	c := srv.Client(t, tigerpaw.WithHTTPClient(&http.Client{Transport: tt}),
		tigerpaw.WithRetryPolicy(tigerpaw.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Second}))
	srv.FailNext("GET", "/api/accounts/{n}", 1, tigerpawtest.Fault{Status: 429, RetryAfter: "1"})
	if _, err := c.Accounts.Get(t.Context(), 1001); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count("GET", "/api/accounts/{n}"); n != 2 || len(tt.times) != 2 {
		t.Fatalf("requests = %d (round trips %d), want 2", n, len(tt.times))
	}
	// The backoff alone would wait about a millisecond; Retry-After asks for a
	// second. Only a lower bound is checked: a slow machine makes it longer.
	if gap := tt.times[1].Sub(tt.times[0]); gap < time.Second {
		t.Errorf("second attempt %v after the first, want at least the 1s of Retry-After", gap)
	}
}

func TestCreatesAreNotRetried(t *testing.T) {
	t.Parallel()
	faults := map[string]tigerpawtest.Fault{
		"503":                 {Status: 503},
		"502 after apply":     {Status: 502, AfterApply: true},
		"dropped":             {Drop: true},
		"dropped after apply": {Drop: true, AfterApply: true},
	}
	for name, f := range faults {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t)
			ctx := t.Context()
			srv.FailNext("POST", "/api/serviceorders", 1, f)
			_, err := c.ServiceOrders.Create(ctx, newOrder("ambiguous-1"))
			if err == nil {
				t.Fatal("Create succeeded through a fault")
			}
			if !errors.Is(err, tigerpaw.ErrOutcomeUnknown) {
				t.Errorf("err = %v, want ErrOutcomeUnknown", err)
			}
			if n := srv.Count("POST", "/api/ServiceOrders"); n != 1 {
				t.Errorf("service order POSTs = %d, want 1", n)
			}
			stored := len(srv.Snapshot().ServiceOrders)
			if want := map[bool]int{true: 1, false: 0}[f.AfterApply]; stored != want {
				t.Errorf("orders stored = %d, want %d", stored, want)
			}
			// The caller's recovery: look the key up before creating again.
			found, err := c.ServiceOrders.FindByReference(ctx, "ambiguous-1")
			if err != nil || len(found) != stored {
				t.Errorf("FindByReference = %d orders, %v; want %d", len(found), err, stored)
			}

			srv.FailNext("POST", "/api/agreements/{n}/additionalcharges", 1, f)
			_, err = c.Charges.Create(ctx, 501, tigerpaw.NewCharge{SpecialItemID: "KES-1", Quantity: 1, PriceLevel: 1})
			if err == nil {
				t.Fatal("charge Create succeeded through a fault")
			}
			if n := srv.Count("POST", "/api/agreements/{n}/additionalcharges"); n != 1 {
				t.Errorf("charge POSTs = %d, want 1", n)
			}
			if got, want := len(srv.Charges(501)), 1+map[bool]int{true: 1, false: 0}[f.AfterApply]; got != want {
				t.Errorf("charges on 501 = %d, want %d", got, want)
			}
		})
	}
}

func TestUpdateRetriedAfterApplyIsHarmless(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	q := 9
	srv.FailNext("PUT", "/api/agreements/{n}/additionalcharges/{id}", 1, tigerpawtest.Fault{Status: 504, AfterApply: true})
	if err := c.Charges.Update(t.Context(), 501, 7001, tigerpaw.ChargeUpdate{Quantity: &q}); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count("PUT", "/api/agreements/{n}/additionalcharges/{id}"); n != 2 {
		t.Errorf("PUTs = %d, want 2", n)
	}
	if got := srv.Charges(501); len(got) != 1 || got[0].Quantity != 9 {
		t.Errorf("charges = %+v", got)
	}
}

// dialFailOnce fails the first round trip as a refused connection would, then
// passes requests on.
type dialFailOnce struct {
	next  http.RoundTripper
	calls atomic.Int32
}

func (d *dialFailOnce) RoundTrip(r *http.Request) (*http.Response, error) {
	if d.calls.Add(1) == 1 {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	return d.next.RoundTrip(r)
}

func TestCreateRetriedWhenNeverSent(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	seed(srv)
	rt := &dialFailOnce{next: srv.HTTPClient().Transport}
	c := srv.Client(t, tigerpaw.WithHTTPClient(&http.Client{Transport: rt}))
	so, err := c.ServiceOrders.Create(t.Context(), newOrder("dial"))
	if err != nil {
		t.Fatal(err)
	}
	if rt.calls.Load() != 2 || srv.Count("POST", "/api/serviceorders") != 1 || so.ServiceOrderNumber != 1 {
		t.Errorf("round trips = %d, server POSTs = %d, order %d", rt.calls.Load(), srv.Count("POST", "/api/serviceorders"), so.ServiceOrderNumber)
	}
}

// attemptDone signals once the first response's body has been closed, that is
// once the client is done with its first attempt.
type attemptDone struct {
	next http.RoundTripper
	done chan struct{}
	once sync.Once
}

func (a *attemptDone) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.next.RoundTrip(r)
	if err == nil {
		resp.Body = &closeHook{ReadCloser: resp.Body, closed: func() { a.once.Do(func() { close(a.done) }) }}
	}
	return resp, err
}

type closeHook struct {
	io.ReadCloser
	closed func()
}

func (c *closeHook) Close() error {
	err := c.ReadCloser.Close()
	c.closed()
	return err
}

func TestContextCancelledMidBackoff(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	seed(srv)
	rt := &attemptDone{next: srv.HTTPClient().Transport, done: make(chan struct{})}
	c := srv.Client(t, tigerpaw.WithHTTPClient(&http.Client{Transport: rt}),
		tigerpaw.WithRetryPolicy(tigerpaw.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Hour, MaxDelay: time.Hour}))
	srv.FailNext("GET", "/api/accounts/{n}", 1, tigerpawtest.Fault{Status: 503})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-rt.done // the 503 is in: the client now waits an hour before its retry
		cancel()
	}()
	_, err := c.Accounts.Get(ctx, 1001)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !strings.Contains(err.Error(), "503") {
		t.Errorf("err = %v, want the last failure mentioned", err)
	}
	if n := srv.Count("GET", "/api/accounts/{n}"); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestContextHonouredByLimiterAndSlowServer(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, tigerpaw.WithRateLimit(0.001, 1))
	if _, err := c.Accounts.Get(t.Context(), 1001); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	if _, err := c.Accounts.Get(ctx, 1001); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("limiter wait: err = %v, want DeadlineExceeded", err)
	}
	if n := srv.Count("GET", "/api/accounts/{n}"); n != 1 {
		t.Errorf("requests = %d, want 1 (the second waited on the limiter)", n)
	}

	srv2, c2 := setup(t)
	srv2.FailNext("GET", "/api/accounts/{n}", 1, tigerpawtest.Fault{Delay: time.Minute})
	ctx2, cancel2 := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel2()
	if _, err := c2.Accounts.Get(ctx2, 1001); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow server: err = %v, want DeadlineExceeded", err)
	}
	cancelled, cancel3 := context.WithCancel(t.Context())
	cancel3()
	if err := c2.ValidateUser(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestDeleteRetriedAfterApplySucceeds(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	srv.FailNext("DELETE", "/api/agreements/{n}/additionalcharges/{id}", 1, tigerpawtest.Fault{Status: 503, AfterApply: true})
	if err := c.Charges.Delete(t.Context(), 501, 7001); err != nil {
		t.Fatalf("Delete = %v, want success (the first attempt deleted it)", err)
	}
	if n := srv.Count("DELETE", "/api/agreements/{n}/additionalcharges/{id}"); n != 2 {
		t.Errorf("DELETEs = %d, want 2", n)
	}
	if got := srv.Charges(501); len(got) != 0 {
		t.Errorf("charges left = %+v", got)
	}
	// Without an earlier attempt, a missing charge is an error.
	if err := c.Charges.Delete(t.Context(), 501, 7001); !errors.Is(err, tigerpaw.ErrNotFound) {
		t.Errorf("Delete of a missing charge = %v, want ErrNotFound", err)
	}
}

func TestMaxConcurrency(t *testing.T) {
	t.Parallel()
	if _, err := tigerpaw.NewClient("https://x.example", tigerpaw.WithKeys("p", "k"), tigerpaw.WithMaxConcurrency(0)); err == nil {
		t.Error("WithMaxConcurrency(0) gave no error")
	}
	srv, c := setup(t, tigerpaw.WithMaxConcurrency(1))
	srv.FailNext("GET", "/api/accounts/{n}", 1, tigerpawtest.Fault{Delay: 2 * time.Second})
	errs := make(chan error, 2)
	go func() { _, err := c.Accounts.Get(context.Background(), 1001); errs <- err }()
	for srv.Count("GET", "/api/accounts/{n}") == 0 {
		time.Sleep(time.Millisecond)
	}
	go func() { _, err := c.Accounts.Get(context.Background(), 1002); errs <- err }()
	time.Sleep(50 * time.Millisecond)
	if n := srv.Count("GET", "/api/accounts/{n}"); n != 1 {
		t.Errorf("requests in flight = %d, want 1 while the first is slow", n)
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	// A caller waiting for a slot gives up with its context.
	srv.FailNext("GET", "/api/accounts/{n}", 1, tigerpawtest.Fault{Delay: 2 * time.Second})
	go func() { _, err := c.Accounts.Get(context.Background(), 1001); errs <- err }()
	for srv.Count("GET", "/api/accounts/{n}") < 3 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.Accounts.Get(ctx, 1002); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting for a slot: err = %v, want DeadlineExceeded", err)
	}
	if err := <-errs; err != nil {
		t.Error(err)
	}
}

func TestDeleteNeverSentThenMissingIsNotFound(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	rt := &dialFailOnce{next: srv.HTTPClient().Transport}
	c = srv.Client(t, tigerpaw.WithHTTPClient(&http.Client{Transport: rt}))
	// The first attempt never left the client, so the 404 of the second is the
	// truth: the charge did not exist.
	if err := c.Charges.Delete(t.Context(), 501, 4242); !errors.Is(err, tigerpaw.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
	if rt.calls.Load() != 2 {
		t.Errorf("round trips = %d, want 2", rt.calls.Load())
	}
}

func TestCancelledErrorKeepsTheLastFailure(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	seed(srv)
	rt := &attemptDone{next: srv.HTTPClient().Transport, done: make(chan struct{})}
	c := srv.Client(t, tigerpaw.WithHTTPClient(&http.Client{Transport: rt}),
		tigerpaw.WithRetryPolicy(tigerpaw.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Hour, MaxDelay: time.Hour}))
	srv.FailNext("GET", "/api/agreements/{n}", 1, tigerpawtest.Fault{Status: 502})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-rt.done // the 502 is in: the client now waits before its retry
		cancel()
	}()
	_, err := c.Agreements.Get(ctx, 501)
	var ae *tigerpaw.APIError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &ae) || ae.StatusCode != 502 {
		t.Errorf("err = %v, want context.Canceled wrapping the 502", err)
	}
}

func TestRefusalsAreKnownOutcomes(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	_, err := c.Charges.Create(t.Context(), 502, tigerpaw.NewCharge{SpecialItemID: "KES-1", Quantity: 1, PriceLevel: 1})
	if err == nil || errors.Is(err, tigerpaw.ErrOutcomeUnknown) {
		t.Errorf("a refusal (non-recurring agreement) = %v, want an error with a known outcome", err)
	}
	if _, err := c.ServiceOrders.Get(t.Context(), 999); errors.Is(err, tigerpaw.ErrOutcomeUnknown) {
		t.Errorf("404 = %v, want a known outcome", err)
	}
}

func TestClientInsecure(t *testing.T) {
	t.Parallel()
	for url, want := range map[string]bool{
		"http://tigerpaw.example.com":   true,
		"HTTP://tigerpaw.example.com":   true,
		"https://tigerpaw.example.com":  false,
		"https://tigerpaw.example.com/": false,
	} {
		c, err := tigerpaw.NewClient(url, tigerpaw.WithKeys("p", "k"))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Insecure(); got != want {
			t.Errorf("%s: Insecure() = %v, want %v", url, got, want)
		}
	}
}
