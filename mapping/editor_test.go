package mapping_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/mapping/mappingtest"
)

var (
	vs1 = kaspersky.Tenant{ID: "vs-1", Name: "Müller GmbH", Kind: kaspersky.KindVirtualServer}
	vs2 = kaspersky.Tenant{ID: "vs-2", Name: "ÖZTÜRK Ltd", Kind: kaspersky.KindVirtualServer}
	vs3 = kaspersky.Tenant{ID: "vs-3", Name: "ООО «Ромашка»", Kind: kaspersky.KindVirtualServer}
	co1 = kaspersky.Tenant{ID: "co-1", Name: "Hub company", Kind: kaspersky.KindCompany}
)

// countingStore counts the saves that reach a store and can fail them.
type countingStore struct {
	mapping.Store
	saves atomic.Int32
	fail  error
}

func (s *countingStore) Save(ctx context.Context, c mapping.Config) (int64, error) {
	s.saves.Add(1)
	if s.fail != nil {
		return 0, s.fail
	}
	return s.Store.Save(ctx, c)
}

// failingStore fails List and Load.
type failingStore struct {
	mapping.Store
	err error
}

func (s failingStore) List(context.Context) ([]mapping.Config, error) { return nil, s.err }
func (s failingStore) Load(context.Context, string) (mapping.Config, error) {
	return mapping.Config{}, s.err
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func open(t *testing.T, s mapping.Store, d mapping.Directory, name string) *mapping.Editor {
	t.Helper()
	ed, err := mapping.Open(t.Context(), s, d, name)
	must(t, err)
	return ed
}

// build stages a KSC configuration with vs-1 → 1001 (billing on), vs-2 → 1002
// (billing off) and vs-3 unmapped, and a price book by category.
func build(t *testing.T, ed *mapping.Editor) {
	t.Helper()
	must(t, ed.SetSolution(mapping.SolutionKSC))
	must(t, ed.SetExternalProduct(externalProduct))
	for _, tn := range []kaspersky.Tenant{vs1, vs2, vs3} {
		must(t, ed.AddTenant(tn))
	}
	must(t, ed.MapAccount("vs-1", 1001))
	must(t, ed.SetBilling("vs-1", mapping.Billing{Enabled: true, Agreement: 10010, PriceLevel: 2}))
	must(t, ed.MapAccount("vs-2", 1002))
	ed.SetBillByCategory(true)
	must(t, ed.MapApplication(mapping.ItemsByCategory(kaspersky.AppKESBAdvanced, "KESB-WS", "KESB-SRV", "KESB-NW")))
	must(t, ed.MapApplication(mapping.SingleItem(kaspersky.AppKESCloudPlus, "KESC-PLUS")))
}

func TestEditorStagesUntilSave(t *testing.T) {
	t.Parallel()
	store := mapping.NewMemoryStore()
	ed := open(t, store, world(), "main")
	if ed.Name() != "main" || ed.Dirty() || ed.Saved().Revision != 0 {
		t.Fatalf("new editor: name %q, dirty %v, revision %d", ed.Name(), ed.Dirty(), ed.Saved().Revision)
	}
	build(t, ed)
	if !ed.Dirty() {
		t.Error("Dirty() = false after changes")
	}
	if _, err := store.Load(t.Context(), "main"); !errors.Is(err, mapping.ErrNotFound) {
		t.Fatalf("staged changes reached the store: %v", err)
	}
	if got := ed.Saved(); len(got.Tenants) != 0 {
		t.Errorf("Saved() shows staged tenants: %v", got.Tenants)
	}
	must(t, ed.Save(t.Context()))
	if ed.Dirty() || ed.SyncPending() {
		t.Errorf("after Save: dirty %v, sync pending %v", ed.Dirty(), ed.SyncPending())
	}
	stored, err := store.Load(t.Context(), "main")
	must(t, err)
	want := mapping.Config{
		Name: "main", Revision: 1, Solution: mapping.SolutionKSC, ExternalProductID: externalProduct,
		Tenants: []mapping.Tenant{
			{ID: "vs-1", Name: vs1.Name, Account: &mapping.AccountMapping{Number: 1001,
				Billing: mapping.Billing{Enabled: true, Agreement: 10010, PriceLevel: 2}}},
			{ID: "vs-2", Name: vs2.Name, Account: &mapping.AccountMapping{Number: 1002}},
			{ID: "vs-3", Name: vs3.Name},
		},
		PriceBook: mapping.PriceBook{BillByCategory: true, Apps: []mapping.AppItems{
			mapping.ItemsByCategory(kaspersky.AppKESBAdvanced, "KESB-WS", "KESB-SRV", "KESB-NW"),
			mapping.SingleItem(kaspersky.AppKESCloudPlus, "KESC-PLUS"),
		}},
	}
	if d := cmp.Diff(want, stored); d != "" {
		t.Errorf("stored configuration (-want +got):\n%s", d)
	}
	if d := cmp.Diff(stored, ed.Saved()); d != "" {
		t.Errorf("Saved() differs from the store (-store +saved):\n%s", d)
	}

	// A second editor sees the saved state.
	again := open(t, store, world(), "main")
	if d := cmp.Diff(stored, again.Draft()); d != "" {
		t.Errorf("reopened draft (-want +got):\n%s", d)
	}
}

func TestEditorCancelRestoresLastSaved(t *testing.T) {
	t.Parallel()
	store := mapping.NewMemoryStore()
	ed := open(t, store, world(), "main")
	build(t, ed)
	must(t, ed.Save(t.Context()))
	saved := ed.Saved()

	must(t, ed.RemoveTenant("vs-2"))
	must(t, ed.MapAccount("vs-3", 1003))
	must(t, ed.UnmapApplication(kaspersky.AppKESCloudPlus))
	ed.SetBillByCategory(false)
	if !ed.Dirty() {
		t.Fatal("Dirty() = false after changes")
	}
	ed.Cancel()
	if ed.Dirty() {
		t.Error("Dirty() = true after Cancel")
	}
	if d := cmp.Diff(saved, ed.Draft()); d != "" {
		t.Errorf("draft after Cancel (-saved +draft):\n%s", d)
	}
	stored, err := store.Load(t.Context(), "main")
	must(t, err)
	if stored.Revision != saved.Revision {
		t.Errorf("Cancel wrote to the store: revision %d", stored.Revision)
	}
}

func TestEditorResetToDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		section mapping.Section
		check   func(t *testing.T, d mapping.Config)
	}{
		{mapping.SectionTenants, func(t *testing.T, d mapping.Config) {
			if len(d.Tenants) != 0 || len(d.PriceBook.Apps) != 2 {
				t.Errorf("tenants %v, apps %d; want no tenants, price book kept", d.Tenants, len(d.PriceBook.Apps))
			}
		}},
		{mapping.SectionAccounts, func(t *testing.T, d mapping.Config) {
			if len(d.Tenants) != 3 || len(d.TenantsWithoutAccount()) != 3 || len(d.PriceBook.Apps) != 2 {
				t.Errorf("tenants %v; want the 3 tenants, all unmapped, price book kept", d.Tenants)
			}
		}},
		{mapping.SectionPriceBook, func(t *testing.T, d mapping.Config) {
			if d.PriceBook.BillByCategory || len(d.PriceBook.Apps) != 0 || len(d.BillingAccounts()) != 1 {
				t.Errorf("price book %+v; want the default, accounts kept", d.PriceBook)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.section.String(), func(t *testing.T) {
			t.Parallel()
			store := mapping.NewMemoryStore()
			ed := open(t, store, world(), "main")
			build(t, ed)
			must(t, ed.Save(t.Context()))
			must(t, ed.ResetToDefaults(tt.section))
			tt.check(t, ed.Draft())
			if d := ed.Draft(); d.Solution != mapping.SolutionKSC || d.ExternalProductID != externalProduct {
				t.Errorf("reset touched the integration settings: %+v", d)
			}
			stored, err := store.Load(t.Context(), "main")
			must(t, err)
			if len(stored.Tenants) != 3 || len(stored.PriceBook.Apps) != 2 {
				t.Error("reset reached the store before Save")
			}
			ed.Cancel()
			if ed.Dirty() {
				t.Error("Cancel did not undo the reset")
			}
		})
	}
	t.Run("unknown section", func(t *testing.T) {
		t.Parallel()
		ed := open(t, mapping.NewMemoryStore(), world(), "main")
		if err := ed.ResetToDefaults(mapping.Section(9)); !errors.Is(err, mapping.ErrInvalid) {
			t.Errorf("ResetToDefaults(9) = %v, want ErrInvalid", err)
		}
		if got := mapping.Section(9).String(); got != "Section(9)" {
			t.Errorf("String() = %q", got)
		}
	})
	t.Run("saved reset", func(t *testing.T) {
		t.Parallel()
		store := mapping.NewMemoryStore()
		ed := open(t, store, world(), "main")
		build(t, ed)
		must(t, ed.Save(t.Context()))
		must(t, ed.ResetToDefaults(mapping.SectionAccounts))
		must(t, ed.Save(t.Context()))
		stored, err := store.Load(t.Context(), "main")
		must(t, err)
		if len(stored.Tenants) != 3 || len(stored.BillingAccounts()) != 0 || len(stored.TenantsWithoutAccount()) != 3 {
			t.Errorf("stored after reset of accounts: %+v", stored.Tenants)
		}
	})
}

func TestEditorSaveRefusesInvalidDraft(t *testing.T) {
	t.Parallel()
	store := mapping.NewMemoryStore()
	d := world()
	ed := open(t, store, d, "main")
	build(t, ed)
	must(t, ed.Save(t.Context()))
	saved := ed.Saved()

	must(t, ed.SetBilling("vs-1", mapping.Billing{Enabled: true, Agreement: 10011})) // one-off, no price level
	must(t, ed.MapAccount("vs-3", 4242))                                             // no such account
	err := ed.Save(t.Context())
	want := []problem{
		{mapping.ErrRequired, "tenants[vs-1].account.billing.priceLevel"},
		{mapping.ErrNotRecurring, "tenants[vs-1].account.billing.agreement"},
		{mapping.ErrNotFound, "tenants[vs-3].account.number"},
	}
	if d := diffProblems(want, problemsOf(t, err)); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
	if err := ed.Validate(t.Context()); !errors.Is(err, mapping.ErrNotRecurring) {
		t.Errorf("Validate() = %v, want the same problems", err)
	}
	stored, err := store.Load(t.Context(), "main")
	must(t, err)
	if d := cmp.Diff(saved, stored); d != "" {
		t.Errorf("an invalid draft reached the store (-saved +stored):\n%s", d)
	}
	if !ed.Dirty() {
		t.Error("the draft was dropped; it should stay for correction")
	}
	// Correct and save.
	must(t, ed.SetBilling("vs-1", mapping.Billing{Enabled: true, Agreement: 10010, PriceLevel: 1}))
	must(t, ed.UnmapAccount("vs-3"))
	must(t, ed.Save(t.Context()))
	if got := ed.Saved(); got.Revision != 2 || got.Tenants[0].Account.Billing.PriceLevel != 1 {
		t.Errorf("after correction: revision %d", got.Revision)
	}
}

func TestEditorSaveFaults(t *testing.T) {
	t.Parallel()
	fault := errors.New("boom")
	t.Run("directory", func(t *testing.T) {
		t.Parallel()
		store := &countingStore{Store: mapping.NewMemoryStore()}
		d := world()
		ed := open(t, store, d, "main")
		build(t, ed)
		d.FailNext("Agreements", fault)
		if err := ed.Save(t.Context()); !errors.Is(err, fault) {
			t.Fatalf("Save() = %v, want the fault", err)
		}
		if store.saves.Load() != 0 || d.Calls("AccountFields") != 0 {
			t.Error("Save persisted or synced although validation could not finish")
		}
		must(t, ed.Save(t.Context()))
	})
	t.Run("store save", func(t *testing.T) {
		t.Parallel()
		store := &countingStore{Store: mapping.NewMemoryStore(), fail: fault}
		d := world()
		ed := open(t, store, d, "main")
		build(t, ed)
		if err := ed.Save(t.Context()); !errors.Is(err, fault) {
			t.Fatalf("Save() = %v, want the fault", err)
		}
		if !ed.Dirty() || ed.Saved().Revision != 0 || d.Calls("AccountFields") != 0 {
			t.Error("a failed store write changed the editor's saved state or synced")
		}
	})
	t.Run("store list", func(t *testing.T) {
		t.Parallel()
		inner := mapping.NewMemoryStore()
		ed := open(t, inner, world(), "main")
		build(t, ed)
		ed2, err := mapping.Open(t.Context(), failingStore{Store: inner, err: fault}, world(), "main")
		if !errors.Is(err, fault) || ed2 != nil {
			t.Fatalf("Open over a failing store = %v, %v", ed2, err)
		}
		// An editor whose store starts failing after Open.
		fs := &failingStore{Store: inner}
		ed3, err := mapping.Open(t.Context(), fs, world(), "main")
		must(t, err)
		build(t, ed3)
		fs.err = fault
		for name, call := range map[string]func() error{
			"Save":             func() error { return ed3.Save(t.Context()) },
			"Validate":         func() error { return ed3.Validate(t.Context()) },
			"SyncCustomFields": func() error { return ed3.SyncCustomFields(t.Context()) },
			"AccountsView":     func() error { _, err := ed3.AccountsView(t.Context(), ""); return err },
			"AvailableTenants": func() error { _, err := ed3.AvailableTenants(t.Context(), nil); return err },
		} {
			if err := call(); !errors.Is(err, fault) {
				t.Errorf("%s with a failing store = %v, want the fault", name, err)
			}
		}
	})
}

func TestEditorConflict(t *testing.T) {
	t.Parallel()
	store := mapping.NewMemoryStore()
	a := open(t, store, world(), "main")
	build(t, a)
	must(t, a.Save(t.Context()))
	b := open(t, store, world(), "main")
	must(t, a.RemoveTenant("vs-3"))
	must(t, a.Save(t.Context()))
	must(t, b.RemoveTenant("vs-2"))
	if err := b.Save(t.Context()); !errors.Is(err, mapping.ErrConflict) {
		t.Fatalf("Save over a newer revision = %v, want ErrConflict", err)
	}
	stored, err := store.Load(t.Context(), "main")
	must(t, err)
	if len(stored.Tenants) != 2 || stored.Tenants[1].ID != "vs-2" {
		t.Errorf("the stale editor overwrote the store: %v", stored.Tenants)
	}
	// Reload picks up the other editor's save; the change is redone on it.
	must(t, b.Reload(t.Context()))
	if d := cmp.Diff(stored, b.Draft()); d != "" || b.Dirty() {
		t.Errorf("after Reload (-stored +draft):\n%s", d)
	}
	must(t, b.RemoveTenant("vs-2"))
	must(t, b.Save(t.Context()))
	if got := b.Saved(); got.Revision != 3 || len(got.Tenants) != 1 {
		t.Errorf("after Reload and Save: revision %d, tenants %v", got.Revision, got.Tenants)
	}
	// Reload of an integration someone deleted starts afresh; a failing store
	// is reported.
	must(t, store.Delete(t.Context(), "main", 3))
	must(t, b.Reload(t.Context()))
	if got := b.Saved(); got.Revision != 0 || len(got.Tenants) != 0 {
		t.Errorf("after Reload of a deleted integration: %+v", got)
	}
	fs := &failingStore{Store: store}
	c, err := mapping.Open(t.Context(), fs, world(), "main")
	must(t, err)
	fs.err = errors.New("disk gone")
	if err := c.Reload(t.Context()); !errors.Is(err, fs.err) {
		t.Errorf("Reload over a failing store = %v", err)
	}
}

func TestEditorSaveWithoutChangesWritesNothing(t *testing.T) {
	t.Parallel()
	store := &countingStore{Store: mapping.NewMemoryStore()}
	ed := open(t, store, world(), "main")
	build(t, ed)
	must(t, ed.Save(t.Context()))
	must(t, ed.Save(t.Context()))
	if n := store.saves.Load(); n != 1 {
		t.Errorf("store saves = %d, want 1", n)
	}
	if rev := ed.Saved().Revision; rev != 1 {
		t.Errorf("revision = %d, want 1", rev)
	}
	// A new integration is saved even when its draft is the default: it must
	// then be valid.
	empty := open(t, store, world(), "empty")
	err := empty.Save(t.Context())
	if d := diffProblems([]problem{{mapping.ErrRequired, "solution"}}, problemsOf(t, err)); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
	must(t, empty.SetSolution(mapping.SolutionHub))
	must(t, empty.Save(t.Context()))
	if n := store.saves.Load(); n != 2 {
		t.Errorf("store saves = %d, want 2", n)
	}
}

func TestEditorOperations(t *testing.T) {
	t.Parallel()
	ed := open(t, mapping.NewMemoryStore(), world(), "main")
	if err := ed.AddTenant(vs1); !errors.Is(err, mapping.ErrRequired) {
		t.Errorf("AddTenant before the solution = %v, want ErrRequired", err)
	}
	if err := ed.SetSolution("eset"); !errors.Is(err, mapping.ErrInvalid) {
		t.Errorf("SetSolution(eset) = %v, want ErrInvalid", err)
	}
	must(t, ed.SetSolution(mapping.SolutionKSC))
	if err := ed.SetExternalProduct(-1); !errors.Is(err, mapping.ErrInvalid) {
		t.Errorf("SetExternalProduct(-1) = %v", err)
	}
	must(t, ed.AddTenant(vs1))
	must(t, ed.AddTenant(vs2))
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"AddTenant company to KSC", ed.AddTenant(co1), mapping.ErrWrongKind},
		{"AddTenant twice", ed.AddTenant(vs1), mapping.ErrDuplicateTenant},
		{"AddTenant without id", ed.AddTenant(kaspersky.Tenant{Name: "x", Kind: kaspersky.KindVirtualServer}), mapping.ErrRequired},
		{"SetSolution with tenants", ed.SetSolution(mapping.SolutionHub), mapping.ErrWrongKind},
		{"RemoveTenant unknown", ed.RemoveTenant("nope"), mapping.ErrNotFound},
		{"MapAccount unknown tenant", ed.MapAccount("nope", 1001), mapping.ErrNotFound},
		{"MapAccount zero", ed.MapAccount("vs-1", 0), mapping.ErrInvalid},
		{"UnmapAccount unknown tenant", ed.UnmapAccount("nope"), mapping.ErrNotFound},
		{"SetBilling unknown tenant", ed.SetBilling("nope", mapping.Billing{}), mapping.ErrNotFound},
		{"SetBilling unmapped", ed.SetBilling("vs-1", mapping.Billing{Enabled: true}), mapping.ErrNotMapped},
		{"MapApplication without id", ed.MapApplication(mapping.AppItems{Item: "A"}), mapping.ErrRequired},
		{"MapApplication unknown", ed.MapApplication(mapping.SingleItem("norton", "A")), mapping.ErrUnknownApplication},
		{"UnmapApplication unmapped", ed.UnmapApplication(kaspersky.AppKESBSelect), mapping.ErrNotFound},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s = %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	must(t, ed.MapAccount("vs-1", 1001))
	if err := ed.MapAccount("vs-2", 1001); !errors.Is(err, mapping.ErrAccountTaken) {
		t.Errorf("MapAccount to a taken account = %v, want ErrAccountTaken", err)
	}
	if err := ed.SetBilling("vs-1", mapping.Billing{Agreement: -1}); !errors.Is(err, mapping.ErrInvalid) {
		t.Errorf("SetBilling negative = %v", err)
	}
	b := mapping.Billing{Enabled: true, Agreement: 10010, PriceLevel: 1}
	must(t, ed.SetBilling("vs-1", b))
	must(t, ed.MapAccount("vs-1", 1001)) // the same account keeps its billing
	if got := ed.Draft().Tenants[0].Account.Billing; got != b {
		t.Errorf("billing after re-mapping the same account = %+v, want %+v", got, b)
	}
	must(t, ed.MapAccount("vs-1", 1003)) // another account drops it
	if got := ed.Draft().Tenants[0].Account.Billing; got != (mapping.Billing{}) {
		t.Errorf("billing after mapping another account = %+v, want none", got)
	}
	must(t, ed.MapApplication(mapping.SingleItem(kaspersky.AppKESBSelect, "A")))
	must(t, ed.MapApplication(mapping.SingleItem(kaspersky.AppKESBSelect, "B")))
	if apps := ed.Draft().PriceBook.Apps; len(apps) != 1 || apps[0].Item != "B" {
		t.Errorf("MapApplication did not replace: %v", apps)
	}
	// The draft is a copy.
	d := ed.Draft()
	d.Tenants[0].Account.Number = 1
	if n, _ := ed.Draft().AccountOf("vs-1"); n != 1003 {
		t.Errorf("changing Draft() changed the editor: %d", n)
	}
}

