package console

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// JobState is what the runtime knows of one job, as the console's overview
// shows it.
type JobState struct {
	Job       string    // "billing" or "service_orders"
	State     string    // "not configured", "ok", "partial", "failed", "running", "standby", "never run"
	Missing   []string  // what is missing, in words, when State is "not configured"
	LastStart time.Time // zero when never run
	LastError string
	NextRun   time.Time // zero when not scheduled (standby)
	// Running is set while a cycle of the job runs on this replica.
	Running bool
	// Role is "leader" when this replica runs the job's cycles, "standby"
	// when another replica holds the leader lease, "" when unknown.
	Role string
	// Cycles are the job's last cycles, the latest first.
	Cycles []CycleState
	// Held are the billing changes the billing guard holds for approval,
	// one line each (billing only).
	Held []string
	// FloodLimit is the service order flood guard's limit of orders opened
	// per tenant and cycle (0 when no cycle ran); Summaries and Suppressed
	// count, since the start, its summary orders and the events listed in
	// them instead of opened (service orders only).
	FloodLimit, Summaries, Suppressed int
}

// CycleState is one past cycle of a job.
type CycleState struct {
	Start    time.Time
	Duration time.Duration
	// Outcome is "ok", "partial", "failed" or "not configured".
	Outcome string
	Error   string
}

// TenantState is what the last cycle of a job did for one tenant.
type TenantState struct {
	Job    string
	Tenant string // the tenant's id; the console shows its name
	// Start is when the cycle started.
	Start time.Time
	// Charges created, updated, deleted and unchanged (billing); orders
	// created, closed and pending a close (service orders).
	Created, Updated, Deleted, Unchanged       int
	OrdersCreated, OrdersClosed, OrdersPending int
	// Errors are the tenant's failed changes and skipped agreements; the
	// console matches each to a fix with errors.Is.
	Errors []error
}

// PendingClose is a service order whose close waits because the order is
// locked in Tigerpaw (open in its UI); the runtime retries it every cycle.
type PendingClose struct {
	Tenant string // the tenant's id
	Order  int    // the order number; 0 when unknown
	// LockedBy is who holds the lock, when Tigerpaw said; else "".
	LockedBy string
	// Since is the start of the cycle that found it locked.
	Since time.Time
}

// Runtime is the integration's runtime as the console sees it: the state of
// its jobs and of each tenant, the pending closes, and a way to start a job's
// cycle now. Implementations must be safe for concurrent use.
type Runtime interface {
	// Jobs returns the state of every job, in the order the overview lists
	// them.
	Jobs(ctx context.Context) []JobState
	// Tenants returns the last outcome of each tenant of each job's last
	// cycle, by job then tenant.
	Tenants(ctx context.Context) []TenantState
	// PendingCloses returns the service order closes waiting for an order's
	// lock.
	PendingCloses(ctx context.Context) []PendingClose
	// RunNow starts the job's cycle at once, does not wait. ctx bounds the
	// call only, not the cycle it starts. It fails with an error wrapping
	// ErrNotLeader on a standby replica and ErrUnknownJob for a job it does
	// not run.
	RunNow(ctx context.Context, job string) error // starts the job's cycle at once, does not wait
}

// ErrNotLeader is returned by [Runtime.RunNow] on a standby replica: only the
// leader runs cycles.
var ErrNotLeader = errors.New("this replica is on standby; run it on the leader")

// ErrUnknownJob is returned by [Runtime.RunNow] for a job name it does not
// know.
var ErrUnknownJob = errors.New("unknown job")

// The job names of [JobState.Job].
const (
	JobBilling       = "billing"
	JobServiceOrders = "service_orders"
)

// The items of [JobState.Missing] the overview links to the console section
// where each is fixed. Other words are shown as they are, without a link.
const (
	MissingTenant    = "no tenant mapped"
	MissingGeneral   = "service order General settings missing"
	MissingPriceBook = "no price book item mapped"
)

// jobTitle is a job's name in the MSP's words.
func jobTitle(job string) string {
	switch job {
	case JobBilling:
		return "Billing"
	case JobServiceOrders:
		return "Service orders"
	}
	return job
}

// missingItem is one line of a job's not-configured checklist.
type missingItem struct {
	Text string
	Link string // a console page, relative; "" when unknown
	Fix  string // the link's words
}

