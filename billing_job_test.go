package kasperskytigerpaw

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

var billingNow = time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)

// billingWorld is a Tigerpaw with one customer billed by category, and the
// tenant's inventory: the seed's 90 workstations and 10 servers with Kaspersky
// Endpoint Security for Business Advanced.
type billingWorld struct {
	srv       *tigerpawtest.Server
	src       *memSource
	cfg       mapping.Config
	agreement int
}

func newBillingWorld(t *testing.T) *billingWorld {
	t.Helper()
	srv := tigerpawtest.NewServer(t)
	acct := srv.AddAccount(tigerpawtest.Account{Name: "Contoso", Type: "Customer"})
	agr := srv.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct.Number, BillingPeriod: 1, StartDate: billingNow.AddDate(-1, 0, 0)})
	std := srv.AddPriceLevel(tigerpawtest.PriceLevel{Description: "Standard"})
	disc := srv.AddPriceLevel(tigerpawtest.PriceLevel{Description: "Discount"})
	srv.AddPriceBookItem(tigerpawtest.PriceBookItem{ItemID: "KESB-ADV-WS", Description: "KESB Advanced workstation", SellingPrices: map[int]int64{std.ID: 450, disc.ID: 400}})
	srv.AddPriceBookItem(tigerpawtest.PriceBookItem{ItemID: "KESB-ADV-SRV", Description: "KESB Advanced server", SellingPrices: map[int]int64{std.ID: 1200, disc.ID: 1000}})
	srv.AddPriceBookItem(tigerpawtest.PriceBookItem{ItemID: "KESB-ADV-NW", Description: "KESB Advanced non-Windows", SellingPrices: map[int]int64{std.ID: 300, disc.ID: 250}})
	// A charge a person added by hand for the same item: never touched.
	srv.AddCharge(tigerpawtest.Charge{AgreementNumber: agr.Number, SpecialItemID: "KESB-ADV-WS", ItemDescription: "Onsite install", Quantity: 3, Price: 9900, PriceLevel: std.ID})

	inv := kaspersky.Inventory{Tenant: kaspersky.Tenant{ID: "vs-1", Name: "Contoso VS", Kind: kaspersky.KindVirtualServer}}
	lic := kaspersky.License{ID: "K1", Application: kaspersky.AppKESBAdvanced, Type: kaspersky.KeyCommercial, Expires: billingNow.AddDate(1, 0, 0)}
	for i := range 100 {
		cat := kaspersky.WindowsWorkstation
		if i >= 90 {
			cat = kaspersky.WindowsServer
		}
		id := fmt.Sprintf("host-%03d", i)
		inv.Devices = append(inv.Devices, kaspersky.Device{ID: id, TenantID: "vs-1", Name: id, Category: cat})
		lic.ActiveDevices = append(lic.ActiveDevices, id)
	}
	inv.Licenses = []kaspersky.License{lic}
	src := newMemSource()
	src.set(inv)

	cfg := mapping.Config{
		Name:     "main",
		Solution: mapping.SolutionKSC,
		Tenants: []mapping.Tenant{{
			ID: "vs-1", Name: "Contoso VS",
			Account: &mapping.AccountMapping{Number: acct.Number, Billing: mapping.Billing{Enabled: true, Agreement: agr.Number, PriceLevel: disc.ID}},
		}},
		PriceBook: mapping.PriceBook{BillByCategory: true, Apps: []mapping.AppItems{
			mapping.ItemsByCategory(kaspersky.AppKESBAdvanced, "KESB-ADV-WS", "KESB-ADV-SRV", "KESB-ADV-NW"),
		}},
	}
	return &billingWorld{srv: srv, src: src, cfg: cfg, agreement: agr.Number}
}

func (w *billingWorld) job(t *testing.T) *BillingJob {
	return &BillingJob{
		Source:       w.src,
		Tigerpaw:     w.srv.Client(t),
		Now:          func() time.Time { return billingNow },
		ApplyOptions: []billing.ApplyOption{billing.WithBackoff(time.Millisecond)},
	}
}

// chargeView is a charge of the fake without its server-allocated fields.
type chargeView struct {
	Item     string
	Owned    bool
	Quantity int
	Price    int64
}

func (w *billingWorld) charges() []chargeView {
	var out []chargeView
	for _, c := range w.srv.Charges(w.agreement) {
		ch := billing.Charge{Description: c.ItemDescription}
		out = append(out, chargeView{c.SpecialItemID, ch.Owned(), c.Quantity, c.Price})
	}
	return out
}