func TestEditorReplace(t *testing.T) {
	t.Parallel()
	store := mapping.NewMemoryStore()
	ed := open(t, store, world(), "main")
	cfg := valid()
	cfg.Name, cfg.Revision = "ignored", 99
	ed.Replace(cfg)
	must(t, ed.Save(t.Context()))
	stored, err := store.Load(t.Context(), "main")
	must(t, err)
	cfg.Name, cfg.Revision = "main", 1
	if d := cmp.Diff(cfg, stored); d != "" {
		t.Errorf("stored (-want +got):\n%s", d)
	}
}

func TestEditorRemoveTenantBreaksMappingOnly(t *testing.T) {
	t.Parallel()
	store := mapping.NewMemoryStore()
	d := world()
	ed := open(t, store, d, "main")
	build(t, ed)
	must(t, ed.Save(t.Context()))
	accounts, _ := d.Accounts(t.Context())

	must(t, ed.RemoveTenant("vs-1"))
	must(t, ed.Save(t.Context()))
	stored, err := store.Load(t.Context(), "main")
	must(t, err)
	if _, ok := stored.Tenant("vs-1"); ok {
		t.Error("vs-1 is still in the integration")
	}
	if _, ok := stored.TenantOf(1001); ok {
		t.Error("account 1001 is still mapped")
	}
	if n, ok := stored.AccountOf("vs-2"); !ok || n != 1002 {
		t.Errorf("the other mappings changed: vs-2 → %d, %v", n, ok)
	}
	after, _ := d.Accounts(t.Context())
	if d := cmp.Diff(accounts, after); d != "" {
		t.Errorf("Tigerpaw accounts changed (-before +after):\n%s", d)
	}
	if v, ok := d.FieldValues(mapping.FieldVirtualServer)[1001]; ok {
		t.Errorf("account 1001 still shows tenant %q", v)
	}
	// The tenant is free for the integration again.
	must(t, ed.AddTenant(vs1))
	must(t, ed.MapAccount("vs-1", 1001))
	must(t, ed.Save(t.Context()))
}

