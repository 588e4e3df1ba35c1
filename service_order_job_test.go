package kasperskytigerpaw

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// soWorld is a Tigerpaw with the lookups the rules refer to, a tenant with one
// device, and a service order job over them.
type soWorld struct {
	srv   *tigerpawtest.Server
	src   *memSource
	cfg   mapping.Config
	rules serviceorder.Rules
	store serviceorder.Store
	rep   int
	board int
	acct  int
	// overlap is the job's EventOverlap.
	overlap time.Duration

	mu  sync.Mutex
	now time.Time
}

func newSOWorld(t *testing.T) *soWorld {
	t.Helper()
	w := &soWorld{now: time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)}
	w.srv = tigerpawtest.NewServer(t, tigerpawtest.WithClock(w.clock))
	w.acct = w.srv.AddAccount(tigerpawtest.Account{Name: "Contoso", Type: "Customer"}).Number
	w.rep = w.srv.AddRep(tigerpawtest.Rep{Name: "Dana Tech"}).Number
	w.srv.AddStatus(tigerpawtest.Status{Name: "New"})
	w.srv.AddStatus(tigerpawtest.Status{Name: "Closed", Closed: true})
	w.board = w.srv.AddBoard(tigerpawtest.Board{Description: "Security"}).ID
	w.srv.AddPriority(tigerpawtest.Priority{Name: "High"})
	w.srv.AddServiceOrderType(tigerpawtest.ServiceOrderType{Name: "Antivirus"})

	w.src = newMemSource()
	w.setDevice(kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated)
	w.cfg = mapping.Config{Name: "main", Solution: mapping.SolutionKSC, Tenants: []mapping.Tenant{
		{ID: "vs-1", Name: "Contoso VS", Account: &mapping.AccountMapping{Number: w.acct}},
		{ID: "vs-2", Name: "Not mapped"},
	}}
	w.rules = serviceorder.DefaultRules()
	w.rules.General = serviceorder.General{Rep: w.rep, NewStatus: "New", ClosedStatus: "Closed"}
	on := serviceorder.OrderSettings{Enabled: true, Board: w.board, Priority: "High", Type: "Antivirus"}
	for i := range w.rules.Statuses {
		if w.rules.Statuses[i].ID.Level == kaspersky.StatusWarning {
			w.rules.Statuses[i].OrderSettings = on
		}
	}
	for i := range w.rules.Events {
		if w.rules.Events[i].ID == (serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical}) {
			w.rules.Events[i].OrderSettings = on
		}
	}
	w.store = serviceorder.NewMemoryStore()
	return w
}

func (w *soWorld) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *soWorld) advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now = w.now.Add(d)
}

func (w *soWorld) setDevice(level kaspersky.StatusLevel, codes ...kaspersky.StatusCode) {
	dev := kaspersky.Device{ID: "host-1", TenantID: "vs-1", Name: "WS-RECEPTION", Category: kaspersky.WindowsWorkstation, Status: level}
	for _, c := range codes {
		s, _ := kaspersky.LookupStatus(c)
		dev.Descriptions = append(dev.Descriptions, s)
	}
	w.src.set(kaspersky.Inventory{Tenant: kaspersky.Tenant{ID: "vs-1", Name: "Contoso VS", Kind: kaspersky.KindVirtualServer}, Devices: []kaspersky.Device{dev}})
}

func (w *soWorld) run(t *testing.T) serviceorder.Result {
	t.Helper()
	desk, err := NewDesk(w.srv.Client(t, tigerpaw.WithClock(w.clock)))
	if err != nil {
		t.Fatal(err)
	}
	runner, err := serviceorder.NewRunner(desk, w.store, serviceorder.WithClock(w.clock))
	if err != nil {
		t.Fatal(err)
	}
	job := &ServiceOrderJob{Source: w.src, Runner: runner, Now: w.clock, EventOverlap: w.overlap}
	res, err := job.Run(t.Context(), w.cfg, w.rules)
	if err != nil {
		t.Logf("cycle error: %v", err)
	}
	return res
}

