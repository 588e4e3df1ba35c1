package kasperskytigerpaw

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// countedTigerpawWrites counts the requests of srv that change Tigerpaw.
func countedTigerpawWrites(srv *tigerpawtest.Server) int {
	return srv.Count("POST", "/api/agreements/{n}/additionalcharges") + srv.Count("PUT", "*") + srv.Count("DELETE", "*") +
		srv.Count("POST", "/api/serviceorders")
}

// TestBillingJobOnCycle: OnCycle gets each cycle's result, failed (it
// achieved nothing) then ok (package metrics counts them by Outcome).
func TestBillingJobOnCycle(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	job := w.job(t)
	var got []CycleResult
	job.OnCycle = func(r CycleResult) { got = append(got, r) }

	// The first cycle's two writes, all it had to do, are refused: it
	// achieved nothing, so it failed, with two failures of the tenant.
	w.srv.FailNext("POST", "/api/agreements/{n}/additionalcharges", 2,
		tigerpawtest.Fault{Status: http.StatusOK, Body: `{"Success":false,"Message":"Agreement is being edited."}`})
	if _, _, err := job.Run(t.Context(), w.cfg); !errors.Is(err, ErrCycleFailed) {
		t.Fatalf("a cycle whose every write was refused: error %v, want one wrapping ErrCycleFailed", err)
	}
	if len(got) != 1 {
		t.Fatalf("OnCycle called %d times", len(got))
	}
	r := got[0]
	if r.Job != JobBilling || !r.Start.Equal(billingNow) || !errors.Is(r.Err, ErrCycleFailed) || !r.Failed || len(r.Tenants) != 1 ||
		r.Tenants[0].Tenant != "vs-1" || r.Tenants[0].Created != 0 || len(r.Tenants[0].Errors) != 2 {
		t.Errorf("result of the refused cycle = %+v", r)
	}
	if o := r.Outcome(); o != OutcomeFailed {
		t.Errorf("outcome of the refused cycle = %q, want %q", o, OutcomeFailed)
	}

	// The next cycle makes them.
	if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
		t.Fatal(err)
	}
	r = got[1]
	if r.Err != nil || r.Failed || len(r.Tenants) != 1 {
		t.Fatalf("result = %+v", r)
	}
	if to := r.Tenants[0]; to.Tenant != "vs-1" || to.Created != 2 || to.Updated+to.Deleted+to.Unchanged != 0 || len(to.Errors) != 0 {
		t.Errorf("tenant outcome = %+v, want 2 created", to)
	}
	if o := r.Outcome(); o != OutcomeOK {
		t.Errorf("outcome = %q, want %q", o, OutcomeOK)
	}
	if n := countedTigerpawWrites(w.srv); n != 4 {
		t.Errorf("the fake counted %d writes, want 4", n)
	}
}

// TestCycleOutcome: a cycle the runtime found not configured is neither
// failed nor partial, whatever else it says.
func TestCycleOutcome(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		r    CycleResult
		want string
	}{
		{CycleResult{}, OutcomeOK},
		{CycleResult{Err: ErrCycleFailed}, OutcomePartial},
		{CycleResult{Err: ErrCycleFailed, Failed: true}, OutcomeFailed},
		{CycleResult{NotConfigured: []string{"no tenant mapped"}}, OutcomeNotConfigured},
	} {
		if got := tt.r.Outcome(); got != tt.want {
			t.Errorf("Outcome of %+v = %q, want %q", tt.r, got, tt.want)
		}
	}
}

func TestServiceOrderJobOnCycle(t *testing.T) {
	t.Parallel()
	w := newSOWorld(t)
	desk, err := NewDesk(w.srv.Client(t, tigerpaw.WithClock(w.clock)))
	if err != nil {
		t.Fatal(err)
	}
	runner, err := serviceorder.NewRunner(desk, w.store, serviceorder.WithClock(w.clock))
	if err != nil {
		t.Fatal(err)
	}
	var got []CycleResult
	job := &ServiceOrderJob{Source: w.src, Runner: runner, Now: w.clock, OnCycle: func(r CycleResult) { got = append(got, r) }}
	res, err := job.Run(t.Context(), w.cfg, w.rules)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) == 0 {
		t.Fatal("the cycle created no order")
	}
	if len(got) != 1 || got[0].Job != JobServiceOrders || got[0].Err != nil || got[0].Failed {
		t.Fatalf("results = %+v", got)
	}
	// Only the mapped tenant is in the outcomes.
	if ts := got[0].Tenants; len(ts) != 1 || ts[0].Tenant != "vs-1" || ts[0].OrdersCreated != len(res.Created) || ts[0].OrdersClosed != 0 {
		t.Errorf("tenants = %+v, want vs-1 with %d created", ts, len(res.Created))
	}

	// The status clears: the order is closed.
	w.setDevice(kaspersky.StatusOK)
	w.advance(time.Hour)
	res, err = job.Run(t.Context(), w.cfg, w.rules)
	if err != nil {
		t.Fatal(err)
	}
	if ts := got[1].Tenants; len(ts) != 1 || ts[0].OrdersClosed != len(res.Closed) || len(res.Closed) == 0 {
		t.Errorf("tenants after the close = %+v, result %+v", ts, res)
	}
}

