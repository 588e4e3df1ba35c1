package serviceorder_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	sot "github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

// faultyStore fails Load or the next Apply calls on demand.
type faultyStore struct {
	serviceorder.Store
	failLoad  bool
	failApply atomic.Int32
	onApply   func()
}

var errStore = errors.New("store unavailable")

func (s *faultyStore) Load(ctx context.Context) (serviceorder.State, error) {
	if s.failLoad {
		return serviceorder.State{}, errStore
	}
	return s.Store.Load(ctx)
}

func (s *faultyStore) Apply(ctx context.Context, c serviceorder.Change) error {
	if s.onApply != nil {
		s.onApply()
	}
	if s.failApply.Load() > 0 {
		s.failApply.Add(-1)
		return errStore
	}
	return s.Store.Apply(ctx, c)
}

func TestNewRunnerArguments(t *testing.T) {
	t.Parallel()
	if _, err := serviceorder.NewRunner(nil, serviceorder.NewMemoryStore()); err == nil || !strings.Contains(err.Error(), "desk") {
		t.Fatalf("nil desk: %v", err)
	}
	if _, err := serviceorder.NewRunner(sot.NewDesk(), nil); err == nil || !strings.Contains(err.Error(), "store") {
		t.Fatalf("nil store: %v", err)
	}
	if _, err := serviceorder.NewRunner(sot.NewDesk(), serviceorder.NewMemoryStore(), serviceorder.WithClock(nil), serviceorder.WithLogger(nil)); err != nil {
		t.Fatalf("nil options must keep the defaults: %v", err)
	}
}

func TestRunRejectsInvalidRules(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.rules.General.Rep = 0
	w.devices(tenantA, sot.Device(tenantA, "1", kaspersky.StatusWarning, kaspersky.StatusManyViruses))
	_, err := w.runner.Run(t.Context(), serviceorder.Cycle{Rules: w.rules, Accounts: serviceorder.Accounts{tenantA: 1}, Tenants: []serviceorder.TenantInput{*w.inputs[tenantA]}})
	if !errors.Is(err, serviceorder.ErrInvalid) {
		t.Fatalf("Run with invalid rules: %v", err)
	}
}

func TestRunStoreLoadFails(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.store = &faultyStore{Store: w.store, failLoad: true}
	w.newRunner()
	if _, err := w.runner.Run(t.Context(), serviceorder.Cycle{Rules: w.rules}); !errors.Is(err, errStore) {
		t.Fatalf("Run with a failing Load: %v", err)
	}
}

// Without a recorded intent nothing is created.
func TestRunIntentNotRecordedCreatesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	fs := &faultyStore{Store: w.store}
	w.store = fs
	w.newRunner()
	w.enableStatus(kaspersky.StatusManyViruses, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "1", kaspersky.StatusWarning, kaspersky.StatusManyViruses))
	fs.failApply.Store(1)
	_, err := w.runner.Run(t.Context(), serviceorder.Cycle{Rules: w.rules, Accounts: serviceorder.Accounts{tenantA: accountA}, Tenants: []serviceorder.TenantInput{*w.inputs[tenantA]}})
	if !errors.Is(err, errStore) || !strings.Contains(err.Error(), "recording intent") {
		t.Fatalf("Run with the intent not recorded: %v", err)
	}
	if n := w.desk.Calls(sot.OpCreate) + w.desk.Calls(sot.OpFind); n != 0 {
		t.Fatalf("%d desk calls although the intent could not be recorded", n)
	}
	wantCounts(t, w.cycle(), 1, 0, 0, 0, 0, 0)
}

// The result cannot be recorded: Tigerpaw is ahead of the Store; the next cycle
// catches up without a duplicate.
func TestRunResultNotRecorded(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	fs := &faultyStore{Store: w.store}
	w.store = fs
	w.newRunner()
	w.enableStatus(kaspersky.StatusManyViruses, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "1", kaspersky.StatusWarning, kaspersky.StatusManyViruses))
	calls := 0
	fs.onApply = func() {
		calls++
		if calls == 2 { // the first Apply records the intent, the second the results
			fs.failApply.Store(1)
		}
	}
	res := w.cycle()
	wantCounts(t, res, 1, 0, 0, 0, 0, 1)
	fs.onApply = nil
	wantCounts(t, w.cycle(), 0, 1, 0, 0, 0, 0)
	w.assertOnePerKey(serviceorder.StatusKey(tenantA, "1", kaspersky.StatusManyViruses))

	// The final Apply (processed events, read times) fails: reported, not fatal.
	fs.failApply.Store(1)
	res = w.cycle()
	wantCounts(t, res, 0, 0, 0, 0, 0, 1)
	if !strings.Contains(res.Err().Error(), "read times") {
		t.Fatalf("failure: %v", res.Err())
	}
}