// runOK runs a cycle that must not fail.
func (w *soWorld) runOK(t *testing.T) serviceorder.Result {
	t.Helper()
	res := w.run(t)
	if len(res.Failed) != 0 {
		t.Fatalf("cycle failures: %v", res.Failed)
	}
	return res
}

// orders returns the service orders of the fake.
func (w *soWorld) orders() []tigerpawtest.ServiceOrder { return w.srv.Snapshot().ServiceOrders }

func TestServiceOrderJobStatusLifecycleOverTigerpaw(t *testing.T) {
	t.Parallel()
	w := newSOWorld(t)

	res := w.runOK(t)
	if len(res.Created) != 1 {
		t.Fatalf("created = %+v, want one order", res.Created)
	}
	so := w.orders()[0]
	if so.AccountNumber != w.acct || so.TechnicianAssigned != w.rep || so.Status != "New" || so.BoardID != w.board ||
		so.Priority != "High" || so.Type != "Antivirus" || so.Reference == "" {
		t.Errorf("order fields = %+v", so)
	}
	for _, want := range []string{"Databases are out of date", "WS-RECEPTION", "Contoso VS", "Kaspersky Security Center"} {
		if !strings.Contains(so.BriefDescription+"\n"+so.WorkRequested, want) {
			t.Errorf("order text lacks %q:\n%s\n%s", want, so.BriefDescription, so.WorkRequested)
		}
	}

	// Many viruses detected joins; then the databases are updated: only that
	// order closes, the device stays Warning.
	w.advance(time.Hour)
	w.setDevice(kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated, kaspersky.StatusManyViruses)
	if res := w.runOK(t); len(res.Created) != 1 {
		t.Fatalf("second cycle created %+v", res.Created)
	}
	w.advance(time.Hour)
	w.setDevice(kaspersky.StatusWarning, kaspersky.StatusManyViruses)
	// The technician has the databases order open in Tigerpaw: the close waits.
	w.srv.LockServiceOrder(so.Number, tigerpawtest.Lock{RepNumber: w.rep, RepName: "Dana Tech"})
	res = w.runOK(t)
	if len(res.Pending) != 1 || len(res.Closed) != 0 {
		t.Fatalf("locked cycle: pending %+v closed %+v", res.Pending, res.Closed)
	}
	if got, _ := w.srv.ServiceOrder(so.Number); got.Status != "New" {
		t.Errorf("locked order status = %q", got.Status)
	}
	w.srv.UnlockServiceOrder(so.Number)
	w.advance(time.Minute)
	res = w.runOK(t)
	if len(res.Closed) != 1 || res.Closed[0].Number != so.Number {
		t.Fatalf("after unlock: closed %+v", res.Closed)
	}
	open := 0
	for _, o := range w.orders() {
		switch {
		case o.Number == so.Number:
			if o.Status != "Closed" || o.Closed.IsZero() {
				t.Errorf("databases order = %+v, want closed", o)
			}
		case o.Status == "New":
			open++
			if !strings.Contains(o.BriefDescription, "Many viruses") {
				t.Errorf("open order = %q", o.BriefDescription)
			}
		}
	}
	if open != 1 {
		t.Errorf("open orders = %d, want the many-viruses one", open)
	}
}