func TestTwoIntegrationsShareAStore(t *testing.T) {
	t.Parallel()
	store := mapping.NewMemoryStore()
	d := world()
	east := open(t, store, d, "east")
	must(t, east.SetSolution(mapping.SolutionKSC))
	must(t, east.AddTenant(vs1))
	must(t, east.AddTenant(vs2))
	must(t, east.MapAccount("vs-1", 1001))
	must(t, east.Save(t.Context()))

	west := open(t, store, d, "west")
	must(t, west.SetSolution(mapping.SolutionKSC))
	avail, err := west.AvailableTenants(t.Context(), []kaspersky.Tenant{vs1, vs2, vs3, co1})
	must(t, err)
	if d := cmp.Diff([]kaspersky.Tenant{vs3}, avail); d != "" {
		t.Errorf("AvailableTenants for west (-want +got):\n%s", d)
	}
	avail, err = east.AvailableTenants(t.Context(), []kaspersky.Tenant{vs1, vs2, vs3, co1})
	must(t, err)
	if len(avail) != 3 {
		t.Errorf("AvailableTenants for east = %v, want its own two and vs-3", avail)
	}

	must(t, west.AddTenant(vs2)) // held by east
	must(t, west.AddTenant(vs3))
	must(t, west.MapAccount("vs-3", 1001)) // mapped in east
	err = west.Save(t.Context())
	want := []problem{
		{mapping.ErrTenantTaken, "tenants[vs-2]"},
		{mapping.ErrAccountTaken, "tenants[vs-3].account.number"},
	}
	if d := diffProblems(want, problemsOf(t, err)); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}

	// Move vs-2 from east to west.
	must(t, east.RemoveTenant("vs-2"))
	must(t, east.Save(t.Context()))
	must(t, west.MapAccount("vs-3", 1003))
	must(t, west.Save(t.Context()))
	list, err := store.List(t.Context())
	must(t, err)
	if len(list) != 2 || len(list[0].Tenants) != 1 || len(list[1].Tenants) != 2 {
		t.Errorf("store after the move: %+v", list)
	}
	// Both integrations' accounts carry their tenant names.
	wantFields := map[int]string{1001: vs1.Name, 1003: vs3.Name}
	if d := cmp.Diff(wantFields, d.FieldValues(mapping.FieldVirtualServer)); d != "" {
		t.Errorf("custom field values (-want +got):\n%s", d)
	}
}

