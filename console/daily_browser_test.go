package console

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

// The console as the MSP's daily tool, in Chromium: the status page, the
// price book drop-downs, safe saves, the keyboard, axe-core on every tab of
// both solutions, and narrow windows.

var cycleStart = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// statusRuntime is a runtime whose last billing cycle failed for Contoso
// (its account is not cross-referenced to the External Product, and a price
// book item was deleted), with a close pending on a locked order. Run now on
// billing runs a cycle in which Contoso succeeds.
func statusRuntime() *fakeRuntime {
	return &fakeRuntime{
		jobs: []JobState{
			{Job: JobBilling, State: "partial", Role: "leader", LastStart: cycleStart, LastError: "1 agreement skipped",
				NextRun: cycleStart.Add(time.Hour),
				Cycles: []CycleState{{Start: cycleStart, Duration: 2500 * time.Millisecond, Outcome: "partial", Error: "1 agreement skipped"},
					{Start: cycleStart.Add(-time.Hour), Duration: 2 * time.Second, Outcome: "ok"}}},
			{Job: JobServiceOrders, State: "ok", Role: "leader", LastStart: cycleStart, NextRun: cycleStart.Add(5 * time.Minute),
				Cycles: []CycleState{{Start: cycleStart, Duration: time.Second, Outcome: "ok"}}},
		},
		tenants: []TenantState{
			{Job: JobBilling, Tenant: "vs-1", Start: cycleStart, Errors: []error{
				fmt.Errorf("agreement 501 skipped: automatic billing is on, but account 101 is not cross-referenced to external product 7: %w", mapping.ErrNotCrossReferenced),
				fmt.Errorf("billing: create agreement 501 item KESB-OLD: %w", &tigerpaw.APIError{StatusCode: http.StatusNotFound, Message: "Price book item KESB-OLD was not found."}),
			}},
			{Job: JobBilling, Tenant: "vs-2", Start: cycleStart, Created: 2, Unchanged: 5},
			{Job: JobServiceOrders, Tenant: "vs-2", Start: cycleStart, OrdersCreated: 1, OrdersPending: 1},
		},
		pending: []PendingClose{{Tenant: "vs-2", Order: 4711, Since: cycleStart}},
		onRun: func(f *fakeRuntime, job string) {
			if job != JobBilling {
				return
			}
			start := cycleStart.Add(2 * time.Hour)
			f.jobs[0].State, f.jobs[0].LastError = "ok", ""
			f.jobs[0].Cycles = append([]CycleState{{Start: start, Duration: time.Second, Outcome: "ok"}}, f.jobs[0].Cycles...)
			f.tenants[0] = TenantState{Job: JobBilling, Tenant: "vs-1", Start: start, Created: 3}
			f.tenants[1].Start = start
		},
	}
}

// TestBrowserStatusPage: the first page shows a failing tenant's errors,
// named as the MSP knows them, each with its fix; the pending close with its
// order; Run now starts a cycle whose result then appears; and the page
// refreshes itself without a reload.
func TestBrowserStatusPage(t *testing.T) {
	w := newWorld(t)
	rt := statusRuntime()
	w.opts.Runtime = rt
	b := openBrowser(t, w)
	b.open("")
	b.wantText("#job-billing-state", "partial")
	b.wantText("#job-billing-role", "leader")
	b.wantText("#job-billing-running", "no")
	b.wantText("#job-billing-cycles", "2.5s")
	contoso := `#tenants-billing li.tenant:first-child`
	b.wantText(contoso+" .tenant-name", "Contoso")
	b.wantText(contoso+" .outcome", "2 error(s)")
	// The error names the account by its name, not its number alone.
	b.wantText(contoso+" .errors li:nth-child(1) .error-text", "account Contoso Ltd (101) is not cross-referenced to the integration's External Product")
	b.wantText(contoso+" .errors li:nth-child(1) .fix", "Assign External Products to an Account")
	b.wantText(contoso+" .errors li:nth-child(2) .fix", "deleted in Tigerpaw")
	if got := b.text(contoso + ` .errors li:nth-child(2) .fix a[href="pricebook"]`); got == "" {
		t.Error("the deleted item's fix does not link to the Price book items tab")
	}
	b.wantText(`#tenants-billing li.tenant:nth-child(2)`, "Fabrikam: OK, 2 charges created, 0 updated, 0 deleted, 5 unchanged")
	b.wantText("#pending-list", "Order 4711 of Fabrikam")

	// Run now: the cycle's result appears on the page it returns to.
	b.clickLoads("run-billing")
	b.wantText("#notice", "Billing cycle started.")
	b.wantText(contoso, "Contoso: OK, 3 charges created")
	b.wantText("#job-billing-state", "ok")

	// The page refreshes itself: a change of the runtime shows up without a
	// reload (the page's own variable survives).
	eval[chromedp.Void](b, `window.notReloaded = true`)
	rt.mu.Lock()
	rt.pending = append(rt.pending, PendingClose{Tenant: "vs-1", Order: 4712, LockedBy: "Dana Helpdesk"})
	rt.mu.Unlock()
	b.waitFor("the status to refresh itself", `document.getElementById("pending-list").textContent.includes("4712")`)
	if !eval[bool](b, `window.notReloaded === true`) {
		t.Error("the status page reloaded itself instead of refreshing its status")
	}
	b.wantText("#pending-list", "Order 4712 of Contoso, locked by Dana Helpdesk")
}

