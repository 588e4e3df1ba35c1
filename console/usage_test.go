package console

import (
	"context"
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/history"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// guardPlanner plans as a BillingJob with the guard on does: a fixed plan
// filtered by the guard with the stored decisions. Its plan is the drop of
// tenant vs-1's devices by half.
type guardPlanner struct {
	plan      *billing.Plan
	decisions billing.DecisionStore
}

func (p guardPlanner) Plan(ctx context.Context, _ mapping.Config) (billing.Plan, error) {
	d, err := p.decisions.Decisions(ctx)
	if err != nil {
		return billing.Plan{}, err
	}
	return (&billing.Guard{}).Filter(*p.plan, d), nil
}

// halfDrop is the plan of a cycle that sees half of the tenant's devices.
func halfDrop() *billing.Plan {
	ws := billing.Charge{DetailID: 11, ItemID: "KESB-ADV-WS", Description: billing.Describe("ws"), Quantity: 90, Price: 450, PriceLevel: 1}
	srv := billing.Charge{DetailID: 12, ItemID: "KESB-ADV-SRV", Description: billing.Describe("srv"), Quantity: 10, Price: 1200, PriceLevel: 1}
	ws2, srv2 := ws, srv
	ws2.Quantity, srv2.Quantity = 45, 5
	return &billing.Plan{Planned: 1, Changes: []billing.Change{
		{Action: billing.Update, Agreement: 501, ItemID: "KESB-ADV-SRV", Current: srv, Desired: srv2, Reason: "the usage changed"},
		{Action: billing.Update, Agreement: 501, ItemID: "KESB-ADV-WS", Current: ws, Desired: ws2, Reason: "the usage changed"},
	}, Usage: []billing.ItemUsage{
		{Agreement: 501, TenantID: "vs-1", App: kaspersky.AppKESBAdvanced, Category: kaspersky.WindowsServer, ItemID: "KESB-ADV-SRV", Quantity: 5, Price: 1200, PriceLevel: 1},
		{Agreement: 501, TenantID: "vs-1", App: kaspersky.AppKESBAdvanced, Category: kaspersky.WindowsWorkstation, ItemID: "KESB-ADV-WS", Quantity: 45, Price: 450, PriceLevel: 1},
	}}
}

// guardWorld is the test world with the guard's planner, a decision store,
// vs-1 billed, and a usage history of 30 days.
func guardWorld(t testing.TB) (*world, *billing.FileDecisions) {
	w := newWorld(t)
	ctx := context.Background()
	cfg := w.saved(t)
	cfg.Tenants[0].Account = &mapping.AccountMapping{Number: 101, Billing: mapping.Billing{Enabled: true, Agreement: 501, PriceLevel: 1}}
	if _, err := w.store.Save(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	dec := billing.NewFileDecisions(t.TempDir() + "/decisions.json")
	w.opts.Decisions = dec
	w.opts.Planner = guardPlanner{plan: halfDrop(), decisions: dec}
	h, err := history.OpenFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var snaps []history.Snapshot
	today := time.Now().UTC()
	for d := range 30 {
		at := today.AddDate(0, 0, d-29)
		ws := int64(80 + d/3)
		srv := int64(10)
		if d >= 20 {
			srv = 12
		}
		snaps = append(snaps, history.Snapshot{TenantID: "vs-1", Day: history.Day(at), At: at, Items: []history.Item{
			{Agreement: 501, App: kaspersky.AppKESBAdvanced, Category: kaspersky.WindowsServer, ItemID: "KESB-ADV-SRV", Usage: srv, Billed: srv, Price: 1200, PriceLevel: 1},
			{Agreement: 501, App: kaspersky.AppKESBAdvanced, Category: kaspersky.WindowsWorkstation, ItemID: "KESB-ADV-WS", Usage: ws, Billed: ws, Price: 450, PriceLevel: 1},
			{Agreement: 501, App: kaspersky.AppKESCloudPlus, ItemID: "KESC-PLUS", Usage: 25 - int64(d/10), Billed: 25 - int64(d/10), Price: 300, PriceLevel: 1},
		}})
	}
	if err := h.Record(ctx, snaps); err != nil {
		t.Fatal(err)
	}
	w.opts.History = h
	return w, dec
}

var keyRE = regexp.MustCompile(`name="key" value="([0-9a-f]+)"`)

func TestPlanHeldApproveReject(t *testing.T) {
	t.Parallel()
	w, dec := guardWorld(t)
	c := w.serve(t)
	code, body := c.get("/plan")
	if code != http.StatusOK {
		t.Fatalf("GET /plan: %d\n%s", code, body)
	}
	mustContain(t, body, "Held for approval: 2 change(s)", "the quantity drops from 90 to 45 (-45, -50 %)",
		"virtual server \u201cContoso\u201d counts 45 (Kaspersky Endpoint Security for Business Advanced, Windows workstations)", "Usage history of the virtual servers", "Waiting for a decision", `id="approve-all"`)
	mustNotContain(t, body, "approved: written by the next cycle")
	keys := keyRE.FindAllStringSubmatch(body, -1)
	if len(keys) != 4 { // two in the "all" form, one per row
		t.Fatalf("%d key fields, want 4", len(keys))
	}
	csrf := csrfRE.FindStringSubmatch(body)[1]

	// Reject the first (the servers'), approve the second.
	srvKey, wsKey := keys[2][1], keys[3][1]
	if code, body := c.post("/plan", url.Values{"csrf": {csrf}, "key": {srvKey}, "decision": {"reject"}}); code != http.StatusOK {
		t.Fatalf("reject: %d\n%s", code, body)
	}
	_, body = c.post("/plan", url.Values{"csrf": {csrf}, "key": {wsKey}, "decision": {"approve"}})
	mustContain(t, body, "1 change(s) approved: the next billing cycle, or Run now, writes them.", "Held for approval: 1 change(s)",
		"Rejected: stays held until the usage changes", "approved: written by the next cycle or Run now")
	d, err := dec.Decisions(t.Context())
	if err != nil || len(d) != 2 || !d[wsKey].Approved || d[srvKey].Approved || d[wsKey].Agreement != 501 {
		t.Fatalf("decisions = %+v, %v", d, err)
	}
	// A key that is not held is refused, and nothing is stored.
	_, body = c.post("/plan", url.Values{"csrf": {csrf}, "key": {"00ff"}, "decision": {"approve"}})
	mustContain(t, body, "Nothing decided: the change is no longer held")
	if d, _ := dec.Decisions(t.Context()); len(d) != 2 {
		t.Errorf("a decision on an unknown key was stored: %+v", d)
	}
	if code, _ := c.post("/plan", url.Values{"csrf": {csrf}, "key": {srvKey}, "decision": {"maybe"}}); code != http.StatusBadRequest {
		t.Errorf("decision maybe: %d, want 400", code)
	}
	// Approve all: the rejected one too.
	_, body = c.post("/plan", url.Values{"csrf": {csrf}, "key": {srvKey}, "decision": {"approve-all"}})
	mustNotContain(t, body, "Held for approval")
	// The usage back at the billed value: nothing is held any more.
	w.opts.Planner.(guardPlanner).plan.Changes = nil
	_, body = c.get("/plan")
	mustNotContain(t, body, "Held for approval")
}

func TestUsageViewAndExport(t *testing.T) {
	t.Parallel()
	w, _ := guardWorld(t)
	c := w.serve(t)
	code, body := c.get("/usage?tenant=vs-1&days=30")
	if code != http.StatusOK {
		t.Fatalf("GET /usage: %d\n%s", code, body)
	}
	if n := strings.Count(body, `<g class="series"`); n != 3 {
		t.Errorf("%d series in the chart, want 3", n)
	}
	if n := strings.Count(body, `class="date-label"`); n != 6 {
		t.Errorf("%d date labels, want 6", n)
	}
	mustContain(t, body, `<svg id="usage-chart"`, "stroke-dasharray=\"8 4\"", `marker-mid="url(#m2)"`,
		"+2 Windows servers", "the usage changed from 10 to 12", `href="usage.csv?tenant=vs-1"`)
	_, all := c.get("/usage.csv")
	_, one := c.get("/usage.csv?tenant=vs-1")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(one, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+30*3 || rows[0][0] != "day" || rows[1][3] != "KESB-ADV-SRV" || rows[90][3] != "KESC-PLUS" {
		t.Errorf("export: %d rows; first %v", len(rows), rows[:2])
	}
	if all != one {
		t.Error("the export of all tenants differs from the only tenant's")
	}
}

// The billing guard's policy is set on the Billing plan tab: saved in the
// integration's mapping, shown again after the redirect, checked, and a stale
// form is refused without changing the saved policy.
func TestPlanGuardPolicyForm(t *testing.T) {
	t.Parallel()
	w, _ := guardWorld(t)
	c := w.serve(t)
	_, body := c.get("/plan")
	mustContain(t, body, `id="guard-form"`, `value="inherit" checked`)
	csrf := csrfRE.FindStringSubmatch(body)[1]
	rev := regexp.MustCompile(`id="guard-form">\s*<input type="hidden" name="csrf" value="[^"]*"><input type="hidden" name="revision" value="(\d+)"`).FindStringSubmatch(body)
	if rev == nil {
		t.Fatalf("no revision in the guard form:\n%s", body)
	}
	base := regexp.MustCompile(`(?s)id="guard-form">.*?name="base" value="([^"]*)"`).FindStringSubmatch(body)
	if base == nil {
		t.Fatalf("no base in the guard form:\n%s", body)
	}
	hold := url.Values{"csrf": {csrf}, "revision": {rev[1]}, "base": {html.UnescapeString(base[1])}, "guard-mode": {"hold"}, "drop-percent": {"30"}, "drop-units": {"5"}}
	code, body := c.post("/guard", hold)
	if code != http.StatusOK {
		t.Fatalf("save: %d\n%s", code, body)
	}
	mustContain(t, body, "Billing guard saved", `value="hold" checked`, `name="drop-percent" min="0" max="100" value="30"`, `value="5"`)
	cfg := w.saved(t)
	if g := cfg.BillingGuard; g == nil || g.Mode != mapping.GuardHold || g.DropPercent != 30 || g.DropUnits != 5 {
		t.Fatalf("saved policy %+v", cfg.BillingGuard)
	}
	// The same form posted again (a double click, a reload): already saved,
	// nothing written.
	_, body = c.post("/guard", hold)
	mustContain(t, body, "Billing guard saved")
	if again := w.saved(t); again.Revision != cfg.Revision {
		t.Errorf("a repeated submit saved again: revision %d → %d", cfg.Revision, again.Revision)
	}
	// Another policy on the old form: the guard changed since it was loaded,
	// so it is refused and the saved policy kept.
	_, body = c.post("/guard", url.Values{"csrf": {csrf}, "revision": {rev[1]}, "base": {html.UnescapeString(base[1])}, "guard-mode": {"apply"}})
	mustContain(t, body, "Billing guard: Not saved")
	if g := w.saved(t).BillingGuard; g == nil || g.Mode != mapping.GuardHold {
		t.Errorf("a stale form changed the policy to %+v", g)
	}
	// Out of range and unknown modes are refused before anything is saved.
	for _, v := range []url.Values{
		{"guard-mode": {"hold"}, "drop-percent": {"150"}},
		{"guard-mode": {"hold"}, "drop-units": {"-1"}},
		{"guard-mode": {"sometimes"}},
		{"guard-mode": {"hold"}, "drop-percent": {"ten"}},
	} {
		v.Set("csrf", csrf)
		v.Set("revision", strconv.FormatInt(cfg.Revision, 10))
		if code, _ := c.post("/guard", v); code != http.StatusBadRequest {
			t.Errorf("%v: %d, want 400", v, code)
		}
	}
	// Back to the daemon's configuration.
	_, body = c.post("/guard", url.Values{"csrf": {csrf}, "revision": {strconv.FormatInt(cfg.Revision, 10)}, "guard-mode": {"inherit"}})
	mustContain(t, body, "Billing guard saved", `value="inherit" checked`)
	if g := w.saved(t).BillingGuard; g != nil {
		t.Errorf("inherit saved %+v, want no policy", g)
	}
}
