package console

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/mapping/mappingtest"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// tenants is a fake console's tenant list.
type tenants []kaspersky.Tenant

func (t tenants) Tenants(context.Context) ([]kaspersky.Tenant, error) { return t, nil }
func (t tenants) Inventory(context.Context, string) (kaspersky.Inventory, error) {
	return kaspersky.Inventory{}, nil
}
func (t tenants) Events(context.Context, string, time.Time) ([]kaspersky.Event, error) {
	return nil, nil
}

// planner is a fake Planner returning a fixed plan.
type planner struct{ plan billing.Plan }

func (p planner) Plan(context.Context, mapping.Config) (billing.Plan, error) { return p.plan, nil }

// world is the test's Tigerpaw, console and stores.
type world struct {
	store *mapping.MemoryStore
	dir   *mappingtest.Directory
	rules *serviceorder.MemoryRules
	opts  Options
	// wrap, when set, wraps the console's handler in the browser tests (to
	// count requests).
	wrap func(http.Handler) http.Handler
}

// hubWorld is newWorld for a Business Hub integration: companies instead of
// virtual servers.
func hubWorld(t testing.TB) *world {
	t.Helper()
	w := newWorld(t)
	ctx := context.Background()
	w.store = mapping.NewMemoryStore()
	if _, err := w.store.Save(ctx, mapping.Config{Name: "main", Solution: mapping.SolutionHub, ExternalProductID: extProduct,
		Tenants:   []mapping.Tenant{{ID: "co-1", Name: "Contoso"}, {ID: "co-2", Name: "Fabrikam"}},
		PriceBook: mapping.PriceBook{Apps: []mapping.AppItems{mapping.SingleItem(kaspersky.AppKESCloudPlus, "KESC-PLUS")}}}); err != nil {
		t.Fatal(err)
	}
	w.opts.Store, w.opts.Solution = w.store, mapping.SolutionHub
	w.opts.Source = tenants{
		{ID: "co-1", Name: "Contoso", Kind: kaspersky.KindCompany},
		{ID: "co-2", Name: "Fabrikam", Kind: kaspersky.KindCompany},
		{ID: "co-3", Name: "Northwind", Kind: kaspersky.KindCompany},
	}
	return w
}

// The External Products of the test's Tigerpaw: the integration's, another
// active one (no account is cross-referenced to it) and an inactive one.
const (
	extProduct     = 7
	otherProduct   = 8
	retiredProduct = 9
)

