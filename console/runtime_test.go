package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// fakeRuntime is a Runtime whose jobs the test sets; it records RunNow calls.
type fakeRuntime struct {
	mu      sync.Mutex
	jobs    []JobState
	errs    map[string]error // RunNow's answer per job
	runs    []string
	tenants []TenantState
	pending []PendingClose
	// onRun, when set, is called (under the lock) by RunNow: a cycle.
	onRun func(f *fakeRuntime, job string)
}

func (f *fakeRuntime) Tenants(context.Context) []TenantState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]TenantState(nil), f.tenants...)
}

func (f *fakeRuntime) PendingCloses(context.Context) []PendingClose {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]PendingClose(nil), f.pending...)
}

func (f *fakeRuntime) Jobs(context.Context) []JobState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]JobState(nil), f.jobs...)
}

func (f *fakeRuntime) RunNow(_ context.Context, job string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.errs[job]; err != nil {
		return err
	}
	f.runs = append(f.runs, job)
	for i := range f.jobs {
		if f.jobs[i].Job == job {
			f.jobs[i].State = "running"
			f.jobs[i].LastStart = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
		}
	}
	if f.onRun != nil {
		f.onRun(f, job)
	}
	return nil
}

func (f *fakeRuntime) ran() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.runs...)
}

// notConfigured is a runtime whose two jobs miss their configuration.
func notConfigured() *fakeRuntime {
	return &fakeRuntime{jobs: []JobState{
		{Job: JobBilling, State: "not configured", Missing: []string{MissingTenant, MissingPriceBook, "the moon is not aligned"},
			NextRun: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		{Job: JobServiceOrders, State: "failed", Missing: nil,
			LastStart: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), LastError: `tigerpaw: <script>alert("x")</script> refused`,
			NextRun: time.Date(2026, 3, 1, 8, 5, 0, 0, time.UTC)},
	}}
}

// withRuntime serves w's console with rt and a client that does not follow
// redirects (so that the test sees the 303) but keeps cookies.
func withRuntime(t *testing.T, w *world, rt Runtime) *client {
	t.Helper()
	w.opts.Runtime = rt
	c := w.serve(t)
	c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// csrfOf is the CSRF token of the overview.
func csrfOf(t *testing.T, c *client) string {
	t.Helper()
	code, body := c.get("/")
	m := csrfRE.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("GET /: %d, no csrf field in\n%s", code, body)
	}
	return m[1]
}

// section is the HTML of the overview's section of job.
func section(t *testing.T, body, job string) string {
	t.Helper()
	start := strings.Index(body, `<section class="job`)
	for start >= 0 {
		end := strings.Index(body[start:], "</section>")
		if end < 0 {
			break
		}
		s := body[start : start+end]
		if strings.Contains(s, `id="job-`+job+`"`) {
			return s
		}
		next := strings.Index(body[start+end:], `<section class="job`)
		if next < 0 {
			break
		}
		start += end + next
	}
	t.Fatalf("no section of job %s in\n%s", job, body)
	return ""
}

var itemRE = regexp.MustCompile(`<li>([^<:]*)(?::\s*<a href="([^"]*)">[^<]*</a>)?</li>`)

// missingLinks maps each missing item of s to its link ("" for none).
func missingLinks(s string) map[string]string {
	m := map[string]string{}
	for _, g := range itemRE.FindAllStringSubmatch(s, -1) {
		m[g[1]] = g[2]
	}
	return m
}

