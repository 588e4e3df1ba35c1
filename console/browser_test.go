package console

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/internal/testenv"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// The browser tests drive the console in a real headless Chromium: the binary
// named by KT_CHROMIUM, else chromium (Debian's package), chromium-browser or
// google-chrome on the PATH. One browser process serves every test of the
// package; each test has its own tab. Screenshots go to KT_CONSOLE_SCREENSHOTS
// when set, else to the test's temp dir.

// rebindHost is a name the shared browser resolves to 127.0.0.1.
const rebindHost = "rebind.attacker.test"

// browserTimeout bounds each browser test.
const browserTimeout = 45 * time.Second

var shared struct {
	once    sync.Once
	bin     string
	ctx     context.Context // the browser's
	cancel  func()
	err     error
	dataDir string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cancel != nil {
		shared.cancel()
	}
	if shared.dataDir != "" {
		os.RemoveAll(shared.dataDir)
	}
	os.Exit(code)
}

// chromiumPath finds the browser binary, or "".
func chromiumPath() string {
	if p := os.Getenv("KT_CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
		return ""
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// startBrowser starts the shared browser once.
func startBrowser() {
	s := &shared
	s.bin = chromiumPath()
	if s.bin == "" {
		return
	}
	dir, err := os.MkdirTemp("", "kt-chromium-")
	if err != nil {
		s.err = err
		return
	}
	s.dataDir = dir
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(s.bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(dir), chromedp.WindowSize(1280, 900),
		// rebindHost resolves to loopback, as an attacker's name does after
		// DNS rebinding (TestBrowserRebinding).
		chromedp.Flag("host-resolver-rules", "MAP "+rebindHost+" 127.0.0.1"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	s.ctx, s.cancel = bctx, func() { cancelBrowser(); cancelAlloc() }
	start, cancelStart := context.WithTimeout(bctx, 30*time.Second)
	defer cancelStart()
	// Starting the browser has no deadline of its own: bound it from outside.
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(bctx) }()
	select {
	case s.err = <-done:
	case <-start.Done():
		s.err = fmt.Errorf("starting %s: %w", s.bin, start.Err())
	}
}

// browserTab is a tab of the shared browser on the console of w.
type browserTab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// openBrowser serves w's console and opens a tab on it; the test skips (fails
// under KT_CI) when no Chromium is found.
func openBrowser(t *testing.T, w *world) *browserTab {
	t.Helper()
	shared.once.Do(startBrowser)
	if shared.bin == "" {
		what := "chromium (no chromium, chromium-browser or google-chrome on the PATH)"
		if p := os.Getenv("KT_CHROMIUM"); p != "" {
			what = "chromium binary KT_CHROMIUM=" + p
		}
		testenv.Missing(t, what, "set KT_CHROMIUM to a Chromium binary or install Debian's chromium package")
	}
	if shared.err != nil {
		t.Fatalf("chromium %s: %v", shared.bin, shared.err)
	}
	h, err := New(w.opts)
	if err != nil {
		t.Fatal(err)
	}
	if w.wrap != nil {
		h = w.wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	tctx, cancelTab := chromedp.NewContext(shared.ctx)
	ctx, cancel := context.WithTimeout(tctx, browserTimeout)
	t.Cleanup(func() { cancel(); cancelTab() })
	return &browserTab{t: t, ctx: ctx, base: srv.URL + "/"}
}

func (b *browserTab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open loads a page of the console.
func (b *browserTab) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path))
}

// loads runs trigger and waits for the page it loads.
func (b *browserTab) loads(what string, trigger chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.WaitEvent(cdppage.LoadEventFired, nil, trigger)); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// clickLoads clicks the element with id and waits for the page it loads.
func (b *browserTab) clickLoads(id string) {
	b.t.Helper()
	b.loads("click #"+id, chromedp.Click(chromedp.ID(id)))
}

// click clicks the element with id (a check box, say).
func (b *browserTab) click(id string) {
	b.t.Helper()
	b.do("click #"+id, chromedp.Click(chromedp.ID(id)))
}

// choose sets the value of a drop-down or field without events.
func (b *browserTab) choose(id, value string) {
	b.t.Helper()
	b.do("set #"+id, chromedp.SetValue(chromedp.ID(id), value))
}

// chooseLoads picks value in a data-refresh drop-down as a user would (a
// change event), which makes console.js re-render the form.
func (b *browserTab) chooseLoads(id, value string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.getElementById(%q); e.value = %q; e.dispatchEvent(new Event("change", {bubbles: true})); })()`, id, value)
	b.loads("choose "+value+" in #"+id, chromedp.Evaluate[chromedp.Void](js))
}

// chooseAccount picks an account in a row's drop-down as a user would (a
// change event) and waits until console.js has listed its agreements, the
// page staying where it is.
func (b *browserTab) chooseAccount(row int, value string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.getElementById("account-%d"); e.value = %q; e.dispatchEvent(new Event("change", {bubbles: true})); })()`, row, value)
	eval[chromedp.Void](b, js)
	b.waitFor(fmt.Sprintf("the agreements of account %s", value), fmt.Sprintf(`document.querySelector('input[name="shown.%d"]').value === %q`, row, value))
}

