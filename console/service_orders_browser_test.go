package console

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// soSolution is a solution's world and the Service orders sections it shows.
type soSolution struct {
	name  string
	world func(testing.TB) *world
	keys  []string
	names []string
}

var soSolutions = []soSolution{
	{"Kaspersky Security Center", newWorld, kscSections, kscSectionNames},
	{"Kaspersky Business Hub", hubOrdersWorld, hubSections, hubSectionNames},
}

// rowIndex is the row index of the rule whose hidden key is key.
func (b *browserTab) rowIndex(key string) string {
	b.t.Helper()
	i := eval[string](b, fmt.Sprintf(`(() => { const e = [...document.querySelectorAll('input[name^="rule."]')].find(e => e.value === %q); return e ? e.name.slice(5) : ""; })()`, key))
	if i == "" {
		b.t.Fatalf("no row %q on the page", key)
	}
	return i
}

// change sets a field's value as a user would: an input and a change event.
func (b *browserTab) change(id, value string) {
	b.t.Helper()
	eval[chromedp.Void](b, fmt.Sprintf(`(() => { const e = document.getElementById(%q); e.value = %q;
		e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); })()`, id, value))
}

// TestBrowserServiceOrdersSectionsBySolution: each solution lists its own
// sections, named by application; the current one is marked.
func TestBrowserServiceOrdersSectionsBySolution(t *testing.T) {
	for _, sol := range soSolutions {
		b := openBrowser(t, sol.world(t))
		b.open("serviceorders")
		names := eval[[]string](b, `[...document.querySelectorAll("#sections a")].map(a => a.getAttribute("aria-label") || a.textContent.trim())`)
		if !cmp.Equal(names, sol.names) {
			t.Errorf("%s: section links %q, want %q", sol.name, names, sol.names)
		}
		for i, key := range sol.keys {
			b.clickLoads("section-" + key)
			if cur := eval[[]string](b, `[...document.querySelectorAll('#sections [aria-current]')].map(a => a.id + " " + a.getAttribute("aria-current"))`); !cmp.Equal(cur, []string{"section-" + key + " page"}) {
				t.Errorf("%s, section %s: aria-current on %q", sol.name, key, cur)
			}
			b.wantText("#section-heading", sol.names[i])
			if got := eval[string](b, `document.querySelector('#tabs [aria-current="page"]').id`); got != "tab-serviceorders" {
				t.Errorf("%s, section %s: current tab %q", sol.name, key, got)
			}
		}
		b.screenshot("serviceorders-sections-" + strings.ReplaceAll(strings.ToLower(sol.name), " ", "-"))
	}
}

// TestBrowserServiceOrdersKeyboard: arrows through a drop-down and Space on a
// check box change the field only: no reload, the focus stays.
func TestBrowserServiceOrdersKeyboard(t *testing.T) {
	w := newWorld(t)
	b := openBrowser(t, w)
	b.open("serviceorders?section=ksc")
	i := b.rowIndex(serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical}.String())
	eval[chromedp.Void](b, `window.sameDocument = true`)
	stays := func(what, id string) {
		t.Helper()
		if !eval[bool](b, `window.sameDocument === true`) {
			t.Fatalf("%s reloaded the page", what)
		}
		if got := eval[string](b, `document.activeElement ? document.activeElement.id : ""`); got != id {
			t.Errorf("after %s the focus is on %q, want #%s", what, got, id)
		}
	}
	for _, id := range []string{"board-" + i, "priority-" + i, "grouping-" + i} {
		b.do("focus #"+id, chromedp.Focus("#"+id))
		before := b.value(id)
		b.do("ArrowDown on #"+id, chromedp.KeyEvent(kb.ArrowDown))
		down := b.value(id)
		if down == before {
			t.Errorf("ArrowDown did not move #%s off %q", id, before)
		}
		stays("ArrowDown on #"+id, id)
		b.do("ArrowUp on #"+id, chromedp.KeyEvent(kb.ArrowUp))
		if got := b.value(id); got != before {
			t.Errorf("ArrowUp on #%s: %q, want %q back", id, got, before)
		}
		stays("ArrowUp on #"+id, id)
	}
	for _, id := range []string{"on-" + i, "sel-" + i} {
		b.do("focus #"+id, chromedp.Focus("#"+id))
		before := b.checked(id)
		b.do("Space on #"+id, chromedp.KeyEvent(" "))
		if b.checked(id) == before {
			t.Errorf("Space did not toggle #%s", id)
		}
		stays("Space on #"+id, id)
	}
	// General's drop-downs too.
	b.open("serviceorders?section=general")
	eval[chromedp.Void](b, `window.sameDocument = true`)
	b.do("focus #newStatus", chromedp.Focus("#newStatus"))
	b.do("ArrowUp on #newStatus", chromedp.KeyEvent(kb.ArrowUp))
	stays("ArrowUp on #newStatus", "newStatus")
}