func TestOverviewListsJobsAndWhatIsMissing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := withRuntime(t, w, notConfigured())
	code, body := c.get("/")
	if code != http.StatusOK {
		t.Fatalf("GET /: %d\n%s", code, body)
	}
	bill := section(t, body, "billing")
	mustContain(t, bill, "<h3", "Billing", "not configured", "never", `<time datetime="2026-03-02T00:00:00Z">2026-03-02 00:00:00 UTC</time>`,
		`name="job" value="billing"`, "Run now")
	// The integration has tenants: "no tenant mapped" is fixed on Accounts.
	want := map[string]string{
		MissingTenant:             "accounts",
		MissingPriceBook:          "pricebook",
		"the moon is not aligned": "",
	}
	if diff := cmp.Diff(want, missingLinks(bill)); diff != "" {
		t.Errorf("billing's missing items and links (-want +got):\n%s", diff)
	}

	so := section(t, body, "service_orders")
	mustContain(t, so, "Service orders", "failed", "2026-03-01 08:00:00 UTC", "2026-03-01 08:05:00 UTC",
		`name="job" value="service_orders"`)
	mustNotContain(t, so, "To configure")
	// mustContain reads the text; the markup has the error escaped.
	if !strings.Contains(so, "tigerpaw: &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; refused") || strings.Contains(so, "<script>") {
		t.Errorf("the last error is not escaped:\n%s", so)
	}
	if strings.Index(body, `id="job-billing"`) > strings.Index(body, `id="job-service_orders"`) {
		t.Error("the jobs are not in the runtime's order")
	}
	if strings.Count(body, `<form method="post"`) != strings.Count(body, `name="csrf"`) {
		t.Error("a post form without the csrf field")
	}
	mustContain(t, body, `id="tab-overview" class="current" aria-current="page"`, `role="status"`)
}

func TestOverviewMissingGeneralAndNoTenantYet(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// Start empty: no configuration named "main" in the store.
	w.store = mapping.NewMemoryStore()
	w.opts.Store = w.store
	rt := &fakeRuntime{jobs: []JobState{
		{Job: JobBilling, State: "not configured", Missing: []string{MissingTenant}},
		{Job: JobServiceOrders, State: "not configured", Missing: []string{MissingGeneral, MissingTenant}},
	}}
	c := withRuntime(t, w, rt)
	_, body := c.get("/")
	// With no tenant in the integration, they are added on Companies first.
	if diff := cmp.Diff(map[string]string{MissingTenant: "companies"}, missingLinks(section(t, body, "billing"))); diff != "" {
		t.Errorf("billing (-want +got):\n%s", diff)
	}
	want := map[string]string{MissingGeneral: "serviceorders?section=general", MissingTenant: "companies"}
	if diff := cmp.Diff(want, missingLinks(section(t, body, "service_orders"))); diff != "" {
		t.Errorf("service orders (-want +got):\n%s", diff)
	}
	// Each link leads to a page of the console.
	for _, link := range []string{"companies", "serviceorders?section=general", "accounts", "pricebook"} {
		if code, _ := c.get("/" + link); code != http.StatusOK {
			t.Errorf("GET /%s: %d", link, code)
		}
	}
}

func TestRunNowStartsTheJob(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	rt := notConfigured()
	c := withRuntime(t, w, rt)
	token := csrfOf(t, c)
	code, body, hdr := c.request(http.MethodPost, "/run", url.Values{"csrf": {token}, "job": {"billing"}}, func(r *http.Request) {
		r.Header.Set("Origin", c.srv.URL)
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	})
	if code != http.StatusSeeOther || hdr.Get("Location") != "./" {
		t.Fatalf("POST /run: %d Location %q, want 303 ./\n%s", code, hdr.Get("Location"), body)
	}
	if got := rt.ran(); !cmp.Equal(got, []string{"billing"}) {
		t.Errorf("RunNow called with %v, want [billing]", got)
	}
	_, body = c.get("/")
	mustContain(t, body, `<p class="notice" id="notice">Billing cycle started.</p>`)
	if i, j := strings.Index(body, `role="status"`), strings.Index(body, "Billing cycle started."); i < 0 || j < i {
		t.Error("the message is not in the live region")
	}
	mustContain(t, section(t, body, "billing"), "running", "2026-03-01 09:30:00 UTC")
	// The message is shown once: a reload does not repeat it.
	_, body = c.get("/")
	mustNotContain(t, body, "cycle started")

	code, _, _ = c.request(http.MethodPost, "/run", url.Values{"csrf": {token}, "job": {"service_orders"}}, nil)
	if code != http.StatusSeeOther {
		t.Fatalf("POST /run service_orders: %d", code)
	}
	_, body = c.get("/")
	mustContain(t, body, "Service orders cycle started.")
	if got := rt.ran(); !cmp.Equal(got, []string{"billing", "service_orders"}) {
		t.Errorf("RunNow calls %v", got)
	}
}

