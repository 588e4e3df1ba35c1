package mapping_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/mapping/mappingtest"
)

func TestCustomFieldsCreatedOnceAndIdempotent(t *testing.T) {
	t.Parallel()
	d := world()
	ed := open(t, mapping.NewMemoryStore(), d, "main")
	build(t, ed)
	must(t, ed.Save(t.Context()))

	if got := d.Categories(); !cmp.Equal(got, []string{mapping.FieldCategory}) {
		t.Errorf("categories = %v, want [Kaspersky]", got)
	}
	fields := d.Fields()
	if len(fields) != 1 || fields[0].Label != mapping.FieldVirtualServer || fields[0].Category != mapping.FieldCategory {
		t.Errorf("fields = %+v, want the virtual server field only", fields)
	}
	want := map[int]string{1001: vs1.Name, 1002: vs2.Name}
	if diff := cmp.Diff(want, d.FieldValues(mapping.FieldVirtualServer)); diff != "" {
		t.Errorf("values after the first Save (-want +got):\n%s", diff)
	}
	if n := d.Calls("SetAccountFieldValue"); n != 2 {
		t.Errorf("writes = %d, want 2", n)
	}

	// A second Save, with or without changes elsewhere, creates and writes
	// nothing that is already right.
	d.ResetCalls()
	must(t, ed.Save(t.Context()))
	must(t, ed.SetBilling("vs-2", mapping.Billing{Enabled: true, Agreement: 10020, PriceLevel: 1}))
	must(t, ed.Save(t.Context()))
	for _, m := range []string{"CreateAccountFieldCategory", "CreateAccountTextField", "SetAccountFieldValue"} {
		if n := d.Calls(m); n != 0 {
			t.Errorf("%s called %d times on a second Save, want 0", m, n)
		}
	}
	if n := d.Calls("AccountFieldValues"); n != 2 {
		t.Errorf("AccountFieldValues called %d times, want once per Save", n)
	}
}

func TestCustomFieldsClearedForUnmappedAccounts(t *testing.T) {
	t.Parallel()
	d := world()
	// A value a person typed on an account that no tenant maps.
	d.SetFieldValue(mapping.FieldVirtualServer, 1004, "old server")
	ed := open(t, mapping.NewMemoryStore(), d, "main")
	build(t, ed)
	must(t, ed.Save(t.Context()))
	if d.Calls("CreateAccountFieldCategory")+d.Calls("CreateAccountTextField") != 0 {
		t.Error("existing category or field created again")
	}
	want := map[int]string{1001: vs1.Name, 1002: vs2.Name}
	if diff := cmp.Diff(want, d.FieldValues(mapping.FieldVirtualServer)); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}

	must(t, ed.UnmapAccount("vs-2"))
	must(t, ed.MapAccount("vs-3", 1003))
	must(t, ed.Save(t.Context()))
	want = map[int]string{1001: vs1.Name, 1003: vs3.Name}
	if diff := cmp.Diff(want, d.FieldValues(mapping.FieldVirtualServer)); diff != "" {
		t.Errorf("values after unmapping vs-2 (-want +got):\n%s", diff)
	}

	must(t, ed.ResetToDefaults(mapping.SectionTenants))
	must(t, ed.Save(t.Context()))
	if got := d.FieldValues(mapping.FieldVirtualServer); len(got) != 0 {
		t.Errorf("values after removing every tenant = %v, want none", got)
	}
}

