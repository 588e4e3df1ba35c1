package ksc

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/mspkit/kaspersky-tigerpaw/internal/retry"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksctest"
)

var alphaHosts = HostQuery{Filter: Eq("KLHST_WKS_GROUPID_GP", 10)}

func hostIDs(t *testing.T, hosts []Host) []string {
	t.Helper()
	ids := make([]string, len(hosts))
	for i, h := range hosts {
		ids[i] = h.ID
	}
	return ids
}

var alphaIDs = []string{"h-lnx", "h-noctype", "h-sick", "h-srv", "h-ws"}

func TestTLSVerification(t *testing.T) {
	t.Parallel()
	srv := ksctest.NewServer()
	defer srv.Close()
	seed(srv)
	creds := WithCredentials(Credentials{User: testUser, Password: testPassword, Internal: true})

	without, err := NewClient(srv.URL, creds, WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = without.VirtualServers(t.Context())
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("without the CA: error = %v, want x509.UnknownAuthorityError", err)
	}
	if srv.Sessions() != 0 {
		t.Errorf("a session was started over an unverified connection")
	}

	with, err := NewClient(srv.URL, creds, WithRootCAs(srv.CertPool()))
	if err != nil {
		t.Fatal(err)
	}
	defer with.Close(context.Background())
	vs, err := with.VirtualServers(t.Context())
	if err != nil || len(vs) != 3 {
		t.Fatalf("with the CA: %v, %v", vs, err)
	}
	want := VirtualServer{ID: 1, UID: "vs-alpha-uid", DisplayName: "Alpha Ltd", ManagedGroupID: 10, HasManagedGroup: true, Enabled: true}
	if d := cmp.Diff(want, vs[0]); d != "" {
		t.Errorf("VirtualServers[0] (-want +got):\n%s", d)
	}

	// A caller-supplied HTTP client is used as it is.
	custom, err := NewClient(srv.URL, creds, WithHTTPClient(&http.Client{Transport: srv.CertClientTransport()}))
	if err != nil {
		t.Fatal(err)
	}
	defer custom.Close(context.Background())
	if _, err := custom.VirtualServers(t.Context()); err != nil {
		t.Errorf("with a caller's client: %v", err)
	}
}

func TestLoginFailures(t *testing.T) {
	t.Parallel()
	srv := ksctest.NewServer()
	t.Cleanup(srv.Close)
	seed(srv)
	tests := []struct {
		name  string
		creds Credentials
		vs    string
		ok    bool
	}{
		{"internal user", Credentials{User: testUser, Password: testPassword, Internal: true}, "", true},
		{"domain user", Credentials{User: "jdoe", Password: "domain-pw", Domain: "CORP"}, "", true},
		{"domain user on a virtual server", Credentials{User: "jdoe", Password: "domain-pw", Domain: "corp"}, "Alpha Ltd", true},
		{"wrong password", Credentials{User: testUser, Password: "wrong-pw", Internal: true}, "", false},
		{"internal flag wrong", Credentials{User: testUser, Password: testPassword, Domain: "CORP"}, "", false},
		{"wrong domain", Credentials{User: "jdoe", Password: "domain-pw", Domain: "OTHER"}, "", false},
		{"unknown virtual server", Credentials{User: testUser, Password: testPassword, Internal: true}, "Nobody", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(srv.URL, WithRootCAs(srv.CertPool()), WithCredentials(tt.creds), WithVirtualServer(tt.vs))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(context.Background())
			_, err = c.VirtualServers(t.Context())
			if tt.ok {
				if err != nil {
					t.Fatalf("got %v", err)
				}
				return
			}
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("error = %v, want ErrUnauthorized", err)
			}
			if strings.Contains(err.Error(), tt.creds.Password) {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func TestMalformedAuthorizationRejectedByFake(t *testing.T) {
	t.Parallel()
	srv := ksctest.NewServer()
	defer srv.Close()
	seed(srv)
	hc := &http.Client{Transport: srv.CertClientTransport()}
	for _, h := range []string{
		"",
		"Basic YXBpOnB3",
		`KSCBasic user="YXBp", pass="cHc="`,
		`KSCBasic user=YXBp, pass="cHc=", domain="", internal="1"`,
		`KSCBasic user="not base64!", pass="cHc=", domain="", internal="1"`,
		`KSCBasic user="YXBp", pass="cHc=", domain="", internal="yes"`,
	} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/api/v1.0/Session.StartSession", strings.NewReader("{}"))
		req.Header.Set("Authorization", h)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("Authorization %q: status %d, want 401", h, resp.StatusCode)
		}
	}
	// An unknown session is refused.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/api/v1.0/VServers.GetVServers", strings.NewReader(`{"lParentGroup":-1}`))
	req.Header.Set("X-KSC-Session", "made-up")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("unknown session: status %d, want 403", resp.StatusCode)
	}
}