// waitFor polls the JavaScript condition cond until it holds, and fails the
// test when it does not within 15 seconds.
func (b *browserTab) waitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if eval[bool](b, "!!("+cond+")") {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting for %s: %s never held", what, cond)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// eval runs a JavaScript expression and returns its value.
func eval[T any](b *browserTab, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

func (b *browserTab) value(id string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`document.getElementById(%q).value`, id))
}

// visible reports whether the element with id is shown.
func (b *browserTab) visible(id string) bool {
	b.t.Helper()
	return eval[bool](b, fmt.Sprintf(`(e => !!e && e.getClientRects().length > 0)(document.getElementById(%q))`, id))
}

func (b *browserTab) checked(id string) bool {
	b.t.Helper()
	return eval[bool](b, fmt.Sprintf(`document.getElementById(%q).checked`, id))
}

// text is the text of the first element matching css, or "" when none does.
func (b *browserTab) text(css string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%q) || {textContent: ""}).textContent.trim()`, css))
}

// options are the values of a drop-down's options.
func (b *browserTab) options(id string) []string {
	b.t.Helper()
	return eval[[]string](b, fmt.Sprintf(`[...document.getElementById(%q).options].map(o => o.value)`, id))
}

// addOption adds an option to a drop-down and selects it: what a stale page,
// or a hand-made request, would post.
func (b *browserTab) addOption(id, value string) {
	b.t.Helper()
	eval[chromedp.Void](b, fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.add(new Option(%q, %q)); s.value = %q; })()`, id, value, value, value))
}

func (b *browserTab) wantText(css, want string) {
	b.t.Helper()
	if got := b.text(css); !strings.Contains(got, want) {
		b.t.Errorf("%s says %q, want it to contain %q", css, got, want)
	}
}

// screenshot saves the whole page as name.png.
func (b *browserTab) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("KT_CONSOLE_SCREENSHOTS")
	if dir == "" {
		dir = b.t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s (%d bytes)", path, len(png))
}

