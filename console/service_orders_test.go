package console

import (
	"context"
	"html"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// hubWorld is the test world with a Business Hub integration.
func hubOrdersWorld(t testing.TB) *world {
	t.Helper()
	w := newWorld(t)
	cfg := w.saved(t)
	cfg.Solution = mapping.SolutionHub
	cfg.Tenants = []mapping.Tenant{{ID: "co-1", Name: "Contoso"}}
	if _, err := w.store.Save(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	w.opts.Solution = mapping.SolutionHub
	w.opts.Source = tenants{{ID: "co-1", Name: "Contoso", Kind: kaspersky.KindCompany}}
	return w
}

var (
	tagRE    = regexp.MustCompile(`(?s)<(input)\b([^>]*)>()|<(select)\b([^>]*)>(.*?)</select>`)
	attrRE   = regexp.MustCompile(`([a-zA-Z-]+)(?:="([^"]*)")?`)
	optionRE = regexp.MustCompile(`<option value="([^"]*)"( selected)?>`)
	labelRE  = regexp.MustCompile(`(?s)<label\b[^>]*>.*?</label>`)
)

// control is a match of tagRE: the element, its attributes, a drop-down's
// options.
func control(m []string) (kind, attrs, inner string) {
	if m[1] != "" {
		return m[1], m[2], m[3]
	}
	return m[4], m[5], m[6]
}

// attrs are the attributes of a tag's inside.
func attrs(s string) map[string]string {
	out := map[string]string{}
	for _, m := range attrRE.FindAllStringSubmatch(s, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

// pageForm is what a browser would post of the page's form as it is shown:
// every named field's value, checked boxes only, each drop-down's selected
// option (else its first).
func pageForm(t *testing.T, body string) url.Values {
	t.Helper()
	f := url.Values{}
	for _, m := range tagRE.FindAllStringSubmatch(body, -1) {
		kind, at, inner := control(m)
		a := attrs(at)
		name := a["name"]
		if name == "" {
			continue
		}
		if kind == "select" {
			opts := optionRE.FindAllStringSubmatch(inner, -1)
			if len(opts) == 0 {
				t.Fatalf("drop-down %s has no option", name)
			}
			v := opts[0][1]
			for _, o := range opts {
				if o[2] != "" {
					v = o[1]
				}
			}
			f.Set(name, html.UnescapeString(v))
			continue
		}
		if a["type"] == "checkbox" {
			if _, on := a["checked"]; on {
				f.Set(name, "on")
			}
			continue
		}
		f.Set(name, a["value"])
	}
	if f.Get("csrf") == "" || f.Get("base") == "" {
		t.Fatalf("no form on the page:\n%s", body)
	}
	return f
}

// soPage loads a Service orders section and returns the page and its form.
func soPage(t *testing.T, c *client, section string) (string, url.Values) {
	t.Helper()
	code, body := c.get("/serviceorders?section=" + section)
	if code != http.StatusOK {
		t.Fatalf("GET section %s: %d\n%s", section, code, body)
	}
	return body, pageForm(t, body)
}

// rowOf is the row index of the rule named key on the page.
func rowOf(t *testing.T, f url.Values, key string) string {
	t.Helper()
	for k, v := range f {
		if strings.HasPrefix(k, "rule.") && v[0] == key {
			return strings.TrimPrefix(k, "rule.")
		}
	}
	t.Fatalf("no row %q in the form %v", key, f)
	return ""
}

// sectionLinks are the accessible names of the section links, in order, and
// the one marked current.
func sectionLinks(body string) (names []string, current string) {
	start := strings.Index(body, `<nav id="sections"`)
	if start < 0 {
		return nil, ""
	}
	nav, _, _ := strings.Cut(body[start:], "</nav>")
	for _, m := range regexp.MustCompile(`<a ([^>]*)>([^<]*)</a>`).FindAllStringSubmatch(nav, -1) {
		a := attrs(m[1])
		name := a["aria-label"]
		if name == "" {
			name = html.UnescapeString(m[2])
		}
		names = append(names, name)
		if a["aria-current"] == "page" {
			current = name
		}
	}
	return names, current
}

var (
	kscSectionNames = []string{"General", "Kaspersky Security Center events", "Warning status", "Critical status", "Kaspersky Security Center licenses"}
	hubSectionNames = []string{"General", "Kaspersky Endpoint Security Cloud events", "Kaspersky Security for Microsoft Office 365 events",
		"Warning status", "Critical status", "Kaspersky Business Hub licenses"}
	kscSections = []string{"general", "ksc", "warning", "critical", "licenses"}
	hubSections = []string{"general", "kescloud", "o365", "warning", "critical", "licenses"}
)

// TestServiceOrdersSectionsBySolution: each solution shows its own sections,
// each link named by its application, the current one marked; the other
// solution's sections are not found.
func TestServiceOrdersSectionsBySolution(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		w        func(testing.TB) *world
		keys     []string
		names    []string
		notFound []string
		licenses []string
	}{
		{"ksc", newWorld, kscSections, kscSectionNames, []string{"kescloud", "o365"},
			[]string{"A license key expires soon", "More devices use a license key than it allows", "virtual server and license key"}},
		{"hub", hubWorld, hubSections, hubSectionNames, []string{"ksc"},
			[]string{"A license or subscription expires soon", "More devices, users or mailboxes use a license than it allows", "company and license"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := tc.w(t).serve(t)
			for i, key := range tc.keys {
				_, body := c.get("/serviceorders?section=" + key)
				names, cur := sectionLinks(body)
				if !cmp.Equal(names, tc.names) {
					t.Errorf("section %s: links %q, want %q", key, names, tc.names)
				}
				if cur != tc.names[i] {
					t.Errorf("section %s: current link %q, want %q", key, cur, tc.names[i])
				}
				mustContain(t, body, `<h2 id="section-heading">`+tc.names[i]+`</h2>`)
			}
			for _, key := range tc.notFound {
				if code, _ := c.get("/serviceorders?section=" + key); code != http.StatusNotFound {
					t.Errorf("section %s of the other solution: %d, want 404", key, code)
				}
			}
			_, body := c.get("/serviceorders?section=licenses")
			mustContain(t, body, tc.licenses...)
			mustContain(t, body, "Days before expiry", `value="30"`)
		})
	}
}

// TestServiceOrdersAccessibleNames: on every section of both solutions each
// control has a name: inside a label, or an aria-label that starts with its
// row's description and ends with its column; no two controls share one.
func TestServiceOrdersAccessibleNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		w    func(testing.TB) *world
		keys []string
	}{{newWorld, kscSections}, {hubWorld, hubSections}} {
		c := tc.w(t).serve(t)
		for _, key := range tc.keys {
			_, body := c.get("/serviceorders?section=" + key)
			labelled := 0
			for _, l := range labelRE.FindAllString(body, -1) {
				labelled += len(tagRE.FindAllString(l, -1))
			}
			rest := labelRE.ReplaceAllString(body, "")
			seen := map[string]bool{}
			controls := labelled
			for _, m := range tagRE.FindAllStringSubmatch(rest, -1) {
				kind, at, _ := control(m)
				a := attrs(at)
				if a["type"] == "hidden" {
					continue
				}
				controls++
				name := a["aria-label"]
				if name == "" {
					t.Errorf("section %s: %s %q has no label and no aria-label", key, kind, a["name"])
					continue
				}
				if seen[name] {
					t.Errorf("section %s: two controls named %q", key, name)
				}
				seen[name] = true
			}
			if key != "general" {
				// A row's Board is named after the row and the column.
				if !slices.ContainsFunc(slices.Collect(maps.Keys(seen)), func(n string) bool { return strings.HasSuffix(n, ": Board") && len(n) > len(": Board") }) {
					t.Errorf("section %s: no row Board control named after its row: %v", key, seen)
				}
			}
			if controls < 4 {
				t.Errorf("section %s: %d controls found; the check found nothing to check", key, controls)
			}
		}
	}
}

// TestServiceOrdersSaveRedirects: a save answers with a redirect to its
// section (POST-redirect-GET), whose page says Saved once.
func TestServiceOrdersSaveRedirects(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	_, f := soPage(t, c, "warning")
	f.Set("action", "save")
	i := rowOf(t, f, "Warning status: Databases are out of date")
	f.Set("on."+i, "on")
	f.Set("priority."+i, "High")
	hc := *c.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, _ := http.NewRequest(http.MethodPost, c.srv.URL+"/serviceorders", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "serviceorders?section=warning" {
		t.Fatalf("save: %d Location %q, want 303 to serviceorders?section=warning", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body := c.get("/serviceorders?section=warning")
	mustContain(t, body, `<p class="notice" id="notice">Saved.</p>`, `id="on-`+i+`" aria-label="Databases are out of date: Create service order" checked`)
	_, body = c.get("/serviceorders?section=warning")
	mustNotContain(t, body, "Saved.")
	got, _, _ := w.rules.LoadRules(context.Background())
	if s, _ := got.Status(serviceorder.StatusRuleID{Level: kaspersky.StatusWarning, Code: kaspersky.StatusDatabasesOutdated}); !s.Enabled || s.Priority != "High" {
		t.Errorf("saved rule %+v", s)
	}
}

// TestServiceOrdersRepeatedSubmit: the same form posted twice (a double
// click on Save) saves once and answers the second as already saved; a
// different form based on the same page is a conflict naming the row.
func TestServiceOrdersRepeatedSubmit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	_, f := soPage(t, c, "critical")
	f.Set("action", "save")
	i := rowOf(t, f, "Critical status: Databases are out of date")
	f.Set("on."+i, "on")
	f.Set("priority."+i, "High")
	_, rev0, _ := w.rules.LoadRules(context.Background())
	code, body := c.post("/serviceorders", f)
	if code != http.StatusOK {
		t.Fatalf("first save: %d\n%s", code, body)
	}
	mustContain(t, body, "Saved.")
	saved, rev1, _ := w.rules.LoadRules(context.Background())
	if rev1 != rev0+1 {
		t.Fatalf("revision %d after the first save, want %d", rev1, rev0+1)
	}
	code, body = c.post("/serviceorders", f)
	if code != http.StatusOK {
		t.Fatalf("second save: %d\n%s", code, body)
	}
	mustContain(t, body, "Already saved")
	mustNotContain(t, body, "conflict")
	if got, rev2, _ := w.rules.LoadRules(context.Background()); rev2 != rev1 || !cmp.Equal(got, saved) {
		t.Errorf("the repeated submit wrote: revision %d, want %d", rev2, rev1)
	}

	// The same page with another change: a real conflict, the row named.
	f.Set("priority."+i, "Low")
	code, body = c.post("/serviceorders", f)
	if code != http.StatusConflict {
		t.Errorf("a changed form on the stale page: %d, want 409", code)
	}
	mustContain(t, body, "changed elsewhere", "differ from yours in: Databases are out of date")
}

// TestServiceOrdersConflictNeedsTheSameSection: a save of another section
// in between is no conflict; one of the same section is.
func TestServiceOrdersConflictNeedsTheSameSection(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	_, f := soPage(t, c, "warning")
	f.Set("action", "save")
	i := rowOf(t, f, "Warning status: Databases are out of date")
	f.Set("on."+i, "on")
	f.Set("priority."+i, "High")

	// Someone saves General meanwhile.
	_, g := soPage(t, c, "general")
	g.Set("action", "save")
	g.Set("floodLimit", "40")
	if code, body := c.post("/serviceorders", g); code != http.StatusOK || !strings.Contains(body, "Saved.") {
		t.Fatalf("General: %d\n%s", code, body)
	}
	code, body := c.post("/serviceorders", f)
	if code != http.StatusOK {
		t.Fatalf("warning after a General save: %d, want 200\n%s", code, body)
	}
	mustContain(t, body, "Saved.")
	got, _, _ := w.rules.LoadRules(context.Background())
	if s, _ := got.Status(serviceorder.StatusRuleID{Level: kaspersky.StatusWarning, Code: kaspersky.StatusDatabasesOutdated}); !s.Enabled || got.FloodLimit != 40 {
		t.Errorf("after both saves: rule %+v, flood limit %d; want both saved", s, got.FloodLimit)
	}

	// Now someone changes a Warning row meanwhile: the stale page's save is
	// refused and the other save kept.
	_, f = soPage(t, c, "warning")
	f.Set("action", "save")
	j := rowOf(t, f, "Warning status: Real-time protection is not running")
	other := got.Clone()
	for k := range other.Statuses {
		if other.Statuses[k].ID == (serviceorder.StatusRuleID{Level: kaspersky.StatusWarning, Code: kaspersky.StatusRTPNotRunning}) {
			other.Statuses[k].Board = 1
		}
	}
	_, rev, _ := w.rules.LoadRules(context.Background())
	if _, err := w.rules.SaveRules(context.Background(), other, rev); err != nil {
		t.Fatal(err)
	}
	f.Set("type."+j, "Security alert")
	code, body = c.post("/serviceorders", f)
	if code != http.StatusConflict {
		t.Errorf("a save over a changed section: %d, want 409", code)
	}
	mustContain(t, body, "revision conflict", "differ from yours in: Real-time protection is not running")
	if now, _, _ := w.rules.LoadRules(context.Background()); !cmp.Equal(now, other) {
		t.Error("the other save was overwritten")
	}
}

// post posts f and returns the answer's status and page (after a redirect,
// the page it leads to).
func soPost(t *testing.T, c *client, f url.Values, action string) (int, string) {
	t.Helper()
	f.Set("action", action)
	return c.post("/serviceorders", f)
}

// TestServiceOrdersGroupingAndReopen: an event row's grouping and reopen
// window are shown and saved, per row and (the grouping) in bulk; a reopen
// window without grouping, or out of range, or not a number, is refused,
// named next to its field.
func TestServiceOrdersGroupingAndReopen(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	critical := serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical}
	warning := serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityWarning}
	info := serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityInfo}
	body, f := soPage(t, c, "ksc")
	mustContain(t, body, "<th scope=\"col\">One order per</th>", "Reopen window (hours)", `id="bulk-grouping"`)
	i := rowOf(t, f, critical.String())
	if f.Get("grouping."+i) != "eachEvent" || f.Get("reopen."+i) != "0" {
		t.Fatalf("default grouping %q reopen %q, want eachEvent and 0", f.Get("grouping."+i), f.Get("reopen."+i))
	}
	f.Set("grouping."+i, "deviceAndType")
	f.Set("reopen."+i, "24")
	if code, body := soPost(t, c, f, "save"); code != http.StatusOK || !strings.Contains(body, "Saved.") {
		t.Fatalf("save: %d\n%s", code, body)
	}
	got, _, _ := w.rules.LoadRules(context.Background())
	if e, _ := got.Event(critical); e.Grouping != serviceorder.GroupDevice || e.ReopenHours != 24 {
		t.Errorf("saved %s: grouping %q reopen %d, want deviceAndType and 24", critical, e.Grouping, e.ReopenHours)
	}
	_, f = soPage(t, c, "ksc")
	if f.Get("grouping."+i) != "deviceAndType" || f.Get("reopen."+i) != "24" {
		t.Errorf("after reload grouping %q reopen %q", f.Get("grouping."+i), f.Get("reopen."+i))
	}

	// Refused, each named with its field, nothing saved.
	_, rev, _ := w.rules.LoadRules(context.Background())
	for _, tc := range []struct {
		grouping, reopen, want string
	}{
		{"eachEvent", "5", "reopen window: needs grouping"},
		{"deviceAndType", "1000", "reopen window: 1000 hours is outside 0 to 720"},
		{"deviceAndType", "a day", `reopen window: "a day" is not a whole number of hours`},
		{"perTenant", "0", `grouping: "perTenant" is neither`},
	} {
		_, f := soPage(t, c, "ksc")
		f.Set("grouping."+i, tc.grouping)
		f.Set("reopen."+i, tc.reopen)
		code, body := soPost(t, c, f, "save")
		if code != http.StatusUnprocessableEntity {
			t.Errorf("grouping %s reopen %s: %d, want 422", tc.grouping, tc.reopen, code)
		}
		mustContain(t, body, "Not saved", critical.String()+": "+tc.want)
		field := `id="reopen-` + i + `"`
		if strings.HasPrefix(tc.want, "grouping") {
			field = `id="grouping-` + i + `"`
		}
		if !regexp.MustCompile(field + `[^>]*>(</select>|<option[^<]*</option>)*(</select>)?<span class="field-error">`).MatchString(body) {
			t.Errorf("grouping %s reopen %s: no error next to the field", tc.grouping, tc.reopen)
		}
		if _, rev2, _ := w.rules.LoadRules(context.Background()); rev2 != rev {
			t.Errorf("grouping %s reopen %s was saved", tc.grouping, tc.reopen)
		}
	}

	// Bulk: two rows to one order per device; then back to one per event,
	// which also ends the reopen window.
	_, f = soPage(t, c, "ksc")
	wi, ii := rowOf(t, f, warning.String()), rowOf(t, f, info.String())
	f.Set("sel."+wi, "on")
	f.Set("sel."+ii, "on")
	f.Set("bulk.grouping", "deviceAndType")
	code, body := soPost(t, c, f, "bulk")
	if code != http.StatusOK {
		t.Fatalf("bulk: %d\n%s", code, body)
	}
	f = pageForm(t, body)
	if f.Get("grouping."+wi) != "deviceAndType" || f.Get("grouping."+ii) != "deviceAndType" || f.Get("grouping."+i) != "deviceAndType" {
		t.Errorf("after the bulk edit: %q %q (and the unselected %q)", f.Get("grouping."+wi), f.Get("grouping."+ii), f.Get("grouping."+i))
	}
	mustContain(t, body, "<form method=\"post\" action=\"serviceorders\" id=\"serviceorders-form\" data-staged>")
	if code, body := soPost(t, c, f, "save"); code != http.StatusOK || !strings.Contains(body, "Saved.") {
		t.Fatalf("save after the bulk edit: %d\n%s", code, body)
	}
	got, _, _ = w.rules.LoadRules(context.Background())
	for _, id := range []serviceorder.EventRuleID{warning, info, critical} {
		if e, _ := got.Event(id); e.Grouping != serviceorder.GroupDevice {
			t.Errorf("%s: grouping %q after the bulk save", id, e.Grouping)
		}
	}
	_, f = soPage(t, c, "ksc")
	f.Set("sel."+i, "on")
	f.Set("bulk.grouping", "eachEvent")
	_, body = soPost(t, c, f, "bulk")
	f = pageForm(t, body)
	if f.Get("grouping."+i) != "eachEvent" || f.Get("reopen."+i) != "0" {
		t.Errorf("bulk one order per event: grouping %q reopen %q, want eachEvent and 0", f.Get("grouping."+i), f.Get("reopen."+i))
	}
}

