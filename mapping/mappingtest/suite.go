package mappingtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// Run runs the conformance suite of [mapping.Store] against the stores that
// newStore returns; each subtest gets a new, empty store. Every implementation
// should pass it:
//
//	func TestMyStore(t *testing.T) {
//		mappingtest.Run(t, func(t *testing.T) mapping.Store { return newMyStore(t) })
//	}
func Run(t *testing.T, newStore func(t *testing.T) mapping.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s mapping.Store)
	}{
		{"LoadMissing", testLoadMissing},
		{"SaveAndLoad", testSaveAndLoad},
		{"SaveBumpsRevision", testSaveBumpsRevision},
		{"StaleRevisionConflicts", testStaleRevision},
		{"CreateExistingConflicts", testCreateExisting},
		{"InvalidName", testInvalidName},
		{"ListSorted", testListSorted},
		{"ReturnsCopies", testReturnsCopies},
		{"TwoIntegrationsShareTheStore", testTwoIntegrations},
		{"TenantInOneIntegrationOnly", testTenantTaken},
		{"AccountMappedOnce", testAccountTaken},
		{"TenantIDsPerSolution", testTenantIDsPerSolution},
		{"MoveTenantBetweenIntegrations", testMoveTenant},
		{"Delete", testDelete},
		{"ConcurrentSavesOneWins", testConcurrentSaves},
		{"CanceledContext", testCanceledContext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

// Sample returns a valid configuration named name holding the given tenants of
// a KSC integration; tenant i is mapped to account accounts[i] when there is one
// (0: unmapped), with billing on.
func Sample(name string, tenants []string, accounts ...int) mapping.Config {
	c := mapping.Config{
		Name:              name,
		Solution:          mapping.SolutionKSC,
		ExternalProductID: 7,
		PriceBook: mapping.PriceBook{
			BillByCategory: true,
			Apps: []mapping.AppItems{
				mapping.ItemsByCategory(kaspersky.AppKESBAdvanced, "KESB-WS", "KESB-SRV", "KESB-NW"),
				mapping.SingleItem(kaspersky.AppKESCloudPlus, "KESC-PLUS"),
			},
		},
	}
	for i, id := range tenants {
		t := mapping.Tenant{ID: id, Name: "Tenant " + id}
		if i < len(accounts) && accounts[i] != 0 {
			t.Account = &mapping.AccountMapping{Number: accounts[i],
				Billing: mapping.Billing{Enabled: true, Agreement: 10 * accounts[i], PriceLevel: 1}}
		}
		c.Tenants = append(c.Tenants, t)
	}
	return c
}

func mustSave(t *testing.T, s mapping.Store, c mapping.Config) int64 {
	t.Helper()
	rev, err := s.Save(t.Context(), c)
	if err != nil {
		t.Fatalf("Save(%q at revision %d): %v", c.Name, c.Revision, err)
	}
	return rev
}

func mustLoad(t *testing.T, s mapping.Store, name string) mapping.Config {
	t.Helper()
	c, err := s.Load(t.Context(), name)
	if err != nil {
		t.Fatalf("Load(%q): %v", name, err)
	}
	return c
}

func testLoadMissing(t *testing.T, s mapping.Store) {
	_, err := s.Load(t.Context(), "absent")
	if !errors.Is(err, mapping.ErrNotFound) {
		t.Fatalf("Load(absent) error = %v, want ErrNotFound", err)
	}
	list, err := s.List(t.Context())
	if err != nil || len(list) != 0 {
		t.Fatalf("List of an empty store = %v, %v; want none", list, err)
	}
}

func testSaveAndLoad(t *testing.T, s mapping.Store) {
	c := Sample("Müller & Öztürk — ромашка", []string{"vs-1", "vs-2", "vs-3"}, 1001, 0, 1003)
	c.Tenants[1].Name = "ООО «Ромашка»"
	rev := mustSave(t, s, c)
	if rev != 1 {
		t.Errorf("first revision = %d, want 1", rev)
	}
	got := mustLoad(t, s, c.Name)
	want := c.Clone()
	want.Revision = rev
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Load after Save (-want +got):\n%s", d)
	}
}

func testSaveBumpsRevision(t *testing.T, s mapping.Store) {
	c := Sample("main", []string{"vs-1"}, 1001)
	c.Revision = mustSave(t, s, c)
	c.Tenants[0].Account.Billing.PriceLevel = 2
	rev := mustSave(t, s, c)
	if rev <= c.Revision {
		t.Fatalf("revision after second save = %d, want > %d", rev, c.Revision)
	}
	got := mustLoad(t, s, "main")
	if got.Revision != rev || got.Tenants[0].Account.Billing.PriceLevel != 2 {
		t.Errorf("Load = revision %d, price level %d; want %d, 2", got.Revision, got.Tenants[0].Account.Billing.PriceLevel, rev)
	}
}

func testStaleRevision(t *testing.T, s mapping.Store) {
	c := Sample("main", []string{"vs-1"}, 1001)
	c.Revision = mustSave(t, s, c)
	first := c.Clone()
	c.Tenants[0].Name = "renamed"
	mustSave(t, s, c)
	first.Tenants[0].Name = "stale writer"
	if _, err := s.Save(t.Context(), first); !errors.Is(err, mapping.ErrConflict) {
		t.Fatalf("Save at a stale revision: error = %v, want ErrConflict", err)
	}
	if got := mustLoad(t, s, "main"); got.Tenants[0].Name != "renamed" {
		t.Errorf("a refused save changed the store: tenant name %q", got.Tenants[0].Name)
	}
}

func testCreateExisting(t *testing.T, s mapping.Store) {
	mustSave(t, s, Sample("main", []string{"vs-1"}))
	again := Sample("main", []string{"vs-9"})
	if _, err := s.Save(t.Context(), again); !errors.Is(err, mapping.ErrConflict) {
		t.Fatalf("creating an existing integration: error = %v, want ErrConflict", err)
	}
	ghost := Sample("ghost", nil)
	ghost.Revision = 3
	if _, err := s.Save(t.Context(), ghost); !errors.Is(err, mapping.ErrConflict) {
		t.Fatalf("saving a missing integration at revision 3: error = %v, want ErrConflict", err)
	}
	if _, err := s.Load(t.Context(), "ghost"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("a refused save created %q: %v", "ghost", err)
	}
}

func testInvalidName(t *testing.T, s mapping.Store) {
	for _, name := range []string{"", " padded ", "tab\tname"} {
		_, err := s.Save(t.Context(), Sample(name, nil))
		if err == nil || !(errors.Is(err, mapping.ErrRequired) || errors.Is(err, mapping.ErrInvalid)) {
			t.Errorf("Save with name %q: error = %v, want ErrRequired or ErrInvalid", name, err)
		}
	}
}

func testListSorted(t *testing.T, s mapping.Store) {
	for _, n := range []string{"zeta", "alpha", "Mid/slash", ".dot"} {
		mustSave(t, s, Sample(n, []string{n + "-vs"}))
	}
	list, err := s.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range list {
		names = append(names, c.Name)
		if c.Revision != 1 || len(c.Tenants) != 1 || c.Tenants[0].ID != c.Name+"-vs" {
			t.Errorf("List entry %q = revision %d, tenants %v", c.Name, c.Revision, c.Tenants)
		}
	}
	if d := cmp.Diff([]string{".dot", "Mid/slash", "alpha", "zeta"}, names); d != "" {
		t.Errorf("List names (-want +got):\n%s", d)
	}
}

func testReturnsCopies(t *testing.T, s mapping.Store) {
	c := Sample("main", []string{"vs-1"}, 1001)
	mustSave(t, s, c)
	c.Tenants[0].Account.Number = 9999 // the caller's copy, after Save
	got := mustLoad(t, s, "main")
	got.Tenants[0].Account.Number = 8888
	got.PriceBook.Apps[0].Item = "changed"
	again := mustLoad(t, s, "main")
	if again.Tenants[0].Account.Number != 1001 || again.PriceBook.Apps[0].Item != "" {
		t.Errorf("store shares memory with callers: account %d, item %q", again.Tenants[0].Account.Number, again.PriceBook.Apps[0].Item)
	}
}

func testTwoIntegrations(t *testing.T, s mapping.Store) {
	a := Sample("ksc-east", []string{"vs-1", "vs-2"}, 1001, 1002)
	b := Sample("ksc-west", []string{"vs-3"}, 1003)
	mustSave(t, s, a)
	mustSave(t, s, b)
	gotA, gotB := mustLoad(t, s, "ksc-east"), mustLoad(t, s, "ksc-west")
	if len(gotA.Tenants) != 2 || len(gotB.Tenants) != 1 || gotB.Tenants[0].Account.Number != 1003 {
		t.Errorf("integrations mixed up: %v / %v", gotA.Tenants, gotB.Tenants)
	}
	b = gotB
	b.Tenants[0].Name = "West"
	mustSave(t, s, b)
	if got := mustLoad(t, s, "ksc-east"); got.Revision != 1 {
		t.Errorf("saving one integration changed the other's revision to %d", got.Revision)
	}
}

func testTenantTaken(t *testing.T, s mapping.Store) {
	mustSave(t, s, Sample("east", []string{"vs-1", "vs-2"}))
	_, err := s.Save(t.Context(), Sample("west", []string{"vs-3", "vs-2"}))
	if !errors.Is(err, mapping.ErrTenantTaken) {
		t.Fatalf("tenant in two integrations: error = %v, want ErrTenantTaken", err)
	}
	var ve *mapping.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 {
		t.Fatalf("error %v is not a *ValidationError with one problem", err)
	}
	p := ve.Problems[0]
	if p.Tenant != "vs-2" || p.Integration != "east" || p.Field != "tenants[vs-2]" {
		t.Errorf("problem = %+v; want tenant vs-2 held by integration east", p)
	}
	if _, err := s.Load(t.Context(), "west"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("a refused save was stored: %v", err)
	}
}

func testAccountTaken(t *testing.T, s mapping.Store) {
	mustSave(t, s, Sample("east", []string{"vs-1"}, 1001))
	_, err := s.Save(t.Context(), Sample("west", []string{"vs-2"}, 1001))
	var ve *mapping.ValidationError
	if !errors.Is(err, mapping.ErrAccountTaken) || !errors.As(err, &ve) {
		t.Fatalf("account in two integrations: error = %v, want ErrAccountTaken", err)
	}
	if p := ve.Problems[0]; p.Account != 1001 || p.Integration != "east" || p.Tenant != "vs-2" {
		t.Errorf("problem = %+v", p)
	}
}

func testMoveTenant(t *testing.T, s mapping.Store) {
	east := Sample("east", []string{"vs-1", "vs-2"}, 1001, 1002)
	east.Revision = mustSave(t, s, east)
	mustSave(t, s, Sample("west", []string{"vs-3"}))
	east.Tenants = east.Tenants[:1] // vs-2 leaves east, and its account with it
	mustSave(t, s, east)
	west := mustLoad(t, s, "west")
	west.Tenants = append(west.Tenants, mapping.Tenant{ID: "vs-2", Name: "moved",
		Account: &mapping.AccountMapping{Number: 1002}})
	mustSave(t, s, west)
	if got := mustLoad(t, s, "west"); len(got.Tenants) != 2 || got.Tenants[1].ID != "vs-2" {
		t.Errorf("west after the move: %v", got.Tenants)
	}
}

func testDelete(t *testing.T, s mapping.Store) {
	rev := mustSave(t, s, Sample("main", []string{"vs-1"}))
	if err := s.Delete(t.Context(), "main", rev+1); !errors.Is(err, mapping.ErrConflict) {
		t.Errorf("Delete at a wrong revision: %v, want ErrConflict", err)
	}
	if err := s.Delete(t.Context(), "absent", 1); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("Delete of a missing integration: %v, want ErrNotFound", err)
	}
	if err := s.Delete(t.Context(), "main", rev); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Load(t.Context(), "main"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("Load after Delete: %v, want ErrNotFound", err)
	}
	// Its tenant is free again.
	mustSave(t, s, Sample("other", []string{"vs-1"}))
}