// TestBrowserServiceOrdersAxe: axe-core finds no violation on any section of
// either solution, nor with a bulk edit applied, a refused save or the
// warning before leaving unsaved changes.
func TestBrowserServiceOrdersAxe(t *testing.T) {
	axe := axeSource(t)
	for _, sol := range soSolutions {
		b := openBrowser(t, sol.world(t))
		for _, key := range sol.keys {
			b.open("serviceorders?section=" + key)
			b.checkA11y(sol.name+", section "+key, axe)
		}
		b.open("serviceorders?section=warning")
		i := eval[string](b, `document.querySelector('#rules tbody tr').id.slice(5)`)
		b.click("sel-" + i)
		b.choose("bulk-on", "on")
		b.clickLoads("bulk-edit")
		b.wantText("#notice", "applied to the selected rows")
		b.checkA11y(sol.name+", a bulk edit applied", axe)
		b.click("section-critical")
		b.wantText("#leave-warning", "not saved")
		b.checkA11y(sol.name+", the warning before leaving", axe)
		b.clickLoads("save") // on, without a priority
		b.wantText("#page-error", "Not saved")
		b.checkA11y(sol.name+", a refused save", axe)
	}
}

// TestBrowserServiceOrdersNarrow: at 800 and 480 px no section of either
// solution scrolls sideways (the rules table scrolls in its own box), and the
// bulk edit's Lifetime shows its whole placeholder.
func TestBrowserServiceOrdersNarrow(t *testing.T) {
	for _, sol := range soSolutions {
		b := openBrowser(t, sol.world(t))
		for _, width := range []int64{800, 480} {
			b.do(fmt.Sprint("window ", width), chromedp.EmulateViewport(width, 900))
			for _, key := range sol.keys {
				b.open("serviceorders?section=" + key)
				sw, iw := eval[int](b, `document.documentElement.scrollWidth`), eval[int](b, `window.innerWidth`)
				if iw != int(width) || sw > iw {
					t.Errorf("%s, section %s at %d px: scrollWidth %d, window %d", sol.name, key, width, sw, iw)
				}
				if eval[bool](b, `!!document.getElementById("bulk-lifetime")`) {
					// The placeholder's width in the field's font, against the
					// room the field leaves for text (a spin button aside).
					fits := eval[[]float64](b, `(() => { const e = document.getElementById("bulk-lifetime"), s = getComputedStyle(e);
						const c = document.createElement("canvas").getContext("2d"); c.font = s.font;
						return [c.measureText(e.placeholder).width, e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight) - 20]; })()`)
					if fits[0] > fits[1] {
						t.Errorf("%s, section %s at %d px: the Lifetime placeholder needs %.0f px, the field has %.0f", sol.name, key, width, fits[0], fits[1])
					}
				}
			}
			b.open("serviceorders?section=" + sol.keys[1])
			b.screenshot(fmt.Sprintf("serviceorders-%s-%d", sol.keys[1], width))
		}
	}
}