// TestServiceOrdersOffice365Conditions: an Office 365 condition keeps one
// order per condition: its row has no grouping to choose, and a bulk
// grouping leaves it alone.
func TestServiceOrdersOffice365Conditions(t *testing.T) {
	t.Parallel()
	w := hubOrdersWorld(t)
	c := w.serve(t)
	cond := serviceorder.EventRuleID{Origin: kaspersky.OriginOffice365, O365Type: kaspersky.O365MailboxesNotProtected}
	malware := serviceorder.EventRuleID{Origin: kaspersky.OriginOffice365, O365Type: kaspersky.O365Malware}
	body, f := soPage(t, c, "o365")
	ci, mi := rowOf(t, f, cond.String()), rowOf(t, f, malware.String())
	if f.Has("grouping."+ci) || f.Has("reopen."+ci) || !f.Has("grouping."+mi) {
		t.Errorf("grouping fields: condition %v/%v, malware %v", f.Has("grouping."+ci), f.Has("reopen."+ci), f.Has("grouping."+mi))
	}
	mustContain(t, body, "<td>Condition</td><td>Off</td>")
	f.Set("sel."+ci, "on")
	f.Set("sel."+mi, "on")
	f.Set("bulk.grouping", "deviceAndType")
	_, body = soPost(t, c, f, "bulk")
	f = pageForm(t, body)
	if code, body := soPost(t, c, f, "save"); code != http.StatusOK || !strings.Contains(body, "Saved.") {
		t.Fatalf("save: %d\n%s", code, body)
	}
	got, _, _ := w.rules.LoadRules(context.Background())
	if e, _ := got.Event(cond); e.Grouping == serviceorder.GroupDevice {
		t.Error("the condition rule was grouped")
	}
	if e, _ := got.Event(malware); e.Grouping != serviceorder.GroupDevice {
		t.Errorf("the malware rule's grouping is %q", e.Grouping)
	}
}