// TestServiceOrderJobOnCycleFlood: a cycle that meets the flood guard says so
// in its result (the status board and the metrics show it): the limit in
// force, the tenant's summary order, the events listed in it instead of
// opened.
func TestServiceOrderJobOnCycleFlood(t *testing.T) {
	t.Parallel()
	w := newSOWorld(t)
	w.setDevice(kaspersky.StatusOK)
	w.rules.FloodLimit = 2
	for i := range 5 {
		w.src.events["vs-1"] = append(w.src.events["vs-1"], kaspersky.Event{ID: fmt.Sprint("ev-", i), TenantID: "vs-1",
			DeviceID: fmt.Sprint("host-", i), DeviceName: fmt.Sprint("WS-", i), Origin: kaspersky.OriginKSC,
			Severity: kaspersky.SeverityCritical, Type: "GNRL_EV_VIRUS_FOUND", TypeName: "Virus found",
			Time: w.clock().Add(-time.Duration(i+1) * time.Minute), Text: "EICAR test file"})
	}
	desk, err := NewDesk(w.srv.Client(t, tigerpaw.WithClock(w.clock)))
	if err != nil {
		t.Fatal(err)
	}
	runner, err := serviceorder.NewRunner(desk, w.store, serviceorder.WithClock(w.clock))
	if err != nil {
		t.Fatal(err)
	}
	var got []CycleResult
	job := &ServiceOrderJob{Source: w.src, Runner: runner, Now: w.clock, OnCycle: func(r CycleResult) { got = append(got, r) }}
	res, err := job.Run(t.Context(), w.cfg, w.rules)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Summaries) != 1 || res.Suppressed == 0 {
		t.Fatalf("the flood guard did not act: %d summaries, %d suppressed", len(res.Summaries), res.Suppressed)
	}
	if len(got) != 1 {
		t.Fatalf("OnCycle called %d times", len(got))
	}
	r := got[0]
	if r.FloodLimit != 2 || r.Summaries != 1 || r.Suppressed != res.Suppressed || r.Deferred != res.Deferred {
		t.Errorf("cycle result: flood limit %d, summaries %d, suppressed %d, deferred %d; want 2, 1, %d, %d",
			r.FloodLimit, r.Summaries, r.Suppressed, r.Deferred, res.Suppressed, res.Deferred)
	}
	if ts := r.Tenants; len(ts) != 1 || ts[0].Summaries != 1 || ts[0].OrdersCreated != len(res.Created) {
		t.Errorf("tenants = %+v, want vs-1 with 1 summary among %d created", ts, len(res.Created))
	}

	// The default limit is in force when the rules set none.
	w.rules.FloodLimit = 0
	w.advance(time.Hour)
	if _, err := job.Run(t.Context(), w.cfg, w.rules); err != nil {
		t.Fatal(err)
	}
	if r := got[1]; r.FloodLimit != serviceorder.DefaultFloodLimit || r.Summaries != 0 || r.Suppressed != 0 {
		t.Errorf("second cycle: flood limit %d, summaries %d, suppressed %d; want %d, 0, 0", r.FloodLimit, r.Summaries, r.Suppressed, serviceorder.DefaultFloodLimit)
	}
}

