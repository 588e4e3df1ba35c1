package serviceordertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// RunRules runs the conformance suite for a [serviceorder.RulesStore]
// implementation. newStore must return a new, empty store each time it is
// called; it may use t.TempDir and t.Cleanup.
func RunRules(t *testing.T, newStore func(t *testing.T) serviceorder.RulesStore) {
	t.Helper()
	runCases(t, newStore, []suiteCase[serviceorder.RulesStore]{
		{"EmptyStore", testRulesEmpty},
		{"RoundTrip", testRulesRoundTrip},
		{"RevisionIncrements", testRulesRevisions},
		{"StaleSaveConflicts", testRulesStaleSave},
		{"ReturnsCopies", testRulesCopies},
		{"ConcurrentSaves", testRulesConcurrentSaves},
		{"CanceledContext", testRulesCanceled},
		{"Seed", testRulesSeed},
	})
}

// SampleRules returns rules with every kind of setting used: the general
// settings of [Rules], event rules of each origin on with a board, priority,
// type and lifetime, status rules of both levels on, a creation delay. i
// varies the settings, so that SampleRules(1) and SampleRules(2) differ.
func SampleRules(i int) serviceorder.Rules {
	r := Rules()
	r.General.Rep = Rep + i
	r.CreationDelay = time.Duration(i) * 15 * time.Minute
	for j := range r.Events {
		e := &r.Events[j]
		switch {
		case e.ID.Origin == kaspersky.OriginKSC && e.ID.Severity == kaspersky.SeverityCritical,
			e.ID.Origin == kaspersky.OriginKESCloud && e.ID.Severity == kaspersky.SeverityFunctionalFailure:
			e.OrderSettings = serviceorder.OrderSettings{Enabled: true, Board: 1 + i%3, Priority: "High", Type: "Security"}
			e.LifetimeDays = 1 + i
		case e.ID.Origin == kaspersky.OriginOffice365 && j%2 == i%2:
			e.OrderSettings = serviceorder.OrderSettings{Enabled: true, Priority: "Medium"}
		}
	}
	for j := range r.Statuses {
		s := &r.Statuses[j]
		if j%5 == i%5 {
			s.OrderSettings = serviceorder.OrderSettings{Enabled: true, Board: 3, Priority: fmt.Sprintf("P%d ü \"q\"", i), Type: "Maintenance"}
		}
	}
	return r
}

// diffRules compares whole rules; a nil and an empty list are equal.
func diffRules(got, want serviceorder.Rules) string {
	return cmp.Diff(want, got, cmpopts.EquateEmpty())
}

func mustLoadRules(t *testing.T, s serviceorder.RulesStore) (serviceorder.Rules, int64) {
	t.Helper()
	r, rev, err := s.LoadRules(t.Context())
	if err != nil {
		t.Fatalf("LoadRules: %v", err)
	}
	return r, rev
}

func mustSaveRules(t *testing.T, s serviceorder.RulesStore, r serviceorder.Rules, revision int64) int64 {
	t.Helper()
	rev, err := s.SaveRules(t.Context(), r, revision)
	if err != nil {
		t.Fatalf("SaveRules at revision %d: %v", revision, err)
	}
	if rev != revision+1 {
		t.Fatalf("SaveRules at revision %d returned revision %d, want %d", revision, rev, revision+1)
	}
	return rev
}

func testRulesEmpty(t *testing.T, s serviceorder.RulesStore) {
	r, rev := mustLoadRules(t, s)
	if rev != 0 {
		t.Errorf("empty store: revision %d, want 0", rev)
	}
	if d := diffRules(r, serviceorder.DefaultRules()); d != "" {
		t.Errorf("empty store: rules are not DefaultRules (-want +got):\n%s", d)
	}
	if len(r.Missing()) == 0 {
		t.Error("empty store: Missing lists nothing, want the General settings")
	}
}

func testRulesRoundTrip(t *testing.T, s serviceorder.RulesStore) {
	want := SampleRules(1)
	if err := want.Validate(); err != nil {
		t.Fatalf("the sample rules are invalid: %v", err)
	}
	mustSaveRules(t, s, want, 0)
	got, rev := mustLoadRules(t, s)
	if rev != 1 {
		t.Errorf("after the first save: revision %d, want 1", rev)
	}
	if d := diffRules(got, want); d != "" {
		t.Errorf("loaded rules differ from the saved ones (-want +got):\n%s", d)
	}
	// Rules that are not valid are stored as they are too: validating is the
	// caller's business.
	odd := serviceorder.Rules{General: serviceorder.General{NewStatus: "Open"}, CreationDelay: -time.Second}
	mustSaveRules(t, s, odd, 1)
	got, _ = mustLoadRules(t, s)
	if d := diffRules(got, odd); d != "" {
		t.Errorf("loaded rules differ from the saved invalid ones (-want +got):\n%s", d)
	}
}