func TestPxgErrorWhateverTheStatus(t *testing.T) {
	t.Parallel()
	for _, status := range []int{0, http.StatusOK, http.StatusInternalServerError, http.StatusBadRequest} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t)
			srv.InjectFault("VServers.GetVServers", ksctest.Fault{Status: status, PxgError: &ksctest.PxgError{
				Code: 1183, Subcode: 7, Module: "KLSRV", Message: "Access denied",
				Format: "Access to '%1' denied for %2", LocModule: "KLSRV", Args: []any{"VServers", 42},
			}})
			_, err := c.VirtualServers(t.Context())
			var pe *PxgError
			if !errors.As(err, &pe) {
				t.Fatalf("error = %v, want *PxgError", err)
			}
			wantStatus := status
			if wantStatus == 0 {
				wantStatus = http.StatusOK
			}
			want := &PxgError{Method: "VServers.GetVServers", HTTPStatus: wantStatus, Code: 1183, Subcode: 7, Module: "KLSRV",
				Message: "Access denied", Format: "Access to '%1' denied for %2", LocModule: "KLSRV", Args: []string{"VServers", "42"}}
			if d := cmp.Diff(want, pe); d != "" {
				t.Errorf("PxgError (-want +got):\n%s", d)
			}
			if got := pe.Text(); got != "Access to 'VServers' denied for 42" {
				t.Errorf("Text() = %q", got)
			}
			// A PxgError is an answer, not a transient failure: not retried.
			if n := srv.Requests("VServers.GetVServers"); n != 1 {
				t.Errorf("requests = %d, want 1", n)
			}
		})
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		faults []ksctest.Fault
		ok     bool
		calls  int
	}{
		{"503 then ok", []ksctest.Fault{{Status: 503}}, true, 2},
		{"dropped then ok", []ksctest.Fault{{Drop: true}}, true, 2},
		{"500 twice then ok", []ksctest.Fault{{Status: 500}, {Status: 502}}, true, 3},
		{"always 503", []ksctest.Fault{{Status: 503}, {Status: 503}, {Status: 503}}, false, 3},
		{"404 is final", []ksctest.Fault{{Status: 404}}, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t)
			for _, f := range tt.faults {
				srv.InjectFault("VServers.GetVServers", f)
			}
			vs, err := c.VirtualServers(t.Context())
			if tt.ok != (err == nil) {
				t.Fatalf("VirtualServers = %v, %v", vs, err)
			}
			if !tt.ok {
				var he *HTTPError
				if tt.faults[0].Status != 0 && !errors.As(err, &he) {
					t.Errorf("error = %v, want *HTTPError", err)
				}
			}
			if n := srv.Requests("VServers.GetVServers"); n != tt.calls {
				t.Errorf("requests = %d, want %d", n, tt.calls)
			}
		})
	}
}

func TestExpiredSessionRecoveredTransparently(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	if _, err := c.VirtualServers(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv.ExpireSessions()
	vs, err := c.VirtualServers(t.Context())
	if err != nil || len(vs) != 3 {
		t.Fatalf("after expiry: %v, %v", vs, err)
	}
	if n := srv.Requests("Session.StartSession"); n != 2 {
		t.Errorf("StartSession = %d, want 2", n)
	}
	if n := srv.Requests("VServers.GetVServers"); n != 3 {
		t.Errorf("GetVServers = %d, want 3 (one refused with 403)", n)
	}
}

func TestSessionRefusedTwiceIsUnauthorized(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	srv.InjectFault("VServers.GetVServers", ksctest.Fault{Status: 403})
	srv.InjectFault("VServers.GetVServers", ksctest.Fault{Status: 403})
	_, err := c.VirtualServers(t.Context())
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("error = %v, want ErrUnauthorized", err)
	}
	if n := srv.Requests("Session.StartSession"); n != 2 {
		t.Errorf("StartSession = %d, want 2 (re-authenticate once)", n)
	}
}

