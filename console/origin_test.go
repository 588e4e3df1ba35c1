package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// request sends method path with body (a form when not nil) after set has
// adjusted the request.
func (c *client) request(method, path string, form url.Values, set func(*http.Request)) (int, string, http.Header) {
	c.t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, c.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if set != nil {
		set(req)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String(), resp.Header
}

// port is the port of the test server.
func (c *client) port() string {
	u, _ := url.Parse(c.srv.URL)
	return u.Port()
}

// generalForm is a valid save of the General section of the service order
// rules, with the statuses swapped: new "Closed", closed "New" (the saved
// rules have the opposite).
func generalForm(c *client) url.Values {
	f := c.form("/serviceorders?section=general")
	f.Set("section", "general")
	f.Set("rep", "11")
	f.Set("newStatus", "Closed")
	f.Set("closedStatus", "New")
	f.Set("action", "save")
	return f
}

// state is what the console can change: the mapping and the rules.
type state struct {
	Config mapping.Config
	Rules  serviceorder.Rules
	Rev    int64
}

func (w *world) state(t *testing.T) state {
	t.Helper()
	r, rev, err := w.rules.LoadRules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return state{Config: w.saved(t), Rules: r, Rev: rev}
}

// TestForeignHostRefused: the console without credentials serves only
// requests addressed to a loopback name, so that a page that rebinds its own
// name to 127.0.0.1 can neither read the CSRF token nor save anything.
func TestForeignHostRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	_, page := c.get("/accounts")
	token := csrfRE.FindStringSubmatch(page)
	if token == nil {
		t.Fatal("no CSRF token on /accounts")
	}
	foreign := func(r *http.Request) { r.Host = "rebind.attacker.example:" + c.port() }

	for _, p := range []string{"/accounts", "/companies", "/serviceorders", "/pricebook", "/static/console.css"} {
		code, body, _ := c.request(http.MethodGet, p, nil, foreign)
		if code != http.StatusMisdirectedRequest {
			t.Errorf("GET %s with a foreign Host: %d, want 421", p, code)
		}
		if strings.Contains(body, token[1]) {
			t.Errorf("GET %s with a foreign Host answers the CSRF token", p)
		}
		if p == "/accounts" && !strings.Contains(body, "loopback host name") {
			t.Errorf("GET %s with a foreign Host: the answer does not say why:\n%s", p, body)
		}
	}

	before := w.state(t)
	posts := map[string]url.Values{
		"/accounts":      accountsForm(c, "101", "501", "2", true),
		"/serviceorders": generalForm(c),
	}
	for p, f := range posts {
		code, _, _ := c.request(http.MethodPost, p, f, func(r *http.Request) {
			foreign(r)
			r.Header.Set("Origin", "http://rebind.attacker.example:"+c.port())
		})
		if code != http.StatusMisdirectedRequest {
			t.Errorf("POST %s with a foreign Host: %d, want 421", p, code)
		}
		// Without Origin (the rebinding page's own origin is its name, but
		// the check must not rest on it).
		if code, _, _ := c.request(http.MethodPost, p, f, foreign); code != http.StatusMisdirectedRequest {
			t.Errorf("POST %s with a foreign Host, no Origin: %d, want 421", p, code)
		}
	}
	if diff := cmp.Diff(before, w.state(t)); diff != "" {
		t.Errorf("a post with a foreign Host changed the mapping or the rules:\n%s", diff)
	}

	// Every loopback name is served, with or without a port; the same posts
	// then save (so the check above could see a save).
	for _, host := range []string{"127.0.0.1", "localhost:" + c.port(), "LocalHost:" + c.port(), "[::1]:" + c.port(), "[::1]", "127.0.0.1:" + c.port()} {
		if code, _, _ := c.request(http.MethodGet, "/accounts", nil, func(r *http.Request) { r.Host = host }); code != http.StatusOK {
			t.Errorf("GET /accounts with Host %q: %d, want 200", host, code)
		}
	}
	for p, f := range posts {
		if code, body, _ := c.request(http.MethodPost, p, f, nil); code != http.StatusOK {
			t.Errorf("POST %s with the loopback Host: %d\n%s", p, code, body)
		}
	}
	after := w.state(t)
	if after.Config.Tenants[0].Account == nil || after.Rules.General.ClosedStatus != "New" {
		t.Errorf("the posts with the loopback Host saved nothing: account %+v, general %+v", after.Config.Tenants[0].Account, after.Rules.General)
	}
}