func TestServiceOrderJobNoDuplicateAfterCrashOverTigerpaw(t *testing.T) {
	t.Parallel()
	t.Run("created then connection dropped", func(t *testing.T) {
		t.Parallel()
		w := newSOWorld(t)
		w.srv.FailNext("POST", "/api/ServiceOrders", 1, tigerpawtest.Fault{Drop: true, AfterApply: true})
		w.run(t)
		w.advance(time.Minute)
		w.run(t)
		if n := len(w.orders()); n != 1 {
			t.Errorf("orders = %d, want exactly 1", n)
		}
	})
	t.Run("store wiped between cycles", func(t *testing.T) {
		t.Parallel()
		w := newSOWorld(t)
		w.run(t)
		w.store = serviceorder.NewMemoryStore()
		w.advance(time.Minute)
		w.run(t)
		if n := len(w.orders()); n != 1 {
			t.Errorf("orders = %d, want exactly 1", n)
		}
		// The order is still known: it closes when the status clears.
		w.setDevice(kaspersky.StatusOK)
		w.advance(time.Minute)
		w.run(t)
		if o := w.orders()[0]; o.Status != "Closed" {
			t.Errorf("order after the status cleared = %+v", o)
		}
	})
	t.Run("server errors then success", func(t *testing.T) {
		t.Parallel()
		w := newSOWorld(t)
		w.srv.FailNext("POST", "/api/serviceorders/search/reference", 1, tigerpawtest.Fault{Status: http.StatusServiceUnavailable})
		w.srv.FailNext("POST", "/api/ServiceOrders", 1, tigerpawtest.Fault{Status: http.StatusBadGateway, AfterApply: true})
		for range 3 {
			w.run(t)
			w.advance(time.Minute)
		}
		if n := len(w.orders()); n != 1 {
			t.Errorf("orders = %d, want exactly 1", n)
		}
	})
}

func TestServiceOrderJobEventsOverTigerpaw(t *testing.T) {
	t.Parallel()
	w := newSOWorld(t)
	w.setDevice(kaspersky.StatusOK)
	ev := func(id string, sev kaspersky.Severity, age time.Duration) kaspersky.Event {
		return kaspersky.Event{ID: id, TenantID: "vs-1", DeviceID: "host-1", DeviceName: "WS-RECEPTION", Origin: kaspersky.OriginKSC,
			Severity: sev, Type: "GNRL_EV_VIRUS_FOUND", TypeName: "Virus found", Time: w.clock().Add(-age), Text: "EICAR test file"}
	}
	w.src.events["vs-1"] = []kaspersky.Event{
		ev("1", kaspersky.SeverityCritical, time.Hour),      // fresh: an order
		ev("2", kaspersky.SeverityCritical, 49*time.Hour),   // older than the lifetime: skipped
		ev("3", kaspersky.SeverityWarning, time.Hour),       // rule off: nothing
		ev("4", kaspersky.SeverityCritical, 30*time.Minute), // fresh: an order
	}
	res := w.runOK(t)
	if len(res.Created) != 2 {
		t.Fatalf("created %+v, want 2 event orders", res.Created)
	}
	// The events come again (the source repeats them): no new order; and event
	// orders never close by themselves.
	w.advance(time.Hour)
	res = w.runOK(t)
	if len(res.Created)+len(res.Closed) != 0 {
		t.Errorf("second cycle: created %+v closed %+v", res.Created, res.Closed)
	}
	for _, o := range w.orders() {
		if o.Status != "New" {
			t.Errorf("event order %d status %q", o.Number, o.Status)
		}
	}
}

func TestServiceOrderJobOffice365OverTigerpaw(t *testing.T) {
	t.Parallel()
	w := newSOWorld(t)
	w.cfg.Solution = mapping.SolutionHub
	for i := range w.rules.Statuses {
		w.rules.Statuses[i].Enabled = false
	}
	on := serviceorder.OrderSettings{Enabled: true, Priority: "High"}
	for i := range w.rules.Events {
		if w.rules.Events[i].ID.Origin == kaspersky.OriginOffice365 {
			w.rules.Events[i].OrderSettings = on
		}
	}
	inv := kaspersky.Inventory{Tenant: kaspersky.Tenant{ID: "vs-1", Name: "Contoso", Kind: kaspersky.KindCompany},
		Office365: &kaspersky.Office365Status{MailboxesProtected: false, LicenseOK: true, ProtectedMailboxes: 10}}
	w.src.set(inv)
	w.src.events["vs-1"] = []kaspersky.Event{
		{ID: "o1", TenantID: "vs-1", Origin: kaspersky.OriginOffice365, O365Type: kaspersky.O365MailboxesNotProtected,
			Time: w.clock().Add(-time.Hour), Text: "3 mailboxes are not protected", Active: true},
		{ID: "o2", TenantID: "vs-1", Origin: kaspersky.OriginOffice365, O365Type: kaspersky.O365Phishing,
			Time: w.clock().Add(-time.Hour), Text: "Phishing in ceo@contoso.example"},
	}
	if res := w.runOK(t); len(res.Created) != 2 {
		t.Fatalf("created %+v, want a condition order and a phishing order", res.Created)
	}
	// The condition ends: its order closes, the phishing order stays open.
	inv.Office365 = &kaspersky.Office365Status{MailboxesProtected: true, LicenseOK: true, ProtectedMailboxes: 13}
	w.src.set(inv)
	w.advance(time.Hour)
	res := w.runOK(t)
	if len(res.Closed) != 1 {
		t.Fatalf("closed %+v, want the condition order", res.Closed)
	}
	for _, o := range w.orders() {
		isCondition := o.Number == res.Closed[0].Number
		if isCondition != (o.Status == "Closed") {
			t.Errorf("order %d (%q) status %q", o.Number, o.BriefDescription, o.Status)
		}
	}
}