func TestRunCanceledContext(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableStatus(kaspersky.StatusManyViruses, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "1", kaspersky.StatusWarning, kaspersky.StatusManyViruses))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := w.runner.Run(ctx, serviceorder.Cycle{Rules: w.rules, Accounts: serviceorder.Accounts{tenantA: 1}, Tenants: []serviceorder.TenantInput{*w.inputs[tenantA]}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run with a canceled context: %v", err)
	}
	if n := len(w.desk.Orders()); n != 0 {
		t.Fatalf("%d orders created after cancel", n)
	}
}

// Closing an order whose create outcome was unknown, and the desk errors on the
// way to a close.
func TestRunCloseFaults(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) (*world, serviceorder.Key) {
		w := newWorld(t)
		w.enableStatus(kaspersky.StatusManyViruses, warnSettings, kaspersky.StatusWarning)
		w.devices(tenantA, sot.Device(tenantA, "1", kaspersky.StatusWarning, kaspersky.StatusManyViruses))
		return w, serviceorder.StatusKey(tenantA, "1", kaspersky.StatusManyViruses)
	}
	t.Run("create dropped, then status cleared", func(t *testing.T) {
		t.Parallel()
		w, k := setup(t)
		w.desk.Inject(sot.OpCreate, sot.Fault{Applied: true})
		wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 1)
		w.devices(tenantA)
		res := w.cycle()
		wantCounts(t, res, 0, 0, 1, 0, 0, 0)
		if _, open := w.openByKey(k); open {
			t.Fatal("the order created before the drop is still open")
		}
	})
	t.Run("create refused, then status cleared", func(t *testing.T) {
		t.Parallel()
		w, _ := setup(t)
		w.desk.Inject(sot.OpCreate, sot.Fault{})
		wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 1)
		w.devices(tenantA)
		wantCounts(t, w.cycle(), 0, 0, 0, 0, 1, 0)
		if st := w.state(); len(st.Orders) != 0 {
			t.Fatalf("store not cleaned: %+v", st.Orders)
		}
	})
	t.Run("lookup fails for an unknown create", func(t *testing.T) {
		t.Parallel()
		w, _ := setup(t)
		w.desk.Inject(sot.OpCreate, sot.Fault{Applied: true})
		w.cycle()
		w.devices(tenantA)
		w.desk.Inject(sot.OpFind, sot.Fault{})
		wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 1)
		wantCounts(t, w.cycle(), 0, 0, 1, 0, 0, 0)
	})
	t.Run("get fails, then succeeds", func(t *testing.T) {
		t.Parallel()
		w, _ := setup(t)
		w.cycle()
		w.devices(tenantA)
		w.desk.Inject(sot.OpGet, sot.Fault{})
		res := w.cycle()
		wantCounts(t, res, 0, 0, 0, 0, 0, 1)
		if !errors.Is(res.Err(), sot.ErrInjected) || res.Failed[0].Action != serviceorder.ActionClose {
			t.Fatalf("failure: %+v", res.Failed)
		}
		wantCounts(t, w.cycle(), 0, 0, 1, 0, 0, 0)
	})
	t.Run("order deleted in Tigerpaw", func(t *testing.T) {
		t.Parallel()
		w, _ := setup(t)
		w.cycle()
		w.devices(tenantA)
		w.desk.Inject(sot.OpGet, sot.Fault{Err: serviceorder.ErrNotFound})
		wantCounts(t, w.cycle(), 0, 0, 0, 0, 1, 0)
	})
	t.Run("close says not found", func(t *testing.T) {
		t.Parallel()
		w, _ := setup(t)
		w.cycle()
		w.devices(tenantA)
		w.desk.Inject(sot.OpClose, sot.Fault{Err: serviceorder.ErrNotFound})
		wantCounts(t, w.cycle(), 0, 0, 0, 0, 1, 0)
	})
	t.Run("close fails, retried next cycle", func(t *testing.T) {
		t.Parallel()
		w, k := setup(t)
		w.cycle()
		w.devices(tenantA)
		w.desk.Inject(sot.OpClose, sot.Fault{})
		wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 1)
		if st := w.state(); st.Orders[k].Phase != serviceorder.PhaseOpen {
			t.Fatalf("after a failed close: %+v", st.Orders[k])
		}
		wantCounts(t, w.cycle(), 0, 0, 1, 0, 0, 0)
	})
}

