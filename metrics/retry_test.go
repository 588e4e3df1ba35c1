package metrics

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	kt "github.com/mspkit/kaspersky-tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hub"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hubtest"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksc"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksctest"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// unavailableFirst answers the first n requests whose path contains path with
// a 503 of its own, without sending them on; the rest go to next. It records
// the attempt number RequestAttempt saw on every request.
type unavailableFirst struct {
	next http.RoundTripper
	path string

	mu       sync.Mutex
	n        int
	attempts []int
}

func (u *unavailableFirst) RoundTrip(req *http.Request) (*http.Response, error) {
	u.mu.Lock()
	u.attempts = append(u.attempts, kt.RequestAttempt(req))
	fail := u.n > 0 && strings.Contains(req.URL.Path, u.path)
	if fail {
		u.n--
	}
	u.mu.Unlock()
	if !fail {
		return u.next.RoundTrip(req)
	}
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable",
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(`{"Message":"busy"}`)),
		ProtoMajor: 1, ProtoMinor: 1, Request: req}, nil
}

// TestMetricsCountRetries checks kt_retries_total of each API against the
// failures injected below the metrics' transport: every refused attempt of a
// read is retried once, and a retry is counted as a request too.
func TestMetricsCountRetries(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	// Tigerpaw: two refusals of one account read.
	tp := tigerpawtest.NewServer(t)
	acct := tp.AddAccount(tigerpawtest.Account{Name: "Contoso Ltd", Type: "Customer"})
	tpFail := &unavailableFirst{next: tp.HTTPClient().Transport, path: "/api/accounts/", n: 2}
	tc := tp.Client(t, tigerpaw.WithHTTPClient(&http.Client{Transport: m.RoundTripper(APITigerpaw, tpFail)}),
		tigerpaw.WithRetryPolicy(tigerpaw.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}))
	if _, err := tc.Accounts.Get(ctx, acct.Number); err != nil {
		t.Fatalf("tigerpaw: %v", err)
	}

	// KSC: one refusal of the key listing (after the login).
	k := ksctest.NewServer()
	t.Cleanup(k.Close)
	k.AddUser(ksctest.User{Name: "ops", Password: "pw-ksc", Internal: true})
	kFail := &unavailableFirst{next: k.CertClientTransport(), path: "EnumKeys", n: 1}
	kc, err := ksc.NewClient(k.URL, ksc.WithCredentials(ksc.Credentials{User: "ops", Password: "pw-ksc", Internal: true}),
		ksc.WithHTTPClient(&http.Client{Transport: m.RoundTripper(APIKSC, kFail)}),
		ksc.WithRetryPolicy(ksc.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kc.Close(context.Background()) })
	if _, err := kc.Keys(ctx); err != nil {
		t.Fatalf("ksc: %v", err)
	}

	// Hub: three refusals of the company listing.
	h := hubtest.NewServer()
	t.Cleanup(h.Close)
	h.AddUser("ops@example.com", "pw-hub")
	hFail := &unavailableFirst{next: h.Client().Transport, path: "companies", n: 3}
	hc, err := hub.NewClient(h.URL, hub.WithInsecureHTTP(), hub.WithCredentials(hub.Credentials{Email: "ops@example.com", Password: "pw-hub"}),
		hub.WithHTTPClient(&http.Client{Transport: m.RoundTripper(APIHub, hFail)}),
		hub.WithRetryPolicy(hub.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range hc.Companies(ctx) {
		if err != nil {
			t.Fatalf("hub: %v", err)
		}
	}

	for _, c := range []struct {
		api     string
		fail    *unavailableFirst
		retries int
	}{{APITigerpaw, tpFail, 2}, {APIKSC, kFail, 1}, {APIHub, hFail, 3}} {
		if c.fail.n != 0 {
			t.Errorf("%s: %d injected failures were not reached", c.api, c.fail.n)
		}
		retried := 0
		for _, a := range c.fail.attempts {
			switch {
			case a < 1:
				t.Errorf("%s: a request without an attempt number (%d) in %v", c.api, a, c.fail.attempts)
			case a > 1:
				retried++
			}
		}
		if retried != c.retries {
			t.Errorf("%s: attempts seen %v, %d retries, want %d", c.api, c.fail.attempts, retried, c.retries)
		}
		if v := metricValue(t, reg, "kt_retries_total", "api", c.api); v != float64(c.retries) {
			t.Errorf("kt_retries_total{api=%s} = %v, want %d", c.api, v, c.retries)
		}
		if v := metricValue(t, reg, "kt_requests_total", "api", c.api); v != float64(len(c.fail.attempts)) {
			t.Errorf("kt_requests_total{api=%s} = %v, the transport saw %d", c.api, v, len(c.fail.attempts))
		}
	}
}