func TestBrowserCompanies(t *testing.T) {
	w := newWorld(t)
	b := openBrowser(t, w)
	b.open("companies")
	if !b.checked("tenant-vs-1") || !b.checked("tenant-vs-2") || b.checked("tenant-vs-3") {
		t.Errorf("check boxes: vs-1 %v vs-2 %v vs-3 %v; want the saved tenants checked", b.checked("tenant-vs-1"), b.checked("tenant-vs-2"), b.checked("tenant-vs-3"))
	}
	if eval[bool](b, `document.getElementById("tenant-vs-4") !== null`) {
		t.Error("Taken Co, in another integration, is offered")
	}
	// Cancel: an unchecked box comes back.
	b.click("tenant-vs-1")
	b.clickLoads("cancel")
	if !b.checked("tenant-vs-1") {
		t.Error("Cancel changes did not show the saved tenants")
	}
	b.click("tenant-vs-3")
	b.screenshot("companies")
	b.clickLoads("save")
	b.wantText("#notice", "Saved.")
	var ids []string
	for _, tn := range w.saved(t).Tenants {
		ids = append(ids, tn.ID)
	}
	if want := []string{"vs-1", "vs-2", "vs-3"}; !cmp.Equal(ids, want) {
		t.Errorf("saved tenants %v, want %v", ids, want)
	}
	// Reset shows no tenant, saves nothing.
	b.clickLoads("reset")
	if b.checked("tenant-vs-1") || b.checked("tenant-vs-3") {
		t.Error("Reset to defaults left tenants checked")
	}
	if n := len(w.saved(t).Tenants); n != 3 {
		t.Errorf("Reset saved: %d tenants", n)
	}
	b.open("companies")
	if !b.checked("tenant-vs-3") {
		t.Error("after reload vs-3 is not checked")
	}
}

func TestBrowserAccountsMapBillCancelResetSave(t *testing.T) {
	w := newWorld(t)
	b := openBrowser(t, w)
	b.open("accounts")
	// Choosing the account lists its recurring agreements in the row.
	b.chooseAccount(0, "101")
	if got, want := b.options("agreement-0"), []string{"", "501"}; !cmp.Equal(got, want) {
		t.Errorf("agreements offered for account 101: %v, want %v", got, want)
	}
	b.click("billing-0")
	b.choose("agreement-0", "501")
	b.choose("level-0", "2")
	b.clickLoads("save")
	b.wantText("#notice", "Saved.")
	want := &mapping.AccountMapping{Number: 101, Billing: mapping.Billing{Enabled: true, Agreement: 501, PriceLevel: 2}}
	if diff := cmp.Diff(want, w.saved(t).Tenants[0].Account); diff != "" {
		t.Fatalf("saved account (-want +got):\n%s", diff)
	}
	saved := w.saved(t)

	// Cancel: the changed price level goes back to the saved one.
	b.choose("level-0", "1")
	b.clickLoads("cancel")
	if got := b.value("level-0"); got != "2" {
		t.Errorf("after Cancel the price level is %q, want 2", got)
	}
	// Reset: every company unmapped on the page, nothing saved.
	b.clickLoads("reset")
	if got := b.value("account-0"); got != "" {
		t.Errorf("after Reset account-0 is %q, want unmapped", got)
	}
	if diff := cmp.Diff(saved, w.saved(t)); diff != "" {
		t.Errorf("Cancel or Reset changed the store:\n%s", diff)
	}
	// Reload: the saved state.
	b.open("accounts")
	if a, ag, l, on := b.value("account-0"), b.value("agreement-0"), b.value("level-0"), b.checked("billing-0"); a != "101" || ag != "501" || l != "2" || !on {
		t.Errorf("after reload: account %q agreement %q level %q billing %v; want 101 501 2 true", a, ag, l, on)
	}
	b.screenshot("accounts")
}

func TestBrowserAccountsBadInput(t *testing.T) {
	w := newWorld(t)
	b := openBrowser(t, w)
	before := w.saved(t)
	unchanged := func(what string) {
		t.Helper()
		if diff := cmp.Diff(before, w.saved(t)); diff != "" {
			t.Errorf("%s changed the store:\n%s", what, diff)
		}
	}

	b.open("accounts")
	b.addOption("account-0", "999")
	b.clickLoads("save")
	b.wantText("#account-0 + .field-error", "999")
	b.wantText("#page-error", "Not saved")
	unchanged("an unknown account")

	b.open("accounts")
	b.chooseAccount(0, "101")
	b.click("billing-0")
	b.choose("level-0", "2")
	b.addOption("agreement-0", "502") // Fabrikam's
	b.clickLoads("save")
	b.wantText("#agreement-0 + .field-error", "502")
	unchanged("an agreement of another account")

	// Billing on without an agreement: the required agreement is named next
	// to its drop-down.
	b.choose("agreement-0", "")
	b.clickLoads("save")
	b.wantText("#agreement-0 + .field-error", "agreement")
	unchanged("a missing agreement")
}