// TestServiceOrderJobOnCyclePendingHolder: a close pending because the order
// is open in the Tigerpaw UI carries the locking rep's name in the tenant's
// outcome, or "rep <number>" when Tigerpaw names no one.
func TestServiceOrderJobOnCyclePendingHolder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		lock tigerpawtest.Lock
		want string
	}{
		{name: "named", lock: tigerpawtest.Lock{RepNumber: 12, RepName: "Jane Tech"}, want: "Jane Tech"},
		{name: "number only", lock: tigerpawtest.Lock{RepNumber: 12}, want: "rep 12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newSOWorld(t)
			desk, err := NewDesk(w.srv.Client(t, tigerpaw.WithClock(w.clock)))
			if err != nil {
				t.Fatal(err)
			}
			runner, err := serviceorder.NewRunner(desk, w.store, serviceorder.WithClock(w.clock))
			if err != nil {
				t.Fatal(err)
			}
			var last CycleResult
			job := &ServiceOrderJob{Source: w.src, Runner: runner, Now: w.clock, OnCycle: func(r CycleResult) { last = r }}
			res, err := job.Run(t.Context(), w.cfg, w.rules)
			if err != nil || len(res.Created) != 1 {
				t.Fatalf("first cycle: created %+v, %v", res.Created, err)
			}
			number := res.Created[0].Number
			w.srv.LockServiceOrder(number, tc.lock)
			w.setDevice(kaspersky.StatusOK)
			w.advance(time.Hour)
			if _, err := job.Run(t.Context(), w.cfg, w.rules); err != nil {
				t.Fatal(err)
			}
			want := []PendingClose{{Number: number, LockedBy: tc.want}}
			if ts := last.Tenants; len(ts) != 1 || !slices.Equal(ts[0].PendingCloses, want) || !slices.Equal(ts[0].PendingOrders, []int{number}) {
				t.Fatalf("tenants = %+v, want vs-1 with pending closes %+v", ts, want)
			}
			b, err := json.Marshal(last.Tenants[0])
			if err != nil {
				t.Fatal(err)
			}
			if w := fmt.Sprintf(`"pendingCloses":[{"number":%d,"lockedBy":%q}]`, number, tc.want); !strings.Contains(string(b), w) {
				t.Errorf("JSON %s lacks %s", b, w)
			}
		})
	}
}

// TestDeskCloseRefusalNamesLockHolder: a refusal of a close that the client
// learns is a lock from the order itself reaches the Runner as a
// serviceorder.LockedError naming the locking rep.
func TestDeskCloseRefusalNamesLockHolder(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	desk, err := NewDesk(srv.Client(t))
	if err != nil {
		t.Fatal(err)
	}
	n := srv.AddServiceOrder(tigerpawtest.ServiceOrder{AccountNumber: 1, Status: "New", Priority: "High", Reference: "KTS-L"}).Number
	srv.LockServiceOrder(n, tigerpawtest.Lock{RepNumber: 9, RepName: "Jane Tech"})
	srv.FailNext("PUT", "/api/serviceorders/{n}", 1, tigerpawtest.Fault{Status: http.StatusOK, Body: `{"Success":false,"Message":"The record could not be saved."}`})
	err = desk.Close(t.Context(), n, serviceorder.CloseRequest{Status: "Closed"})
	var le *serviceorder.LockedError
	if !errors.Is(err, serviceorder.ErrLocked) || !errors.As(err, &le) || le.LockedBy != "Jane Tech" || le.Number != n {
		t.Fatalf("Close = %v (%+v), want a serviceorder.LockedError by Jane Tech", err, le)
	}
	if !errors.Is(err, tigerpaw.ErrLocked) {
		t.Errorf("the client's error is lost: %v", err)
	}
	got, err := desk.Get(t.Context(), n)
	if err != nil || !got.Locked || got.LockedBy != "Jane Tech" {
		t.Errorf("Get = %+v, %v; want locked by Jane Tech", got, err)
	}
}

// TestBillingJobFailedWriteBesideUpToDateChargeIsPartial: a cycle whose only
// write fails while another charge is found up to date achieved something:
// it is partial, not failed.
func TestBillingJobFailedWriteBesideUpToDateChargeIsPartial(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	job := w.job(t)
	var got []CycleResult
	job.OnCycle = func(r CycleResult) { got = append(got, r) }
	if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
		t.Fatalf("first cycle: %v", err)
	}
	// One more server: the server charge changes, the workstation one not.
	inv, err := w.src.Inventory(t.Context(), "vs-1")
	if err != nil {
		t.Fatal(err)
	}
	inv.Devices = append(inv.Devices, kaspersky.Device{ID: "host-100", TenantID: "vs-1", Name: "host-100", Category: kaspersky.WindowsServer})
	inv.Licenses[0].ActiveDevices = append(inv.Licenses[0].ActiveDevices, "host-100")
	w.src.set(inv)
	w.srv.FailNext("PUT", "*", 1, tigerpawtest.Fault{Status: http.StatusOK, Body: `{"Success":false,"Message":"Agreement is being edited."}`})
	_, res, err := job.Run(t.Context(), w.cfg)
	if err == nil || errors.Is(err, ErrCycleFailed) {
		t.Fatalf("second cycle: error %v, want a partial cycle's (not wrapping ErrCycleFailed)", err)
	}
	if res.Unchanged != 1 || len(res.Failed) != 1 {
		t.Fatalf("second cycle: %d unchanged, %d failed; want 1 and 1", res.Unchanged, len(res.Failed))
	}
	if r := got[len(got)-1]; r.Failed || r.Outcome() != OutcomePartial {
		t.Errorf("second cycle: outcome %q (failed %v), want %q", r.Outcome(), r.Failed, OutcomePartial)
	}
}
