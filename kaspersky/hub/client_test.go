package hub

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/mspkit/kaspersky-tigerpaw/internal/retry"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hubtest"
)

func TestNewClientValidates(t *testing.T) {
	t.Parallel()
	creds := WithCredentials(Credentials{Email: testEmail, Password: testPassword})
	tests := []struct {
		name string
		url  string
		opts []Option
		want string
	}{
		{"bad scheme", "ftp://hub.example.com", []Option{creds}, "scheme must be https"},
		{"no host", "https://", []Option{creds}, "no host"},
		{"userinfo", "https://u:p@hub.example.com", []Option{creds}, "must not carry credentials"},
		{"query", "https://hub.example.com/?a=b", []Option{creds}, "query or fragment"},
		{"unparsable", "https://hub example.com:x/", []Option{creds}, "base URL"},
		{"no credentials", "https://hub.example.com", nil, "credentials are required"},
		{"empty email", "https://hub.example.com", []Option{WithCredentials(Credentials{Password: "x"})}, "Email is empty"},
		{"not an email", "https://hub.example.com", []Option{WithCredentials(Credentials{Email: "bob", Password: "x"})}, `Email "bob" is not`},
		{"empty password", "https://hub.example.com", []Option{WithCredentials(Credentials{Email: testEmail})}, "Password is empty"},
		{"nil pool", "https://hub.example.com", []Option{creds, WithRootCAs(nil)}, "WithRootCAs: pool is nil"},
		{"nil http client", "https://hub.example.com", []Option{creds, WithHTTPClient(nil)}, "WithHTTPClient: client is nil"},
		{"nil logger", "https://hub.example.com", []Option{creds, WithLogger(nil)}, "WithLogger: logger is nil"},
		{"nil limiter", "https://hub.example.com", []Option{creds, WithLimiter(nil)}, "WithLimiter: limiter is nil"},
		{"nil clock", "https://hub.example.com", []Option{creds, WithClock(nil)}, "WithClock: clock is nil"},
		{"zero attempts", "https://hub.example.com", []Option{creds, WithRetryPolicy(RetryPolicy{})}, "WithRetryPolicy: MaxAttempts is 0"},
		{"negative base delay", "https://hub.example.com", []Option{creds, WithRetryPolicy(RetryPolicy{MaxAttempts: 2, BaseDelay: -1})}, "WithRetryPolicy: BaseDelay is -1ns"},
		{"cap below base delay", "https://hub.example.com", []Option{creds, WithRetryPolicy(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Second, MaxDelay: time.Millisecond})}, "WithRetryPolicy: MaxDelay 1ms is below BaseDelay 1s"},
		{"negative MaxRetryAfter", "https://hub.example.com", []Option{creds, WithRetryPolicy(RetryPolicy{MaxAttempts: 2, MaxRetryAfter: -time.Second})}, "WithRetryPolicy: MaxRetryAfter is -1s; it must not be negative"},
		{"nil rate limiter", "https://hub.example.com", []Option{creds, WithLimiter((*rate.Limiter)(nil))}, "WithLimiter: limiter is nil"},
		{"page size", "https://hub.example.com", []Option{creds, WithPageSize(0)}, "WithPageSize: 0 is not between"},
		{"timeout", "https://hub.example.com", []Option{creds, WithRequestTimeout(0)}, "WithRequestTimeout: 0s is not positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(tt.url, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewClient = %v, %v; want an error containing %q", c, err, tt.want)
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("error %q holds the password", err)
			}
		})
	}
}

func TestRetryPolicyApplied(t *testing.T) {
	t.Parallel()
	creds := WithCredentials(Credentials{Email: testEmail, Password: testPassword})
	tests := []struct {
		name              string
		opts              []Option
		want              retry.Policy
		wantMaxRetryAfter time.Duration
	}{
		{"default", nil, retry.Policy{MaxAttempts: 4, BaseDelay: 250 * time.Millisecond, MaxDelay: 5 * time.Second}, time.Minute},
		{
			"MaxRetryAfter zero means MaxDelay",
			[]Option{WithRetryPolicy(RetryPolicy{MaxAttempts: 1, BaseDelay: time.Second, MaxDelay: 3 * time.Second})},
			retry.Policy{MaxAttempts: 1, BaseDelay: time.Second, MaxDelay: 3 * time.Second}, 3 * time.Second,
		},
		{
			"MaxRetryAfter of its own",
			[]Option{WithRetryPolicy(RetryPolicy{MaxAttempts: 2, MaxDelay: time.Second, MaxRetryAfter: time.Hour})},
			retry.Policy{MaxAttempts: 2, MaxDelay: time.Second}, time.Hour,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient("https://hub.example.com", append([]Option{creds}, tt.opts...)...)
			must(t, err)
			if d := cmp.Diff(tt.want, c.retry); d != "" || c.maxRetryAfter != tt.wantMaxRetryAfter {
				t.Errorf("policy (-want +got):\n%s\nmaxRetryAfter = %v, want %v", d, c.maxRetryAfter, tt.wantMaxRetryAfter)
			}
		})
	}
	p := DefaultRetryPolicy()
	p.MaxAttempts = 99 // a caller's copy; the default must not change
	if got := DefaultRetryPolicy(); got.MaxAttempts != 4 {
		t.Errorf("DefaultRetryPolicy() = %+v after a caller changed its copy", got)
	}
}