func newWorld(t testing.TB) *world {
	t.Helper()
	ctx := context.Background()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	dir := mappingtest.NewDirectory().
		AddAccount(mapping.Account{Number: 101, Name: "Contoso Ltd", Type: "Customer"},
			mapping.Account{Number: 102, Name: "Fabrikam Inc", Type: "Customer"},
			mapping.Account{Number: 103, Name: "Northwind Traders", Type: "Customer"},
			mapping.Account{Number: 104, Name: "Litware Supplies", Type: "Vendor"}).
		CrossReference(101, extProduct).CrossReference(102, extProduct).
		AddAgreement(mapping.Agreement{Number: 501, Account: 101, Recurring: true, Start: start},
			mapping.Agreement{Number: 502, Account: 102, Recurring: true, Start: start.AddDate(0, 2, 0)},
			mapping.Agreement{Number: 503, Account: 101, Recurring: false, Start: start}).
		AddPriceLevel(mapping.PriceLevel{ID: 1, Description: "Standard"}, mapping.PriceLevel{ID: 2, Description: "MSP partner"}).
		AddItem("KESB-ADV-WS", "KESB-ADV-SRV", "KESB-ADV-NW", "KESC-PLUS").
		AddExternalProduct(mapping.ExternalProduct{ID: extProduct, Name: "Kaspersky Security Integration", Active: true},
			mapping.ExternalProduct{ID: otherProduct, Name: "Other RMM", Active: true},
			mapping.ExternalProduct{ID: retiredProduct, Name: "Retired PSA link"})
	store := mapping.NewMemoryStore()
	if _, err := store.Save(ctx, mapping.Config{Name: "other", Solution: mapping.SolutionKSC,
		Tenants: []mapping.Tenant{{ID: "vs-4", Name: "Taken Co"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Save(ctx, mapping.Config{Name: "main", Solution: mapping.SolutionKSC, ExternalProductID: extProduct,
		Tenants:   []mapping.Tenant{{ID: "vs-1", Name: "Contoso"}, {ID: "vs-2", Name: "Fabrikam"}},
		PriceBook: mapping.PriceBook{Apps: []mapping.AppItems{mapping.SingleItem(kaspersky.AppKESCloudPlus, "KESC-PLUS")}}}); err != nil {
		t.Fatal(err)
	}
	r := serviceorder.DefaultRules()
	r.General = serviceorder.General{Rep: 11, NewStatus: "New", ClosedStatus: "Closed"}
	rules := serviceorder.NewMemoryRules()
	if _, err := rules.SaveRules(ctx, r, 0); err != nil {
		t.Fatal(err)
	}
	lookups := &serviceorder.StaticLookups{
		RepList:      []serviceorder.Rep{{Number: 11, Name: "Dana Helpdesk"}, {Number: 12, Name: "Old Rep", Inactive: true}},
		StatusList:   []string{"New", "Closed"},
		BoardList:    []serviceorder.Board{{ID: 1, Name: "Security"}, {ID: 2, Name: "Helpdesk"}},
		PriorityList: []string{"High", "Low"},
		TypeList:     []string{"Security alert"},
	}
	src := tenants{
		{ID: "vs-1", Name: "Contoso", Kind: kaspersky.KindVirtualServer},
		{ID: "vs-2", Name: "Fabrikam", Kind: kaspersky.KindVirtualServer},
		{ID: "vs-3", Name: "Northwind VS", Kind: kaspersky.KindVirtualServer},
		{ID: "vs-4", Name: "Taken Co", Kind: kaspersky.KindVirtualServer},
	}
	plan := billing.Plan{Changes: []billing.Change{
		{Action: billing.Create, Agreement: 501, ItemID: "KESB-ADV-WS", Desired: billing.Charge{ItemID: "KESB-ADV-WS", Quantity: 90}, Reason: "new usage"},
	}}
	return &world{store: store, dir: dir, rules: rules, opts: Options{
		Store: store, Directory: dir, Integration: "main", Solution: mapping.SolutionKSC, ExternalProductID: extProduct,
		Source: src, Rules: rules, Lookups: lookups, Planner: planner{plan},
	}}
}

// client drives the console over HTTP.
type client struct {
	t   testing.TB
	srv *httptest.Server
	hc  *http.Client
}

func (w *world) serve(t testing.TB) *client {
	t.Helper()
	h, err := New(w.opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &client{t: t, srv: srv, hc: &http.Client{Jar: jar}}
}

func (c *client) do(req *http.Request) (int, string) {
	c.t.Helper()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func (c *client) get(path string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.srv.URL+path, nil)
	return c.do(req)
}

var (
	csrfRE     = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)
	revisionRE = regexp.MustCompile(`name="revision" value="(\d+)"`)
)

// form loads page and returns a form with its CSRF token and revision.
func (c *client) form(page string) url.Values {
	c.t.Helper()
	code, body := c.get(page)
	if code != http.StatusOK {
		c.t.Fatalf("GET %s: %d\n%s", page, code, body)
	}
	m, r := csrfRE.FindStringSubmatch(body), revisionRE.FindStringSubmatch(body)
	if m == nil || r == nil {
		c.t.Fatalf("GET %s: no csrf or revision field in\n%s", page, body)
	}
	return url.Values{"csrf": {m[1]}, "revision": {r[1]}}
}

func (c *client) post(path string, v url.Values) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.srv.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func (w *world) saved(t testing.TB) mapping.Config {
	t.Helper()
	cfg, err := w.store.Load(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