func TestSessionExpiresDuringIteration(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"ChunkAccessor.GetItemsChunk", "GroupSyncIterator.GetNextItems", "EventProcessing.GetRecordRange"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t, WithChunkSize(2))
			c = c.ForVirtualServer("Alpha Ltd")
			// The first read works; the session expires on the second.
			srv.InjectFault("", ksctest.Fault{})
			ctx := t.Context()
			var n int
			var err error
			switch method {
			case "ChunkAccessor.GetItemsChunk":
				_, err = c.Hosts(ctx, alphaHosts) // opens the session first
				srv.InjectFault(method, ksctest.Fault{})
				srv.InjectFault(method, ksctest.Fault{ExpireSession: true})
				var hosts []Host
				hosts, err = c.Hosts(ctx, alphaHosts)
				if d := cmp.Diff(alphaIDs, hostIDs(t, hosts)); d != "" {
					t.Errorf("hosts (-want +got):\n%s", d)
				}
				n = len(hosts)
			case "GroupSyncIterator.GetNextItems":
				srv.InjectFault(method, ksctest.Fault{})
				srv.InjectFault(method, ksctest.Fault{ExpireSession: true})
				var keys []Key
				keys, err = c.Keys(ctx)
				n = len(keys)
				if n != 8 {
					t.Errorf("keys = %d, want 8", n)
				}
			default:
				srv.InjectFault(method, ksctest.Fault{})
				srv.InjectFault(method, ksctest.Fault{ExpireSession: true})
				var evs []Event
				evs, err = c.EventList(ctx, EventQuery{From: t0.Add(-24 * time.Hour), To: t0})
				n = len(evs)
				if n != 4 {
					t.Errorf("events = %d, want 4", n)
				}
			}
			if err != nil {
				t.Fatalf("read %d items, then %v", n, err)
			}
			if h := srv.OpenHandles(); h != 0 {
				t.Errorf("open handles = %d", h)
			}
		})
	}
}

func TestIteratorsReleaseOnEarlyBreak(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, WithChunkSize(1))
	a := c.ForVirtualServer("Alpha Ltd")
	ctx := t.Context()
	for range a.FindHosts(ctx, alphaHosts) {
		break
	}
	for range a.EnumKeys(ctx) {
		break
	}
	for range a.KeyHosts(ctx, "K-COM") {
		break
	}
	for range a.Events(ctx, EventQuery{}) {
		break
	}
	if n := srv.OpenHandles(); n != 0 {
		t.Errorf("open handles after early breaks = %d", n)
	}
	for _, m := range []string{"ChunkAccessor.Release", "GroupSyncIterator.ReleaseIterator", "EventProcessing.ReleaseIterator"} {
		if srv.Requests(m) == 0 {
			t.Errorf("%s never called", m)
		}
	}
}

func TestIteratorReleasesOnPanic(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, WithChunkSize(1))
	func() {
		defer func() { _ = recover() }()
		for range c.ForVirtualServer("Alpha Ltd").FindHosts(t.Context(), alphaHosts) {
			panic("consumer failed")
		}
	}()
	if n := srv.OpenHandles(); n != 0 {
		t.Errorf("open handles after a panicking consumer = %d", n)
	}
}

func TestIteratorReleasesOnError(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, WithChunkSize(2))
	a := c.ForVirtualServer("Alpha Ltd")
	srv.InjectFault("ChunkAccessor.GetItemsChunk", ksctest.Fault{})
	srv.InjectFault("ChunkAccessor.GetItemsChunk", ksctest.Fault{PxgError: &ksctest.PxgError{Code: 5, Message: "boom"}})
	var got []string
	var gotErr error
	for h, err := range a.FindHosts(t.Context(), alphaHosts) {
		if err != nil {
			gotErr = err
			break
		}
		got = append(got, h.ID)
	}
	var pe *PxgError
	if !errors.As(gotErr, &pe) || pe.Code != 5 {
		t.Errorf("error = %v, want PxgError code 5", gotErr)
	}
	if d := cmp.Diff(alphaIDs[:2], got); d != "" {
		t.Errorf("items before the error (-want +got):\n%s", d)
	}
	if n := srv.OpenHandles(); n != 0 {
		t.Errorf("open handles after an error = %d", n)
	}
}

