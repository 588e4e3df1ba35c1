package console

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	text := html.UnescapeString(body)
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("page does not contain %q:\n%s", w, text)
		}
	}
}

func mustNotContain(t *testing.T, body string, bad ...string) {
	t.Helper()
	text := html.UnescapeString(body)
	for _, b := range bad {
		if strings.Contains(text, b) {
			t.Errorf("page contains %q", b)
		}
	}
}

func TestCompaniesOffersOnlyTenantsOfNoOtherIntegration(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	code, body := c.get("/companies")
	if code != http.StatusOK {
		t.Fatalf("GET /companies: %d", code)
	}
	mustContain(t, body, "Add / remove virtual servers", `value="vs-1" id="tenant-vs-1" checked`, `value="vs-3" id="tenant-vs-3">`)
	mustNotContain(t, body, "Taken Co")

	// Add Northwind, remove Fabrikam, OK.
	f := c.form("/companies")
	f["tenant"] = []string{"vs-1", "vs-3"}
	f.Set("action", "save")
	if code, body := c.post("/companies", f); code != http.StatusOK {
		t.Fatalf("OK: %d\n%s", code, body)
	}
	got := w.saved(t).Tenants
	want := []mapping.Tenant{{ID: "vs-1", Name: "Contoso"}, {ID: "vs-3", Name: "Northwind VS"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("saved tenants (-want +got):\n%s", diff)
	}

	// A tenant of another integration, posted by hand, is refused.
	before := w.saved(t)
	f = c.form("/companies")
	f["tenant"] = []string{"vs-1", "vs-4"}
	f.Set("action", "save")
	code, body = c.post("/companies", f)
	if code != http.StatusUnprocessableEntity {
		t.Errorf("taken tenant: status %d, want 422", code)
	}
	mustContain(t, body, "Not saved", "vs-4")
	if diff := cmp.Diff(before, w.saved(t)); diff != "" {
		t.Errorf("store changed on error:\n%s", diff)
	}
}

// accountsForm is the Accounts form of the two saved tenants, with row 0 set.
func accountsForm(c *client, account, agreement, level string, billing bool) url.Values {
	f := c.form("/accounts")
	f["row"] = []string{"0", "1"}
	f.Set("id.0", "vs-1")
	f.Set("id.1", "vs-2")
	f.Set("account.0", account)
	f.Set("shown.0", account)
	f.Set("agreement.0", agreement)
	f.Set("level.0", level)
	if billing {
		f.Set("billing.0", "on")
	}
	f.Set("action", "save")
	return f
}

func TestAccountsMapAccountWithBilling(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	code, body := c.post("/accounts", accountsForm(c, "101", "501", "2", true))
	if code != http.StatusOK {
		t.Fatalf("save: %d\n%s", code, body)
	}
	mustContain(t, body, "Saved.", "501, starts 2026-01-01")
	// Only the recurring agreements of the chosen account are offered.
	mustNotContain(t, body, "502, starts", "503, starts")
	got := w.saved(t).Tenants[0].Account
	want := &mapping.AccountMapping{Number: 101, Billing: mapping.Billing{Enabled: true, Agreement: 501, PriceLevel: 2}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("saved account (-want +got):\n%s", diff)
	}
}

func TestAccountsBadInputLeavesStoreUnchanged(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                      string
		account, agreement, level string
		billing                   bool
		want                      string
	}{
		{"unknown account", "999", "", "", false, "999"},
		{"agreement of another account", "101", "502", "2", true, "502"},
		{"agreement not recurring", "101", "503", "2", true, "503"},
		{"billing without agreement", "101", "", "2", true, "agreement"},
		{"billing without price level", "101", "501", "", true, "price level"},
		{"not cross-referenced", "103", "", "2", true, "cross-referenced"},
		{"malformed number", "abc", "", "", false, "is not a number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			c := w.serve(t)
			before := w.saved(t)
			code, body := c.post("/accounts", accountsForm(c, tc.account, tc.agreement, tc.level, tc.billing))
			if code != http.StatusUnprocessableEntity {
				t.Errorf("status %d, want 422", code)
			}
			mustContain(t, body, "Not saved")
			if !strings.Contains(html.UnescapeString(body), tc.want) {
				t.Errorf("page does not say %q", tc.want)
			}
			if tc.name != "malformed number" && !strings.Contains(body, `class="field-error"`) {
				t.Errorf("no error next to a field:\n%s", body)
			}
			if diff := cmp.Diff(before, w.saved(t)); diff != "" {
				t.Errorf("store changed on error:\n%s", diff)
			}
		})
	}
}

func TestAccountsCrossReferenceMessage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	_, body := c.post("/accounts", accountsForm(c, "103", "", "2", true))
	text := strings.ToLower(html.UnescapeString(body))
	if !strings.Contains(text, "cross-referenced") {
		t.Errorf("no cross-reference message:\n%s", text)
	}
}

