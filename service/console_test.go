package service

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	kt "github.com/mspkit/kaspersky-tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/console"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/prometheus/client_golang/prometheus"
)

// fakeSource is a kaspersky.Source with no tenant.
type fakeSource struct{}

func (fakeSource) Tenants(context.Context) ([]kaspersky.Tenant, error) { return nil, nil }

func (fakeSource) Inventory(context.Context, string) (kaspersky.Inventory, error) {
	return kaspersky.Inventory{}, nil
}

func (fakeSource) Events(context.Context, string, time.Time) ([]kaspersky.Event, error) {
	return nil, nil
}

// consoleDaemon is a Service, not started, over memory stores with rules,
// whose console is s.
func consoleDaemon(t *testing.T, rules console.RulesStore, s *consoleSetup) *Service {
	t.Helper()
	tp, err := tigerpaw.NewClient("http://127.0.0.1:1", tigerpaw.WithKeys("pub", "priv"))
	if err != nil {
		t.Fatal(err)
	}
	return &Service{name: "main", st: &stores{mapping: mapping.NewMemoryStore(), rules: rules}, status: newStatusBoard(),
		registry: prometheus.NewRegistry(), billing: &kt.BillingJob{Source: fakeSource{}, Tigerpaw: tp},
		log: slog.New(slog.DiscardHandler), console: s}
}

// TestConsoleRoutesSecurity: off a loopback address the console is served
// only with credentials from the config, and then asks for them.
func TestConsoleRoutesSecurity(t *testing.T) {
	t.Parallel()
	rules := console.NewMemoryRules(serviceorder.DefaultRules())
	d := consoleDaemon(t, rules, &consoleSetup{solution: mapping.SolutionKSC})
	if routes, err := d.consoleRoutes("0.0.0.0:9464"); err != nil || len(routes) != 0 {
		t.Errorf("non-loopback without credentials: %d routes, %v; want none", len(routes), err)
	}
	if routes, err := d.consoleRoutes("127.0.0.1:9464"); err != nil || len(routes) != 1 {
		t.Errorf("loopback: %d routes, %v; want the console", len(routes), err)
	}

	d = consoleDaemon(t, rules, &consoleSetup{solution: mapping.SolutionKSC, token: "tok-123"})
	routes, err := d.consoleRoutes("0.0.0.0:9464")
	if err != nil || len(routes) != 1 {
		t.Fatalf("non-loopback with a token: %d routes, %v", len(routes), err)
	}
	srv := httptest.NewServer(d.newMux(routes...))
	defer srv.Close()
	get := func(auth string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/console/static/console.css", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := get(""); c != http.StatusUnauthorized {
		t.Errorf("without credentials: %d, want 401", c)
	}
	if c := get("Bearer wrong"); c != http.StatusUnauthorized {
		t.Errorf("with a wrong token: %d, want 401", c)
	}
	if c := get("Bearer tok-123"); c != http.StatusOK {
		t.Errorf("with the token: %d, want 200", c)
	}
}