func TestRunLogs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := newWorld(t)
	r, err := serviceorder.NewRunner(w.desk, w.store, serviceorder.WithClock(w.clock.Now), serviceorder.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	if err != nil {
		t.Fatal(err)
	}
	w.runner = r
	w.enableStatus(kaspersky.StatusManyViruses, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "1", kaspersky.StatusWarning, kaspersky.StatusManyViruses))
	w.desk.Inject(sot.OpFind, sot.Fault{})
	w.cycle()
	w.cycle()
	k := string(serviceorder.StatusKey(tenantA, "1", kaspersky.StatusManyViruses))
	for _, want := range []string{"service order action failed", "service order created", k} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestLastReadsAndEventsWithoutID(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableEvent(serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityWarning}, warnSettings, 1)
	noID := func(dev string) kaspersky.Event {
		return kaspersky.Event{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityWarning, Type: "T", DeviceID: dev, Time: t0}
	}
	w.events(tenantA, noID("1"), noID("2"), noID("1"))
	wantCounts(t, w.cycle(), 2, 0, 0, 0, 0, 0)
	w.events(tenantA, noID("1"))
	wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 0)
	reads, err := w.runner.LastReads(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !reads[tenantA].Equal(t0.Add(5*time.Minute)) || !reads[tenantB].Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("LastReads = %v", reads)
	}
	w.store = &faultyStore{Store: w.store, failLoad: true}
	w.newRunner()
	if _, err := w.runner.LastReads(t.Context()); !errors.Is(err, errStore) {
		t.Fatalf("LastReads with a failing store: %v", err)
	}
}

// statusOnlyDesk reports no order as closed: like a Tigerpaw that sets the
// closed status through the API without a close date.
type statusOnlyDesk struct{ *sot.Desk }

func (d statusOnlyDesk) FindByReference(ctx context.Context, ref string) ([]serviceorder.DeskOrder, error) {
	found, err := d.Desk.FindByReference(ctx, ref)
	for i := range found {
		found[i].Closed = false
	}
	return found, err
}

func (d statusOnlyDesk) Get(ctx context.Context, n int) (serviceorder.DeskOrder, error) {
	o, err := d.Desk.Get(ctx, n)
	o.Closed = false
	return o, err
}

