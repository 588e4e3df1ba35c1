package hubtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hubtest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a fake server with a user and a client that speaks raw HTTP to it.
type fixture struct {
	t     *testing.T
	srv   *hubtest.Server
	clock *clock
}

func newFixture(t *testing.T, opts ...hubtest.Option) *fixture {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)}
	srv := hubtest.NewServer(append([]hubtest.Option{hubtest.WithTLS(), hubtest.WithClock(c.now)}, opts...)...)
	t.Cleanup(srv.Close)
	srv.AddUser("Admin@Example.com", "pw")
	return &fixture{t: t, srv: srv, clock: c}
}

// do sends a request and returns the status, the Retry-After header and the
// decoded JSON body.
func (f *fixture) do(method, path, token string, body string) (int, string, map[string]any) {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(f.t.Context(), method, f.srv.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			f.t.Fatalf("%s %s: body %q: %v", method, path, data, err)
		}
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), out
}

func (f *fixture) login() string {
	f.t.Helper()
	st, _, out := f.do("POST", "/api/v1/login", "", `{"email":"admin@example.com","password":"pw"}`)
	if st != 200 {
		f.t.Fatalf("login: %d %v", st, out)
	}
	tok, _ := out["token"].(string)
	if tok == "" || out["expiresAt"] != f.clock.now().Add(time.Hour).Format(time.RFC3339) {
		f.t.Fatalf("login answer %v", out)
	}
	return tok
}

func errCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func TestLoginAndTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name, method, body string
		status             int
		code               string
	}{
		{"wrong password", "POST", `{"email":"admin@example.com","password":"nope"}`, 401, "invalid-credentials"},
		{"unknown user", "POST", `{"email":"x@example.com","password":"pw"}`, 401, "invalid-credentials"},
		{"not json", "POST", `email=admin`, 400, "bad-request"},
		{"no email", "POST", `{"password":"pw"}`, 400, "bad-request"},
		{"GET", "GET", "", 405, "method-not-allowed"},
	}
	for _, tt := range tests {
		st, _, out := f.do(tt.method, "/api/v1/login", "", tt.body)
		if st != tt.status || errCode(out) != tt.code {
			t.Errorf("%s: %d %v, want %d %s", tt.name, st, out, tt.status, tt.code)
		}
	}
	tok := f.login()
	if st, _, _ := f.do("GET", "/api/v1/companies", tok, ""); st != 200 {
		t.Errorf("with token: %d", st)
	}
	for name, bad := range map[string]string{"none": "", "unknown": "abc"} {
		if st, _, out := f.do("GET", "/api/v1/companies", bad, ""); st != 401 || errCode(out) != "unauthorized" {
			t.Errorf("%s token: %d %v", name, st, out)
		}
	}
	if st, _, _ := f.do("POST", "/api/v1/companies", tok, "{}"); st != 405 {
		t.Errorf("POST a list: %d", st)
	}
	f.clock.advance(time.Hour)
	if st, _, _ := f.do("GET", "/api/v1/companies", tok, ""); st != 401 {
		t.Errorf("expired token: %d", st)
	}
	tok = f.login()
	f.srv.ExpireTokens()
	if st, _, _ := f.do("GET", "/api/v1/companies", tok, ""); st != 401 {
		t.Errorf("after ExpireTokens: %d", st)
	}
	if n := f.srv.Logins(); n != len(tests)-1+2 { // the GET is not a login
		t.Errorf("Logins = %d", n)
	}
}

func TestPaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t, hubtest.WithPageSize(4))
	for i := range 10 {
		if err := f.srv.AddCompany(hubtest.Company{ID: fmt.Sprint(i), Name: fmt.Sprint("n", i)}); err != nil {
			t.Fatal(err)
		}
	}
	tok := f.login()
	tests := []struct {
		query  string
		ids    []string
		next   any
		status int
	}{
		{"", []string{"0", "1", "2", "3"}, 2.0, 200},
		{"?page=2&pageSize=3", []string{"3", "4", "5"}, 3.0, 200},
		{"?page=3&pageSize=100", []string{"8", "9"}, nil, 200},
		{"?page=4&pageSize=3", []string{"9"}, nil, 200},
		{"?page=5&pageSize=3", []string{}, nil, 200},
		{"?page=9223372036854775807&pageSize=4", []string{}, nil, 200},
		{"?page=0", nil, nil, 400},
		{"?pageSize=x", nil, nil, 400},
	}
	for _, tt := range tests {
		st, _, out := f.do("GET", "/api/v1/companies"+tt.query, tok, "")
		if st != tt.status {
			t.Errorf("%s: status %d %v", tt.query, st, out)
			continue
		}
		if st != 200 {
			continue
		}
		ids := []string{}
		for _, it := range out["items"].([]any) {
			ids = append(ids, it.(map[string]any)["id"].(string))
		}
		if d := cmp.Diff(tt.ids, ids); d != "" || out["nextPage"] != tt.next {
			t.Errorf("%s: ids (-want +got):\n%s next %v, want %v", tt.query, d, out["nextPage"], tt.next)
		}
		if out["total"] != 10.0 {
			t.Errorf("%s: total %v, want 10 on every page", tt.query, out["total"])
		}
	}
	f.srv.SetPageSize(10)
	if _, _, out := f.do("GET", "/api/v1/companies", tok, ""); len(out["items"].([]any)) != 10 || out["nextPage"] != nil {
		t.Errorf("page size 10: %v", out)
	}
}