func TestRetryAfterWithinMaxDelayWhenMaxRetryAfterIsZero(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		retryAfter string
		wantWaits  []time.Duration
		wantErr    bool
	}{
		{"at MaxDelay: waited", "2", []time.Duration{2 * time.Second}, false},
		{"beyond MaxDelay: ends the retries", "3", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t, WithRetryPolicy(RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Second}))
			e.srv.InjectFault(hubtest.Fault{Method: "GET", Status: 503, RetryAfter: tt.retryAfter})
			_, err := Collect(e.c.Companies(t.Context()))
			var ae *APIError
			if tt.wantErr != (err != nil) || (tt.wantErr && (!errors.As(err, &ae) || ae.RetryAfter != 3*time.Second)) {
				t.Fatalf("err = %v, want error %t", err, tt.wantErr)
			}
			if d := cmp.Diff(tt.wantWaits, e.sleeps.all()); d != "" {
				t.Errorf("waits (-want +got):\n%s", d)
			}
		})
	}
}

func TestLoginOnceAndReuseToken(t *testing.T) {
	t.Parallel()
	e := setup(t)
	must(t, e.srv.AddCompany(hubtest.Company{ID: "c1", Name: "Contoso"}))
	for range 3 {
		got, err := Collect(e.c.Companies(t.Context()))
		must(t, err)
		if d := cmp.Diff([]Company{{ID: "c1", Name: "Contoso"}}, got); d != "" {
			t.Fatalf("companies (-want +got):\n%s", d)
		}
	}
	if n := e.srv.Logins(); n != 1 {
		t.Errorf("logins = %d, want 1", n)
	}
}

func TestReloginWhenServerExpiresTokens(t *testing.T) {
	t.Parallel()
	e := setup(t)
	must(t, e.srv.AddCompany(hubtest.Company{ID: "c1", Name: "Contoso"}))
	_, err := Collect(e.c.Companies(t.Context()))
	must(t, err)
	e.srv.ExpireTokens()
	got, err := Collect(e.c.Companies(t.Context()))
	must(t, err)
	if len(got) != 1 {
		t.Errorf("companies = %v", got)
	}
	if n := e.srv.Logins(); n != 2 {
		t.Errorf("logins = %d, want 2", n)
	}
	if n := e.srv.Requests(http.MethodGet, "/api/v1/companies"); n != 3 {
		t.Errorf("GET companies = %d, want 3 (one refused with 401)", n)
	}
}

func TestReloginWhenExpiresAtPassed(t *testing.T) {
	t.Parallel()
	e := setup(t)
	must(t, e.srv.AddCompany(hubtest.Company{ID: "c1", Name: "Contoso"}))
	_, err := Collect(e.c.Companies(t.Context()))
	must(t, err)
	e.clock.Advance(time.Hour - 5*time.Second) // within the skew before expiry
	_, err = Collect(e.c.Companies(t.Context()))
	must(t, err)
	if n := e.srv.Logins(); n != 2 {
		t.Errorf("logins = %d, want 2", n)
	}
	// The client logged in ahead of expiry: no request was refused.
	if n := e.srv.Requests(http.MethodGet, "/api/v1/companies"); n != 2 {
		t.Errorf("GET companies = %d, want 2", n)
	}
}

func TestConcurrentCallsLogInOnce(t *testing.T) {
	t.Parallel()
	e := setup(t)
	must(t, e.srv.AddCompany(hubtest.Company{ID: "c1", Name: "Contoso"}))
	e.srv.InjectFault(hubtest.Fault{Method: http.MethodPost, Path: "/api/v1/login", Delay: 50 * time.Millisecond})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := Collect(e.c.Companies(t.Context()))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	if n := e.srv.Logins(); n != 1 {
		t.Errorf("logins = %d, want 1", n)
	}
}