// TestServiceOrdersFloodLimit: General shows the flood limit (the default
// when the rules set none) and saves it; a limit out of range or not a
// number is refused, named next to its field.
func TestServiceOrdersFloodLimit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	body, f := soPage(t, c, "general")
	if got := f.Get("floodLimit"); got != "25" {
		t.Errorf("flood limit shown %q, want 25", got)
	}
	mustContain(t, body, "The most service orders one cycle opens for one virtual server")
	f.Set("floodLimit", "60")
	if code, body := soPost(t, c, f, "save"); code != http.StatusOK || !strings.Contains(body, "Saved.") {
		t.Fatalf("save: %d\n%s", code, body)
	}
	got, rev, _ := w.rules.LoadRules(context.Background())
	if got.FloodLimit != 60 {
		t.Errorf("saved flood limit %d, want 60", got.FloodLimit)
	}
	if _, f := soPage(t, c, "general"); f.Get("floodLimit") != "60" {
		t.Errorf("after reload the flood limit is %q", f.Get("floodLimit"))
	}
	for v, want := range map[string]string{
		"20000": "General: flood limit: 20000 is outside 1 to 10000",
		"-3":    "General: flood limit: -3 is outside",
		"lots":  `General: flood limit: "lots" is not a whole number of orders per virtual server and cycle`,
	} {
		_, f := soPage(t, c, "general")
		f.Set("floodLimit", v)
		code, body := soPost(t, c, f, "save")
		if code != http.StatusUnprocessableEntity {
			t.Errorf("flood limit %s: %d, want 422", v, code)
		}
		mustContain(t, body, want)
		if !regexp.MustCompile(`id="floodLimit"[^>]*></label>\s*<span class="field-error">`).MatchString(body) {
			t.Errorf("flood limit %s: no error next to the field", v)
		}
		if _, rev2, _ := w.rules.LoadRules(context.Background()); rev2 != rev {
			t.Errorf("flood limit %s was saved", v)
		}
	}
	_, body = hubOrdersWorld(t).serve(t).get("/serviceorders?section=general")
	mustContain(t, body, "The most service orders one cycle opens for one company")
}