func TestBrowserServiceOrders(t *testing.T) {
	w := newWorld(t)
	b := openBrowser(t, w)
	before, _, _ := w.rules.LoadRules(context.Background())

	// General: all three are required; the browser refuses an empty one, and
	// the server does too (with the check removed, as an old browser would).
	b.open("serviceorders")
	b.choose("closedStatus", "")
	if eval[bool](b, `document.getElementById("closedStatus").checkValidity()`) {
		t.Error("an empty closed status passes the browser's check")
	}
	b.do("drop the required attributes", chromedp.RemoveAttribute(chromedp.ID("closedStatus"), "required"))
	b.clickLoads("save")
	b.wantText("label:has(#closedStatus) + .field-error", "required")
	b.wantText("#page-error", "closed status")
	if got, _, _ := w.rules.LoadRules(context.Background()); !cmp.Equal(got, before) {
		t.Error("a General without closed status was saved")
	}

	// The page shows changes that are not saved: leaving asks first, in the
	// messages; following the link again leaves.
	b.click("section-warning")
	b.wantText("#messages #leave-warning", "not saved")
	if got := eval[string](b, `location.search`); got != "" {
		t.Errorf("the first click on a section link with unsaved changes left for %q", got)
	}
	// Warning status: select three rows and edit them together.
	b.clickLoads("section-warning")
	rows := eval[[]string](b, `[...document.querySelectorAll("#rules tbody tr")].map(r => r.id.slice("rule-".length))`)
	if len(rows) < 3 {
		t.Fatalf("%d warning status rows", len(rows))
	}
	sel := rows[:3]
	for _, i := range sel {
		b.click("sel-" + i)
	}
	b.choose("bulk-on", "on")
	b.choose("bulk-board", "2")
	b.choose("bulk-priority", "Low")
	b.choose("bulk-type", "Security alert")
	b.clickLoads("bulk-edit")
	b.wantText("#notice", "applied to the selected rows")
	for _, i := range rows[:4] {
		on, board, prio := b.checked("on-"+i), b.value("board-"+i), b.value("priority-"+i)
		edited := i != rows[3]
		if edited != (on && board == "2" && prio == "Low" && b.value("type-"+i) == "Security alert") {
			t.Errorf("row %s after the bulk edit: on %v board %q priority %q (edited: %v)", i, on, board, prio, edited)
		}
	}
	if got, _, _ := w.rules.LoadRules(context.Background()); !cmp.Equal(got, before) {
		t.Error("the bulk edit saved before Save changes")
	}
	b.screenshot("serviceorders")
	b.clickLoads("save")
	b.wantText("#notice", "Saved.")
	saved, _, _ := w.rules.LoadRules(context.Background())
	want := serviceorder.OrderSettings{Enabled: true, Board: 2, Priority: "Low", Type: "Security alert"}
	n := 0
	for _, s := range saved.Statuses {
		if s.OrderSettings == want {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d status rules saved with the bulk settings, want 3", n)
	}

	// Cancel brings back the saved row; Reset shows the defaults, saves nothing.
	b.choose("priority-"+sel[0], "High")
	b.clickLoads("cancel")
	if got := b.value("priority-" + sel[0]); got != "Low" {
		t.Errorf("after Cancel the priority is %q, want Low", got)
	}
	b.clickLoads("reset")
	if b.checked("on-" + sel[0]) {
		t.Error("after Reset the row still creates orders")
	}
	if got, _, _ := w.rules.LoadRules(context.Background()); !cmp.Equal(got, saved) {
		t.Error("Cancel or Reset changed the stored rules")
	}
	b.open("serviceorders?section=warning")
	for _, i := range sel {
		if !b.checked("on-"+i) || b.value("priority-"+i) != "Low" {
			t.Errorf("after reload row %s: on %v priority %q", i, b.checked("on-"+i), b.value("priority-"+i))
		}
	}
}

func TestBrowserPriceBook(t *testing.T) {
	w := newWorld(t)
	b := openBrowser(t, w)
	b.open("pricebook")
	// Bill by category shows three items per device application; per-user
	// ones keep one.
	b.click("byCategory")
	if !b.visible("workstations-kesb-advanced") || b.visible("item-kesb-advanced") || !b.visible("item-kes-cloud-plus") ||
		eval[bool](b, `document.getElementById("workstations-kes-cloud-plus") !== null`) {
		t.Fatal("bill by category did not show the category items of device applications only")
	}
	b.choose("workstations-kesb-advanced", "KESB-ADV-WS")
	b.choose("servers-kesb-advanced", "KESB-ADV-SRV")
	b.choose("nonWindows-kesb-advanced", "KESB-ADV-NW")
	b.screenshot("pricebook")
	b.clickLoads("save")
	b.wantText("#notice", "Saved.")
	pb := w.saved(t).PriceBook
	items, ok := pb.Lookup("kesb-advanced")
	if !pb.BillByCategory || !ok || items.Workstations != "KESB-ADV-WS" || items.Servers != "KESB-ADV-SRV" || items.NonWindows != "KESB-ADV-NW" {
		t.Errorf("saved price book %+v", pb)
	}
	b.open("pricebook")
	if !b.checked("byCategory") || b.value("servers-kesb-advanced") != "KESB-ADV-SRV" || b.value("item-kes-cloud-plus") != "KESC-PLUS" {
		t.Error("after reload the price book is not the saved one")
	}
}

func TestBrowserViews(t *testing.T) {
	w := newWorld(t)
	b := openBrowser(t, w)
	b.open("plan")
	b.wantText("#plan-counts", "+ 1 to create")
	b.wantText("#plan tr.change-\\+", "KESB-ADV-WS")
	b.open("unmapped")
	b.choose("type", "Vendor")
	b.clickLoads("filter")
	b.wantText("#unmapped tbody", "Litware Supplies")
	if strings.Contains(b.text("#unmapped tbody"), "Northwind") {
		t.Error("the Vendor filter lists a customer")
	}
}

// TestBrowserRebinding is DNS rebinding in a real browser: a page of the
// attacker's name, resolved to 127.0.0.1, is of the same origin as the
// console under that name, so without the Host check its script could read
// the CSRF token and post. The console refuses every such request; nothing is
// saved.
func TestBrowserRebinding(t *testing.T) {
	w := newWorld(t)
	b := openBrowser(t, w)
	b.open("accounts")
	token := eval[string](b, `document.querySelector('input[name="csrf"]').value`)
	rev := eval[string](b, `document.querySelector('input[name="revision"]').value`)
	if token == "" {
		t.Fatal("no CSRF token on the Accounts tab")
	}
	before := w.saved(t)
	port := b.base[strings.LastIndex(b.base, ":")+1 : len(b.base)-1]
	b.do("open the attacker's page", chromedp.Navigate("http://"+rebindHost+":"+port+"/accounts"))
	if body := b.text("body"); strings.Contains(body, token) || !strings.Contains(body, "loopback host name") {
		t.Errorf("the console under the attacker's name answers:\n%s", body)
	}
	// The page's script reads a tab and posts the Accounts form.
	js := fmt.Sprintf(`(async () => {
		const page = await fetch("/accounts");
		const text = await page.text();
		const form = new URLSearchParams({csrf: %q, revision: %q, row: "0", "id.0": "vs-1", "account.0": "101",
			"shown.0": "101", "agreement.0": "501", "level.0": "2", "billing.0": "on", action: "save"});
		const post = await fetch("/accounts", {method: "POST", body: form});
		return [String(page.status), String(text.includes(%q)), String(post.status)];
	})()`, token, rev, token)
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("the attacker's script: %v", err)
	}
	if want := []string{"421", "false", "421"}; !cmp.Equal(got, want) {
		t.Errorf("the attacker's script got GET status, token read, POST status %v; want %v", got, want)
	}
	if diff := cmp.Diff(before, w.saved(t)); diff != "" {
		t.Errorf("the attacker's post changed the mapping:\n%s", diff)
	}
}