func TestIteratorContextCancelled(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, WithChunkSize(1))
	a := c.ForVirtualServer("Alpha Ltd")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	srv.InjectFault("ChunkAccessor.GetItemsChunk", ksctest.Fault{})
	srv.InjectFault("ChunkAccessor.GetItemsChunk", ksctest.Fault{Delay: 5 * time.Second})
	var gotErr error
	n := 0
	for _, err := range a.FindHosts(ctx, alphaHosts) {
		if err != nil {
			gotErr = err
			break
		}
		n++
		cancel()
	}
	if !errors.Is(gotErr, context.Canceled) {
		t.Errorf("error = %v after %d items, want context.Canceled", gotErr, n)
	}
	if h := srv.OpenHandles(); h != 0 {
		t.Errorf("open handles = %d", h)
	}
}

func TestNonRepeatableReadDroppedRerunsTheSet(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, WithChunkSize(3))
	a := c.ForVirtualServer("Alpha Ltd")
	srv.InjectFault("GroupSyncIterator.GetNextItems", ksctest.Fault{})
	srv.InjectFault("GroupSyncIterator.GetNextItems", ksctest.Fault{Drop: true})
	keys, err := a.Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var serials []string
	for _, k := range keys {
		serials = append(serials, k.Serial)
	}
	want := []string{"K-COM", "K-COM-EXP", "K-SUB", "K-SUB-PAUSED", "K-TRIAL", "K-BETA", "K-TEST", "K-OEM"}
	if d := cmp.Diff(want, serials); d != "" {
		t.Errorf("serials (-want +got):\n%s", d)
	}
	if n := srv.Requests("LicenseKeys.EnumKeys"); n != 2 {
		t.Errorf("EnumKeys = %d, want 2 (re-run, not a blind retry)", n)
	}
	if n := srv.OpenHandles(); n != 0 {
		t.Errorf("open handles = %d", n)
	}
}