var wantSeedCharges = []chargeView{
	{"KESB-ADV-SRV", true, 10, 1000},
	{"KESB-ADV-WS", false, 3, 9900},
	{"KESB-ADV-WS", true, 90, 400},
}

func sortCharges() cmp.Option {
	return cmpopts.SortSlices(func(a, b chargeView) bool {
		if a.Item != b.Item {
			return a.Item < b.Item
		}
		return !a.Owned && b.Owned
	})
}

func TestBillingJobSeedExampleOverTigerpaw(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	job := w.job(t)

	plan, err := job.Plan(t.Context(), w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("+ agreement %d item KESB-ADV-SRV qty 10 @ 10.00\n+ agreement %d item KESB-ADV-WS qty 90 @ 4.00\n", w.agreement, w.agreement)
	if got := plan.String(); got != want {
		t.Errorf("dry-run plan:\n%s\nwant:\n%s", got, want)
	}
	if n := w.srv.Count("POST", "/api/agreements/{n}/additionalcharges"); n != 0 {
		t.Fatalf("the dry run wrote %d charges", n)
	}

	_, res, err := job.Run(t.Context(), w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 2 || res.Updated+res.Deleted != 0 || len(res.Failed) != 0 {
		t.Errorf("result = %+v, want 2 created", res)
	}
	if diff := cmp.Diff(wantSeedCharges, w.charges(), sortCharges()); diff != "" {
		t.Errorf("charges (-want +got):\n%s", diff)
	}

	if n := w.srv.Count("POST", "/api/agreements/{n}/additionalcharges"); n != 2 {
		t.Errorf("POST requests = %d, want 2", n)
	}

	// The same world again: nothing to do, nothing written.
	w.srv.ResetCounts()
	plan, _, err = job.Run(t.Context(), w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Empty() {
		t.Errorf("second plan not empty:\n%s", plan)
	}
	writes := w.srv.Count("POST", "/api/agreements/{n}/additionalcharges") +
		w.srv.Count("PUT", "/api/agreements/{n}/additionalcharges/{d}") +
		w.srv.Count("DELETE", "/api/agreements/{n}/additionalcharges/{d}")
	if writes != 0 {
		t.Errorf("writes on the second run: %d", writes)
	}
	if n := w.srv.Count("GET", "/api/agreements/{n}/additionalcharges"); n != 1 {
		t.Errorf("charge lists on the second run: %d, want 1", n)
	}
}

func TestBillingJobUsageChangesOverTigerpaw(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	job := w.job(t)
	if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
		t.Fatal(err)
	}
	// Two workstations drop out, the servers' key expires.
	inv, _ := w.src.Inventory(t.Context(), "vs-1")
	lic := inv.Licenses[0]
	var ws []string
	for _, id := range lic.ActiveDevices[:88] {
		ws = append(ws, id)
	}
	servers := lic.ActiveDevices[90:]
	lic.ActiveDevices = ws
	expired := kaspersky.License{ID: "K2", Application: kaspersky.AppKESBAdvanced, Type: kaspersky.KeyCommercial, Expires: billingNow.Add(-time.Hour), ActiveDevices: servers}
	inv.Licenses = []kaspersky.License{lic, expired}
	w.src.set(inv)

	plan, res, err := job.Run(t.Context(), w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("- agreement %[1]d item KESB-ADV-SRV qty 10 @ 10.00\n~ agreement %[1]d item KESB-ADV-WS qty 90 → 88\n", w.agreement)
	if got := plan.String(); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
	if res.Updated != 1 || res.Deleted != 1 {
		t.Errorf("result = %+v", res)
	}
	wantCharges := []chargeView{{"KESB-ADV-WS", false, 3, 9900}, {"KESB-ADV-WS", true, 88, 400}}
	if diff := cmp.Diff(wantCharges, w.charges(), sortCharges()); diff != "" {
		t.Errorf("charges (-want +got):\n%s", diff)
	}
}

// TestBillingJobFaultsOverTigerpaw injects faults into the charge writes. Each
// run ends with exactly the desired charges: no duplicate, nothing lost.
func TestBillingJobFaultsOverTigerpaw(t *testing.T) {
	t.Parallel()
	const charges = "/api/agreements/{n}/additionalcharges"
	tests := []struct {
		name   string
		method string
		path   string
		n      int
		fault  tigerpawtest.Fault
		// runs is how many cycles it takes (a rejected create waits for the next).
		runs int
	}{
		{"create applied then connection dropped", "POST", charges, 1, tigerpawtest.Fault{Drop: true, AfterApply: true}, 1},
		{"both creates applied then 502", "POST", charges, 2, tigerpawtest.Fault{Status: http.StatusBadGateway, AfterApply: true}, 1},
		{"create dropped before apply", "POST", charges, 1, tigerpawtest.Fault{Drop: true}, 1},
		{"create answered 503", "POST", charges, 1, tigerpawtest.Fault{Status: http.StatusServiceUnavailable}, 1},
		{"create rejected", "POST", charges, 1, tigerpawtest.Fault{Status: http.StatusOK, Body: `{"Success":false,"Message":"Agreement is being edited."}`}, 2},
		{"list of charges fails twice", "GET", charges, 2, tigerpawtest.Fault{Status: http.StatusServiceUnavailable}, 1},
		{"slow create", "POST", charges, 1, tigerpawtest.Fault{Delay: 20 * time.Millisecond}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newBillingWorld(t)
			job := w.job(t)
			w.srv.FailNext(tt.method, tt.path, tt.n, tt.fault)
			var lastErr error
			for range tt.runs {
				_, _, lastErr = job.Run(t.Context(), w.cfg)
			}
			if lastErr != nil {
				t.Errorf("last run: %v", lastErr)
			}
			if diff := cmp.Diff(wantSeedCharges, w.charges(), sortCharges()); diff != "" {
				t.Errorf("charges (-want +got):\n%s", diff)
			}
			plan, err := job.Plan(t.Context(), w.cfg)
			if err != nil || !plan.Empty() {
				t.Errorf("plan after the faults: %v\n%s", err, plan)
			}
		})
	}
}

func TestBillingJobSkipsWhatItCannotRead(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	w.src.failing["vs-1"] = errors.New("console unreachable")
	plan, err := w.job(t).Plan(t.Context(), w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Changes) != 0 || len(plan.Skipped) != 1 || !errors.Is(plan.Skipped[0].Err, billing.ErrNoInventory) {
		t.Errorf("plan = %+v, want the agreement skipped for lack of inventory", plan)
	}

	// A price level at which an item has no price skips the agreement too.
	w = newBillingWorld(t)
	lvl := w.srv.AddPriceLevel(tigerpawtest.PriceLevel{Description: "Unpriced"})
	w.cfg.Tenants[0].Account.Billing.PriceLevel = lvl.ID
	plan, err = w.job(t).Plan(t.Context(), w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Changes) != 0 || len(plan.Skipped) != 1 || !errors.Is(plan.Skipped[0].Err, billing.ErrNoPrice) {
		t.Errorf("plan = %+v, want the agreement skipped for lack of a price", plan)
	}

	if _, err := (&BillingJob{}).Plan(t.Context(), w.cfg); err == nil {
		t.Error("a job without source and client planned")
	}
}

// TestBillingJobItemIDsIgnoreCase maps price book items with a spelling that
// differs from Tigerpaw's only in letter case, as Tigerpaw itself compares item
// ids: the configuration validates, the prices load and the charges are billed
// once, with an empty plan on the next run.
func TestBillingJobItemIDsIgnoreCase(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	w.cfg.PriceBook.Apps = []mapping.AppItems{
		mapping.ItemsByCategory(kaspersky.AppKESBAdvanced, "kesb-adv-ws", "KESB-ADV-SRV", "Kesb-Adv-Nw"),
	}
	dir, err := NewDirectory(w.srv.Client(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"kesb-adv-ws", "Kesb-Adv-Nw"} {
		if it, err := dir.PriceBookItem(t.Context(), id); err != nil || !strings.EqualFold(it.ID, id) {
			t.Errorf("PriceBookItem(%q) = %+v, %v; want Tigerpaw's item", id, it, err)
		}
	}
	if _, err := dir.PriceBookItem(t.Context(), "KESB-ADV"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("PriceBookItem of a prefix = %v, want ErrNotFound", err)
	}
	job := w.job(t)
	plan, res, err := job.Run(t.Context(), w.cfg)
	if err != nil || len(plan.Skipped) != 0 {
		t.Fatalf("run: %v, skipped %+v", err, plan.Skipped)
	}
	if res.Created != 2 {
		t.Errorf("result = %+v, want 2 created", res)
	}
	if diff := cmp.Diff(wantSeedCharges, w.charges(), sortCharges()); diff != "" {
		t.Errorf("charges (-want +got):\n%s", diff)
	}
	plan, err = job.Plan(t.Context(), w.cfg)
	if err != nil || !plan.Empty() || len(plan.Skipped) != 0 {
		t.Errorf("second plan: %v\n%s", err, plan)
	}
}

// TestLoadPricesTwoSpellingsOfOneItem maps two applications to the same item,
// spelled in two letter cases: billing bills them to one item, so both
// spellings must be priced.
func TestLoadPricesTwoSpellingsOfOneItem(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	w.cfg.PriceBook = mapping.PriceBook{Apps: []mapping.AppItems{
		mapping.SingleItem(kaspersky.AppKESBAdvanced, "kesb-adv-ws"),
		mapping.SingleItem(kaspersky.AppKESBSelect, "KESB-ADV-WS "),
	}}
	prices, err := LoadPrices(t.Context(), w.srv.Client(t), w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	level := w.cfg.Tenants[0].Account.Billing.PriceLevel
	for _, id := range []string{"kesb-adv-ws", "KESB-ADV-WS"} {
		if p, ok := prices.Price(id, level); !ok || p != 400 {
			t.Errorf("price of %q = %v, %v; want 4.00", id, p, ok)
		}
	}
	plan, err := w.job(t).Plan(t.Context(), w.cfg)
	if err != nil || len(plan.Skipped) != 0 {
		t.Fatalf("plan: %v, skipped %+v", err, plan.Skipped)
	}
	if c, _, _, _ := plan.Counts(); c != 1 {
		t.Errorf("plan:\n%s\nwant one create", plan)
	}
}

// TestBillingJobOwnedChargesAsPeopleLeaveThem starts from owned charges that a
// person or the server changed: a different price level, a description cut
// short or rewritten (the marker kept), a duplicate. One run converges, and the
// next plans nothing.
func TestBillingJobOwnedChargesAsPeopleLeaveThem(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	level := w.cfg.Tenants[0].Account.Billing.PriceLevel
	std := level - 1 // the "Standard" level of newBillingWorld
	// Servers: right quantity and price, but the standard level.
	w.srv.AddCharge(tigerpawtest.Charge{AgreementNumber: w.agreement, SpecialItemID: "KESB-ADV-SRV", ItemDescription: billing.OwnerMarker, Quantity: 10, Price: 1000, PriceLevel: std})
	// Workstations: right values under a rewritten description, and a duplicate.
	w.srv.AddCharge(tigerpawtest.Charge{AgreementNumber: w.agreement, SpecialItemID: "kesb-adv-ws", ItemDescription: "  [KASPERSKY:AUTO] renamed by Dana", Quantity: 90, Price: 400, PriceLevel: level})
	w.srv.AddCharge(tigerpawtest.Charge{AgreementNumber: w.agreement, SpecialItemID: "KESB-ADV-WS", ItemDescription: billing.OwnerMarker + " KESB", Quantity: 90, Price: 400, PriceLevel: level})
	job := w.job(t)
	plan, res, err := job.Run(t.Context(), w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Updated != 1 || res.Deleted != 1 || res.Created != 0 || res.Unchanged != 1 {
		t.Errorf("result = %+v, want 1 updated (level), 1 deleted (duplicate), 1 unchanged\n%s", res, plan.Explain())
	}
	if diff := cmp.Diff(wantSeedCharges, w.charges(), sortCharges(), cmp.Comparer(func(a, b string) bool { return strings.EqualFold(a, b) })); diff != "" {
		t.Errorf("charges (-want +got):\n%s", diff)
	}
	for _, c := range w.srv.Charges(w.agreement) {
		if c.SpecialItemID == "KESB-ADV-SRV" && c.PriceLevel != level {
			t.Errorf("server charge at level %d, want %d", c.PriceLevel, level)
		}
	}
	plan, err = job.Plan(t.Context(), w.cfg)
	if err != nil || !plan.Empty() {
		t.Errorf("second plan: %v\n%s", err, plan)
	}
}

// TestBillingJobTwoAgreementsShareItems bills two customers to the same price
// book items on their own agreements: each agreement gets its own charges.
func TestBillingJobTwoAgreementsShareItems(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	acct2 := w.srv.AddAccount(tigerpawtest.Account{Name: "Fabrikam", Type: "Customer"})
	agr2 := w.srv.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct2.Number, BillingPeriod: 1, StartDate: billingNow.AddDate(-1, 0, 0)})
	inv, _ := w.src.Inventory(t.Context(), "vs-1")
	inv2 := inv
	inv2.Tenant = kaspersky.Tenant{ID: "vs-2", Name: "Fabrikam VS", Kind: kaspersky.KindVirtualServer}
	inv2.Devices = inv.Devices[85:95] // 5 workstations, 5 servers; the same device ids as vs-1
	w.src.set(inv2)
	level := w.cfg.Tenants[0].Account.Billing.PriceLevel
	w.cfg.Tenants = append(w.cfg.Tenants, mapping.Tenant{ID: "vs-2", Name: "Fabrikam VS",
		Account: &mapping.AccountMapping{Number: acct2.Number, Billing: mapping.Billing{Enabled: true, Agreement: agr2.Number, PriceLevel: level - 1}}})
	// vs-2's license covers only the devices it lists: same ids, other tenant.
	inv2.Licenses = []kaspersky.License{inv.Licenses[0]}
	inv2.Licenses[0].ActiveDevices = []string{"host-085", "host-086", "host-090"}
	w.src.set(inv2)
	job := w.job(t)
	if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantSeedCharges, w.charges(), sortCharges()); diff != "" {
		t.Errorf("first agreement (-want +got):\n%s", diff)
	}
	var got []chargeView
	for _, c := range w.srv.Charges(agr2.Number) {
		got = append(got, chargeView{c.SpecialItemID, strings.HasPrefix(c.ItemDescription, billing.OwnerMarker), c.Quantity, c.Price})
	}
	want := []chargeView{{"KESB-ADV-SRV", true, 1, 1200}, {"KESB-ADV-WS", true, 2, 450}}
	if diff := cmp.Diff(want, got, sortCharges()); diff != "" {
		t.Errorf("second agreement (-want +got):\n%s", diff)
	}
}

// blockingSource is a Source whose inventories never come: it cancels the run
// once asked, then waits for ctx.
type blockingSource struct {
	memSource
	cancel context.CancelFunc
}

func (s *blockingSource) Inventory(ctx context.Context, id string) (kaspersky.Inventory, error) {
	s.cancel()
	<-ctx.Done()
	return kaspersky.Inventory{}, ctx.Err()
}

// TestBillingJobSlowSourceCancelled cancels a run while the console is slow to
// answer: the run returns ctx's error and writes nothing.
func TestBillingJobSlowSourceCancelled(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	job := w.job(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	job.Source = &blockingSource{cancel: cancel}
	job.Concurrency = 1
	for i := range 5 {
		w.cfg.Tenants = append(w.cfg.Tenants, mapping.Tenant{ID: fmt.Sprintf("vs-x%d", i), Name: "x",
			Account: &mapping.AccountMapping{Number: 900 + i, Billing: mapping.Billing{Enabled: true, Agreement: 900 + i, PriceLevel: 1}}})
	}
	plan, res, err := job.Run(ctx, w.cfg)
	if !errors.Is(err, context.Canceled) || len(plan.Changes) != 0 || res.Created != 0 {
		t.Errorf("Run = %v, %+v, %+v; want the cancellation and nothing done", err, plan, res)
	}
	if n := w.srv.Count("POST", "/api/agreements/{n}/additionalcharges"); n != 0 {
		t.Errorf("%d charges created", n)
	}
}

// mislabelSource answers the inventory of one tenant with another tenant's id,
// as a buggy console adapter might.
type mislabelSource struct {
	*memSource
	from, as string
}

func (s *mislabelSource) Inventory(ctx context.Context, id string) (kaspersky.Inventory, error) {
	inv, err := s.memSource.Inventory(ctx, id)
	if id == s.from {
		inv.Tenant.ID = s.as
	}
	return inv, err
}

// TestBillingJobInventoryOfAnotherTenant never bills one tenant's devices to
// another account: an inventory that names another tenant than the one asked
// for is taken as unreadable.
func TestBillingJobInventoryOfAnotherTenant(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	acct2 := w.srv.AddAccount(tigerpawtest.Account{Name: "Fabrikam", Type: "Customer"})
	agr2 := w.srv.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct2.Number, BillingPeriod: 1, StartDate: billingNow.AddDate(-1, 0, 0)})
	inv, _ := w.src.Inventory(t.Context(), "vs-1")
	big := inv
	big.Tenant = kaspersky.Tenant{ID: "vs-2", Name: "Fabrikam VS", Kind: kaspersky.KindVirtualServer}
	big.Licenses = []kaspersky.License{inv.Licenses[0]}
	big.Licenses[0].ActiveDevices = inv.Licenses[0].ActiveDevices[:5]
	w.src.set(big)
	w.cfg.Tenants = append(w.cfg.Tenants, mapping.Tenant{ID: "vs-2", Name: "Fabrikam VS",
		Account: &mapping.AccountMapping{Number: acct2.Number, Billing: mapping.Billing{Enabled: true, Agreement: agr2.Number, PriceLevel: w.cfg.Tenants[0].Account.Billing.PriceLevel}}})
	job := w.job(t)
	job.Source = &mislabelSource{memSource: w.src, from: "vs-2", as: "vs-1"}
	plan, err := job.Plan(t.Context(), w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("+ agreement %[1]d item KESB-ADV-SRV qty 10 @ 10.00\n+ agreement %[1]d item KESB-ADV-WS qty 90 @ 4.00\n! agreement %[2]d skipped: ", w.agreement, agr2.Number)
	if got := plan.String(); !strings.HasPrefix(got, want) {
		t.Errorf("plan:\n%s\nwant vs-1 billed from its own inventory and vs-2 skipped:\n%s…", got, want)
	}
	if len(plan.Skipped) != 1 || !errors.Is(plan.Skipped[0].Err, billing.ErrNoInventory) {
		t.Errorf("skipped = %+v", plan.Skipped)
	}
}

// TestBillingJobUpdateDeleteFaultsOverTigerpaw injects faults into updates and
// deletes (applied or not, answered or dropped): one run still ends with the
// desired charges and the next plans nothing.
func TestBillingJobUpdateDeleteFaultsOverTigerpaw(t *testing.T) {
	t.Parallel()
	const one = "/api/agreements/{n}/additionalcharges/{d}"
	tests := []struct {
		name   string
		method string
		n      int
		fault  tigerpawtest.Fault
	}{
		{"update applied then dropped", "PUT", 1, tigerpawtest.Fault{Drop: true, AfterApply: true}},
		{"update 503 three times", "PUT", 3, tigerpawtest.Fault{Status: http.StatusServiceUnavailable}},
		{"delete applied then 502", "DELETE", 1, tigerpawtest.Fault{Status: http.StatusBadGateway, AfterApply: true}},
		{"delete applied then dropped twice", "DELETE", 2, tigerpawtest.Fault{Drop: true, AfterApply: true}},
		{"delete answered 404", "DELETE", 1, tigerpawtest.Fault{Status: http.StatusNotFound, AfterApply: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newBillingWorld(t)
			job := w.job(t)
			if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
				t.Fatal(err)
			}
			inv, _ := w.src.Inventory(t.Context(), "vs-1")
			inv.Licenses[0].ActiveDevices = inv.Licenses[0].ActiveDevices[:88] // servers gone, 88 workstations
			w.src.set(inv)
			w.srv.FailNext(tt.method, one, tt.n, tt.fault)
			if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
				t.Errorf("run: %v", err)
			}
			want := []chargeView{{"KESB-ADV-WS", false, 3, 9900}, {"KESB-ADV-WS", true, 88, 400}}
			if diff := cmp.Diff(want, w.charges(), sortCharges()); diff != "" {
				t.Errorf("charges (-want +got):\n%s", diff)
			}
			plan, err := job.Plan(t.Context(), w.cfg)
			if err != nil || !plan.Empty() {
				t.Errorf("plan after the faults: %v\n%s", err, plan)
			}
		})
	}
}

