package billing

import (
	"context"
	"errors"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// cycleWorld has agreements that plan, and agreements skipped for each reason.
func cycleWorld() ([]Account, []kaspersky.Inventory, *fakeWriter) {
	seed := seedInventory()
	t2 := kaspersky.Inventory{
		Tenant:   kaspersky.Tenant{ID: "t2"},
		Devices:  devices("mac", 4, kaspersky.NonWindows),
		Licenses: []kaspersky.License{commercial(kaspersky.AppKESBAdvanced, "mac-0", "mac-1", "mac-2", "mac-3")},
	}
	t3 := kaspersky.Inventory{
		Tenant:    kaspersky.Tenant{ID: "t3", Kind: kaspersky.KindCompany},
		Licenses:  []kaspersky.License{{ID: "o", Application: kaspersky.AppOffice365, Type: kaspersky.KeySubscription, State: kaspersky.StateActive}},
		Office365: &kaspersky.Office365Status{ProtectedMailboxes: 25, MailboxesProtected: true, LicenseOK: true},
	}
	t2.Licenses = append(t2.Licenses, commercial(kaspersky.AppTotalSecurity, "mac-0")) // not mapped
	as := func(inv kaspersky.Inventory, id string) kaspersky.Inventory {
		inv.Tenant.ID = id
		return inv
	}
	accounts := []Account{
		{TenantID: "t3", AccountNumber: 3, AgreementNumber: 2001, PriceLevel: 2},
		{TenantID: "t1", AccountNumber: 1, AgreementNumber: 1043, PriceLevel: 1},
		{TenantID: "t2", AccountNumber: 1, AgreementNumber: 1043, PriceLevel: 1},
		{TenantID: "vs-9", AccountNumber: 9, AgreementNumber: 3005, PriceLevel: 1},
		{TenantID: "t4a", AccountNumber: 4, AgreementNumber: 4000, PriceLevel: 1},
		{TenantID: "t4b", AccountNumber: 4, AgreementNumber: 4000, PriceLevel: 2},
		{TenantID: "t5", AccountNumber: 5, AgreementNumber: 5000, PriceLevel: 1},
		{TenantID: "t6", AccountNumber: 6, AgreementNumber: 6000, PriceLevel: 7},
		{TenantID: "t7", AccountNumber: 7, AgreementNumber: 7000, PriceLevel: 1},
		{TenantID: "t7", AccountNumber: 71, AgreementNumber: 7001, PriceLevel: 1},
		{TenantID: "t8", AccountNumber: 8, AgreementNumber: 0, PriceLevel: 1},
	}
	inventories := []kaspersky.Inventory{seed, t2, t3, as(seed, "t4a"), as(t2, "t4b"), as(seed, "t5"), as(seed, "t6"), as(seed, "t7"), as(seed, "t8")}
	w := newFakeWriter(map[int][]Charge{
		1043: {owned(11, "KESB-ADV-WS", 88, 450, 1), manual(12, "KESB-ADV-WS", 1, 450, 1)},
		2001: {owned(21, "KSO365", 25, 1000, 1), owned(22, "KESB-SEL-WS", 3, 300, 2)},
		5000: nil,
		6000: nil,
	})
	w.inject(fault{op: "list", agreement: 5000, err: errDropped})
	return accounts, inventories, w
}

func TestBillerPlanDryRun(t *testing.T) {
	t.Parallel()
	accounts, inventories, w := cycleWorld()
	b := newTestBiller(t, testBook())
	plan, err := b.Plan(t.Context(), w, accounts, inventories, now)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "dryrun.golden", plan.String())
	golden(t, "dryrun-explain.golden", plan.Explain())
	for _, c := range w.calls {
		if c[:4] != "list" {
			t.Errorf("the dry run wrote: %q", c)
		}
	}
	wantSkipped := map[int]error{0: ErrInvalidConfig, 3005: ErrNoInventory, 4000: ErrInvalidConfig, 5000: errDropped, 6000: ErrNoPrice, 7000: ErrInvalidConfig, 7001: ErrInvalidConfig}
	if len(plan.Skipped) != len(wantSkipped) {
		t.Errorf("skipped %v, want %d agreements", plan.Skipped, len(wantSkipped))
	}
	for _, s := range plan.Skipped {
		if !errors.Is(s.Err, wantSkipped[s.Agreement]) {
			t.Errorf("agreement %d skipped with %v, want %v", s.Agreement, s.Err, wantSkipped[s.Agreement])
		}
	}

	// Apply it; the next plan writes nothing and the skipped agreements stay
	// skipped (the list fault fired once, so 5000 now plans).
	if _, err := Apply(t.Context(), plan, w); err != nil {
		t.Fatal(err)
	}
	again, err := b.Plan(t.Context(), w, accounts, inventories, now)
	if err != nil {
		t.Fatal(err)
	}
	cr, up, del, _ := again.Counts()
	if cr != 2 || up != 0 || del != 0 {
		t.Errorf("second plan:\n%s\nwant only agreement 5000's two creates", again)
	}
	for _, c := range again.Changes {
		if c.Action != NoOp && c.Agreement != 5000 {
			t.Errorf("second plan changes agreement %d: %s", c.Agreement, c)
		}
	}
}