func TestSessionsSharedAndConcurrent(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	a := c.ForVirtualServer("Alpha Ltd")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hosts, err := a.Hosts(t.Context(), alphaHosts)
			if err == nil && len(hosts) != len(alphaIDs) {
				err = fmt.Errorf("got %d hosts", len(hosts))
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := srv.Requests("Session.StartSession"); n != 1 {
		t.Errorf("StartSession = %d, want 1 for one virtual server", n)
	}
	if n := srv.OpenHandles(); n != 0 {
		t.Errorf("open handles = %d", n)
	}
}

func TestCloseEndsSessions(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	if _, err := c.VirtualServers(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ForVirtualServer("Alpha Ltd").Keys(t.Context()); err != nil {
		t.Fatal(err)
	}
	if srv.Sessions() != 2 {
		t.Fatalf("sessions = %d, want 2", srv.Sessions())
	}
	if err := c.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if srv.Sessions() != 0 {
		t.Errorf("sessions after Close = %d", srv.Sessions())
	}
	if _, err := c.VirtualServers(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
	if err := c.Close(t.Context()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

type countingLimiter struct{ n atomic.Int64 }

func (l *countingLimiter) Wait(ctx context.Context) error { l.n.Add(1); return ctx.Err() }

func TestLimiterWaitedOnEveryAttempt(t *testing.T) {
	t.Parallel()
	lim := &countingLimiter{}
	srv, c := setup(t, WithLimiter(lim))
	srv.InjectFault("VServers.GetVServers", ksctest.Fault{Status: 503})
	if _, err := c.VirtualServers(t.Context()); err != nil {
		t.Fatal(err)
	}
	// StartSession + two attempts of GetVServers.
	if n := lim.n.Load(); n != 3 {
		t.Errorf("limiter waits = %d, want 3", n)
	}
}

func TestSecretsNeverShown(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	srv, c := setup(t, WithLogger(newTestLogger(logs)))
	srv.InjectFault("VServers.GetVServers", ksctest.Fault{Status: 503})
	if _, err := c.VirtualServers(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv.ExpireSessions()
	if _, err := c.VirtualServers(t.Context()); err != nil {
		t.Fatal(err)
	}
	creds := Credentials{User: testUser, Password: testPassword, Internal: true}
	var shown []string
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		shown = append(shown, fmt.Sprintf(f, c), fmt.Sprintf(f, *c), fmt.Sprintf(f, creds), fmt.Sprintf(f, &creds))
	}
	var sb strings.Builder
	slog.New(slog.NewJSONHandler(&sb, nil)).Info("x", slog.Any("creds", creds))
	shown = append(shown, sb.String(), logs.String())
	// A failed login's error.
	bad, _ := NewClient(srv.URL, WithRootCAs(srv.CertPool()), WithCredentials(Credentials{User: testUser, Password: "other-secret", Internal: true}))
	_, err := bad.VirtualServers(t.Context())
	shown = append(shown, err.Error(), fmt.Sprintf("%+v", bad))
	if got := fmt.Sprint(Client{}); got != "ksc.Client{}" {
		t.Errorf("zero Client prints %q", got)
	}

	c.core.mu.Lock()
	var ids []string
	for _, s := range c.core.sessions {
		if id, _, ok := s.current(); ok {
			ids = append(ids, id)
		}
	}
	c.core.mu.Unlock()
	if len(ids) == 0 {
		t.Fatal("no live session to look for")
	}
	for _, s := range shown {
		for _, secret := range append([]string{testPassword, "other-secret"}, ids...) {
			if strings.Contains(s, secret) {
				t.Errorf("secret %q shown in %q", secret, s)
			}
		}
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("expected a retry in the log, got %q", logs.String())
	}
}

func TestNewClientValidation(t *testing.T) {
	t.Parallel()
	good := WithCredentials(Credentials{User: "u", Password: "p", Internal: true})
	tests := []struct {
		name string
		url  string
		opts []Option
		want string
	}{
		{"no credentials", "https://ksc:13299", nil, "credentials are required"},
		{"bad scheme", "ftp://ksc", []Option{good}, "scheme"},
		{"no host", "https://", []Option{good}, "no host"},
		{"userinfo in URL", "https://u:p@ksc", []Option{good}, "must not carry credentials"},
		{"query", "https://ksc/?a=1", []Option{good}, "query"},
		{"empty user", "https://ksc", []Option{WithCredentials(Credentials{Password: "p", Internal: true})}, "User is empty"},
		{"empty password", "https://ksc", []Option{WithCredentials(Credentials{User: "u", Internal: true})}, "Password is empty"},
		{"quote in domain", "https://ksc", []Option{WithCredentials(Credentials{User: "u", Password: "p", Domain: `a"b`})}, "Domain contains"},
		{"domain user without domain", "https://ksc", []Option{WithCredentials(Credentials{User: "u", Password: "p"})}, "Domain is empty"},
		{"nil pool", "https://ksc", []Option{good, WithRootCAs(nil)}, "pool is nil"},
		{"nil http client", "https://ksc", []Option{good, WithHTTPClient(nil)}, "client is nil"},
		{"nil logger", "https://ksc", []Option{good, WithLogger(nil)}, "logger is nil"},
		{"nil limiter", "https://ksc", []Option{good, WithLimiter(nil)}, "limiter is nil"},
		{"zero attempts", "https://ksc", []Option{good, WithRetryPolicy(RetryPolicy{})}, "WithRetryPolicy: MaxAttempts is 0"},
		{"negative base delay", "https://ksc", []Option{good, WithRetryPolicy(RetryPolicy{MaxAttempts: 2, BaseDelay: -1})}, "WithRetryPolicy: BaseDelay is -1ns"},
		{"cap below base delay", "https://ksc", []Option{good, WithRetryPolicy(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Second})}, "WithRetryPolicy: MaxDelay 0s is below BaseDelay 1s"},
		{"nil rate limiter", "https://ksc", []Option{good, WithLimiter((*rate.Limiter)(nil))}, "limiter is nil"},
		{"nil clock", "https://ksc", []Option{good, WithClock(nil)}, "clock is nil"},
		{"chunk size", "https://ksc", []Option{good, WithChunkSize(0)}, "WithChunkSize"},
		{"lifetime", "https://ksc", []Option{good, WithResultSetLifetime(time.Millisecond)}, "shorter than a second"},
		{"timeout", "https://ksc", []Option{good, WithRequestTimeout(0)}, "not positive"},
		{"bad URL", "https://ksc:port", []Option{good}, "base URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewClient(tt.url, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	c, err := NewClient("https://ksc:13299/", good, WithVirtualServer("VS"), WithRequestTimeout(time.Second),
		WithResultSetLifetime(time.Minute), WithRetryPolicy(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Second, MaxDelay: time.Minute}))
	if err != nil {
		t.Fatal(err)
	}
	if c.VirtualServer() != "VS" || c.core.endpoint != "https://ksc:13299/api/v1.0/" ||
		c.core.retry != (retry.Policy{MaxAttempts: 2, BaseDelay: time.Second, MaxDelay: time.Minute}) {
		t.Errorf("config not applied: %s, %+v", c.core.endpoint, c.core.retry)
	}
}

func TestKSCBasicHeader(t *testing.T) {
	t.Parallel()
	c, err := NewClient("https://ksc", WithCredentials(Credentials{User: "jdoe", Password: "p@ss", Domain: "CORP"}))
	if err != nil {
		t.Fatal(err)
	}
	want := `KSCBasic user="amRvZQ==", pass="cEBzcw==", domain="CORP", internal="0"`
	if got := c.core.authorization(); got != want {
		t.Errorf("authorization = %q, want %q", got, want)
	}
}

func TestCloseWhileSessionStarting(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	srv.InjectFault("Session.StartSession", ksctest.Fault{Delay: time.Second})
	errc := make(chan error, 1)
	go func() {
		_, err := c.VirtualServers(context.Background())
		errc <- err
	}()
	for srv.Requests("Session.StartSession") < 1 {
		time.Sleep(time.Millisecond)
	}
	if err := c.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Errorf("call racing Close: %v, want ErrClosed", err)
	}
	if n := srv.Sessions(); n != 0 {
		t.Errorf("sessions left = %d", n)
	}
}

func TestRepeatableReadFailingInTransitIsNotRerun(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, WithChunkSize(2))
	for range 3 {
		srv.InjectFault("ChunkAccessor.GetItemsChunk", ksctest.Fault{Drop: true})
	}
	_, err := c.ForVirtualServer("Alpha Ltd").Hosts(t.Context(), alphaHosts)
	if err == nil || !strings.Contains(err.Error(), "ChunkAccessor.GetItemsChunk") {
		t.Fatalf("error = %v, want the failed chunk read", err)
	}
	if n := srv.Requests("ChunkAccessor.GetItemsChunk"); n != 3 {
		t.Errorf("chunk reads = %d, want 3 (the retry policy)", n)
	}
	if n := srv.Requests("HostGroup.FindHosts"); n != 1 {
		t.Errorf("FindHosts = %d, want 1 (no re-run after retries)", n)
	}
	if n := srv.OpenHandles(); n != 0 {
		t.Errorf("open handles = %d", n)
	}
}

func TestSessionLostRepeatedly(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, WithChunkSize(2))
	for range maxRestarts + 1 {
		srv.InjectFault("ChunkAccessor.GetItemsChunk", ksctest.Fault{ExpireSession: true})
	}
	_, err := c.ForVirtualServer("Alpha Ltd").Hosts(t.Context(), alphaHosts)
	if !errors.Is(err, ErrSessionLost) {
		t.Fatalf("error = %v, want ErrSessionLost", err)
	}
	if n := srv.Requests("HostGroup.FindHosts"); n != maxRestarts+1 {
		t.Errorf("FindHosts = %d, want %d", n, maxRestarts+1)
	}
	if n := srv.OpenHandles(); n != 0 {
		t.Errorf("open handles = %d", n)
	}
}

func TestEventCountFailureReleasesTheIterator(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	srv.InjectFault("EventProcessing.GetRecordCount", ksctest.Fault{PxgError: &ksctest.PxgError{Code: 9, Message: "count failed"}})
	_, err := c.ForVirtualServer("Alpha Ltd").EventList(t.Context(), EventQuery{})
	var pe *PxgError
	if !errors.As(err, &pe) || pe.Code != 9 {
		t.Fatalf("error = %v, want PxgError 9", err)
	}
	if n := srv.OpenHandles(); n != 0 {
		t.Errorf("open handles = %d", n)
	}
	for kh, err := range c.KeyHosts(t.Context(), "") {
		if err == nil {
			t.Errorf("KeyHosts with an empty serial yielded %+v", kh)
		}
	}
	if _, err := c.KeyHostList(t.Context(), ""); err == nil || !strings.Contains(err.Error(), "serial is empty") {
		t.Errorf("KeyHostList(\"\") = %v", err)
	}
}

func TestDefaultRetryPolicy(t *testing.T) {
	t.Parallel()
	p := DefaultRetryPolicy()
	p.MaxAttempts = 99 // a caller's copy; the default must not change
	want := RetryPolicy{MaxAttempts: 3, BaseDelay: 250 * time.Millisecond, MaxDelay: 5 * time.Second}
	if d := cmp.Diff(want, DefaultRetryPolicy()); d != "" {
		t.Errorf("DefaultRetryPolicy (-want +got):\n%s", d)
	}
	c, err := NewClient("https://ksc", WithCredentials(Credentials{User: "u", Password: "p", Internal: true}))
	if err != nil {
		t.Fatal(err)
	}
	if c.core.retry != retry.Policy(want) {
		t.Errorf("client policy = %+v, want the default %+v", c.core.retry, want)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	if _, err := c.VirtualServers(t.Context()); err != nil { // starts the session
		t.Fatal(err)
	}
	srv.InjectFault("VServers.GetVServers", ksctest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second})
	start := time.Now()
	if _, err := c.VirtualServers(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := srv.Requests("VServers.GetVServers"); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
	// The backoff alone would wait a millisecond or two; Retry-After asks for
	// a second. Only a lower bound is checked: a slow machine makes it longer.
	if el := time.Since(start); el < time.Second {
		t.Errorf("retried after %v, before the server's Retry-After of 1s", el)
	}
}

func TestRetryAfterBeyondMaxDelayEndsRetries(t *testing.T) {
	t.Parallel()
	srv, c := setup(t) // MaxDelay 2s
	srv.InjectFault("VServers.GetVServers", ksctest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: time.Minute})
	start := time.Now()
	_, err := c.VirtualServers(t.Context())
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusServiceUnavailable || he.RetryAfter != time.Minute {
		t.Fatalf("err = %v, want a 503 *HTTPError asking for a minute", err)
	}
	if !strings.Contains(err.Error(), "(retry after 1m0s)") {
		t.Errorf("error %q does not say when to come back", err)
	}
	if n := srv.Requests("VServers.GetVServers"); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
	if el := time.Since(start); el > 30*time.Second {
		t.Errorf("took %v: the client waited instead of giving up", el)
	}
}

func TestLimiterFailureNotRetried(t *testing.T) {
	t.Parallel()
	lim := &failingLimiter{}
	srv, c := setup(t, WithLimiter(lim))
	if _, err := c.VirtualServers(t.Context()); err != nil {
		t.Fatal(err)
	}
	lim.err.Store(errors.New("limiter closed"))
	waits := lim.n.Load()
	_, err := c.VirtualServers(t.Context())
	if err == nil || !strings.Contains(err.Error(), "VServers.GetVServers: rate limiter: limiter closed") {
		t.Errorf("err = %v, want the limiter's refusal", err)
	}
	if n := lim.n.Load() - waits; n != 1 {
		t.Errorf("limiter waits = %d, want 1: a refusal is not retried", n)
	}
	if n := srv.Requests("VServers.GetVServers"); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

type failingLimiter struct {
	n   atomic.Int64
	err atomic.Value // error
}

func (l *failingLimiter) Wait(context.Context) error {
	l.n.Add(1)
	err, _ := l.err.Load().(error)
	return err
}