// TestServiceOrdersLicenseRules: the Licenses section of each solution
// shows its two rows with Create, Days, Board, Priority and Type, saves them
// per row and in bulk, and refuses days out of range, named.
func TestServiceOrdersLicenseRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		w    func(testing.TB) *world
		kind kaspersky.TenantKind
	}{{"ksc", newWorld, kaspersky.KindVirtualServer}, {"hub", hubWorld, kaspersky.KindCompany}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := tc.w(t)
			c := w.serve(t)
			expiring := serviceorder.LicenseRuleID{Solution: tc.kind, Condition: serviceorder.LicenseExpiring}
			overused := serviceorder.LicenseRuleID{Solution: tc.kind, Condition: serviceorder.LicenseOverused}
			_, f := soPage(t, c, "licenses")
			ei, oi := rowOf(t, f, expiring.String()), rowOf(t, f, overused.String())
			if f.Get("days."+ei) != "30" || f.Has("days."+oi) {
				t.Errorf("days: expiring %q, overused has days %v; want 30 and none", f.Get("days."+ei), f.Has("days."+oi))
			}
			f.Set("on."+ei, "on")
			f.Set("days."+ei, "14")
			f.Set("priority."+ei, "High")
			f.Set("board."+ei, "1")
			f.Set("sel."+ei, "on")
			f.Set("sel."+oi, "on")
			f.Set("bulk.type", "Security alert")
			code, body := soPost(t, c, f, "bulk")
			if code != http.StatusOK {
				t.Fatalf("bulk: %d\n%s", code, body)
			}
			f = pageForm(t, body)
			f.Set("on."+oi, "on")
			f.Set("priority."+oi, "Low")
			if code, body := soPost(t, c, f, "save"); code != http.StatusOK || !strings.Contains(body, "Saved.") {
				t.Fatalf("save: %d\n%s", code, body)
			}
			got, rev, _ := w.rules.LoadRules(context.Background())
			want := []serviceorder.LicenseRule{
				{ID: expiring, OrderSettings: serviceorder.OrderSettings{Enabled: true, Board: 1, Priority: "High", Type: "Security alert"}, Days: 14},
				{ID: overused, OrderSettings: serviceorder.OrderSettings{Enabled: true, Priority: "Low", Type: "Security alert"}},
			}
			var mine []serviceorder.LicenseRule
			for _, l := range got.Licenses {
				if l.ID.Solution == tc.kind {
					mine = append(mine, l)
				}
			}
			if d := cmp.Diff(want, mine); d != "" {
				t.Errorf("saved license rules (-want +got):\n%s", d)
			}
			for v, reason := range map[string]string{"400": "days: 400 days is outside 1 to 365", "soon": `days: "soon" is not a whole number of days`} {
				_, f := soPage(t, c, "licenses")
				f.Set("days."+ei, v)
				code, body := soPost(t, c, f, "save")
				if code != http.StatusUnprocessableEntity {
					t.Errorf("days %s: %d, want 422", v, code)
				}
				mustContain(t, body, expiring.String()+": "+reason)
				if !regexp.MustCompile(`id="days-` + ei + `"[^>]*><span class="field-error">`).MatchString(body) {
					t.Errorf("days %s: no error next to the field", v)
				}
				if _, rev2, _ := w.rules.LoadRules(context.Background()); rev2 != rev {
					t.Errorf("days %s was saved", v)
				}
			}
		})
	}
}