// TestBrowserPriceBookFromList: the items are chosen from Tigerpaw's list;
// toggling Bill devices by category off and on keeps what was chosen; the
// list offers no other item, and a stale or crafted one is refused.
func TestBrowserPriceBookFromList(t *testing.T) {
	w := newWorld(t)
	b := openBrowser(t, w)
	b.open("pricebook")
	want := []string{"", "KESB-ADV-NW", "KESB-ADV-SRV", "KESB-ADV-WS", "KESC-PLUS"}
	for _, id := range []string{"item-kesb-advanced", "workstations-kesb-advanced", "item-kes-cloud-plus"} {
		if got := b.options(id); !cmp.Equal(got, want) {
			t.Errorf("#%s offers %v, want Tigerpaw's items %v", id, got, want)
		}
	}
	if got := b.text(`#item-kesb-advanced option[value="KESB-ADV-WS"]`); !strings.Contains(got, "KESB-ADV-WS — item KESB-ADV-WS") {
		t.Errorf("an item's option says %q, want its number and description", got)
	}
	// Keyboard: Space on the toggle shows the category slots, no reload.
	eval[chromedp.Void](b, `window.notReloaded = true`)
	b.do("focus the toggle", chromedp.Focus("#byCategory"))
	b.do("Space on the toggle", chromedp.KeyEvent(" "))
	if !b.checked("byCategory") || !b.visible("workstations-kesb-advanced") || b.visible("item-kesb-advanced") {
		t.Fatal("Space on Bill devices by category did not show the category slots")
	}
	b.choose("workstations-kesb-advanced", "KESB-ADV-WS")
	b.choose("servers-kesb-advanced", "KESB-ADV-SRV")
	b.choose("nonWindows-kesb-advanced", "KESB-ADV-NW")
	// Off and on again: the staged items stay.
	b.click("byCategory")
	b.click("byCategory")
	if got := []string{b.value("workstations-kesb-advanced"), b.value("servers-kesb-advanced"), b.value("nonWindows-kesb-advanced")}; !cmp.Equal(got, []string{"KESB-ADV-WS", "KESB-ADV-SRV", "KESB-ADV-NW"}) {
		t.Errorf("after toggling off and on the staged items are %v", got)
	}
	if !eval[bool](b, `window.notReloaded === true`) || eval[string](b, `document.activeElement.id`) != "byCategory" {
		t.Error("the toggle reloaded the page or moved the focus")
	}
	// Without JavaScript the refresh button re-renders: the staged items of
	// both modes are kept too.
	b.do("unhide refresh", chromedp.Evaluate[chromedp.Void](`document.getElementById("refresh").hidden = false`))
	b.click("byCategory") // off
	b.clickLoads("refresh")
	b.click("byCategory") // on again
	if got := b.value("servers-kesb-advanced"); got != "KESB-ADV-SRV" {
		t.Errorf("after a refresh in the single-item mode the staged server item is %q", got)
	}
	b.clickLoads("save")
	b.wantText("#notice", "Saved.")
	items, _ := w.saved(t).PriceBook.Lookup("kesb-advanced")
	if items.Workstations != "KESB-ADV-WS" || items.Servers != "KESB-ADV-SRV" || items.NonWindows != "KESB-ADV-NW" {
		t.Errorf("saved %+v", items)
	}

	// A deleted item (a stale page) cannot be saved.
	before := w.saved(t)
	b.addOption("item-kes-cloud", "GONE-1")
	b.clickLoads("save")
	b.wantText("#page-error", "not in Tigerpaw's price book")
	if diff := cmp.Diff(before, w.saved(t)); diff != "" {
		t.Errorf("an unknown item was saved:\n%s", diff)
	}
}