// An order in the closed status counts as closed even without a close date: a
// status that comes back gets a new order instead of the closed one.
func TestRunClosedStatusCountsAsClosed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r, err := serviceorder.NewRunner(statusOnlyDesk{w.desk}, w.store, serviceorder.WithClock(w.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	w.runner = r
	w.enableStatus(kaspersky.StatusManyViruses, warnSettings, kaspersky.StatusWarning)
	on := sot.Device(tenantA, "1", kaspersky.StatusWarning, kaspersky.StatusManyViruses)
	w.devices(tenantA, on)
	first := w.cycle().Created[0].Number
	w.devices(tenantA)
	wantCounts(t, w.cycle(), 0, 0, 1, 0, 0, 0)
	w.devices(tenantA, on)
	res := w.cycle()
	wantCounts(t, res, 1, 0, 0, 0, 0, 0)
	second := res.Created[0].Number
	if second == first {
		t.Fatal("the closed order was reused")
	}
	// Lost store, status cleared: the open order is the new one.
	w.store = serviceorder.NewMemoryStore()
	r, _ = serviceorder.NewRunner(statusOnlyDesk{w.desk}, w.store, serviceorder.WithClock(w.clock.Now))
	w.runner = r
	res = w.cycle()
	wantCounts(t, res, 0, 1, 0, 0, 0, 0)
	if res.Recovered[0].Number != second {
		t.Fatalf("recovered order %d, want the open one %d (not the closed %d)", res.Recovered[0].Number, second, first)
	}
}

// cancelingDesk cancels the cycle's context right after the first create.
type cancelingDesk struct {
	*sot.Desk
	cancel context.CancelFunc
}

func (d cancelingDesk) Create(ctx context.Context, o serviceorder.NewOrder) (int, error) {
	n, err := d.Desk.Create(ctx, o)
	d.cancel()
	return n, err
}

// A cycle canceled midway records what it did in Tigerpaw; the next cycle
// finishes the rest without a duplicate.
func TestRunCanceledMidway(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableStatus(kaspersky.StatusManyViruses, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "1", kaspersky.StatusWarning, kaspersky.StatusManyViruses))
	w.devices(tenantB, sot.Device(tenantB, "2", kaspersky.StatusWarning, kaspersky.StatusManyViruses))
	ctx, cancel := context.WithCancel(t.Context())
	r, err := serviceorder.NewRunner(cancelingDesk{w.desk, cancel}, w.store, serviceorder.WithClock(w.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	c := serviceorder.Cycle{Rules: w.rules, Accounts: serviceorder.Accounts{tenantA: accountA, tenantB: accountB}, Tenants: []serviceorder.TenantInput{*w.inputs[tenantA], *w.inputs[tenantB]}}
	res, err := r.Run(ctx, c)
	if !errors.Is(err, context.Canceled) || len(res.Created) != 1 {
		t.Fatalf("canceled Run: created %d, err %v", len(res.Created), err)
	}
	st := w.state()
	aKey := serviceorder.StatusKey(tenantA, "1", kaspersky.StatusManyViruses)
	bKey := serviceorder.StatusKey(tenantB, "2", kaspersky.StatusManyViruses)
	if st.Orders[aKey].Phase != serviceorder.PhaseOpen || st.Orders[bKey].Phase != serviceorder.PhaseCreating {
		t.Fatalf("after cancel: A %v, B %v", st.Orders[aKey].Phase, st.Orders[bKey].Phase)
	}
	if len(st.TenantReads) != 0 {
		t.Fatalf("a canceled cycle advanced read times: %v", st.TenantReads)
	}
	wantCounts(t, w.cycle(), 1, 0, 0, 0, 0, 0)
	w.assertOnePerKey(aKey, bKey)
}

// Store writes per cycle are bounded: one for the intent, one per batch of
// results, one for read times.
func TestRunBatchesStoreWrites(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	fs := &faultyStore{Store: w.store}
	var applies int
	fs.onApply = func() { applies++ }
	w.store = fs
	w.newRunner()
	w.enableStatus(kaspersky.StatusManyViruses, warnSettings, kaspersky.StatusWarning)
	w.rules.FloodLimit = 1000 // 300 orders of one tenant in one cycle: above the default flood limit
	var devs []kaspersky.Device
	for i := range 300 {
		devs = append(devs, sot.Device(tenantA, fmt.Sprint(i), kaspersky.StatusWarning, kaspersky.StatusManyViruses))
	}
	w.devices(tenantA, devs...)
	w.devices(tenantB, devs[:10]...)
	wantCounts(t, w.cycle(), 310, 0, 0, 0, 0, 0)
	if applies != 4 {
		t.Fatalf("%d store writes, want 4 (intent, two result batches, read times)", applies)
	}
	if st := w.state(); len(st.Orders) != 310 {
		t.Fatalf("%d orders recorded, want 310", len(st.Orders))
	}
}

// refusingDesk refuses every call as Tigerpaw does with wrong credentials, and
// counts the calls.
type refusingDesk struct {
	*sot.Desk
	calls *int
}

func (d refusingDesk) FindByReference(ctx context.Context, ref string) ([]serviceorder.DeskOrder, error) {
	*d.calls++
	return nil, fmt.Errorf("%w: 401", serviceorder.ErrUnauthorized)
}

func (d refusingDesk) Create(ctx context.Context, o serviceorder.NewOrder) (int, error) {
	*d.calls++
	return 0, fmt.Errorf("%w: 401", serviceorder.ErrUnauthorized)
}

// After Tigerpaw refuses the credentials, the cycle sends nothing more: one
// refused call, not one per order and tenant; every tenant is reported failed
// and keeps its read time, so nothing is lost for the next cycle.
func TestRunStopsAfterRefusedCredentials(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	calls := 0
	r, err := serviceorder.NewRunner(refusingDesk{w.desk, &calls}, w.store, serviceorder.WithClock(w.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	w.runner = r
	w.enableStatus(kaspersky.StatusManyViruses, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "1", kaspersky.StatusWarning, kaspersky.StatusManyViruses),
		sot.Device(tenantA, "2", kaspersky.StatusWarning, kaspersky.StatusManyViruses))
	w.devices(tenantB, sot.Device(tenantB, "3", kaspersky.StatusWarning, kaspersky.StatusManyViruses))
	res := w.cycle()
	if calls != 1 {
		t.Errorf("the desk was called %d times after a refusal, want 1", calls)
	}
	if len(res.Created) != 0 {
		t.Errorf("created %v", res.Created)
	}
	failedTenants := map[string]bool{}
	for _, f := range res.Failed {
		if !errors.Is(f, serviceorder.ErrUnauthorized) {
			t.Errorf("failure %v does not wrap ErrUnauthorized", f)
		}
		failedTenants[f.TenantID] = true
	}
	if !failedTenants[tenantA] || !failedTenants[tenantB] {
		t.Errorf("failed tenants %v, want both", failedTenants)
	}
	reads, err := w.runner.LastReads(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(reads) != 0 {
		t.Errorf("read times recorded for refused tenants: %v", reads)
	}
}