func testConcurrentSaves(t *testing.T, s mapping.Store) {
	base := Sample("main", []string{"vs-1"})
	base.Revision = mustSave(t, s, base)
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := base.Clone()
			c.Tenants[0].Name = fmt.Sprintf("writer %d", i)
			_, errs[i] = s.Save(context.Background(), c)
		}()
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Fatalf("writers %d and %d both saved at revision %d", won, i, base.Revision)
		case err == nil:
			won = i
		case !errors.Is(err, mapping.ErrConflict):
			t.Errorf("writer %d: %v, want nil or ErrConflict", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no writer saved")
	}
	if got := mustLoad(t, s, "main"); got.Tenants[0].Name != fmt.Sprintf("writer %d", won) {
		t.Errorf("stored name %q, want the winner's (writer %d)", got.Tenants[0].Name, won)
	}
}

func testCanceledContext(t *testing.T, s mapping.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Save(ctx, Sample("main", nil)); !errors.Is(err, context.Canceled) {
		t.Errorf("Save with a canceled context: %v", err)
	}
	if _, err := s.Load(ctx, "main"); !errors.Is(err, context.Canceled) {
		t.Errorf("Load with a canceled context: %v", err)
	}
	if _, err := s.List(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("List with a canceled context: %v", err)
	}
	if _, err := s.Load(t.Context(), "main"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("a canceled save was stored: %v", err)
	}
}

func testTenantIDsPerSolution(t *testing.T, s mapping.Store) {
	mustSave(t, s, Sample("ksc", []string{"1"}, 1001))
	hub := Sample("hub", []string{"1"}, 1001)
	hub.Solution = mapping.SolutionHub
	_, err := s.Save(t.Context(), hub)
	if errors.Is(err, mapping.ErrTenantTaken) {
		t.Errorf("a company and a virtual server with the same id conflict: %v", err)
	}
	if !errors.Is(err, mapping.ErrAccountTaken) {
		t.Errorf("an account mapped in a KSC and a Hub integration: %v, want ErrAccountTaken", err)
	}
	hub.Tenants[0].Account.Number = 1002
	mustSave(t, s, hub)
}