// twinRules is a rules store where the same save comes from a twin request
// first, as when both posts of a double click are handled at once.
type twinRules struct {
	serviceorder.RulesStore
	mu   sync.Mutex
	twin serviceorder.Rules // what the twin saves; zero: the same rules
	done bool
}

// arm makes the next save's twin save twin first.
func (s *twinRules) arm(twin serviceorder.Rules) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.twin, s.done = twin, false
}

func (s *twinRules) SaveRules(ctx context.Context, r serviceorder.Rules, rev int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		s.done = true
		twin := r
		if s.twin.Events != nil {
			twin = s.twin
		}
		if _, err := s.RulesStore.SaveRules(ctx, twin, rev); err != nil {
			return 0, err
		}
	}
	return s.RulesStore.SaveRules(ctx, r, rev)
}

// TestServiceOrdersTwinSaves: two posts of the same form handled at once:
// the one that loses the race finds its own settings saved and says so; a
// post that loses to different settings is a conflict naming the row.
func TestServiceOrdersTwinSaves(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	store := &twinRules{RulesStore: w.rules}
	w.opts.Rules = store
	c := w.serve(t)
	_, f := soPage(t, c, "warning")
	i := rowOf(t, f, "Warning status: Databases are out of date")
	f.Set("on."+i, "on")
	f.Set("priority."+i, "High")
	code, body := soPost(t, c, f, "save")
	if code != http.StatusOK {
		t.Fatalf("save: %d\n%s", code, body)
	}
	mustContain(t, body, "Already saved")
	if _, rev, _ := w.rules.LoadRules(context.Background()); rev != 2 {
		t.Errorf("revision %d, want 2: the twin's save only", rev)
	}

	// The twin saved something else in the row.
	_, f = soPage(t, c, "warning")
	cur, _, _ := w.rules.LoadRules(context.Background())
	other := cur.Clone()
	for k := range other.Statuses {
		if other.Statuses[k].ID == (serviceorder.StatusRuleID{Level: kaspersky.StatusWarning, Code: kaspersky.StatusDatabasesOutdated}) {
			other.Statuses[k].Priority = "Low"
		}
	}
	store.arm(other)
	f.Set("type."+i, "Security alert")
	code, body = soPost(t, c, f, "save")
	if code != http.StatusConflict {
		t.Errorf("save over different settings: %d, want 409", code)
	}
	mustContain(t, body, "differ from yours in: Databases are out of date")
}