// TestLoadPricesWithoutClient is an error, not a panic.
func TestLoadPricesWithoutClient(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	if _, err := LoadPrices(t.Context(), nil, w.cfg); err == nil || !strings.Contains(err.Error(), "client") {
		t.Errorf("LoadPrices(nil client) = %v, want an error naming the client", err)
	}
}

// TestBillingJobCancelledDuringAppliedCreate ends the run's context while
// Tigerpaw, having created a charge, is slow to answer: the run reports the
// doubt, and the next run finds the charge instead of creating it again.
func TestBillingJobCancelledDuringAppliedCreate(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	job := w.job(t)
	w.srv.FailNext("POST", "/api/agreements/{n}/additionalcharges", 1, tigerpawtest.Fault{AfterApply: true, Delay: 10 * time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, res, err := job.Run(ctx, w.cfg); err == nil {
		t.Fatalf("cancelled run = %+v, want an error", res)
	}
	if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantSeedCharges, w.charges(), sortCharges()); diff != "" {
		t.Errorf("charges (-want +got):\n%s", diff)
	}
}

// TestBillingJobMovesChargesToANewAgreement changes the account's billing
// agreement: the integration's charges leave the old agreement (the customer is
// not billed twice) and a person's charge there stays.
func TestBillingJobMovesChargesToANewAgreement(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	job := w.job(t)
	if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
		t.Fatal(err)
	}
	acct := w.cfg.Tenants[0].Account.Number
	newer := w.srv.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct, BillingPeriod: 12, StartDate: billingNow}).Number
	w.cfg.Tenants[0].Account.Billing.Agreement = newer

	plan, res, err := job.Run(t.Context(), w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`- agreement %[1]d item KESB-ADV-SRV qty 10 @ 10.00
- agreement %[1]d item KESB-ADV-WS qty 90 @ 4.00
+ agreement %[2]d item KESB-ADV-SRV qty 10 @ 10.00
+ agreement %[2]d item KESB-ADV-WS qty 90 @ 4.00
`, w.agreement, newer)
	if got := plan.String(); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(plan.Explain(), fmt.Sprintf("account %d bills to agreement %d now", acct, newer)) {
		t.Errorf("the deletes do not say why:\n%s", plan.Explain())
	}
	if res.Created != 2 || res.Deleted != 2 || len(res.Failed) != 0 {
		t.Errorf("result = %+v", res)
	}
	if diff := cmp.Diff([]chargeView{{"KESB-ADV-WS", false, 3, 9900}}, w.charges()); diff != "" {
		t.Errorf("old agreement's charges (-want +got):\n%s", diff)
	}
	if n := len(w.srv.Charges(newer)); n != 2 {
		t.Errorf("new agreement has %d charges, want 2", n)
	}
	// Settled: nothing more to do.
	if plan, err := job.Plan(t.Context(), w.cfg); err != nil || !plan.Empty() {
		t.Errorf("plan after the move: %v\n%s", err, plan)
	}
}