func TestRefusedAgainAfterRelogin(t *testing.T) {
	t.Parallel()
	e := setup(t)
	must(t, e.srv.AddCompany(hubtest.Company{ID: "c1", Name: "Contoso"}))
	e.srv.InjectFault(hubtest.Fault{Method: http.MethodGet, Path: "/api/v1/companies", Status: 401, Times: 2, Code: "token-revoked"})
	_, err := Collect(e.c.Companies(t.Context()))
	var ae *APIError
	if !errors.Is(err, ErrUnauthorized) || !errors.As(err, &ae) || ae.Code != "token-revoked" {
		t.Fatalf("err = %v, want a 401 APIError with code token-revoked", err)
	}
	if n := e.srv.Logins(); n != 2 {
		t.Errorf("logins = %d, want 2 (one re-login, no more)", n)
	}
}

func TestBadPassword(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c, err := NewClient(e.srv.URL, WithHTTPClient(e.srv.Client()),
		WithCredentials(Credentials{Email: testEmail, Password: "wrong-" + testPassword}))
	must(t, err)
	_, err = Collect(c.Companies(t.Context()))
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 401 || ae.Code != "invalid-credentials" || ae.Method != "POST" || ae.Path != "/api/v1/login" {
		t.Errorf("APIError = %+v", ae)
	}
	if !strings.Contains(err.Error(), testEmail) || strings.Contains(err.Error(), testPassword) {
		t.Errorf("error %q should name the e-mail and not hold the password", err)
	}
	if n := e.srv.Logins(); n != 1 {
		t.Errorf("logins = %d, want 1 (a refused login is not retried)", n)
	}
}

func TestPagingAcrossPages(t *testing.T) {
	t.Parallel()
	e := setup(t, WithPageSize(3))
	var want []Company
	for i := range 8 {
		co := hubtest.Company{ID: fmt.Sprintf("c%d", i), Name: fmt.Sprintf("Company %d", i)}
		must(t, e.srv.AddCompany(co))
		want = append(want, Company(co))
	}
	got, err := Collect(e.c.Companies(t.Context()))
	must(t, err)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("companies (-want +got):\n%s", d)
	}
	if n := e.srv.Requests(http.MethodGet, "/api/v1/companies"); n != 3 {
		t.Errorf("pages read = %d, want 3", n)
	}
	// The server's own cap wins over the size asked for.
	e.srv.SetPageSize(2)
	got, err = Collect(e.c.Companies(t.Context()))
	must(t, err)
	if len(got) != 8 {
		t.Errorf("got %d companies, want 8", len(got))
	}
	if n := e.srv.Requests(http.MethodGet, "/api/v1/companies"); n != 3+4 {
		t.Errorf("pages read = %d, want 7", n)
	}
}

func TestPagingStopsEarly(t *testing.T) {
	t.Parallel()
	e := setup(t, WithPageSize(2))
	for i := range 6 {
		must(t, e.srv.AddCompany(hubtest.Company{ID: fmt.Sprint(i)}))
	}
	n := 0
	for _, err := range e.c.Companies(t.Context()) {
		must(t, err)
		n++
		if n == 3 {
			break
		}
	}
	// The list is read whole, and checked, before its first item is yielded.
	if got := e.srv.Requests(http.MethodGet, "/api/v1/companies"); got != 3 {
		t.Errorf("pages read = %d, want 3", got)
	}
}

// pagingServer answers every list with the pages given, by page number.
func pagingServer(t *testing.T, pages map[string]string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/login" {
			fmt.Fprint(w, `{"token":"t","expiresAt":null}`)
			return
		}
		body, ok := pages[r.URL.Query().Get("page")]
		if !ok {
			http.Error(w, `{"error":{"code":"no-page","message":"no such page"}}`, http.StatusNotFound)
			return
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, WithHTTPClient(srv.Client()), WithInsecureHTTP(),
		WithCredentials(Credentials{Email: testEmail, Password: testPassword}))
	must(t, err)
	return c
}