func TestCompanyData(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.srv.AddDevice("c1", hubtest.Device{ID: "d"}); !errors.Is(err, hubtest.ErrUnknownCompany) {
		t.Errorf("AddDevice before AddCompany: %v", err)
	}
	if err := f.srv.AddCompany(hubtest.Company{}); err == nil {
		t.Error("AddCompany without id accepted")
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.srv.AddCompany(hubtest.Company{ID: "c1", Name: "Old"}))
	must(f.srv.AddCompany(hubtest.Company{ID: "c1", Name: "Contoso"}))
	must(f.srv.AddDevice("c1", hubtest.Device{ID: "gone"}))
	must(f.srv.SetDevices("c1", hubtest.Device{ID: "d1", Platform: "windows", Kind: "server", Status: "ok"}))
	must(f.srv.AddLicense("c1", hubtest.License{ID: "l1", Product: "office365", Mailboxes: 3}))
	t0 := f.clock.now()
	must(f.srv.AddEvent("c1",
		hubtest.Event{ID: "late", Time: t0.Add(2 * time.Hour)},
		hubtest.Event{ID: "early", Time: t0.Add(time.Hour)},
		hubtest.Event{ID: "old", Time: t0.Add(-time.Hour)}))
	must(f.srv.AddOffice365Event("c1",
		hubtest.Office365Event{ID: "o2", Time: t0.Add(time.Hour), Type: "license-issue", Active: true},
		hubtest.Office365Event{ID: "o1", Time: t0, Type: "malware"}))
	tok := f.login()

	ids := func(path string) []string {
		t.Helper()
		st, _, out := f.do("GET", path, tok, "")
		if st != 200 {
			t.Fatalf("%s: %d %v", path, st, out)
		}
		got := []string{}
		for _, it := range out["items"].([]any) {
			got = append(got, it.(map[string]any)["id"].(string))
		}
		return got
	}
	since := "?since=" + t0.Format(time.RFC3339)
	for path, want := range map[string][]string{
		"/api/v1/companies":                                   {"c1"},
		"/api/v1/companies/c1/devices":                        {"d1"},
		"/api/v1/companies/c1/licenses":                       {"l1"},
		"/api/v1/companies/c1/events":                         {"old", "early", "late"},
		"/api/v1/companies/c1/events" + since:                 {"early", "late"},
		"/api/v1/companies/c1/office365/events":               {"o1", "o2"},
		"/api/v1/companies/c1/office365/events" + since + "x": nil,
	} {
		if want == nil {
			if st, _, out := f.do("GET", path, tok, ""); st != 400 || errCode(out) != "bad-request" {
				t.Errorf("%s: %d %v", path, st, out)
			}
			continue
		}
		if d := cmp.Diff(want, ids(path)); d != "" {
			t.Errorf("%s (-want +got):\n%s", path, d)
		}
	}
	if st, _, out := f.do("GET", "/api/v1/companies/c1/office365/status", tok, ""); st != 404 || errCode(out) != "office365-not-enabled" {
		t.Errorf("status unset: %d %v", st, out)
	}
	must(f.srv.SetOffice365Status("c1", hubtest.Office365Status{MailboxesProtected: true, ProtectedMailboxes: 7}))
	_, _, out := f.do("GET", "/api/v1/companies/c1/office365/status", tok, "")
	if d := cmp.Diff(map[string]any{"mailboxesProtected": true, "licenseOk": false, "protectedMailboxes": 7.0}, out); d != "" {
		t.Errorf("status (-want +got):\n%s", d)
	}
	_, _, out = f.do("GET", "/api/v1/companies", tok, "")
	if name := out["items"].([]any)[0].(map[string]any)["name"]; name != "Contoso" {
		t.Errorf("renamed company: %v", name)
	}
	for path, code := range map[string]string{
		"/api/v1/companies/c9/devices": "company-not-found",
		"/api/v1/companies/c1/nothing": "not-found",
		"/api/v2/companies":            "not-found",
	} {
		if st, _, out := f.do("GET", path, tok, ""); st != 404 || errCode(out) != code {
			t.Errorf("%s: %d %v", path, st, out)
		}
	}
	for _, err := range []error{
		f.srv.AddLicense("c9"), f.srv.AddEvent("c9"), f.srv.AddOffice365Event("c9"),
		f.srv.SetOffice365Status("c9", hubtest.Office365Status{}), f.srv.SetDevices("c9"),
	} {
		if !errors.Is(err, hubtest.ErrUnknownCompany) {
			t.Errorf("seeding an unknown company: %v", err)
		}
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.login()
	f.srv.InjectFault(hubtest.Fault{Method: "GET", Path: "/api/v1/companies", Status: 503, Times: 2, RetryAfter: "3", Code: "busy", Message: "later"})
	f.srv.InjectFault(hubtest.Fault{Path: "/api/v1/companies", Status: 429})
	for i, want := range []struct {
		status int
		retry  string
		code   string
	}{{503, "3", "busy"}, {503, "3", "busy"}, {429, "", "injected"}, {200, "", ""}} {
		st, ra, out := f.do("GET", "/api/v1/companies", tok, "")
		if st != want.status || ra != want.retry || errCode(out) != want.code {
			t.Errorf("request %d: %d %q %v, want %+v", i, st, ra, out, want)
		}
		if want.code == "busy" && out["error"].(map[string]any)["message"] != "later" {
			t.Errorf("message: %v", out)
		}
	}
	if n := f.srv.Requests("GET", "/api/v1/companies"); n != 4 {
		t.Errorf("Requests = %d, want 4", n)
	}
	// A fault for another path does not touch this one; ClearFaults drops it.
	f.srv.InjectFault(hubtest.Fault{Path: "/api/v1/other", Status: 500})
	if st, _, _ := f.do("GET", "/api/v1/companies", tok, ""); st != 200 {
		t.Errorf("unrelated fault applied: %d", st)
	}
	f.srv.ClearFaults()
	if st, _, _ := f.do("GET", "/api/v1/other", tok, ""); st != 404 {
		t.Errorf("cleared fault applied: %d", st)
	}

	f.srv.InjectFault(hubtest.Fault{Drop: true})
	req, _ := http.NewRequestWithContext(t.Context(), "GET", f.srv.URL+"/api/v1/companies", nil)
	tr := f.srv.Client().Transport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	if _, err := (&http.Client{Transport: tr}).Do(req); err == nil {
		t.Error("dropped connection answered")
	}

	f.srv.InjectFault(hubtest.Fault{Delay: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, "GET", f.srv.URL+"/api/v1/companies", nil)
	start := time.Now()
	if _, err := f.srv.Client().Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("delayed request: %v", err)
	}
	if el := time.Since(start); el > 30*time.Second {
		t.Errorf("delay not cut short: %v", el)
	}
	f.srv.InjectFault(hubtest.Fault{Delay: 10 * time.Millisecond})
	if st, _, _ := f.do("GET", "/api/v1/companies", tok, ""); st != 200 {
		t.Errorf("after a short delay: %d", st)
	}
}

func TestPlainHTTP(t *testing.T) {
	t.Parallel()
	srv := hubtest.NewServer(hubtest.WithTokenTTL(time.Minute))
	defer srv.Close()
	if srv.CertPool() != nil || !strings.HasPrefix(srv.URL, "http://") {
		t.Errorf("plain server: URL %s, pool %v", srv.URL, srv.CertPool())
	}
	tls := hubtest.NewServer(hubtest.WithTLS())
	defer tls.Close()
	if tls.CertPool() == nil || !strings.HasPrefix(tls.URL, "https://") {
		t.Errorf("TLS server: URL %s", tls.URL)
	}
}

// TestFaultAnswers: a fault replaces the answer with a body of its own, or
// serves the request and rewrites its body; Page picks one page of a list.
func TestFaultAnswers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, hubtest.WithPageSize(2))
	for i := range 5 {
		if err := f.srv.AddCompany(hubtest.Company{ID: fmt.Sprint("c", i)}); err != nil {
			t.Fatal(err)
		}
	}
	tok := f.login()

	// Body: sent as it is, 200 unless Status says otherwise.
	f.srv.InjectFault(hubtest.Fault{Path: "/api/v1/companies", Body: []byte(`{"items":null,"total":5}`)})
	if st, _, out := f.do("GET", "/api/v1/companies", tok, ""); st != 200 || out["items"] != nil || out["total"] != 5.0 || len(out) != 2 {
		t.Errorf("Body: %d %v", st, out)
	}
	f.srv.InjectFault(hubtest.Fault{Path: "/api/v1/companies", Body: []byte(`{"odd":true}`), Status: 502})
	if st, _, out := f.do("GET", "/api/v1/companies", tok, ""); st != 502 || out["odd"] != true {
		t.Errorf("Body with Status: %d %v", st, out)
	}

	// Rewrite: the real answer, passed through the function; Page 2 only.
	var seen [][]byte
	var mu sync.Mutex
	f.srv.InjectFault(hubtest.Fault{Path: "/api/v1/companies", Page: 2, Rewrite: func(b []byte) []byte {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, bytes.Clone(b))
		return bytes.Replace(b, []byte(`"id":"c3"`), []byte(`"id":null`), 1)
	}})
	if st, _, out := f.do("GET", "/api/v1/companies?page=1", tok, ""); st != 200 || len(out["items"].([]any)) != 2 {
		t.Errorf("page 1 touched by a page 2 fault: %d %v", st, out)
	}
	st, _, out := f.do("GET", "/api/v1/companies?page=2", tok, "")
	items, _ := out["items"].([]any)
	if st != 200 || len(items) != 2 || items[0].(map[string]any)["id"] != "c2" || items[1].(map[string]any)["id"] != nil || out["total"] != 5.0 {
		t.Errorf("rewritten page 2: %d %v", st, out)
	}
	mu.Lock()
	if len(seen) != 1 || !bytes.Contains(seen[0], []byte(`"id":"c3"`)) {
		t.Errorf("Rewrite saw %q, want the real page 2", seen)
	}
	mu.Unlock()
	if st, _, out := f.do("GET", "/api/v1/companies?page=2", tok, ""); st != 200 || out["items"].([]any)[1].(map[string]any)["id"] != "c3" {
		t.Errorf("the fault outlived its Times: %d %v", st, out)
	}

	// A rewritten error keeps its status; a rewritten login is still a login.
	f.srv.InjectFault(hubtest.Fault{Path: "/api/v1/companies/nope/devices", Rewrite: func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte("company-not-found"), []byte("rewritten"))
	}})
	if st, _, out := f.do("GET", "/api/v1/companies/nope/devices", tok, ""); st != 404 || errCode(out) != "rewritten" {
		t.Errorf("rewritten 404: %d %v", st, out)
	}
	f.srv.InjectFault(hubtest.Fault{Path: "/api/v1/login", Rewrite: func(b []byte) []byte { return []byte(`{}`) }})
	if st, _, out := f.do("POST", "/api/v1/login", "", `{"email":"admin@example.com","password":"pw"}`); st != 200 || len(out) != 0 {
		t.Errorf("rewritten login: %d %v", st, out)
	}
	if n := f.srv.Logins(); n != 2 {
		t.Errorf("Logins = %d, want 2", n)
	}
}