func TestRunNowRequestChecks(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	rt := notConfigured()
	c := withRuntime(t, w, rt)
	token := csrfOf(t, c)
	for _, tc := range []struct {
		name string
		form url.Values
		hdr  map[string]string
	}{
		{"no csrf", url.Values{"job": {"billing"}}, nil},
		{"wrong csrf", url.Values{"csrf": {"00" + token[2:]}, "job": {"billing"}}, nil},
		{"foreign Origin", url.Values{"csrf": {token}, "job": {"billing"}}, map[string]string{"Origin": "http://attacker.example"}},
		{"cross-site fetch", url.Values{"csrf": {token}, "job": {"billing"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"foreign Referer", url.Values{"csrf": {token}, "job": {"billing"}}, map[string]string{"Referer": "http://attacker.example/x"}},
	} {
		code, body, _ := c.request(http.MethodPost, "/run", tc.form, func(r *http.Request) {
			for k, v := range tc.hdr {
				r.Header.Set(k, v)
			}
		})
		if code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403\n%s", tc.name, code, body)
		}
	}
	// A foreign Host (DNS rebinding) is refused before anything else.
	code, _, _ := c.request(http.MethodPost, "/run", url.Values{"csrf": {token}, "job": {"billing"}}, func(r *http.Request) {
		r.Host = "rebind.attacker.test:" + c.port()
	})
	if code != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host: %d, want 421", code)
	}
	// GET does not run anything.
	if code, _ := c.get("/run?job=billing"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /run: %d, want 405", code)
	}
	if got := rt.ran(); len(got) != 0 {
		t.Errorf("refused requests ran %v", got)
	}
}

func TestRunNowUnknownJob(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	rt := notConfigured()
	c := withRuntime(t, w, rt)
	token := csrfOf(t, c)
	for _, job := range []string{"", "bill", "Billing", "billing "} {
		code, body, _ := c.request(http.MethodPost, "/run", url.Values{"csrf": {token}, "job": {job}}, nil)
		if code != http.StatusBadRequest {
			t.Errorf("job %q: %d, want 400", job, code)
		}
		mustContain(t, body, "unknown job", fmt.Sprintf("%q", job), "billing, service_orders")
	}
	// The runtime refuses a job it lists (say, gone since): 400 too.
	rt.errs = map[string]error{JobBilling: fmt.Errorf("runtime: job %q: %w", "billing", ErrUnknownJob)}
	if code, body, _ := c.request(http.MethodPost, "/run", url.Values{"csrf": {token}, "job": {"billing"}}, nil); code != http.StatusBadRequest {
		t.Errorf("RunNow's ErrUnknownJob: %d, want 400\n%s", code, body)
	}
	if got := rt.ran(); len(got) != 0 {
		t.Errorf("unknown jobs ran %v", got)
	}
}

func TestRunNowOnStandby(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	rt := notConfigured()
	rt.errs = map[string]error{
		JobBilling:       fmt.Errorf("runtime: run billing: %w", ErrNotLeader),
		JobServiceOrders: errors.New("runtime: stopping"),
	}
	c := withRuntime(t, w, rt)
	token := csrfOf(t, c)
	if code, _, hdr := c.request(http.MethodPost, "/run", url.Values{"csrf": {token}, "job": {"billing"}}, nil); code != http.StatusSeeOther || hdr.Get("Location") != "./" {
		t.Fatalf("POST /run on standby: %d %q, want 303 ./", code, hdr.Get("Location"))
	}
	_, body := c.get("/")
	mustContain(t, body, `id="page-error"`, "Billing cycle not started: this replica is on standby; run it on the leader.")
	mustNotContain(t, body, "cycle started")

	// Any other error is shown as it is.
	c.request(http.MethodPost, "/run", url.Values{"csrf": {token}, "job": {"service_orders"}}, nil)
	_, body = c.get("/")
	mustContain(t, body, "Service orders cycle not started: runtime: stopping")
	if got := rt.ran(); len(got) != 0 {
		t.Errorf("ran %v", got)
	}
}