// fixFor is where the console fixes a missing item; tenantsLink is the
// Companies tab while the integration has no tenant at all (there is none to
// map yet), else the Accounts tab.
func fixFor(text, tenantsLink string) missingItem {
	m := missingItem{Text: text}
	s := strings.ToLower(text)
	switch {
	case strings.Contains(s, "general settings"):
		m.Link, m.Fix = "serviceorders?section=general", "Service orders: General"
	case strings.Contains(s, "price book"):
		m.Link, m.Fix = "pricebook", "Price book items"
	case strings.Contains(s, "tenant"):
		m.Link, m.Fix = tenantsLink, "Accounts"
		if tenantsLink == "companies" {
			m.Fix = "Companies"
		}
	}
	return m
}

// jobView is one job of the overview.
type jobView struct {
	Job, Title, State, StateClass string
	Missing                       []missingItem
	LastStart, NextRun            time.Time
	LastError                     string
	Running                       bool
	Role                          string
	Cycles                        []cycleView
	Held                          []string
	FloodLimit                    int
	Summaries, Suppressed         int
}

// cycleView is a past cycle of a job.
type cycleView struct {
	Start    time.Time
	Duration string
	Outcome  string
	Class    string
	Error    string
}

// tenantView is a tenant's last outcome in a job.
type tenantView struct {
	Name    string
	Outcome string // "ok" or "errors"
	Counts  string
	Errors  []errorView
}

// errorView is one error of a tenant, with its fix when the console knows
// the error.
type errorView struct {
	Text string
	Fix  errorFix
}

// jobTenants are the tenants of one job.
type jobTenants struct {
	Job, Title string
	Start      time.Time
	Tenants    []tenantView
}

// pendingView is a pending close.
type pendingView struct {
	Tenant   string
	Order    int
	LockedBy string
	Since    time.Time
}

type overviewData struct {
	HasRuntime bool
	Jobs       []jobView
	Tenants    []jobTenants
	Pending    []pendingView
	// Every is how often, in seconds, console.js refreshes the status.
	Every int
}

// statusEvery is how often the status refreshes itself in the browser.
const statusEvery = 10

// stateClass is the CSS class of a state: its words without spaces.
func stateClass(state string) string {
	return "state-" + strings.ReplaceAll(state, " ", "-")
}

// overview is the console's first page, the integration's status: each
// job's state, last cycles and next run, what is missing before it runs and
// where to fix it; each tenant's last outcome with its errors and their
// fixes; the service order closes pending on a lock. console.js refreshes
// the status part every few seconds; a reload shows the same.
func (h *handler) overview(w http.ResponseWriter, r *http.Request) {
	p := h.flashPage(w, r)
	p.Tab, p.Title = "overview", "Integration status"
	d := overviewData{HasRuntime: h.opt.Runtime != nil, Every: statusEvery}
	if d.HasRuntime {
		h.statusData(r.Context(), &d)
	}
	p.Data = d
	h.render(w, http.StatusOK, "overview.html", p)
}

// statusData fills d from the runtime.
func (h *handler) statusData(ctx context.Context, d *overviewData) {
	rt := h.opt.Runtime
	cfg, err := h.opt.Store.Load(ctx, h.opt.Integration)
	if err != nil {
		cfg = mapping.Config{Solution: h.opt.Solution}
	}
	tenantsLink := "accounts"
	if len(cfg.Tenants) == 0 {
		tenantsLink = "companies"
	}
	for _, j := range rt.Jobs(ctx) {
		v := jobView{Job: j.Job, Title: jobTitle(j.Job), State: j.State, StateClass: stateClass(j.State),
			LastStart: j.LastStart, NextRun: j.NextRun, LastError: j.LastError, Running: j.Running, Role: j.Role, Held: j.Held,
			FloodLimit: j.FloodLimit, Summaries: j.Summaries, Suppressed: j.Suppressed}
		for _, m := range j.Missing {
			v.Missing = append(v.Missing, fixFor(m, tenantsLink))
		}
		for _, c := range j.Cycles {
			v.Cycles = append(v.Cycles, cycleView{Start: c.Start, Duration: c.Duration.Round(time.Millisecond).String(),
				Outcome: c.Outcome, Class: stateClass(c.Outcome), Error: c.Error})
		}
		d.Jobs = append(d.Jobs, v)
	}
	states := rt.Tenants(ctx)
	pending := rt.PendingCloses(ctx)
	n := namer{solution: cfg.Solution, tenants: map[string]string{}, accounts: map[int]string{}, product: cfg.ExternalProductID}
	if n.solution == "" {
		n.solution = h.opt.Solution
	}
	if slices.ContainsFunc(states, func(t TenantState) bool { return len(t.Errors) > 0 }) {
		n = h.names(ctx, cfg) // the account names, from Tigerpaw
	}
	for _, t := range cfg.Tenants {
		n.tenants[t.ID] = t.Name
	}
	name := func(id string) string {
		if v := n.tenants[id]; v != "" {
			return v
		}
		if id == "" {
			return "(no tenant)"
		}
		return id + " (no longer in the integration)"
	}
	for _, t := range states {
		if len(d.Tenants) == 0 || d.Tenants[len(d.Tenants)-1].Job != t.Job {
			d.Tenants = append(d.Tenants, jobTenants{Job: t.Job, Title: jobTitle(t.Job), Start: t.Start})
		}
		v := tenantView{Name: name(t.Tenant), Outcome: "ok", Counts: countsOf(t)}
		for _, e := range t.Errors {
			ev := errorView{Text: n.text(e.Error())}
			ev.Fix, _ = fixOf(e)
			v.Errors = append(v.Errors, ev)
		}
		if len(v.Errors) > 0 {
			v.Outcome = "errors"
		}
		g := &d.Tenants[len(d.Tenants)-1]
		g.Tenants = append(g.Tenants, v)
	}
	for _, p := range pending {
		d.Pending = append(d.Pending, pendingView{Tenant: name(p.Tenant), Order: p.Order, LockedBy: p.LockedBy, Since: p.Since})
	}
}