func TestPagingRefusesPagesThatDoNotMoveForward(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		pages map[string]string
		items int
		want  string
	}{
		{"repeats itself", map[string]string{"1": `{"items":[{"id":"a"}],"nextPage":1,"total":5}`}, 0, "page 1 names page 1"},
		{"goes back", map[string]string{
			"1": `{"items":[{"id":"a"}],"nextPage":2,"total":5}`,
			"2": `{"items":[{"id":"b"}],"nextPage":1,"total":5}`,
		}, 0, "page 2 names page 1"},
		{"empty page with a next", map[string]string{"1": `{"items":[],"nextPage":5,"total":5}`}, 0, "page 1 is empty"},
		{"not json", map[string]string{"1": `<html>`}, 0, "answer is not JSON"},
		{"skips ahead", map[string]string{
			"1": `{"items":[{"id":"a"}],"nextPage":3,"total":2}`,
			"3": `{"items":[{"id":"c"}],"nextPage":null,"total":2}`,
		}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := pagingServer(t, tt.pages)
			n := 0
			var last error
			for _, err := range c.Companies(t.Context()) {
				if err != nil {
					last = err
					continue
				}
				n++
			}
			if n != tt.items {
				t.Errorf("items = %d, want %d", n, tt.items)
			}
			switch {
			case tt.want == "" && last != nil:
				t.Errorf("err = %v", last)
			case tt.want != "" && (!errors.Is(last, ErrBadResponse) || !strings.Contains(last.Error(), tt.want)):
				t.Errorf("err = %v, want ErrBadResponse containing %q", last, tt.want)
			}
		})
	}
}

func TestAPIError(t *testing.T) {
	t.Parallel()
	e := setup(t)
	_, err := Collect(e.c.Devices(t.Context(), "nope"))
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want *APIError", err)
	}
	want := &APIError{Method: "GET", Path: "/api/v1/companies/nope/devices", StatusCode: 404,
		Code: "company-not-found", Message: `company "nope" does not exist`, Body: ae.Body}
	if d := cmp.Diff(want, ae); d != "" {
		t.Errorf("APIError (-want +got):\n%s", d)
	}
	if !strings.Contains(ae.Body, "company-not-found") {
		t.Errorf("Body = %q", ae.Body)
	}
	if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnauthorized) {
		t.Errorf("errors.Is wrong for %v", err)
	}
	wantText := `hub: GET /api/v1/companies/nope/devices: HTTP 404 Not Found: company-not-found: company "nope" does not exist`
	if err.Error() != wantText {
		t.Errorf("text = %q\nwant   %q", err.Error(), wantText)
	}
	if _, err := Collect(e.c.Devices(t.Context(), "")); err == nil || !strings.Contains(err.Error(), "company id is empty") {
		t.Errorf("empty id: %v", err)
	}
}

func TestAPIErrorText(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 400)
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"plain body", 500, "boom", "hub: GET /p: HTTP 500 Internal Server Error: boom"},
		{"code only", 400, `{"error":{"code":"bad"}}`, "hub: GET /p: HTTP 400 Bad Request: bad"},
		{"non-string code", 400, `{"error":{"code":17,"message":"m"}}`, "hub: GET /p: HTTP 400 Bad Request: 17: m"},
		{"unknown status", 599, "", "hub: GET /p: HTTP 599"},
		{"long body capped", 500, long, "hub: GET /p: HTTP 500 Internal Server Error: " + long[:512] + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := decodeResponse("GET", "/p", tt.status, []byte(tt.body), nil)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
	e := &APIError{Method: "GET", Path: "/p", StatusCode: 429, RetryAfter: 2 * time.Minute}
	if got := e.Error(); got != "hub: GET /p: HTTP 429 Too Many Requests (retry after 2m0s)" {
		t.Errorf("got %q", got)
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault hubtest.Fault
		tries int
	}{
		{"503", hubtest.Fault{Status: 503}, 2},
		{"502 twice", hubtest.Fault{Status: 502, Times: 2}, 3},
		{"504", hubtest.Fault{Status: 504}, 2},
		{"429", hubtest.Fault{Status: 429}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			must(t, e.srv.AddCompany(hubtest.Company{ID: "c1", Name: "Contoso"}))
			f := tt.fault
			f.Method, f.Path = http.MethodGet, "/api/v1/companies"
			e.srv.InjectFault(f)
			got, err := Collect(e.c.Companies(t.Context()))
			must(t, err)
			if len(got) != 1 {
				t.Errorf("companies = %v", got)
			}
			if n := e.srv.Requests(http.MethodGet, "/api/v1/companies"); n != tt.tries {
				t.Errorf("requests = %d, want %d", n, tt.tries)
			}
			waits := e.sleeps.all()
			if len(waits) != tt.tries-1 {
				t.Fatalf("waits = %v", waits)
			}
			// Jittered exponential backoff: attempt k waits between half and
			// the whole of 100ms·2^(k-1).
			for i, w := range waits {
				full := 100 * time.Millisecond << i
				if w < full/2 || w > full {
					t.Errorf("wait %d = %v, want within [%v, %v]", i, w, full/2, full)
				}
			}
		})
	}
}