func TestServiceOrderJobDisabledRuleAndDelayOverTigerpaw(t *testing.T) {
	t.Parallel()
	t.Run("disabled rule creates nothing", func(t *testing.T) {
		t.Parallel()
		w := newSOWorld(t)
		w.rules = serviceorder.DefaultRules()
		w.rules.General = serviceorder.General{Rep: w.rep, NewStatus: "New", ClosedStatus: "Closed"}
		w.runOK(t)
		if n := len(w.orders()); n != 0 {
			t.Errorf("orders = %d, want 0", n)
		}
		if n := w.srv.Count("POST", "/api/ServiceOrders"); n != 0 {
			t.Errorf("creates = %d", n)
		}
	})
	t.Run("creation delay suppresses a flapping status", func(t *testing.T) {
		t.Parallel()
		w := newSOWorld(t)
		w.rules.CreationDelay = 30 * time.Minute
		w.runOK(t) // seen, held back
		w.advance(10 * time.Minute)
		w.setDevice(kaspersky.StatusOK) // cleared within the delay
		w.runOK(t)
		w.advance(10 * time.Minute)
		w.setDevice(kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated) // back again: the delay restarts
		w.runOK(t)
		if n := len(w.orders()); n != 0 {
			t.Fatalf("orders during the delay = %d, want 0", n)
		}
		w.advance(31 * time.Minute) // held longer than the delay
		w.runOK(t)
		if n := len(w.orders()); n != 1 {
			t.Errorf("orders after the delay = %d, want 1", n)
		}
	})
}