func TestBillerPlanStopsWithContext(t *testing.T) {
	t.Parallel()
	accounts, inventories, w := cycleWorld()
	b := newTestBiller(t, testBook())
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := b.Plan(ctx, w, accounts, inventories, now); !errors.Is(err, context.Canceled) {
		t.Errorf("Plan with a cancelled context: %v, want context.Canceled", err)
	}
	// A reader that fails because the context ended mid-way stops the plan too.
	ctx, cancel = context.WithCancel(t.Context())
	r := readerFunc(func(ctx context.Context, ag int) ([]Charge, error) {
		cancel()
		return nil, ctx.Err()
	})
	if _, err := b.Plan(ctx, r, accounts, inventories, now); !errors.Is(err, context.Canceled) {
		t.Errorf("Plan with a context cancelled during List: %v, want context.Canceled", err)
	}
}

type readerFunc func(ctx context.Context, agreement int) ([]Charge, error)

func (f readerFunc) List(ctx context.Context, agreement int) ([]Charge, error) {
	return f(ctx, agreement)
}

// TestBillerDiffReusesBuffer checks that the Biller's Diff gives the package
// Diff's answer.
func TestBillerDiffReusesBuffer(t *testing.T) {
	t.Parallel()
	b := newTestBiller(t, testBook())
	desired := []Charge{want("A", 1, 100, 1), want("B", 2, 100, 1)}
	existing := []Charge{owned(1, "A", 2, 100, 1), owned(2, "C", 1, 100, 1)}
	for range 3 {
		got := Plan{Changes: b.Diff(7, desired, existing)}
		if want := Diff(7, desired, existing); got.Explain() != want.Explain() {
			t.Errorf("Biller.Diff:\n%s\nwant:\n%s", got.Explain(), want.Explain())
		}
	}
}

// TestBillerPlanTwoInventoriesOfOneTenant gets two readings of one tenant that
// disagree: billing either would be a guess, so the agreement is skipped.
func TestBillerPlanTwoInventoriesOfOneTenant(t *testing.T) {
	t.Parallel()
	seed := seedInventory()
	fewer := seedInventory()
	fewer.Licenses[0].ActiveDevices = fewer.Licenses[0].ActiveDevices[:3]
	w := newFakeWriter(map[int][]Charge{1043: {owned(11, "KESB-ADV-WS", 90, 450, 1)}})
	b := newTestBiller(t, testBook())
	plan, err := b.Plan(t.Context(), w, []Account{testAccount}, []kaspersky.Inventory{seed, fewer}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Changes) != 0 || len(plan.Skipped) != 1 || !errors.Is(plan.Skipped[0].Err, ErrNoInventory) {
		t.Errorf("plan = %+v, want agreement 1043 skipped", plan)
	}
}
