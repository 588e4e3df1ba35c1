package serviceorder_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	sot "github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

// A status description that holds again while the close of its order is
// pending (the order is locked) keeps the order: once unlocked it is not closed
// as "cleared" only to be opened again as a second order.
func TestStatusBackWhileClosePendingKeepsOrder(t *testing.T) {
	t.Parallel()
	type step struct {
		level kaspersky.StatusLevel
		lock  bool
	}
	tests := []struct {
		name   string
		levels []kaspersky.StatusLevel // rules on
		steps  []step                  // after the first cycle, which opens the order at Warning
	}{
		{name: "cleared then back", levels: []kaspersky.StatusLevel{kaspersky.StatusWarning},
			steps: []step{{kaspersky.StatusOK, true}, {kaspersky.StatusWarning, true}, {kaspersky.StatusWarning, false}}},
		{name: "warning, critical with its rule off, warning", levels: []kaspersky.StatusLevel{kaspersky.StatusWarning},
			steps: []step{{kaspersky.StatusCritical, true}, {kaspersky.StatusWarning, true}, {kaspersky.StatusWarning, false}}},
		{name: "warning, ok, critical with its rule on", levels: []kaspersky.StatusLevel{kaspersky.StatusWarning, kaspersky.StatusCritical},
			steps: []step{{kaspersky.StatusOK, true}, {kaspersky.StatusCritical, true}, {kaspersky.StatusCritical, false}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.enableStatus(kaspersky.StatusDatabasesOutdated, warnSettings, tc.levels...)
			w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated))
			res := w.cycle()
			wantCounts(t, res, 1, 0, 0, 0, 0, 0)
			number, k := res.Created[0].Number, res.Created[0].Key
			for _, s := range tc.steps {
				w.desk.SetLocked(number, s.lock)
				w.devices(tenantA, sot.Device(tenantA, "42", s.level, kaspersky.StatusDatabasesOutdated))
				w.cycle()
			}
			// The description holds under an enabled rule: the order must be open
			// and tracked as open, and stay so.
			for range 2 {
				wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 0)
			}
			if o, _ := w.desk.Order(number); o.Closed {
				t.Fatalf("order %d closed although its description holds: %+v", number, o)
			}
			if st := w.state(); st.Orders[k].Phase != serviceorder.PhaseOpen {
				t.Fatalf("tracked order = %+v, want open", st.Orders[k])
			}
			w.assertOnePerKey(k)
			// It still closes when the description clears for good.
			w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusOK))
			wantCounts(t, w.cycle(), 0, 0, 1, 0, 0, 0)
		})
	}
}

// An Office 365 condition that comes back while the close of its order is
// pending is not lost: the order stays open, and does not close after unlock.
func TestConditionBackWhileClosePendingIsNotLost(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableEvent(serviceorder.EventRuleID{Origin: kaspersky.OriginOffice365, O365Type: kaspersky.O365MailboxesNotProtected}, serviceorder.OrderSettings{Priority: "High"}, 0)
	ev := func(id string, active bool) kaspersky.Event {
		return kaspersky.Event{ID: id, TenantID: tenantB, Origin: kaspersky.OriginOffice365, O365Type: kaspersky.O365MailboxesNotProtected, Active: active, Time: w.clock.Now().Add(-time.Minute)}
	}
	w.inputs[tenantB].Office365 = &kaspersky.Office365Status{MailboxesProtected: false, LicenseOK: true}
	w.events(tenantB, ev("m1", true))
	res := w.cycle()
	wantCounts(t, res, 1, 0, 0, 0, 0, 0)
	number, k := res.Created[0].Number, res.Created[0].Key

	// The condition ends while the order is open in Tigerpaw: the close waits.
	w.desk.SetLocked(number, true)
	w.inputs[tenantB].Office365 = &kaspersky.Office365Status{MailboxesProtected: true, LicenseOK: true}
	wantCounts(t, w.cycle(), 0, 0, 0, 1, 0, 0)
	// It comes back (a new event, delivered once) before the order is unlocked.
	w.inputs[tenantB].Office365 = &kaspersky.Office365Status{MailboxesProtected: false, LicenseOK: true}
	w.events(tenantB, ev("m2", true))
	w.cycle()
	w.desk.SetLocked(number, false)
	for range 3 {
		w.cycle()
	}
	if _, open := w.openByKey(k); !open {
		t.Fatalf("the condition holds but no order is open (orders: %+v)", w.desk.Orders())
	}
}

// A close refused because the order is locked reports who holds the lock,
// whether the Desk says so when the order is read before the close or only in
// the refusal of the close itself.
func TestPendingCloseNamesLockHolder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		lock func(w *world, number int)
	}{
		{name: "read as locked", lock: func(w *world, number int) { w.desk.LockBy(number, "Jane Tech") }},
		{name: "close refused", lock: func(w *world, number int) {
			// Unlocked when read, locked by the time of the close.
			w.desk.Inject(sot.OpClose, sot.Fault{Err: fmt.Errorf("desk: %w", &serviceorder.LockedError{Number: number, LockedBy: "Jane Tech"})})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.enableStatus(kaspersky.StatusDatabasesOutdated, warnSettings, kaspersky.StatusWarning)
			w.devices(tenantA, sot.Device(tenantA, "7", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated))
			res := w.cycle()
			wantCounts(t, res, 1, 0, 0, 0, 0, 0)
			number := res.Created[0].Number
			tc.lock(w, number)
			w.devices(tenantA, sot.Device(tenantA, "7", kaspersky.StatusOK))
			res = w.cycle()
			wantCounts(t, res, 0, 0, 0, 1, 0, 0)
			if p := res.Pending[0]; p.Number != number || p.LockedBy != "Jane Tech" {
				t.Fatalf("pending %+v, want order %d locked by Jane Tech", p, number)
			}
			if len(res.Closed) != 0 {
				t.Fatalf("closed %+v", res.Closed)
			}
		})
	}
}

// A lock the Desk cannot attribute leaves LockedBy empty; the LockedError
// still matches ErrLocked.
func TestPendingCloseUnknownHolder(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableStatus(kaspersky.StatusDatabasesOutdated, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "7", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated))
	number := w.cycle().Created[0].Number
	w.desk.SetLocked(number, true)
	w.devices(tenantA, sot.Device(tenantA, "7", kaspersky.StatusOK))
	res := w.cycle()
	wantCounts(t, res, 0, 0, 0, 1, 0, 0)
	if p := res.Pending[0]; p.LockedBy != "" {
		t.Fatalf("pending %+v, want no holder", p)
	}
	le := &serviceorder.LockedError{Number: number, LockedBy: "Jane Tech"}
	if !errors.Is(fmt.Errorf("x: %w", le), serviceorder.ErrLocked) {
		t.Fatal("a LockedError does not match ErrLocked")
	}
	if got, want := le.Error(), fmt.Sprintf("service order %d is locked by Jane Tech: serviceorder: service order is locked", number); got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}