// Events are read again from somewhat before the last read, and never from a
// last read time in the future: an event the console records late (a device
// that uploads its events when it comes back online, or a console clock behind
// ours) or a last read time written by a clock that ran ahead must not make
// the job miss events. Events read again make no second order.
func TestServiceOrderJobReadsEventsDespiteSkew(t *testing.T) {
	t.Parallel()
	event := func(w *soWorld, id string, at time.Time) kaspersky.Event {
		return kaspersky.Event{ID: id, TenantID: "vs-1", DeviceID: "host-1", DeviceName: "WS-RECEPTION", Origin: kaspersky.OriginKSC,
			Severity: kaspersky.SeverityCritical, Type: "GNRL_EV_VIRUS_FOUND", TypeName: "Virus found", Time: at, Text: "EICAR test file"}
	}
	for _, tc := range []struct {
		name    string
		overlap time.Duration
		late    time.Duration // how long before the last read the late event was raised
		want    int           // orders in the end
	}{
		{name: "event recorded late", late: 2 * time.Minute, want: 2},
		{name: "event recorded late, custom overlap", overlap: 10 * time.Minute, late: 9 * time.Minute, want: 2},
		{name: "event recorded later than the overlap", overlap: 10 * time.Minute, late: 11 * time.Minute, want: 1},
		{name: "no overlap", overlap: -1, late: time.Minute, want: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newSOWorld(t)
			w.overlap = tc.overlap
			w.setDevice(kaspersky.StatusOK)
			w.src.events["vs-1"] = []kaspersky.Event{event(w, "1", w.clock().Add(-time.Hour))}
			if res := w.runOK(t); len(res.Created) != 1 {
				t.Fatalf("first cycle created %+v, want 1", res.Created)
			}
			// Raised before the last read, delivered after it.
			w.src.mu.Lock()
			w.src.events["vs-1"] = append(w.src.events["vs-1"], event(w, "2", w.clock().Add(-tc.late)))
			w.src.mu.Unlock()
			for range 3 {
				w.advance(5 * time.Minute)
				w.runOK(t)
			}
			if n := len(w.orders()); n != tc.want {
				t.Fatalf("orders = %d, want %d", n, tc.want)
			}
		})
	}
	t.Run("last read in the future", func(t *testing.T) {
		t.Parallel()
		w := newSOWorld(t)
		w.setDevice(kaspersky.StatusOK)
		// A cycle ran with the clock a year ahead, then the clock was fixed.
		w.advance(365 * 24 * time.Hour)
		w.runOK(t)
		w.advance(-365 * 24 * time.Hour)
		// The real last read is unknown: every event within the lifetime is
		// read again.
		w.src.mu.Lock()
		w.src.events["vs-1"] = []kaspersky.Event{
			event(w, "1", w.clock().Add(-10*time.Minute)),
			event(w, "2", w.clock().Add(-3*time.Hour)),
		}
		w.src.mu.Unlock()
		if res := w.runOK(t); len(res.Created) != 2 {
			t.Fatalf("created %+v, want the events' orders", res.Created)
		}
	})
}

// Tigerpaw refusing a close for a reason other than a lock (HTTP 200 with
// Success false) is a failure of that action, not a pending close: the order
// stays tracked and the close is tried again on the next cycle.
func TestServiceOrderJobCloseRefusedForAnotherReason(t *testing.T) {
	t.Parallel()
	w := newSOWorld(t)
	res := w.runOK(t)
	if len(res.Created) != 1 {
		t.Fatalf("created %+v", res.Created)
	}
	number := res.Created[0].Number
	w.setDevice(kaspersky.StatusOK)
	w.srv.FailNext("PUT", "/api/serviceorders/{n}", 1, tigerpawtest.Fault{Status: http.StatusOK,
		Body: `{"ServiceOrderSummary": null, "Success": false, "Message": "Work performed is required"}`})
	w.advance(time.Minute)
	res = w.run(t)
	if len(res.Failed) != 1 || len(res.Pending)+len(res.Closed)+len(res.Released) != 0 {
		t.Fatalf("refused close: failed %v pending %+v closed %+v released %+v", res.Failed, res.Pending, res.Closed, res.Released)
	}
	if so, _ := w.srv.ServiceOrder(number); so.Status != "New" {
		t.Fatalf("order status after the refusal = %q", so.Status)
	}
	w.advance(time.Minute)
	res = w.runOK(t)
	if len(res.Closed) != 1 || res.Closed[0].Number != number {
		t.Fatalf("retry: closed %+v", res.Closed)
	}
	if so, _ := w.srv.ServiceOrder(number); so.Status != "Closed" {
		t.Fatalf("order status after the retry = %q", so.Status)
	}
}

// A cycle whose context ends while Tigerpaw is creating an order (the create
// is applied, the answer never read) leaves the intent in the Store; the next
// cycle finds the order by its reference instead of creating a second one.
func TestServiceOrderJobCanceledDuringCreate(t *testing.T) {
	t.Parallel()
	w := newSOWorld(t)
	w.srv.FailNext("POST", "/api/ServiceOrders", 1, tigerpawtest.Fault{Delay: time.Minute, AfterApply: true})
	desk, err := NewDesk(w.srv.Client(t, tigerpaw.WithClock(w.clock)))
	if err != nil {
		t.Fatal(err)
	}
	runner, err := serviceorder.NewRunner(desk, w.store, serviceorder.WithClock(w.clock))
	if err != nil {
		t.Fatal(err)
	}
	job := &ServiceOrderJob{Source: w.src, Runner: runner, Now: w.clock}
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		// Cancel once Tigerpaw has the order, before it answers.
		for len(w.orders()) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if _, err := job.Run(ctx, w.cfg, w.rules); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if n := len(w.orders()); n != 1 {
		t.Fatalf("orders after the canceled cycle = %d, want 1 (the create was applied)", n)
	}
	w.advance(time.Minute)
	res := w.runOK(t)
	if len(res.Recovered) != 1 || len(res.Created) != 0 {
		t.Fatalf("next cycle: recovered %+v created %+v", res.Recovered, res.Created)
	}
	if n := len(w.orders()); n != 1 {
		t.Fatalf("orders = %d, want 1", n)
	}
}