// TestBillingJobKeepsChargesOnAnEmptyAnswer: a console that suddenly reports
// nothing for a tenant does not wipe its charges, unless told to.
func TestBillingJobKeepsChargesOnAnEmptyAnswer(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	job := w.job(t)
	if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
		t.Fatal(err)
	}
	w.src.set(kaspersky.Inventory{Tenant: kaspersky.Tenant{ID: "vs-1", Name: "Contoso VS", Kind: kaspersky.KindVirtualServer}})

	// The only agreement skipped: the cycle failed, and says so.
	plan, res, err := job.Run(t.Context(), w.cfg)
	if !errors.Is(err, ErrCycleFailed) || !errors.Is(err, ErrEmptyInventory) {
		t.Errorf("run = %v, want ErrCycleFailed for the empty inventory", err)
	}
	if len(plan.Changes) != 0 || res.Deleted != 0 {
		t.Errorf("an empty answer planned %s", plan)
	}
	if len(plan.Skipped) != 1 || !errors.Is(plan.Skipped[0].Err, ErrEmptyInventory) || !errors.Is(plan.Skipped[0].Err, billing.ErrNoInventory) ||
		!strings.Contains(plan.Skipped[0].Err.Error(), "vs-1") {
		t.Errorf("skipped = %+v, want the agreement skipped with ErrEmptyInventory naming the tenant", plan.Skipped)
	}
	if diff := cmp.Diff(wantSeedCharges, w.charges(), sortCharges()); diff != "" {
		t.Errorf("charges (-want +got):\n%s", diff)
	}

	job.BillEmptyInventories = true
	_, res, err = job.Run(t.Context(), w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != 2 {
		t.Errorf("result = %+v, want the two owned charges deleted", res)
	}
	if diff := cmp.Diff([]chargeView{{"KESB-ADV-WS", false, 3, 9900}}, w.charges()); diff != "" {
		t.Errorf("charges (-want +got):\n%s", diff)
	}
}