// TestBrowserServiceOrdersLeaveWithStagedEdits: leaving a section whose
// changes are not saved (a bulk edit applied, a row changed) asks first; a
// second click leaves; a saved or untouched section is left at once.
func TestBrowserServiceOrdersLeaveWithStagedEdits(t *testing.T) {
	w := newWorld(t)
	b := openBrowser(t, w)
	b.open("serviceorders?section=warning")
	b.clickLoads("section-critical")
	if got := eval[string](b, `location.search`); got != "?section=critical" {
		t.Fatalf("an untouched section was not left at once: %q", got)
	}
	i := eval[string](b, `document.querySelector('#rules tbody tr').id.slice(5)`)
	b.click("sel-" + i)
	b.choose("bulk-on", "on")
	b.choose("bulk-priority", "High")
	b.clickLoads("bulk-edit")
	for _, link := range []string{"section-warning", "tab-accounts"} {
		b.click(link)
		b.wantText("#messages #leave-warning", "not saved")
		if got := eval[string](b, `location.pathname + location.search`); got != "/serviceorders" {
			t.Errorf("%s left the staged bulk edit for %s", link, got)
		}
	}
	if !b.checked("on-"+i) || b.value("priority-"+i) != "High" {
		t.Error("the staged bulk edit is gone from the page")
	}
	b.clickLoads("save")
	b.wantText("#notice", "Saved.")
	b.clickLoads("section-warning")
	if got := eval[string](b, `location.search`); got != "?section=warning" {
		t.Errorf("a saved section was not left at once: %q", got)
	}
	// A changed row counts as well; the second click leaves.
	b.change("priority-"+eval[string](b, `document.querySelector('#rules tbody tr').id.slice(5)`), "Low")
	b.click("section-general")
	b.wantText("#leave-warning", "General")
	b.clickLoads("section-general")
	b.wantText("#section-heading", "General")
}

// TestBrowserServiceOrdersDoubleClickAndReload: a double click on Save
// saves and says so (no conflict); a reload after it shows the page and
// posts nothing.
func TestBrowserServiceOrdersDoubleClickAndReload(t *testing.T) {
	w := newWorld(t)
	b := openBrowser(t, w)
	b.open("serviceorders?section=warning")
	i := b.rowIndex("Warning status: Databases are out of date")
	b.click("on-" + i)
	b.choose("priority-"+i, "High")
	_, rev0, _ := w.rules.LoadRules(context.Background())
	eval[chromedp.Void](b, `document.getElementById("save").scrollIntoView({block: "center"}); window.before = true`)
	xy := eval[[]float64](b, `(() => { const r = document.getElementById("save").getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`)
	b.do("double-click Save", chromedp.MouseClickXY(xy[0], xy[1]), chromedp.MouseClickXY(xy[0], xy[1], chromedp.ClickCount(2)))
	b.waitFor("the answer", `window.before === undefined && document.readyState === "complete" && !!document.querySelector("#notice, #page-error")`)
	if got := b.text("#page-error"); got != "" {
		t.Errorf("the double click answers an error: %q", got)
	}
	if got := b.text("#notice"); !strings.Contains(strings.ToLower(got), "saved") {
		t.Errorf("the double click answers %q, want it saved", got)
	}
	got, rev1, _ := w.rules.LoadRules(context.Background())
	if s, _ := got.Status(serviceorder.StatusRuleID{Level: kaspersky.StatusWarning, Code: kaspersky.StatusDatabasesOutdated}); !s.Enabled || s.Priority != "High" {
		t.Errorf("saved rule %+v", s)
	}
	if rev1 <= rev0 {
		t.Errorf("revision %d after the double click, was %d", rev1, rev0)
	}
	b.do("reload", chromedp.Reload())
	if _, rev2, _ := w.rules.LoadRules(context.Background()); rev2 != rev1 {
		t.Errorf("the reload saved again: revision %d -> %d", rev1, rev2)
	}
	if got := eval[string](b, `location.search`); got != "?section=warning" {
		t.Errorf("after the save the page is %q, want ?section=warning", got)
	}
	if got := b.text("#notice"); got != "" {
		t.Errorf("the reload shows %q again", got)
	}
	if !b.checked("on-"+i) || b.value("priority-"+i) != "High" {
		t.Error("after the reload the page does not show the saved rule")
	}
}