// TestFlashCookieSigned: a message cookie the console did not set (another
// host of the domain can set one) shows nothing.
func TestFlashCookieSigned(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := withRuntime(t, w, notConfigured())
	_, _, _ = c.request(http.MethodGet, "/", nil, nil)
	forged := "o" + "Q2FsbCArMSA1NTUgbm93" // "Call +1 555 now"
	for _, v := range []string{forged, forged + ".00", forged + "." + strings.Repeat("ab", 32)} {
		_, body, _ := c.request(http.MethodGet, "/", nil, func(r *http.Request) {
			r.AddCookie(&http.Cookie{Name: flashCookie, Value: v})
		})
		mustNotContain(t, body, "Call +1", `id="notice"`)
	}
}

func TestOverviewWithoutRuntime(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	code, body := c.get("/")
	if code != http.StatusOK {
		t.Fatalf("GET /: %d\n%s", code, body)
	}
	mustContain(t, body, `<h2>Integration status</h2>`, `href="companies"`, `href="pricebook"`)
	mustNotContain(t, body, "Run now", `class="job`)
	// With a valid token (from another page), run is not found.
	token := csrfRE.FindStringSubmatch(func() string { _, b := c.get("/companies"); return b }())[1]
	if code, _, _ := c.request(http.MethodPost, "/run", url.Values{"csrf": {token}, "job": {"billing"}}, nil); code != http.StatusNotFound {
		t.Errorf("POST /run without a runtime: %d, want 404", code)
	}
}

// The overview shows the changes the billing guard holds, with the way to
// the Billing plan tab where they are decided.
func TestOverviewShowsHeldChanges(t *testing.T) {
	t.Parallel()
	rt := &fakeRuntime{jobs: []JobState{
		{Job: JobBilling, State: "ok", Held: []string{"tenant vs-1: ~ agreement 501 KESB-ADV-WS held: the quantity drops from 90 to 45 (-45, -50 %)"}},
		{Job: JobServiceOrders, State: "ok"},
	}}
	c := withRuntime(t, newWorld(t), rt)
	_, body := c.get("/")
	s := section(t, body, JobBilling)
	mustContain(t, s, "Held for approval: 1 change(s)", "the quantity drops from 90 to 45", `href="plan#held-section"`)
	if strings.Contains(section(t, body, JobServiceOrders), "Held for approval") {
		t.Error("the service orders job shows held changes")
	}
	rt.jobs[0].Held = nil
	_, body = c.get("/")
	if strings.Contains(section(t, body, JobBilling), "Held for approval") {
		t.Error("held changes shown when none is held")
	}
}

// The overview shows the service order flood guard: its limit and what its
// summaries listed instead of opening.
func TestOverviewShowsFloodGuard(t *testing.T) {
	t.Parallel()
	rt := &fakeRuntime{jobs: []JobState{
		{Job: JobBilling, State: "ok"},
		{Job: JobServiceOrders, State: "ok", FloodLimit: 25, Summaries: 2, Suppressed: 475},
	}}
	c := withRuntime(t, newWorld(t), rt)
	_, body := c.get("/")
	mustContain(t, section(t, body, JobServiceOrders), "at most 25 orders per tenant and cycle", "2 summary order(s) listed 475 event(s)")
	if strings.Contains(section(t, body, JobBilling), "Flood guard") {
		t.Error("the billing job shows a flood guard")
	}
}

// The overview names who holds the lock of a pending close when the runtime
// says, escaped, and says nothing of a holder otherwise.
func TestOverviewPendingCloseLockHolder(t *testing.T) {
	t.Parallel()
	rt := &fakeRuntime{jobs: []JobState{{Job: JobServiceOrders, State: "ok"}}, pending: []PendingClose{
		{Tenant: "vs-1", Order: 4711, LockedBy: "Jane <Tech>"},
		{Tenant: "vs-1", Order: 4712},
	}}
	c := withRuntime(t, newWorld(t), rt)
	_, body := c.get("/")
	if !regexp.MustCompile(`<li>Order 4711 of [^<]*, locked by Jane &lt;Tech&gt;</li>`).MatchString(body) {
		t.Errorf("the pending close does not name its holder:\n%s", body)
	}
	if m := regexp.MustCompile(`<li>Order 4712 of [^<]*</li>`).FindString(body); m == "" || strings.Contains(m, "locked by") {
		t.Errorf("the pending close without a holder reads %q", m)
	}
}