// TestOriginChecked: a state-changing request whose Origin (or, without
// Origin, Sec-Fetch-Site or Referer) is not the console itself is refused,
// with or without credentials; a post from the console's own page, or from a
// client that sends none of them, works.
func TestOriginChecked(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		token string
	}{{"loopback without credentials", ""}, {"with a token", "s3cret-token"}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.opts.Token = tc.token
			c := w.serve(t)
			auth := func(r *http.Request) {
				if tc.token != "" {
					r.Header.Set("Authorization", "Bearer "+tc.token)
				}
			}
			c.hc.Transport = roundTripper(func(r *http.Request) (*http.Response, error) {
				auth(r)
				return http.DefaultTransport.RoundTrip(r)
			})
			before := w.state(t)
			f := accountsForm(c, "101", "501", "2", true)
			for _, bad := range []map[string]string{
				{"Origin": "http://attacker.example"},
				{"Origin": "http://attacker.example:" + c.port()},
				{"Origin": "http://127.0.0.1:1"},
				{"Origin": "null"},
				{"Sec-Fetch-Site": "cross-site"},
				{"Sec-Fetch-Site": "same-site"},
				{"Referer": "http://attacker.example/form.html"},
			} {
				code, body, _ := c.request(http.MethodPost, "/accounts", f, func(r *http.Request) {
					for k, v := range bad {
						r.Header.Set(k, v)
					}
				})
				if code != http.StatusForbidden {
					t.Errorf("POST with %v: %d, want 403", bad, code)
				} else if !strings.Contains(body, "not this console") && !strings.Contains(body, "not posted from this console") {
					t.Errorf("POST with %v: the answer does not say why:\n%s", bad, body)
				}
			}
			if diff := cmp.Diff(before, w.state(t)); diff != "" {
				t.Errorf("a post with a foreign Origin changed the mapping:\n%s", diff)
			}

			// The console's own origin, as a browser sends it.
			code, body, _ := c.request(http.MethodPost, "/accounts", f, func(r *http.Request) {
				r.Header.Set("Origin", c.srv.URL)
				r.Header.Set("Sec-Fetch-Site", "same-origin")
				r.Header.Set("Referer", c.srv.URL+"/accounts")
			})
			if code != http.StatusOK {
				t.Fatalf("POST with the console's Origin: %d\n%s", code, body)
			}
			if w.saved(t).Tenants[0].Account == nil {
				t.Error("POST with the console's Origin saved nothing")
			}
			// A client that sends no Origin at all (curl) passes the check.
			if code, body, _ := c.request(http.MethodPost, "/serviceorders", generalForm(c), nil); code != http.StatusOK {
				t.Errorf("POST without Origin: %d\n%s", code, body)
			}
		})
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestBearerSchemeCaseInsensitive: the Authorization scheme's name is
// case-insensitive (RFC 9110, section 11.1).
func TestBearerSchemeCaseInsensitive(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.opts.Addr, w.opts.Token = "0.0.0.0:8080", "s3cret-token"
	c := w.serve(t)
	for _, auth := range []string{"Bearer s3cret-token", "bearer s3cret-token", "BEARER s3cret-token", "bEaReR s3cret-token", "Bearer  s3cret-token"} {
		if code, _, _ := c.request(http.MethodGet, "/accounts", nil, func(r *http.Request) { r.Header.Set("Authorization", auth) }); code != http.StatusOK {
			t.Errorf("Authorization %q: %d, want 200", auth, code)
		}
	}
	for _, auth := range []string{"bearer wrong", "bearer", "bearer ", "Bearers3cret-token", "Token s3cret-token"} {
		if code, _, _ := c.request(http.MethodGet, "/accounts", nil, func(r *http.Request) { r.Header.Set("Authorization", auth) }); code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d, want 401", auth, code)
		}
	}
}

// TestStaticDirectoryNotListed: the static files are served, their directory
// is not listed.
func TestStaticDirectoryNotListed(t *testing.T) {
	t.Parallel()
	c := newWorld(t).serve(t)
	for _, p := range []string{"/static/", "/static/.", "/static/?x=1"} {
		code, body, _ := c.request(http.MethodGet, p, nil, nil)
		if code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, code)
		}
		if strings.Contains(body, "console.css") {
			t.Errorf("GET %s lists the directory:\n%s", p, body)
		}
	}
	if code, _, _ := c.request(http.MethodGet, "/static/console.css", nil, nil); code != http.StatusOK {
		t.Errorf("GET /static/console.css: %d, want 200", code)
	}
}

// TestSecurityHeaders: every answer, error or not, carries nosniff and a CSP
// that forbids framing, posting forms elsewhere and <base>.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	tw := newWorld(t)
	tw.opts.Token = "s3cret-token"
	tc := tw.serve(t)
	check := func(what string, h http.Header) {
		t.Helper()
		if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", what, got)
		}
		csp := h.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s: Content-Security-Policy %q lacks %q", what, csp, d)
			}
		}
	}
	for _, p := range []string{"/accounts", "/companies", "/serviceorders", "/pricebook", "/plan", "/unmapped", "/static/console.css", "/static/console.js", "/static/", "/nowhere"} {
		_, _, h := c.request(http.MethodGet, p, nil, nil)
		check("GET "+p, h)
	}
	_, _, h := c.request(http.MethodPost, "/accounts", url.Values{"csrf": {"00"}}, nil)
	check("POST without the CSRF token", h)
	_, _, h = c.request(http.MethodGet, "/accounts", nil, func(r *http.Request) { r.Host = "attacker.example" })
	check("GET with a foreign Host", h)
	_, _, h = tc.request(http.MethodGet, "/accounts", nil, nil)
	check("GET without credentials", h)
}