// TestServiceOrderJobEmptyAnswerClosesNothing: a console that suddenly reports
// no device for a tenant does not close the tenant's status orders.
func TestServiceOrderJobEmptyAnswerClosesNothing(t *testing.T) {
	t.Parallel()
	w := newSOWorld(t)
	if res := w.runOK(t); len(res.Created) != 1 {
		t.Fatalf("created %+v", res.Created)
	}
	w.src.set(kaspersky.Inventory{Tenant: kaspersky.Tenant{ID: "vs-1", Name: "Contoso VS", Kind: kaspersky.KindVirtualServer}})
	w.advance(time.Hour)
	if res := w.runOK(t); len(res.Closed) != 0 {
		t.Errorf("an empty answer closed %+v", res.Closed)
	}
	// The device is back, healthy: now the order closes.
	w.setDevice(kaspersky.StatusOK)
	w.advance(time.Hour)
	if res := w.runOK(t); len(res.Closed) != 1 {
		t.Errorf("closed %+v, want the databases order", res.Closed)
	}
}

// TestServiceOrderJobAchievedNothingFails: a cycle whose every tenant had an
// action fail, with no order created, found or closed, failed as a whole; the
// same failure beside a tenant read with nothing to do is a partial cycle.
func TestServiceOrderJobAchievedNothingFails(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		secondTenant bool
		wantFailed   bool
	}{
		{"the only tenant's create fails", false, true},
		{"beside a tenant with nothing to do", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newSOWorld(t)
			if tc.secondTenant {
				w.src.set(kaspersky.Inventory{Tenant: kaspersky.Tenant{ID: "vs-2", Name: "Fabrikam VS", Kind: kaspersky.KindVirtualServer},
					Devices: []kaspersky.Device{{ID: "host-2", TenantID: "vs-2", Name: "WS-2", Category: kaspersky.WindowsWorkstation, Status: kaspersky.StatusOK}}})
				w.cfg.Tenants[1].Account = &mapping.AccountMapping{Number: w.acct}
			}
			// Every lookup of the order by its reference fails: no order
			// can be created.
			w.srv.FailNext("POST", "/api/serviceorders/search/reference", 100, tigerpawtest.Fault{Status: http.StatusServiceUnavailable})
			desk, err := NewDesk(w.srv.Client(t, tigerpaw.WithClock(w.clock), tigerpaw.WithRetryPolicy(tigerpaw.RetryPolicy{MaxAttempts: 1})))
			if err != nil {
				t.Fatal(err)
			}
			runner, err := serviceorder.NewRunner(desk, w.store, serviceorder.WithClock(w.clock))
			if err != nil {
				t.Fatal(err)
			}
			var got CycleResult
			job := &ServiceOrderJob{Source: w.src, Runner: runner, Now: w.clock, OnCycle: func(r CycleResult) { got = r }}
			res, err := job.Run(t.Context(), w.cfg, w.rules)
			if len(res.Failed) == 0 || len(res.Created) != 0 {
				t.Fatalf("created %v, failed %v: want the create to fail", res.Created, res.Failed)
			}
			if errors.Is(err, ErrCycleFailed) != tc.wantFailed || got.Failed != tc.wantFailed {
				t.Errorf("error %v (failed %v): want wrapping ErrCycleFailed %v", err, got.Failed, tc.wantFailed)
			}
		})
	}
}