// axeSource is axe-core's axe.min.js, the accessibility checker: the file
// named by KT_AXE (.ci/services/axe-core.sh installs the pinned npm package
// and sets it). The test skips without it (fails under KT_CI).
func axeSource(t *testing.T) string {
	t.Helper()
	p := os.Getenv("KT_AXE")
	if p == "" {
		testenv.Missing(t, "axe-core (KT_AXE unset)", "set KT_AXE to axe.min.js of the npm package axe-core, as .ci/services/axe-core.sh does")
	}
	src, err := os.ReadFile(p)
	if err != nil {
		testenv.Missing(t, "axe-core at KT_AXE="+p, err.Error())
	}
	return string(src)
}

// axeResult is what checkA11y reads of axe.run's answer.
type axeResult struct {
	Checked    []string `json:"checked"`
	Violations []string `json:"violations"`
}

// checkA11y runs axe-core on the page and fails the test on any violation,
// whatever its impact; it logs the rules it checked.
func (b *browserTab) checkA11y(what, src string) {
	b.t.Helper()
	if !eval[bool](b, `typeof axe !== "undefined"`) {
		eval[chromedp.Void](b, src)
	}
	js := `axe.run(document, {resultTypes: ["violations"]}).then(r => ({
		checked: [...r.passes, ...r.violations, ...r.incomplete].map(x => x.id).sort(),
		violations: r.violations.map(v => v.id + " (" + v.impact + "): " + v.help + " at " + v.nodes.map(n => n.target.join(" ")).join(", "))}))`
	res, err := chromedp.Run(b.ctx, chromedp.Evaluate[axeResult](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe on %s: %v", what, err)
	}
	if len(res.Checked) == 0 {
		b.t.Errorf("axe on %s checked no rule", what)
	}
	b.t.Logf("axe on %s checked %d rules: %s", what, len(res.Checked), strings.Join(res.Checked, " "))
	for _, v := range res.Violations {
		b.t.Errorf("axe on %s: %s", what, v)
	}
}

// tabTo presses Tab until the element with id has the focus, as a keyboard
// user reaches a control, and fails when it never does.
func (b *browserTab) tabTo(id string) {
	b.t.Helper()
	for range 40 {
		b.do("press Tab", chromedp.KeyEvent(kb.Tab))
		if eval[string](b, `document.activeElement ? document.activeElement.id : ""`) == id {
			return
		}
	}
	b.t.Fatalf("Tab never reached #%s", id)
}

// overviewWorld is the test world with a runtime whose jobs are not
// configured, and on standby for service orders.
func overviewWorld(t *testing.T) (*world, *fakeRuntime) {
	w := newWorld(t)
	rt := notConfigured()
	rt.errs = map[string]error{JobServiceOrders: fmt.Errorf("runtime: %w", ErrNotLeader)}
	w.opts.Runtime = rt
	return w, rt
}

// TestBrowserOverview: the first page lists the jobs and what is missing, and
// Run now works from the keyboard alone (Tab to it, Enter or Space).
func TestBrowserOverview(t *testing.T) {
	w, rt := overviewWorld(t)
	b := openBrowser(t, w)
	b.open("")
	b.wantText("#job-billing-state", "not configured")
	b.wantText("#job-billing-missing", MissingPriceBook)
	if got := b.text(`#job-billing-missing a[href="pricebook"]`); !strings.Contains(got, "Price book") {
		t.Errorf("the price book item's link says %q", got)
	}
	b.screenshot("overview")

	// Keyboard only: Tab to Run now, Enter.
	b.tabTo("run-billing")
	b.loads("Enter on Run now", chromedp.KeyEvent(kb.Enter))
	b.wantText("#messages[role=status] #notice", "Billing cycle started.")
	if got := rt.ran(); !cmp.Equal(got, []string{"billing"}) {
		t.Errorf("RunNow calls %v, want [billing]", got)
	}
	b.wantText("#job-billing-state", "running")

	// Space on the other job's button; this replica is on standby.
	b.tabTo("run-service_orders")
	b.loads("Space on Run now", chromedp.KeyEvent(" "))
	b.wantText("#messages[role=status] #page-error", "this replica is on standby; run it on the leader")
	if got := rt.ran(); !cmp.Equal(got, []string{"billing"}) {
		t.Errorf("RunNow calls %v after the standby refusal, want [billing]", got)
	}
	b.screenshot("overview-standby")

	// A missing item's link, followed from the keyboard, opens its tab.
	b.open("")
	b.do("focus the tenant link", chromedp.Focus(`#job-billing-missing a[href="accounts"]`))
	b.loads("Enter on the link", chromedp.KeyEvent(kb.Enter))
	if got := eval[string](b, `location.pathname`); got != "/accounts" {
		t.Errorf("the tenant link opened %s, want /accounts", got)
	}
}

// TestBrowserOverviewAxe: axe-core finds no violation, of any impact, on the
// overview: with the jobs not configured, with the message of Run now, with
// the standby error, and without a runtime.
func TestBrowserOverviewAxe(t *testing.T) {
	axe := axeSource(t)
	w, _ := overviewWorld(t)
	b := openBrowser(t, w)
	b.open("")
	b.checkA11y("the overview", axe)
	b.clickLoads("run-billing")
	b.wantText("#notice", "Billing cycle started.")
	b.checkA11y("the overview after Run now", axe)
	b.clickLoads("run-service_orders")
	b.wantText("#page-error", "standby")
	b.checkA11y("the overview with an error", axe)

	b = openBrowser(t, newWorld(t))
	b.open("")
	if eval[bool](b, `document.querySelector("form[action=run]") !== null`) {
		t.Error("Run now shown without a runtime")
	}
	b.wantText("#setup", "Companies")
	b.checkA11y("the overview without a runtime", axe)
}

// TestBrowserExternalProduct: the External Product drop-down of the Accounts
// tab, reached by its label, saves the chosen product; an id not in
// Tigerpaw's list (added by hand) is refused next to the drop-down and
// nothing is stored.
func TestBrowserExternalProduct(t *testing.T) {
	w := newWorld(t)
	b := openBrowser(t, w)
	b.open("accounts")
	if got, want := b.options("externalProduct"), []string{"", "7", "8"}; !cmp.Equal(got, want) {
		t.Errorf("External Products offered %v, want %v", got, want)
	}
	if got := eval[string](b, `document.getElementById("externalProduct").labels[0].textContent`); got != "External Product" {
		t.Errorf("the drop-down's label is %q", got)
	}
	b.choose("externalProduct", "8")
	b.clickLoads("save-product")
	b.wantText("#notice", "Saved: the External Product.")
	if got := w.saved(t).ExternalProductID; got != 8 {
		t.Errorf("stored External Product %d, want 8", got)
	}
	if got := b.value("externalProduct"); got != "8" {
		t.Errorf("after the save the drop-down shows %q", got)
	}
	before := w.saved(t)
	b.addOption("externalProduct", "99")
	b.clickLoads("save-product")
	b.wantText("#externalProduct + .field-error", "id 99 is not an active External Product")
	if diff := cmp.Diff(before, w.saved(t)); diff != "" {
		t.Errorf("a refused External Product changed the store:\n%s", diff)
	}
}