func TestRetriesDroppedConnection(t *testing.T) {
	t.Parallel()
	e := setup(t)
	// Without keep-alive the transport never repeats a request by itself, so
	// the repeats counted are the client's.
	tr := e.srv.Client().Transport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	c, err := NewClient(e.srv.URL, WithHTTPClient(&http.Client{Transport: tr}), WithClock(e.clock.Now),
		WithCredentials(Credentials{Email: testEmail, Password: testPassword}))
	must(t, err)
	c.sleep = e.sleeps.sleep
	must(t, e.srv.AddCompany(hubtest.Company{ID: "c1", Name: "Contoso"}))
	e.srv.InjectFault(hubtest.Fault{Method: http.MethodGet, Drop: true, Times: 2})
	got, err := Collect(c.Companies(t.Context()))
	must(t, err)
	if len(got) != 1 {
		t.Errorf("companies = %v", got)
	}
	if n := e.srv.Requests(http.MethodGet, "/api/v1/companies"); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
	if n := len(e.sleeps.all()); n != 2 {
		t.Errorf("waits = %d, want 2", n)
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.InjectFault(hubtest.Fault{Method: http.MethodGet, Status: 503, Times: 10, Message: "maintenance"})
	_, err := Collect(e.c.Companies(t.Context()))
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 503 || ae.Message != "maintenance" {
		t.Fatalf("err = %v", err)
	}
	if n := e.srv.Requests(http.MethodGet, "/api/v1/companies"); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
}

func TestNotRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault hubtest.Fault
		path  string
	}{
		{"500 read", hubtest.Fault{Method: "GET", Status: 500}, "/api/v1/companies"},
		{"400 read", hubtest.Fault{Method: "GET", Status: 400}, "/api/v1/companies"},
		{"login dropped", hubtest.Fault{Method: "POST", Drop: true}, "/api/v1/login"},
		{"login 502", hubtest.Fault{Method: "POST", Status: 502}, "/api/v1/login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			e.srv.InjectFault(tt.fault)
			_, err := Collect(e.c.Companies(t.Context()))
			if err == nil {
				t.Fatal("no error")
			}
			if n := e.srv.Requests(tt.fault.Method, tt.path); n != 1 {
				t.Errorf("requests = %d, want 1", n)
			}
		})
	}
}

func TestLoginRetriedOn503(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.InjectFault(hubtest.Fault{Method: "POST", Path: "/api/v1/login", Status: 503, RetryAfter: "2"})
	_, err := Collect(e.c.Companies(t.Context()))
	must(t, err)
	if n := e.srv.Logins(); n != 2 {
		t.Errorf("logins = %d, want 2", n)
	}
	if d := cmp.Diff([]time.Duration{2 * time.Second}, e.sleeps.all()); d != "" {
		t.Errorf("waits (-want +got):\n%s", d)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		retryAfter func(now time.Time) string
		want       time.Duration
	}{
		{"seconds", func(time.Time) string { return "7" }, 7 * time.Second},
		{"http date", func(now time.Time) string { return now.Add(12 * time.Second).Format(http.TimeFormat) }, 12 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			e.srv.InjectFault(hubtest.Fault{Method: "GET", Status: 429, RetryAfter: tt.retryAfter(e.clock.Now())})
			_, err := Collect(e.c.Companies(t.Context()))
			must(t, err)
			if d := cmp.Diff([]time.Duration{tt.want}, e.sleeps.all()); d != "" {
				t.Errorf("waits (-want +got):\n%s", d)
			}
		})
	}
}

func TestRetryAfterTooLong(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.InjectFault(hubtest.Fault{Method: "GET", Status: 429, RetryAfter: "3600"})
	_, err := Collect(e.c.Companies(t.Context()))
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 429 || ae.RetryAfter != time.Hour {
		t.Fatalf("err = %v, want a 429 APIError asking for an hour", err)
	}
	if w := e.sleeps.all(); len(w) != 0 {
		t.Errorf("waited %v", w)
	}
}

func TestRealSleepHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.c.sleep = retry.Sleep
	e.srv.InjectFault(hubtest.Fault{Method: "GET", Status: 503, RetryAfter: "1"})
	start := time.Now()
	_, err := Collect(e.c.Companies(t.Context()))
	must(t, err)
	if el := time.Since(start); el < time.Second {
		t.Errorf("retried after %v, before the server's Retry-After of 1s", el)
	}
}