// TestBrowserSafeSaves: a double-click on Save shows Saved (not a conflict),
// and a reload after a save posts nothing.
func TestBrowserSafeSaves(t *testing.T) {
	w := newWorld(t)
	var posts atomic.Int32
	w.wrap = func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				posts.Add(1)
			}
			h.ServeHTTP(rw, r)
		})
	}
	b := openBrowser(t, w)
	b.open("pricebook")
	b.choose("item-kesb-advanced", "KESB-ADV-WS")
	// Two clicks as fast as a double-click: the second submit replaces the
	// first navigation.
	b.loads("double-click Save", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("save"); s.click(); s.click(); })()`))
	b.waitFor("the saved page", `document.readyState === "complete" && location.pathname === "/pricebook"`)
	b.wantText("#notice", "Saved.")
	if got := b.text("#page-error"); got != "" {
		t.Errorf("a double-click on Save shows an error: %q", got)
	}
	if items, _ := w.saved(t).PriceBook.Lookup("kesb-advanced"); items.Item != "KESB-ADV-WS" {
		t.Errorf("saved %+v", items)
	}
	t.Logf("the double-click posted %d time(s)", posts.Load())

	// Reload: the page is fetched again, nothing is posted.
	n := posts.Load()
	rev := w.saved(t).Revision
	b.loads("reload", chromedp.Reload())
	if got := posts.Load(); got != n {
		t.Errorf("the reload posted %d time(s)", got-n)
	}
	if got := b.text("#page-error"); got != "" {
		t.Errorf("the reload shows an error: %q", got)
	}
	if got := w.saved(t).Revision; got != rev {
		t.Errorf("the reload saved: revision %d -> %d", rev, got)
	}
}

// TestBrowserAccountKeyboard: ArrowDown and ArrowUp move through an account
// drop-down without a reload; the focus stays on it and the row's agreements
// follow the account.
func TestBrowserAccountKeyboard(t *testing.T) {
	w := newWorld(t)
	b := openBrowser(t, w)
	b.open("accounts")
	eval[chromedp.Void](b, `window.notReloaded = true`)
	b.do("focus the account", chromedp.Focus("#account-0"))
	step := func(key, want string, agreements []string) {
		t.Helper()
		b.do("press "+key, chromedp.KeyEvent(key))
		if got := b.value("account-0"); got != want {
			t.Fatalf("after %q the account is %q, want %q", key, got, want)
		}
		b.waitFor("the agreements of "+want, fmt.Sprintf(`document.querySelector('input[name="shown.0"]').value === %q`, want))
		if got := b.options("agreement-0"); !cmp.Equal(got, agreements) {
			t.Errorf("agreements of %s: %v, want %v", want, got, agreements)
		}
		if got := eval[string](b, `document.activeElement.id`); got != "account-0" {
			t.Errorf("after %q the focus is on #%s", key, got)
		}
	}
	step(kb.ArrowDown, "101", []string{"", "501"})
	step(kb.ArrowDown, "102", []string{"", "502"})
	step(kb.ArrowUp, "101", []string{"", "501"})
	if !eval[bool](b, `window.notReloaded === true`) {
		t.Error("the arrow keys reloaded the page")
	}
	// The staged account and agreement save.
	b.choose("agreement-0", "501")
	b.clickLoads("save")
	b.wantText("#notice", "Saved.")
	if a := w.saved(t).Tenants[0].Account; a == nil || a.Number != 101 || a.Billing.Agreement != 501 {
		t.Errorf("saved %+v", a)
	}
}

// checkA11ySerious runs axe-core on the page and fails the test on a
// violation of impact serious or critical; it logs the rules it checked and
// the lesser violations.
func (b *browserTab) checkA11ySerious(what, src string) {
	b.t.Helper()
	if !eval[bool](b, `typeof axe !== "undefined"`) {
		eval[chromedp.Void](b, src)
	}
	js := `axe.run(document, {resultTypes: ["violations"]}).then(r => ({
		checked: [...r.passes, ...r.violations, ...r.incomplete, ...r.inapplicable].map(x => x.id).sort(),
		violations: r.violations.map(v => v.impact + "|" + v.id + ": " + v.help + " at " + v.nodes.map(n => n.target.join(" ")).join(", "))}))`
	res, err := chromedp.Run(b.ctx, chromedp.Evaluate[axeResult](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe on %s: %v", what, err)
	}
	if len(res.Checked) == 0 {
		b.t.Errorf("axe on %s checked no rule", what)
	}
	b.t.Logf("axe on %s checked %d rules: %s", what, len(res.Checked), strings.Join(res.Checked, " "))
	for _, v := range res.Violations {
		impact, rest, _ := strings.Cut(v, "|")
		if impact == "serious" || impact == "critical" {
			b.t.Errorf("axe on %s: %s (%s)", what, rest, impact)
		} else {
			b.t.Logf("axe on %s, impact %s: %s", what, impact, rest)
		}
	}
}

// ownPages are the console pages besides Service orders (which has its own
// browser tests, section by section), with a runtime.
var ownPages = []string{"", "companies", "accounts", "pricebook", "plan", "usage", "unmapped"}

// TestBrowserA11yBothSolutions: axe-core finds no serious or critical
// violation on the status page and the Companies, Accounts, Price book items
// and Unmapped accounts tabs, for a KSC and a Business Hub integration, also
// with validation errors shown.
func TestBrowserA11yBothSolutions(t *testing.T) {
	axe := axeSource(t)
	for _, sol := range []struct {
		name string
		w    func(testing.TB) *world
	}{{"KSC", newWorld}, {"Business Hub", hubWorld}} {
		t.Run(sol.name, func(t *testing.T) {
			w := sol.w(t)
			w.opts.Runtime = statusRuntime()
			b := openBrowser(t, w)
			for _, p := range ownPages {
				b.open(p)
				b.checkA11ySerious(sol.name+" /"+p, axe)
			}
			b.open("accounts")
			b.addOption("account-0", "999")
			b.clickLoads("save")
			b.checkA11ySerious(sol.name+" accounts with errors", axe)
			b.open("pricebook")
			b.click("byCategory")
			b.checkA11ySerious(sol.name+" price book by category", axe)
			b.open("accounts?q=nomatch")
			b.checkA11ySerious(sol.name+" accounts, no match", axe)
			b.open("accounts")
			b.addOption("externalProduct", "99")
			b.clickLoads("save-product")
			b.checkA11ySerious(sol.name+" accounts, External Product refused", axe)
			w.dir.FailNext("ExternalProducts", errors.New("tigerpaw: GET /api/mastertables/externalproducts: 503 Service Unavailable"))
			b.open("accounts")
			b.checkA11ySerious(sol.name+" accounts, External Products not readable", axe)
		})
	}
}

// TestBrowserNarrowWindows: at 800 and 480 px the pages do not scroll
// sideways (a table scrolls in its own box); screenshots of the status page
// and the Price book items tab at 1280 and 480 px.
func TestBrowserNarrowWindows(t *testing.T) {
	w := newWorld(t)
	w.opts.Runtime = statusRuntime()
	b := openBrowser(t, w)
	for _, width := range []int64{1280, 800, 480} {
		b.do(fmt.Sprintf("viewport %d", width), chromedp.EmulateViewport(width, 900))
		for _, p := range ownPages {
			b.open(p)
			if width < 1280 {
				if sw, iw := eval[int](b, `document.documentElement.scrollWidth`), eval[int](b, `window.innerWidth`); sw > iw {
					t.Errorf("at %d px /%s is %d px wide: it scrolls sideways", width, p, sw)
				}
			}
			// Labels stay with their controls: a price book slot's label is
			// right above its drop-down.
			if p == "pricebook" {
				b.click("byCategory")
				gap := eval[float64](b, `(() => { const s = document.getElementById("servers-kesb-advanced"), l = document.getElementById("label-servers-kesb-advanced");
					return s.getBoundingClientRect().top - l.getBoundingClientRect().bottom; })()`)
				if gap < -1 || gap > 8 {
					t.Errorf("at %d px the Windows servers label is %.0f px from its drop-down", width, gap)
				}
				b.click("byCategory")
			}
			if width != 800 && (p == "" || p == "pricebook") {
				name := "status"
				if p != "" {
					name = p
				}
				b.screenshot(fmt.Sprintf("%s-%d", name, width))
			}
		}
	}
}