func TestEditorLogs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	ed, err := mapping.Open(t.Context(), mapping.NewMemoryStore(), world(), "main",
		mapping.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))), mapping.WithLogger(nil))
	must(t, err)
	build(t, ed)
	must(t, ed.Save(t.Context()))
	for _, want := range []string{"configuration saved", "integration=main", "revision=1", "custom fields synced"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestOpenArguments(t *testing.T) {
	t.Parallel()
	if _, err := mapping.Open(t.Context(), nil, world(), "main"); !errors.Is(err, mapping.ErrRequired) {
		t.Errorf("Open without store = %v", err)
	}
	if _, err := mapping.Open(t.Context(), mapping.NewMemoryStore(), nil, "main"); !errors.Is(err, mapping.ErrRequired) {
		t.Errorf("Open without directory = %v", err)
	}
	if _, err := mapping.Open(t.Context(), mapping.NewMemoryStore(), world(), ""); !errors.Is(err, mapping.ErrRequired) {
		t.Errorf("Open without name = %v", err)
	}
	var _ mapping.Directory = mappingtest.NewDirectory()
}

// racingStore lets another integration claim a tenant between the editor's
// check and its write.
type racingStore struct {
	mapping.Store
	claim mapping.Config
}

func (s *racingStore) Save(ctx context.Context, c mapping.Config) (int64, error) {
	if s.claim.Name != "" {
		if _, err := s.Store.Save(ctx, s.claim); err != nil {
			return 0, err
		}
		s.claim = mapping.Config{}
	}
	return s.Store.Save(ctx, c)
}

func TestEditorSaveLosesARaceForATenant(t *testing.T) {
	t.Parallel()
	inner := mapping.NewMemoryStore()
	store := &racingStore{Store: inner, claim: mapping.Config{Name: "fast", Solution: mapping.SolutionKSC,
		Tenants: []mapping.Tenant{{ID: "vs-3", Name: "claimed"}}}}
	d := world()
	ed := open(t, store, d, "main")
	build(t, ed)
	err := ed.Save(t.Context())
	var ve *mapping.ValidationError
	if !errors.Is(err, mapping.ErrTenantTaken) || !errors.As(err, &ve) || ve.Problems[0].Integration != "fast" {
		t.Fatalf("Save() = %v, want the store's ErrTenantTaken naming integration fast", err)
	}
	if _, err := inner.Load(t.Context(), "main"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("the losing save was stored: %v", err)
	}
	if !ed.Dirty() || len(d.Fields()) != 0 {
		t.Error("the draft was dropped or the fields synced after a refused save")
	}
	must(t, ed.RemoveTenant("vs-3"))
	must(t, ed.Save(t.Context()))
}