func TestContextCancelledDuringBackoff(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	var asked time.Duration
	// The caller gives up while the client waits out the server's 20s: the
	// real wait must end at once.
	e.c.sleep = func(ctx context.Context, d time.Duration) error {
		asked = d
		cancel()
		return retry.Sleep(ctx, d)
	}
	e.srv.InjectFault(hubtest.Fault{Method: "GET", Status: 503, RetryAfter: "20"})
	start := time.Now()
	_, err := Collect(e.c.Companies(ctx))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 503 || ae.RetryAfter != 20*time.Second {
		t.Errorf("err = %v should wrap the last failure", err)
	}
	if asked != 20*time.Second {
		t.Errorf("wait asked = %v, want the server's 20s", asked)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("took %v: the 20s wait was not cut short", el)
	}
	if n := e.srv.Requests(http.MethodGet, "/api/v1/companies"); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestContextCancelledWhileWaitingForLogin(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.c.loginSem <- struct{}{} // someone else is logging in
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := e.c.Office365Status(ctx, "c1")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

type countingLimiter struct {
	mu  sync.Mutex
	n   int
	err error
}

func (l *countingLimiter) Wait(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	return l.err
}

func TestLimiterBeforeEveryAttempt(t *testing.T) {
	t.Parallel()
	l := &countingLimiter{}
	e := setup(t, WithLimiter(l))
	e.srv.InjectFault(hubtest.Fault{Method: "GET", Status: 503})
	_, err := Collect(e.c.Companies(t.Context()))
	must(t, err)
	if l.n != 3 { // login, 503, retry
		t.Errorf("limiter waits = %d, want 3", l.n)
	}
	l.err = errors.New("limiter closed")
	e.srv.ExpireTokens()
	_, err = Collect(e.c.Companies(t.Context()))
	if !errors.Is(err, l.err) || !strings.Contains(err.Error(), "limiter closed") {
		t.Errorf("err = %v", err)
	}
	if l.n != 4 { // a limiter failure is not retried
		t.Errorf("limiter waits = %d, want 4", l.n)
	}
}

func TestLoginAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want string
	}{
		{"no token", `{"expiresAt":"2030-01-01T00:00:00Z"}`, "answer has no token"},
		{"not json", `nope`, "bad response"},
		{"bad time", `{"token":"t","expiresAt":"tomorrow"}`, "bad response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			c, err := NewClient(srv.URL, WithInsecureHTTP(), WithCredentials(Credentials{Email: testEmail, Password: testPassword}))
			must(t, err)
			_, err = c.Office365Status(t.Context(), "c1")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestTLSVerifiedByDefault(t *testing.T) {
	t.Parallel()
	srv := hubtest.NewServer(hubtest.WithTLS())
	t.Cleanup(srv.Close)
	srv.AddUser(testEmail, testPassword)
	c, err := NewClient(srv.URL, WithCredentials(Credentials{Email: testEmail, Password: testPassword}))
	must(t, err)
	_, err = Collect(c.Companies(t.Context()))
	var uerr x509.UnknownAuthorityError
	if !errors.As(err, &uerr) {
		t.Errorf("err = %v, want an unknown-authority certificate error", err)
	}
	if n := srv.Logins(); n != 0 {
		t.Errorf("the login reached the server %d times", n)
	}
}

func TestExpiryInThePastIsIgnored(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	logins := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/login" {
			mu.Lock()
			logins++
			mu.Unlock()
			fmt.Fprint(w, `{"token":"t","expiresAt":"2001-01-01T00:00:00Z"}`)
			return
		}
		fmt.Fprint(w, `{"items":[{"id":"a"}],"nextPage":null,"total":1}`)
	}))
	t.Cleanup(srv.Close)
	var buf syncBuffer
	c, err := NewClient(srv.URL, WithLogger(slog.New(slog.NewTextHandler(&buf, nil))), WithInsecureHTTP(),
		WithCredentials(Credentials{Email: testEmail, Password: testPassword}))
	must(t, err)
	for range 3 {
		_, err := Collect(c.Companies(t.Context()))
		must(t, err)
	}
	if logins != 1 {
		t.Errorf("logins = %d, want 1", logins)
	}
	if !strings.Contains(buf.String(), "is a clock wrong") {
		t.Errorf("no warning logged:\n%s", buf.String())
	}
}