func TestCustomFieldsPerSolution(t *testing.T) {
	t.Parallel()
	d := world()
	store := mapping.NewMemoryStore()
	ksc := open(t, store, d, "ksc")
	build(t, ksc)
	must(t, ksc.Save(t.Context()))

	hub := open(t, store, d, "hub")
	must(t, hub.SetSolution(mapping.SolutionHub))
	must(t, hub.AddTenant(co1))
	must(t, hub.MapAccount("co-1", 1003))
	must(t, hub.Save(t.Context()))

	if n := len(d.Fields()); n != 2 {
		t.Errorf("fields = %v, want both", d.Fields())
	}
	if n := d.Calls("CreateAccountFieldCategory"); n != 1 {
		t.Errorf("category created %d times, want 1", n)
	}
	if diff := cmp.Diff(map[int]string{1003: co1.Name}, d.FieldValues(mapping.FieldCompany)); diff != "" {
		t.Errorf("company values (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[int]string{1001: vs1.Name, 1002: vs2.Name}, d.FieldValues(mapping.FieldVirtualServer)); diff != "" {
		t.Errorf("the hub integration changed the virtual server values (-want +got):\n%s", diff)
	}
	if mapping.SolutionHub.FieldLabel() != mapping.FieldCompany || mapping.SolutionKSC.FieldLabel() != mapping.FieldVirtualServer {
		t.Error("FieldLabel wrong")
	}
}

func TestCustomFieldsSyncFailsAfterSave(t *testing.T) {
	t.Parallel()
	store := mapping.NewMemoryStore()
	d := world()
	ed := open(t, store, d, "main")
	build(t, ed)
	fault := errors.New("tigerpaw refused")
	d.FailNext("SetAccountFieldValue", fault)

	err := ed.Save(t.Context())
	if !errors.Is(err, mapping.ErrSyncFailed) || !errors.Is(err, fault) {
		t.Fatalf("Save() = %v, want ErrSyncFailed wrapping the fault", err)
	}
	// The configuration is saved; only the fields lag behind.
	stored, lerr := store.Load(t.Context(), "main")
	must(t, lerr)
	if stored.Revision != 1 || ed.Dirty() || !ed.SyncPending() {
		t.Errorf("after a failed sync: revision %d, dirty %v, pending %v", stored.Revision, ed.Dirty(), ed.SyncPending())
	}
	// The write that did not fail went through.
	if diff := cmp.Diff(map[int]string{1002: vs2.Name}, d.FieldValues(mapping.FieldVirtualServer)); diff != "" {
		t.Errorf("values after a partial sync (-want +got):\n%s", diff)
	}

	d.FailNext("AccountFieldValues", fault)
	if err := ed.SyncCustomFields(t.Context()); !errors.Is(err, mapping.ErrSyncFailed) {
		t.Fatalf("SyncCustomFields() = %v, want ErrSyncFailed", err)
	}
	must(t, ed.SyncCustomFields(t.Context()))
	if ed.SyncPending() {
		t.Error("SyncPending after a successful retry")
	}
	if diff := cmp.Diff(map[int]string{1001: vs1.Name, 1002: vs2.Name}, d.FieldValues(mapping.FieldVirtualServer)); diff != "" {
		t.Errorf("values after the retry (-want +got):\n%s", diff)
	}
	if stored, _ := store.Load(t.Context(), "main"); stored.Revision != 1 {
		t.Errorf("the retry saved again: revision %d", stored.Revision)
	}
}

func TestSyncCustomFieldsFaults(t *testing.T) {
	t.Parallel()
	fault := errors.New("down")
	cfgs := []mapping.Config{valid()}
	for _, method := range []string{
		"AccountFieldCategories", "CreateAccountFieldCategory", "AccountFields",
		"CreateAccountTextField", "AccountFieldValues", "SetAccountFieldValue",
	} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			d := world()
			d.FailNext(method, fault)
			if _, err := mapping.SyncCustomFields(t.Context(), d, cfgs); !errors.Is(err, fault) {
				t.Fatalf("SyncCustomFields() = %v, want the fault", err)
			}
			// A second run converges.
			res, err := mapping.SyncCustomFields(t.Context(), d, cfgs)
			must(t, err)
			if diff := cmp.Diff(map[int]string{1001: "Tenant vs-1", 1002: "Tenant vs-2"}, d.FieldValues(mapping.FieldVirtualServer)); diff != "" {
				t.Errorf("values after the second run (-want +got):\n%s", diff)
			}
			if len(d.Categories()) != 1 || len(d.Fields()) != 1 {
				t.Errorf("categories %v, fields %v: created twice", d.Categories(), d.Fields())
			}
			res2, err := mapping.SyncCustomFields(t.Context(), d, cfgs)
			must(t, err)
			if res2.Changed() {
				t.Errorf("third run changed %+v (second: %+v)", res2, res)
			}
		})
	}
}

func TestSyncCustomFieldsClearFault(t *testing.T) {
	t.Parallel()
	d := world()
	d.SetFieldValue(mapping.FieldVirtualServer, 1004, "stale")
	d.SetFieldValue(mapping.FieldVirtualServer, 1005, "stale too")
	d.FailNext("SetAccountFieldValue", nil, errors.New("locked"))
	cfg := valid()
	cfg.Tenants = cfg.Tenants[:1]
	res, err := mapping.SyncCustomFields(t.Context(), d, []mapping.Config{cfg})
	if err == nil {
		t.Fatal("want the clearing fault")
	}
	want := mapping.SyncResult{Written: []int{1001}, Cleared: []int{1005}}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[int]string{1001: "Tenant vs-1", 1004: "stale"}, d.FieldValues(mapping.FieldVirtualServer)); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
}

func TestSyncCustomFieldsEdges(t *testing.T) {
	t.Parallel()
	t.Run("no configuration", func(t *testing.T) {
		t.Parallel()
		d := world()
		res, err := mapping.SyncCustomFields(t.Context(), d, nil)
		if err != nil || res.Changed() || d.Calls("AccountFieldCategories") != 0 {
			t.Errorf("SyncCustomFields(nil) = %+v, %v; calls made", res, err)
		}
	})
	t.Run("category in another case", func(t *testing.T) {
		t.Parallel()
		d := mappingtest.NewDirectory()
		d.AddAccount(mapping.Account{Number: 1001}, mapping.Account{Number: 1002})
		must(t, d.CreateAccountFieldCategory(t.Context(), "KASPERSKY"))
		res, err := mapping.SyncCustomFields(t.Context(), d, []mapping.Config{valid()})
		must(t, err)
		if res.CategoryCreated || len(d.Categories()) != 1 {
			t.Errorf("category created again: %v", d.Categories())
		}
		if f := d.Fields(); len(f) != 1 || f[0].Category != "KASPERSKY" {
			t.Errorf("fields = %+v, want one in the existing category", f)
		}
	})
	t.Run("canceled context", func(t *testing.T) {
		t.Parallel()
		d := world()
		d.SetFieldValue(mapping.FieldVirtualServer, 1004, "stale")
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := mapping.SyncCustomFields(ctx, d, []mapping.Config{valid()}); !errors.Is(err, context.Canceled) {
			t.Errorf("SyncCustomFields() = %v, want context.Canceled", err)
		}
		if d.Calls("SetAccountFieldValue") != 0 {
			t.Error("wrote with a canceled context")
		}
	})
	t.Run("result", func(t *testing.T) {
		t.Parallel()
		cfg := valid()
		cfg.PriceBook.Apps = append(cfg.PriceBook.Apps, mapping.SingleItem(kaspersky.AppOffice365, "O365"))
		res, err := mapping.SyncCustomFields(t.Context(), world(), []mapping.Config{cfg})
		must(t, err)
		want := mapping.SyncResult{CategoryCreated: true, FieldsCreated: []string{mapping.FieldVirtualServer}, Written: []int{1001, 1002}}
		if diff := cmp.Diff(want, res); diff != "" {
			t.Errorf("result (-want +got):\n%s", diff)
		}
	})
}