// TestServiceOrdersCreationDelay: General shows the status rules' creation
// delay in minutes (0 when the rules set none), with an accessible name, and
// saves it with the section; a delay out of range or not a number is refused,
// named next to its field, and nothing is stored.
func TestServiceOrdersCreationDelay(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	body, f := soPage(t, c, "general")
	if got := f.Get("creationDelay"); got != "0" {
		t.Errorf("creation delay shown %q, want 0", got)
	}
	if !regexp.MustCompile(`<label>Creation delay \(minutes\) <input type="number" name="creationDelay" id="creationDelay"[^>]* max="10080"`).MatchString(body) {
		t.Errorf("no labelled creation delay field of at most 10080 minutes on the page:\n%s", body)
	}
	f.Set("creationDelay", "45")
	if code, body := soPost(t, c, f, "save"); code != http.StatusOK || !strings.Contains(body, "Saved.") {
		t.Fatalf("save: %d\n%s", code, body)
	}
	got, rev, _ := w.rules.LoadRules(context.Background())
	if got.CreationDelay != 45*time.Minute {
		t.Errorf("saved creation delay %v, want 45m", got.CreationDelay)
	}
	if _, f := soPage(t, c, "general"); f.Get("creationDelay") != "45" {
		t.Errorf("after reload the creation delay is %q", f.Get("creationDelay"))
	}
	for v, want := range map[string]string{
		"10081": "General: creation delay: 10081 minutes is more than the 10080 minutes (7 days) allowed",
		"-5":    "General: creation delay: -5 minutes is negative",
		"1.5":   `General: creation delay: "1.5" is not a whole number of minutes`,
	} {
		_, f := soPage(t, c, "general")
		f.Set("creationDelay", v)
		code, body := soPost(t, c, f, "save")
		if code != http.StatusUnprocessableEntity {
			t.Errorf("creation delay %s: %d, want 422", v, code)
		}
		mustContain(t, body, want)
		if !regexp.MustCompile(`id="creationDelay"[^>]*></label>\s*<span class="field-error">`).MatchString(body) {
			t.Errorf("creation delay %s: no error next to the field", v)
		}
		if got, rev2, _ := w.rules.LoadRules(context.Background()); rev2 != rev || got.CreationDelay != 45*time.Minute {
			t.Errorf("creation delay %s was saved: revision %d, delay %v", v, rev2, got.CreationDelay)
		}
	}
	// The largest delay is accepted; 0 turns the delay off.
	for _, v := range []string{"10080", "0"} {
		_, f := soPage(t, c, "general")
		f.Set("creationDelay", v)
		if code, body := soPost(t, c, f, "save"); code != http.StatusOK || !strings.Contains(body, "Saved.") {
			t.Fatalf("save %s: %d\n%s", v, code, body)
		}
	}
	if got, _, _ := w.rules.LoadRules(context.Background()); got.CreationDelay != 0 {
		t.Errorf("creation delay after saving 0: %v", got.CreationDelay)
	}
}