func testRulesRevisions(t *testing.T, s serviceorder.RulesStore) {
	var rev int64
	for i := 1; i <= 4; i++ {
		rev = mustSaveRules(t, s, SampleRules(i), rev)
		got, loaded := mustLoadRules(t, s)
		if loaded != int64(i) {
			t.Fatalf("after save %d: revision %d, want %d", i, loaded, i)
		}
		if d := diffRules(got, SampleRules(i)); d != "" {
			t.Fatalf("after save %d: rules (-want +got):\n%s", i, d)
		}
	}
}

func testRulesStaleSave(t *testing.T, s serviceorder.RulesStore) {
	ctx := t.Context()
	if _, err := s.SaveRules(ctx, SampleRules(1), 1); !errors.Is(err, serviceorder.ErrRevisionConflict) {
		t.Fatalf("saving at revision 1 into an empty store: error = %v, want ErrRevisionConflict", err)
	}
	if r, rev := mustLoadRules(t, s); rev != 0 || diffRules(r, serviceorder.DefaultRules()) != "" {
		t.Fatalf("after a refused save into an empty store: revision %d, rules changed: %v", rev, diffRules(r, serviceorder.DefaultRules()))
	}
	mustSaveRules(t, s, SampleRules(1), 0)
	mustSaveRules(t, s, SampleRules(2), 1)
	for _, stale := range []int64{0, 1, 3, 100, -1} {
		_, err := s.SaveRules(ctx, SampleRules(3), stale)
		if !errors.Is(err, serviceorder.ErrRevisionConflict) {
			t.Errorf("saving at revision %d when 2 is stored: error = %v, want ErrRevisionConflict", stale, err)
		}
	}
	got, rev := mustLoadRules(t, s)
	if rev != 2 {
		t.Errorf("after refused saves: revision %d, want 2", rev)
	}
	if d := diffRules(got, SampleRules(2)); d != "" {
		t.Errorf("after refused saves the stored rules changed (-want +got):\n%s", d)
	}
}

func testRulesCopies(t *testing.T, s serviceorder.RulesStore) {
	saved := SampleRules(1)
	mustSaveRules(t, s, saved, 0)
	saved.Events[0].Priority = "changed after the save"
	saved.Statuses[0].Enabled = !saved.Statuses[0].Enabled
	got, _ := mustLoadRules(t, s)
	got.Events[1].Type = "changed after the load"
	got.Statuses = got.Statuses[:1]
	again, _ := mustLoadRules(t, s)
	if d := diffRules(again, SampleRules(1)); d != "" {
		t.Errorf("changing the saved or loaded rules changed the store (-want +got):\n%s", d)
	}
}

func testRulesConcurrentSaves(t *testing.T, s serviceorder.RulesStore) {
	const writers = 8
	for round := range int64(2) {
		var wg sync.WaitGroup
		errs := make([]error, writers)
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.SaveRules(t.Context(), SampleRules(10*int(round)+i), round)
			}()
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: writers %d and %d both saved at revision %d", round, winner, i, round)
			case err == nil:
				winner = i
			case !errors.Is(err, serviceorder.ErrRevisionConflict):
				t.Fatalf("round %d: writer %d: %v, want nil or ErrRevisionConflict", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no writer saved", round)
		}
		got, rev := mustLoadRules(t, s)
		if rev != round+1 {
			t.Fatalf("round %d: revision %d, want %d", round, rev, round+1)
		}
		if d := diffRules(got, SampleRules(10*int(round)+winner)); d != "" {
			t.Fatalf("round %d: the stored rules are not the winner's (-want +got):\n%s", round, d)
		}
	}
}

func testRulesCanceled(t *testing.T, s serviceorder.RulesStore) {
	mustSaveRules(t, s, SampleRules(1), 0)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := s.LoadRules(ctx); err == nil {
		t.Error("LoadRules with a cancelled context: no error")
	}
	if _, err := s.SaveRules(ctx, SampleRules(2), 1); err == nil {
		t.Error("SaveRules with a cancelled context: no error")
	}
	got, rev := mustLoadRules(t, s)
	if rev != 1 {
		t.Errorf("after a cancelled save: revision %d, want 1", rev)
	}
	if d := diffRules(got, SampleRules(1)); d != "" {
		t.Errorf("a cancelled save changed the rules (-want +got):\n%s", d)
	}
}

func testRulesSeed(t *testing.T, s serviceorder.RulesStore) {
	ctx := t.Context()
	seeded, err := serviceorder.SeedRules(ctx, s, SampleRules(1))
	if err != nil || !seeded {
		t.Fatalf("seeding an empty store: seeded %v, error %v; want true, nil", seeded, err)
	}
	seeded, err = serviceorder.SeedRules(ctx, s, SampleRules(2))
	if err != nil || seeded {
		t.Fatalf("seeding a store that has rules: seeded %v, error %v; want false, nil", seeded, err)
	}
	got, rev := mustLoadRules(t, s)
	if rev != 1 {
		t.Errorf("after two seeds: revision %d, want 1", rev)
	}
	if d := diffRules(got, SampleRules(1)); d != "" {
		t.Errorf("the second seed replaced the rules (-want +got):\n%s", d)
	}
}