func TestAccountsConcurrentSaveIsReported(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	f := accountsForm(c, "101", "501", "2", true) // read at the current revision
	other := w.saved(t)
	other.Tenants[1].Account = &mapping.AccountMapping{Number: 102}
	if _, err := w.store.Save(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	want := w.saved(t)
	_, body := c.post("/accounts", f)
	mustContain(t, body, "revision conflict")
	if diff := cmp.Diff(want, w.saved(t)); diff != "" {
		t.Errorf("the other save was overwritten:\n%s", diff)
	}
}

func TestAccountsCancelResetRefreshAndSearch(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	if code, body := c.post("/accounts", accountsForm(c, "101", "501", "2", true)); code != http.StatusOK {
		t.Fatalf("save: %d\n%s", code, body)
	}
	saved := w.saved(t)

	// Refresh stages a new account and lists its agreements; nothing is saved.
	f := accountsForm(c, "102", "501", "2", true)
	f.Set("shown.0", "101")
	f.Set("action", "refresh")
	_, body := c.post("/accounts", f)
	mustContain(t, body, "502, starts 2026-03-01", "not saved yet")
	mustNotContain(t, body, "501, starts")
	if diff := cmp.Diff(saved, w.saved(t)); diff != "" {
		t.Errorf("refresh saved:\n%s", diff)
	}

	f.Set("action", "cancel")
	_, body = c.post("/accounts", f)
	mustContain(t, body, "Changes cancelled", `<option value="501" selected>`)

	f.Set("action", "reset")
	_, body = c.post("/accounts", f)
	mustContain(t, body, "Defaults shown", `<option value="" selected>(not mapped)</option>`)
	mustNotContain(t, body, `<option value="101" selected>`)
	if diff := cmp.Diff(saved, w.saved(t)); diff != "" {
		t.Errorf("reset saved before Save:\n%s", diff)
	}

	_, body = c.get("/accounts?q=fAB")
	mustContain(t, body, `<tr id="row-0" data-tenant="vs-1" hidden>`, `<tr id="row-1" data-tenant="vs-2">`)
}

func TestServiceOrdersGeneralRequired(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	before, rev, _ := w.rules.LoadRules(context.Background())
	f := c.form("/serviceorders?section=general")
	f.Set("section", "general")
	f.Set("rep", "")
	f.Set("newStatus", "New")
	f.Set("closedStatus", "")
	f.Set("action", "save")
	code, body := c.post("/serviceorders", f)
	if code != http.StatusUnprocessableEntity {
		t.Errorf("status %d, want 422", code)
	}
	mustContain(t, body, "Not saved", "is required")
	if n := strings.Count(body, `class="field-error"`); n != 2 {
		t.Errorf("%d field errors, want 2 (rep, closed status)", n)
	}
	after, rev2, _ := w.rules.LoadRules(context.Background())
	if rev2 != rev {
		t.Errorf("revision moved %d -> %d on error", rev, rev2)
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("rules changed on error:\n%s", diff)
	}

	f.Set("rep", "999")
	f.Set("closedStatus", "Closed")
	_, body = c.post("/serviceorders", f)
	mustContain(t, body, "rep 999 does not exist in Tigerpaw")
}

// statusForm posts the Warning status rows as they are on the page.
func statusForm(t *testing.T, c *client, rules serviceorder.Rules) url.Values {
	f := c.form("/serviceorders?section=warning")
	f.Set("section", "warning")
	for i, s := range rules.Statuses {
		if s.ID.Level != kaspersky.StatusWarning {
			continue
		}
		k := func(p string) string { return p + "." + itoa(i) }
		f.Set(k("rule"), s.ID.String())
		if s.Enabled {
			f.Set(k("on"), "on")
		}
		f.Set(k("board"), itoa(s.Board))
		f.Set(k("priority"), s.Priority)
		f.Set(k("type"), s.Type)
	}
	return f
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestServiceOrdersBulkEditThenSave(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	rules, _, _ := w.rules.LoadRules(context.Background())
	f := statusForm(t, c, rules)
	for _, i := range []string{"0", "1", "2"} {
		f.Set("sel."+i, "on")
	}
	f.Set("bulk.on", "on")
	f.Set("bulk.board", "1")
	f.Set("bulk.priority", "High")
	f.Set("bulk.type", "Security alert")
	f.Set("action", "bulk")
	code, body := c.post("/serviceorders", f)
	if code != http.StatusOK {
		t.Fatalf("bulk: %d\n%s", code, body)
	}
	if n := len(regexp.MustCompile(`id="on-\d+" aria-label="[^"]*: Create service order" checked>`).FindAllString(body, -1)); n != 3 {
		t.Errorf("%d rows on after the bulk edit, want 3", n)
	}
	if got, _, _ := w.rules.LoadRules(context.Background()); !cmp.Equal(got, rules) {
		t.Error("bulk edit saved before Save")
	}

	// Save what the page shows after the bulk edit.
	f.Del("bulk.on")
	f.Set("action", "save")
	for _, i := range []string{"0", "1", "2"} {
		f.Set("on."+i, "on")
		f.Set("board."+i, "1")
		f.Set("priority."+i, "High")
		f.Set("type."+i, "Security alert")
	}
	if code, body := c.post("/serviceorders", f); code != http.StatusOK {
		t.Fatalf("save: %d\n%s", code, body)
	}
	got, _, _ := w.rules.LoadRules(context.Background())
	on := serviceorder.OrderSettings{Enabled: true, Board: 1, Priority: "High", Type: "Security alert"}
	for i, s := range got.Statuses {
		want := serviceorder.OrderSettings{}
		if i < 3 {
			want = on
		}
		if s.OrderSettings != want {
			t.Errorf("status %d (%s): %+v, want %+v", i, s.ID, s.OrderSettings, want)
		}
	}

	// Bulk edit with nothing selected is an error, not a silent no-op.
	f = statusForm(t, c, got)
	f.Set("action", "bulk")
	f.Set("bulk.on", "off")
	_, body = c.post("/serviceorders", f)
	mustContain(t, body, "select one or more rows")
}

func TestServiceOrdersPriorityRequiredAndConflict(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	rules, rev, _ := w.rules.LoadRules(context.Background())
	f := statusForm(t, c, rules)
	f.Set("on.0", "on")
	f.Set("action", "save")
	_, body := c.post("/serviceorders", f)
	mustContain(t, body, "is required when the rule is on")
	if _, rev2, _ := w.rules.LoadRules(context.Background()); rev2 != rev {
		t.Error("saved despite the missing priority")
	}

	// Someone saves in between: the page's save is refused.
	f.Set("priority.0", "High")
	other := rules.Clone()
	other.General.NewStatus = "Closed"
	other.General.ClosedStatus = "New"
	if _, err := w.rules.SaveRules(context.Background(), other, rev); err != nil {
		t.Fatal(err)
	}
	code, body := c.post("/serviceorders", f)
	if code != http.StatusConflict {
		t.Errorf("status %d, want 409", code)
	}
	mustContain(t, body, "revision conflict")
	if got, _, _ := w.rules.LoadRules(context.Background()); !cmp.Equal(got, other) {
		t.Error("the other save was overwritten")
	}
}

func TestServiceOrdersSections(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	hub := hubOrdersWorld(t).serve(t)
	_, body := hub.get("/serviceorders?section=o365")
	mustContain(t, body, "Event type", "Exchange Online connection problem")
	mustNotContain(t, body, "Lifetime")
	_, body = hub.get("/serviceorders?section=kescloud")
	mustContain(t, body, "Event severity", "Lifetime (days)", `name="lifetime.`)
	_, body = c.get("/serviceorders?section=ksc")
	mustContain(t, body, "Event severity", "Lifetime (days)", `name="lifetime.`)
	if code, _ := c.get("/serviceorders?section=nope"); code != http.StatusNotFound {
		t.Errorf("unknown section: %d", code)
	}

	// Reset shows the defaults without saving them.
	rules, rev, _ := w.rules.LoadRules(context.Background())
	f := c.form("/serviceorders?section=general")
	f.Set("section", "general")
	f.Set("action", "reset")
	_, body = c.post("/serviceorders", f)
	mustContain(t, body, "Defaults shown", `<option value="" selected>Select rep</option>`)
	if got, rev2, _ := w.rules.LoadRules(context.Background()); rev2 != rev || !cmp.Equal(got, rules) {
		t.Error("reset saved")
	}
}

func TestPriceBook(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	adv, plus := -1, -1
	for i, a := range kaspersky.Catalog {
		switch a.ID {
		case kaspersky.AppKESBAdvanced:
			adv = i
		case kaspersky.AppKESCloudPlus:
			plus = i
		}
	}
	// Turn bill by category on: per-device applications get three fields,
	// per-user ones keep one.
	f := c.form("/pricebook")
	f.Set("byCategory", "on")
	f.Set("action", "refresh")
	_, body := c.post("/pricebook", f)
	mustContain(t, body, `id="workstations-kesb-advanced"`, `id="item-kes-cloud-plus"`)
	mustNotContain(t, body, `id="workstations-kes-cloud-plus"`)

	f = c.form("/pricebook")
	f.Set("byCategory", "on")
	for i, a := range kaspersky.Catalog {
		f.Set("app."+itoa(i), string(a.ID))
	}
	f.Set("workstations."+itoa(adv), "KESB-ADV-WS")
	f.Set("servers."+itoa(adv), "KESB-ADV-SRV")
	f.Set("nonWindows."+itoa(adv), "NO-SUCH-ITEM")
	f.Set("item."+itoa(plus), "KESC-PLUS")
	f.Set("action", "save")
	before := w.saved(t)
	code, body := c.post("/pricebook", f)
	if code != http.StatusUnprocessableEntity {
		t.Errorf("unknown item: %d", code)
	}
	mustContain(t, body, "NO-SUCH-ITEM")
	if diff := cmp.Diff(before, w.saved(t)); diff != "" {
		t.Errorf("store changed on error:\n%s", diff)
	}
	f.Set("nonWindows."+itoa(adv), "KESB-ADV-NW")
	if code, body := c.post("/pricebook", f); code != http.StatusOK {
		t.Fatalf("save: %d\n%s", code, body)
	}
	want := mapping.PriceBook{BillByCategory: true, Apps: []mapping.AppItems{
		mapping.ItemsByCategory(kaspersky.AppKESBAdvanced, "KESB-ADV-WS", "KESB-ADV-SRV", "KESB-ADV-NW"),
		mapping.SingleItem(kaspersky.AppKESCloudPlus, "KESC-PLUS"),
	}}
	if diff := cmp.Diff(want, w.saved(t).PriceBook); diff != "" {
		t.Errorf("saved price book (-want +got):\n%s", diff)
	}
}

func TestViews(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	_, body := c.get("/unmapped?type=Customer")
	mustContain(t, body, "Contoso Ltd", "Northwind Traders")
	mustNotContain(t, body, "Litware")
	_, body = c.get("/unmapped")
	mustContain(t, body, "Litware")
	_, body = c.get("/plan")
	mustContain(t, body, "+ 1 to create", "KESB-ADV-WS")
}

func TestSecurity(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	o := w.opts
	o.Addr = "0.0.0.0:8080"
	if _, err := New(o); err == nil {
		t.Error("New on a non-loopback address without credentials: no error")
	}
	o.Addr = "127.0.0.1:8080"
	if _, err := New(o); err != nil {
		t.Errorf("loopback: %v", err)
	}

	o.Addr, o.Token = "[::]:8080", "s3cret-token"
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(set func(*http.Request)) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/accounts", nil)
		set(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = strings.NewReader("").WriteTo(&b)
		buf := make([]byte, 1<<20)
		n, _ := resp.Body.Read(buf)
		return resp.StatusCode, string(buf[:n])
	}
	if code, _ := get(func(*http.Request) {}); code != http.StatusUnauthorized {
		t.Errorf("no credentials: %d, want 401", code)
	}
	if code, _ := get(func(r *http.Request) { r.Header.Set("Authorization", "Bearer wrong") }); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d, want 401", code)
	}
	code, body := get(func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cret-token") })
	if code != http.StatusOK {
		t.Errorf("token: %d, want 200", code)
	}
	if strings.Contains(body, "s3cret-token") {
		t.Error("the token is rendered")
	}
	if code, _ := get(func(r *http.Request) { r.SetBasicAuth("anyone", "s3cret-token") }); code != http.StatusOK {
		t.Errorf("token as basic-auth password: %d, want 200", code)
	}

	// A form without the CSRF token is refused and changes nothing.
	c := w.serve(t)
	before := w.saved(t)
	f := accountsForm(c, "101", "501", "2", true)
	f.Del("csrf")
	if code, _ := c.post("/accounts", f); code != http.StatusForbidden {
		t.Errorf("no csrf: %d, want 403", code)
	}
	f.Set("csrf", "00")
	if code, _ := c.post("/accounts", f); code != http.StatusForbidden {
		t.Errorf("wrong csrf: %d, want 403", code)
	}
	if diff := cmp.Diff(before, w.saved(t)); diff != "" {
		t.Errorf("store changed:\n%s", diff)
	}
	// Every form carries the token.
	for _, p := range []string{"/companies", "/accounts", "/serviceorders", "/pricebook"} {
		_, body := c.get(p)
		if strings.Count(body, "<form method=\"post\"") != strings.Count(body, `name="csrf"`) {
			t.Errorf("%s: a post form without the csrf field", p)
		}
	}
}

func TestLoopbackAddr(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:1": true, "[::1]:80": true, "127.1.2.3": true,
		":8080": false, "0.0.0.0:80": false, "10.0.0.1:80": false, "example.com:80": false,
	} {
		if got := LoopbackAddr(addr); got != want {
			t.Errorf("LoopbackAddr(%q) = %v, want %v", addr, got, want)
		}
	}
}