// countsOf is what a job did for a tenant, in words.
func countsOf(t TenantState) string {
	if t.Job == JobServiceOrders {
		s := fmt.Sprintf("%d orders opened, %d closed", t.OrdersCreated, t.OrdersClosed)
		if t.OrdersPending > 0 {
			s += fmt.Sprintf(", %d closes pending", t.OrdersPending)
		}
		return s
	}
	return fmt.Sprintf("%d charges created, %d updated, %d deleted, %d unchanged", t.Created, t.Updated, t.Deleted, t.Unchanged)
}

// postRun starts a job's cycle (the Run now button) and answers with a
// redirect to the overview, which shows the outcome.
func (h *handler) postRun(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	job := r.PostFormValue("job")
	var names []string
	for _, j := range h.opt.Runtime.Jobs(ctx) {
		names = append(names, j.Job)
	}
	if !slices.Contains(names, job) {
		h.badRequest(w, fmt.Errorf("job %q: %w (this console runs %s)", job, ErrUnknownJob, strings.Join(names, ", ")))
		return
	}
	err := h.opt.Runtime.RunNow(ctx, job)
	switch {
	case err == nil:
		h.log.InfoContext(ctx, "console: cycle started", "job", job)
		h.setFlash(w, flash{ok: true, msg: jobTitle(job) + " cycle started."})
	case errors.Is(err, ErrUnknownJob):
		h.badRequest(w, fmt.Errorf("job %q: %w", job, err))
		return
	case errors.Is(err, ErrNotLeader):
		h.setFlash(w, flash{msg: jobTitle(job) + " cycle not started: " + ErrNotLeader.Error() + "."})
	default:
		h.log.ErrorContext(ctx, "console: run now failed", "job", job, "error", err)
		h.setFlash(w, flash{msg: jobTitle(job) + " cycle not started: " + err.Error()})
	}
	// Relative, so that the console works under any prefix: ./ is the
	// overview next to run.
	w.Header().Set("Location", "./")
	w.WriteHeader(http.StatusSeeOther)
}

// flash is a message for the next page, carried by a cookie across the
// redirect after a post.
type flash struct {
	ok  bool
	msg string
}

const flashCookie = "console_flash"

// setFlash sets the flash cookie. Its value is signed with the console's key,
// so that a cookie set by someone else (a sibling host) shows nothing.
func (h *handler) setFlash(w http.ResponseWriter, f flash) {
	kind := "e"
	if f.ok {
		kind = "o"
	}
	v := kind + base64.RawURLEncoding.EncodeToString([]byte(f.msg))
	// No Path: the default, the directory of the request (the console's
	// mount), is also the overview's.
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: v + "." + h.sign("flash", v),
		MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// readFlash returns the flash message of r, if any, and clears the cookie.
func (h *handler) readFlash(w http.ResponseWriter, r *http.Request) (flash, bool) {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return flash{}, false
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	v, mac, ok := strings.Cut(c.Value, ".")
	if !ok || len(v) < 1 || !hmac.Equal([]byte(mac), []byte(h.sign("flash", v))) {
		return flash{}, false
	}
	msg, err := base64.RawURLEncoding.DecodeString(v[1:])
	if err != nil {
		return flash{}, false
	}
	return flash{ok: v[0] == 'o', msg: string(msg)}, true
}

// sign is the hex HMAC of purpose and v under the console's key.
func (h *handler) sign(purpose, v string) string {
	m := hmac.New(sha256.New, h.key[:])
	m.Write([]byte(purpose + "\x00" + v))
	return hex.EncodeToString(m.Sum(nil))
}