// TestNewConsoleSetup reads the console's secrets from env: and file:
// references; errors name the field, never a value.
func TestNewConsoleSetup(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("file-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KT_TEST_CONSOLE_TOKEN", "env-secret")
	cfg := &Config{Solution: "ksc", RulesFile: filepath.Join(dir, "rules.json")}
	cfg.Console = ConsoleConfig{Token: "env:KT_TEST_CONSOLE_TOKEN", User: "admin", Password: "file:" + pw, ExternalProductID: 7}
	s, err := newConsoleSetup(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.token != "env-secret" || s.user != "admin" || s.password != "file-secret" || s.externalProductID != 7 || s.solution != mapping.SolutionKSC {
		t.Errorf("setup = token %q user %q password %q product %d solution %q", s.token, s.user, s.password, s.externalProductID, s.solution)
	}

	cfg.Console = ConsoleConfig{Token: "env:KT_TEST_CONSOLE_UNSET", User: "admin"}
	_, err = newConsoleSetup(cfg)
	var cerr *ConfigError
	if err == nil || !strings.Contains(err.Error(), "console.token") || !strings.Contains(err.Error(), "console.user and console.password") {
		t.Errorf("bad console section: %v", err)
	} else if !errors.As(err, &cerr) {
		t.Errorf("error %v is not a ConfigError", err)
	}

	// The replicas' shared secret: read from its reference, at least 16
	// characters, the file's path relative to the config's directory.
	if err := os.WriteFile(filepath.Join(dir, "console-secret"), []byte("shared-by-every-replica\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rel := &Config{Solution: "ksc", Console: ConsoleConfig{Secret: "file:console-secret"}}
	rel.resolvePaths(dir)
	if s, err := newConsoleSetup(rel); err != nil || string(s.secret) != "shared-by-every-replica" {
		t.Errorf("console.secret from a relative file: %q, %v", s.secret, err)
	}
	t.Setenv("KT_TEST_CONSOLE_SECRET", "too-short")
	cfg.Console = ConsoleConfig{Secret: "env:KT_TEST_CONSOLE_SECRET"}
	if _, err = newConsoleSetup(cfg); err == nil || !strings.Contains(err.Error(), "console.secret") || strings.Contains(err.Error(), "too-short") {
		t.Errorf("a 9-character console.secret: %v, want an error naming the field and not the value", err)
	}

	if _, err := Parse([]byte(`{"console": {"tokn": "env:X"}}`)); err == nil || !strings.Contains(err.Error(), "console.tokn") {
		t.Errorf("unknown console field: %v", err)
	}
}

// oneTenant is a kaspersky.Source with the virtual server vs-1.
type oneTenant struct{ fakeSource }

// TestConsoleHostAndOrigin: the daemon's loopback console without
// credentials answers only to a loopback Host (what DNS rebinding sends is
// another name), so a rebinding page reads no CSRF token and saves nothing;
// a post from another Origin is refused; the console's own post saves.
func TestConsoleHostAndOrigin(t *testing.T) {
	t.Parallel()
	d := consoleDaemon(t, console.NewMemoryRules(serviceorder.DefaultRules()), &consoleSetup{solution: mapping.SolutionKSC})
	d.billing.Source = oneTenant{}
	routes, err := d.consoleRoutes("127.0.0.1:9464")
	if err != nil || len(routes) != 1 {
		t.Fatalf("loopback: %d routes, %v; want the console", len(routes), err)
	}
	srv := httptest.NewServer(d.newMux(routes...))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	do := func(method, path, host string, form url.Values, hdr map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(form.Encode()))
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if host != "" {
			req.Host = host
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := do(http.MethodGet, "/console/companies", "", nil, nil)
	csrf := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(body)
	if code != http.StatusOK || csrf == nil {
		t.Fatalf("GET /console/companies: %d, no CSRF token:\n%s", code, body)
	}
	foreign := "rebind.attacker.example:" + u.Port()
	code, body = do(http.MethodGet, "/console/companies", foreign, nil, nil)
	if code != http.StatusMisdirectedRequest || strings.Contains(body, csrf[1]) {
		t.Errorf("GET with Host %s: %d, token answered %v; want 421 without it", foreign, code, strings.Contains(body, csrf[1]))
	}
	form := url.Values{"csrf": {csrf[1]}, "revision": {"0"}, "tenant": {"vs-1"}, "action": {"save"}}
	unsaved := func(what string) {
		t.Helper()
		if cfg, err := d.st.mapping.Load(t.Context(), d.name); err == nil {
			t.Errorf("%s saved the mapping: %+v", what, cfg.Tenants)
		}
	}
	if code, body := do(http.MethodPost, "/console/companies", foreign, form, map[string]string{"Origin": "http://" + foreign}); code != http.StatusMisdirectedRequest {
		t.Errorf("POST with Host %s: %d, want 421\n%s", foreign, code, body)
	}
	unsaved("a post with a foreign Host")
	if code, body := do(http.MethodPost, "/console/companies", "", form, map[string]string{"Origin": "http://attacker.example"}); code != http.StatusForbidden {
		t.Errorf("POST with a foreign Origin: %d, want 403\n%s", code, body)
	}
	unsaved("a post with a foreign Origin")
	if code, body := do(http.MethodPost, "/console/companies", "localhost:"+u.Port(), form, map[string]string{"Origin": "http://localhost:" + u.Port()}); code != http.StatusOK {
		t.Fatalf("POST from the console's own page: %d\n%s", code, body)
	}
	if cfg, err := d.st.mapping.Load(t.Context(), d.name); err != nil || len(cfg.Tenants) != 1 {
		t.Errorf("the console's own post saved %+v, %v; want vs-1", cfg.Tenants, err)
	}
}

// TestConsoleNits: through the daemon's mount, a lower-case bearer scheme is
// accepted, /console/static/ lists nothing, and every answer carries nosniff
// and the CSP's form-action, base-uri and frame-ancestors.
func TestConsoleNits(t *testing.T) {
	t.Parallel()
	d := consoleDaemon(t, console.NewMemoryRules(serviceorder.DefaultRules()), &consoleSetup{solution: mapping.SolutionKSC, token: "tok-123"})
	routes, err := d.consoleRoutes("0.0.0.0:9464")
	if err != nil || len(routes) != 1 {
		t.Fatalf("non-loopback with a token: %d routes, %v", len(routes), err)
	}
	srv := httptest.NewServer(d.newMux(routes...))
	defer srv.Close()
	get := func(path, auth string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	for _, auth := range []string{"bearer tok-123", "BEARER tok-123"} {
		if code, _, _ := get("/console/static/console.css", auth); code != http.StatusOK {
			t.Errorf("Authorization %q: %d, want 200", auth, code)
		}
	}
	code, body, _ := get("/console/static/", "Bearer tok-123")
	if code != http.StatusNotFound || strings.Contains(body, "console.css") {
		t.Errorf("/console/static/: %d, want 404 without a listing:\n%s", code, body)
	}
	for _, p := range []string{"/console/companies", "/console/static/console.css", "/console/static/"} {
		for _, auth := range []string{"Bearer tok-123", ""} {
			_, _, h := get(p, auth)
			csp := h.Get("Content-Security-Policy")
			if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(csp, "form-action 'self'") ||
				!strings.Contains(csp, "base-uri 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("GET %s (Authorization %q): nosniff %q, CSP %q", p, auth, h.Get("X-Content-Type-Options"), csp)
			}
		}
	}
}

func (oneTenant) Tenants(context.Context) ([]kaspersky.Tenant, error) {
	return []kaspersky.Tenant{{ID: "vs-1", Name: "Contoso", Kind: kaspersky.KindVirtualServer}}, nil
}

// TestConsolePendingClosesNameLockHolder: the status page lists a close
// pending because the order is open in the Tigerpaw UI with the rep who holds
// the lock, as the last service order cycle reported it.
func TestConsolePendingClosesNameLockHolder(t *testing.T) {
	t.Parallel()
	d := consoleDaemon(t, console.NewMemoryRules(serviceorder.DefaultRules()), &consoleSetup{solution: mapping.SolutionKSC})
	start := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	d.observe(kt.CycleResult{Job: kt.JobServiceOrders, Start: start, PendingCloses: 2, Tenants: []kt.TenantOutcome{{
		Tenant: "vs-1", OrdersPending: 2, PendingOrders: []int{4711, 4712},
		PendingCloses: []kt.PendingClose{{Number: 4711, LockedBy: "Jane Tech"}, {Number: 4712, LockedBy: "Dana & <Sons>"}},
	}}})
	got := (consoleRuntime{s: d}).PendingCloses(t.Context())
	want := []console.PendingClose{{Tenant: "vs-1", Order: 4711, LockedBy: "Jane Tech", Since: start}, {Tenant: "vs-1", Order: 4712, LockedBy: "Dana & <Sons>", Since: start}}
	if !slices.Equal(got, want) {
		t.Errorf("PendingCloses = %+v, want %+v", got, want)
	}

	routes, err := d.consoleRoutes("127.0.0.1:9464")
	if err != nil || len(routes) != 1 {
		t.Fatalf("loopback: %d routes, %v; want the console", len(routes), err)
	}
	srv := httptest.NewServer(d.newMux(routes...))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/console/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /console/: %d\n%s", resp.StatusCode, body)
	}
	for _, w := range []string{`<li>Order 4711 of vs-1[^<]*, locked by Jane Tech,`, `<li>Order 4712 of vs-1[^<]*, locked by Dana &amp; &lt;Sons&gt;,`} {
		if !regexp.MustCompile(w).MatchString(body) {
			t.Errorf("the status page lacks %s:\n%s", w, body)
		}
	}
}
