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

// Run runs the conformance suite for a [serviceorder.Store] implementation.
// newStore must return a new, empty store each time it is called; it may use
// t.TempDir and t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) serviceorder.Store) {
	t.Helper()
	runCases(t, newStore, []suiteCase[serviceorder.Store]{
		{"EmptyLoad", testEmptyLoad},
		{"RoundTrip", testRoundTrip},
		{"DeleteBeforePut", testDeleteBeforePut},
		{"DeleteMissing", testDeleteMissing},
		{"EventsAndPrune", testEventsAndPrune},
		{"TenantReads", testTenantReads},
		{"LoadReturnsCopy", testLoadReturnsCopy},
		{"BadChangeAppliesNothing", testBadChange},
		{"CanceledContext", testCanceledContext},
		{"ConcurrentApply", testConcurrentApply},
	})
}

// suiteCase is one test of a conformance suite over a store of type S.
type suiteCase[S any] struct {
	name string
	fn   func(*testing.T, S)
}

// runCases runs each case in parallel on a new store of its own.
func runCases[S any](t *testing.T, newStore func(t *testing.T) S, cases []suiteCase[S]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

// base is a fixed time for the suite's data.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// SampleOrder returns an order with every field set, for tests.
func SampleOrder(i int) serviceorder.Order {
	k := serviceorder.StatusKey("tenant-1", fmt.Sprintf("dev-%d", i), kaspersky.StatusDatabasesOutdated)
	return serviceorder.Order{
		Key: k, Kind: serviceorder.KindStatus, Phase: serviceorder.PhaseCreating, TenantID: "tenant-1",
		Number: 0, DeviceID: fmt.Sprintf("dev-%d", i), DeviceName: fmt.Sprintf("PC-%03d", i),
		Code: kaspersky.StatusDatabasesOutdated, Level: kaspersky.StatusWarning,
		Since: base.Add(time.Duration(i) * time.Minute), Reason: serviceorder.ReasonCleared,
		Request: &serviceorder.NewOrder{
			Account: 42, Rep: 7, Status: "New", Priority: "High", Type: "Security", Board: 3,
			Brief: "Kaspersky: Databases are out of date", Work: "line 1\nline 2 \"quoted\" ü", Reference: k,
		},
	}
}

var timeCmp = cmpopts.EquateApproxTime(0)

func load(t *testing.T, s serviceorder.Store) serviceorder.State {
	t.Helper()
	st, err := s.Load(t.Context())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return st
}

func apply(t *testing.T, s serviceorder.Store, c serviceorder.Change) {
	t.Helper()
	if err := s.Apply(t.Context(), c); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func testEmptyLoad(t *testing.T, s serviceorder.Store) {
	st := load(t, s)
	if st.Orders == nil || st.Events == nil || st.TenantReads == nil {
		t.Fatalf("Load of an empty store returned nil maps: %+v", st)
	}
	if len(st.Orders)+len(st.Events)+len(st.TenantReads) != 0 {
		t.Fatalf("Load of an empty store is not empty: %+v", st)
	}
}

func testRoundTrip(t *testing.T, s serviceorder.Store) {
	a, b := SampleOrder(1), SampleOrder(2)
	b.Phase, b.Number, b.Request = serviceorder.PhaseOpen, 1234, nil
	apply(t, s, serviceorder.Change{Put: []serviceorder.Order{a, b}})
	got := load(t, s)
	want := map[serviceorder.Key]serviceorder.Order{a.Key: a, b.Key: b}
	if d := cmp.Diff(want, got.Orders, timeCmp); d != "" {
		t.Fatalf("orders after Put (-want +got):\n%s", d)
	}
	b.Phase = serviceorder.PhaseClosing
	apply(t, s, serviceorder.Change{Put: []serviceorder.Order{b}})
	got = load(t, s)
	if got.Orders[b.Key].Phase != serviceorder.PhaseClosing || len(got.Orders) != 2 {
		t.Fatalf("Put did not replace by key: %+v", got.Orders)
	}
}

func testDeleteBeforePut(t *testing.T, s serviceorder.Store) {
	a := SampleOrder(1)
	apply(t, s, serviceorder.Change{Put: []serviceorder.Order{a}})
	a.Phase = serviceorder.PhaseOpen
	apply(t, s, serviceorder.Change{Delete: []serviceorder.Key{a.Key}, Put: []serviceorder.Order{a}})
	got := load(t, s)
	if o, ok := got.Orders[a.Key]; !ok || o.Phase != serviceorder.PhaseOpen {
		t.Fatalf("a key deleted and put in one change must end up put; got %+v (present %v)", o, ok)
	}
	apply(t, s, serviceorder.Change{Delete: []serviceorder.Key{a.Key}})
	if got := load(t, s); len(got.Orders) != 0 {
		t.Fatalf("Delete left %d orders", len(got.Orders))
	}
}

func testDeleteMissing(t *testing.T, s serviceorder.Store) {
	a := SampleOrder(1)
	apply(t, s, serviceorder.Change{Put: []serviceorder.Order{a}})
	apply(t, s, serviceorder.Change{Delete: []serviceorder.Key{"KTS-MISSING"}})
	if got := load(t, s); len(got.Orders) != 1 {
		t.Fatalf("deleting a missing key changed the orders: %+v", got.Orders)
	}
}

func testEventsAndPrune(t *testing.T, s serviceorder.Store) {
	old := serviceorder.EventKey("t", kaspersky.OriginKSC, "1")
	recent := serviceorder.EventKey("t", kaspersky.OriginKSC, "2")
	edge := serviceorder.EventKey("t", kaspersky.OriginKSC, "3")
	apply(t, s, serviceorder.Change{Events: map[serviceorder.Key]time.Time{
		old: base.Add(-48 * time.Hour), recent: base, edge: base.Add(-24 * time.Hour),
	}})
	if got := load(t, s); len(got.Events) != 3 {
		t.Fatalf("events after add: %v", got.Events)
	}
	apply(t, s, serviceorder.Change{PruneEventsBefore: base.Add(-24 * time.Hour)})
	got := load(t, s)
	want := map[serviceorder.Key]time.Time{recent: base, edge: base.Add(-24 * time.Hour)}
	if d := cmp.Diff(want, got.Events, timeCmp); d != "" {
		t.Fatalf("events after prune (-want +got):\n%s", d)
	}
}

func testTenantReads(t *testing.T, s serviceorder.Store) {
	apply(t, s, serviceorder.Change{TenantReads: map[string]time.Time{"a": base, "b": base}})
	apply(t, s, serviceorder.Change{TenantReads: map[string]time.Time{"a": base.Add(time.Hour)}})
	want := map[string]time.Time{"a": base.Add(time.Hour), "b": base}
	if d := cmp.Diff(want, load(t, s).TenantReads, timeCmp); d != "" {
		t.Fatalf("tenant reads (-want +got):\n%s", d)
	}
}

func testLoadReturnsCopy(t *testing.T, s serviceorder.Store) {
	a := SampleOrder(1)
	apply(t, s, serviceorder.Change{Put: []serviceorder.Order{a}, TenantReads: map[string]time.Time{"a": base}})
	st := load(t, s)
	o := st.Orders[a.Key]
	o.Request.Brief = "changed"
	st.Orders[a.Key] = o
	st.Orders["KTS-OTHER"] = a
	st.TenantReads["b"] = base
	st.Events["KTE-X"] = base
	again := load(t, s)
	if len(again.Orders) != 1 || again.Orders[a.Key].Request.Brief != a.Request.Brief || len(again.TenantReads) != 1 || len(again.Events) != 0 {
		t.Fatalf("changing a loaded state changed the store: %+v", again)
	}
}

func testBadChange(t *testing.T, s serviceorder.Store) {
	good := SampleOrder(1)
	bad := SampleOrder(2)
	bad.Key = ""
	err := s.Apply(t.Context(), serviceorder.Change{Put: []serviceorder.Order{good, bad}, TenantReads: map[string]time.Time{"a": base}})
	if !errors.Is(err, serviceorder.ErrBadChange) {
		t.Fatalf("Apply with an empty key: err = %v, want ErrBadChange", err)
	}
	bad = SampleOrder(3)
	bad.Phase = 0
	if err := s.Apply(t.Context(), serviceorder.Change{Put: []serviceorder.Order{bad}}); !errors.Is(err, serviceorder.ErrBadChange) {
		t.Fatalf("Apply with phase 0: err = %v, want ErrBadChange", err)
	}
	if st := load(t, s); len(st.Orders)+len(st.TenantReads) != 0 {
		t.Fatalf("a rejected change was partly applied: %+v", st)
	}
}

func testCanceledContext(t *testing.T, s serviceorder.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Apply(ctx, serviceorder.Change{Put: []serviceorder.Order{SampleOrder(1)}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply with a canceled context: err = %v, want context.Canceled", err)
	}
	if _, err := s.Load(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Load with a canceled context: err = %v, want context.Canceled", err)
	}
	if st := load(t, s); len(st.Orders) != 0 {
		t.Fatalf("Apply with a canceled context stored %d orders", len(st.Orders))
	}
}

func testConcurrentApply(t *testing.T, s serviceorder.Store) {
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Apply(t.Context(), serviceorder.Change{Put: []serviceorder.Order{SampleOrder(i)}})
			_, _ = s.Load(t.Context())
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent Apply: %v", err)
	}
	if got := load(t, s); len(got.Orders) != n {
		t.Fatalf("after %d concurrent Applies the store holds %d orders", n, len(got.Orders))
	}
}