// TestBrowserServiceOrdersBeyondTheOriginal: the grouping, reopen window,
// flood limit and license rules are shown and saved.
func TestBrowserServiceOrdersBeyondTheOriginal(t *testing.T) {
	w := newWorld(t)
	b := openBrowser(t, w)
	load := func() serviceorder.Rules {
		r, _, err := w.rules.LoadRules(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	b.open("serviceorders?section=general")
	if got := b.value("floodLimit"); got != "25" {
		t.Errorf("flood limit shown %q, want 25", got)
	}
	b.do("clear the flood limit", chromedp.Clear(chromedp.ID("floodLimit")))
	b.do("type the flood limit", chromedp.SendKeys(chromedp.ID("floodLimit"), "40"))
	b.clickLoads("save")
	b.wantText("#notice", "Saved.")
	if got := load().FloodLimit; got != 40 || b.value("floodLimit") != "40" {
		t.Errorf("flood limit saved %d, shown %q; want 40", got, b.value("floodLimit"))
	}

	critical := serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical}
	warning := serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityWarning}
	info := serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityInfo}
	b.clickLoads("section-ksc")
	ci, wi, ii := b.rowIndex(critical.String()), b.rowIndex(warning.String()), b.rowIndex(info.String())
	b.choose("grouping-"+ci, "deviceAndType")
	b.do("clear the reopen window", chromedp.Clear(chromedp.ID("reopen-"+ci)))
	b.do("type the reopen window", chromedp.SendKeys(chromedp.ID("reopen-"+ci), "12"))
	b.click("sel-" + wi)
	b.click("sel-" + ii)
	b.choose("bulk-grouping", "deviceAndType")
	b.clickLoads("bulk-edit")
	if b.value("grouping-"+wi) != "deviceAndType" || b.value("grouping-"+ii) != "deviceAndType" || b.value("grouping-"+ci) != "deviceAndType" || b.value("reopen-"+ci) != "12" {
		t.Errorf("after the bulk edit: groupings %q %q %q, reopen %q", b.value("grouping-"+ci), b.value("grouping-"+wi), b.value("grouping-"+ii), b.value("reopen-"+ci))
	}
	b.screenshot("serviceorders-grouping")
	b.clickLoads("save")
	b.wantText("#notice", "Saved.")
	r := load()
	for _, id := range []serviceorder.EventRuleID{critical, warning, info} {
		if e, _ := r.Event(id); e.Grouping != serviceorder.GroupDevice {
			t.Errorf("%s: grouping %q saved", id, e.Grouping)
		}
	}
	if e, _ := r.Event(critical); e.ReopenHours != 12 {
		t.Errorf("reopen window saved %d, want 12", e.ReopenHours)
	}
	// A reopen window without grouping is refused, next to its field.
	b.choose("grouping-"+ci, "eachEvent")
	b.clickLoads("save")
	b.wantText("#reopen-"+ci+" + .field-error", "needs grouping")
	b.clickLoads("cancel")

	b.clickLoads("section-licenses")
	ei := b.rowIndex(serviceorder.LicenseRuleID{Solution: kaspersky.KindVirtualServer, Condition: serviceorder.LicenseExpiring}.String())
	oi := b.rowIndex(serviceorder.LicenseRuleID{Solution: kaspersky.KindVirtualServer, Condition: serviceorder.LicenseOverused}.String())
	if got := b.value("days-" + ei); got != "30" {
		t.Errorf("days shown %q, want 30", got)
	}
	b.click("on-" + ei)
	b.do("clear the days", chromedp.Clear(chromedp.ID("days-"+ei)))
	b.do("type the days", chromedp.SendKeys(chromedp.ID("days-"+ei), "14"))
	b.choose("priority-"+ei, "High")
	b.click("on-" + oi)
	b.choose("priority-"+oi, "Low")
	b.choose("board-"+oi, "2")
	b.screenshot("serviceorders-licenses")
	b.clickLoads("save")
	b.wantText("#notice", "Saved.")
	r = load()
	exp, _ := r.License(serviceorder.LicenseRuleID{Solution: kaspersky.KindVirtualServer, Condition: serviceorder.LicenseExpiring})
	over, _ := r.License(serviceorder.LicenseRuleID{Solution: kaspersky.KindVirtualServer, Condition: serviceorder.LicenseOverused})
	if !exp.Enabled || exp.Days != 14 || exp.Priority != "High" || !over.Enabled || over.Priority != "Low" || over.Board != 2 {
		t.Errorf("saved license rules %+v and %+v", exp, over)
	}
	if b.value("days-"+ei) != "14" || !b.checked("on-"+oi) {
		t.Error("after the save the page does not show the saved license rules")
	}
}
