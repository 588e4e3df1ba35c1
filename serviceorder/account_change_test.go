package serviceorder_test

import (
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	sot "github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

// cycleWith runs one cycle of tenant A alone, mapped as accounts says.
func (w *world) cycleWith(accounts serviceorder.Accounts) serviceorder.Result {
	w.t.Helper()
	in := *w.inputs[tenantA]
	in.ReadAt = w.clock.Now()
	res, err := w.runner.Run(w.t.Context(), serviceorder.Cycle{Rules: w.rules, Accounts: accounts, Tenants: []serviceorder.TenantInput{in}})
	if err != nil {
		w.t.Fatalf("Run: %v", err)
	}
	w.clock.Advance(5 * time.Minute)
	return res
}

// A tenant taken out of the integration keeps its open orders as they are
// (nothing closes for want of a mapping), a close already pending is still
// carried out, and once mapped again its orders follow the devices. An
// account number changed meanwhile applies to new orders only; the open ones
// are neither duplicated nor lost.
func TestTenantUnmappedAndRemapped(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableStatus(kaspersky.StatusDatabasesOutdated, warnSettings, kaspersky.StatusWarning)
	w.enableStatus(kaspersky.StatusManyViruses, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "1", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated, kaspersky.StatusManyViruses))
	res := w.cycleWith(serviceorder.Accounts{tenantA: accountA})
	wantCounts(t, res, 2, 0, 0, 0, 0, 0)
	db := serviceorder.StatusKey(tenantA, "1", kaspersky.StatusDatabasesOutdated)
	mv := serviceorder.StatusKey(tenantA, "1", kaspersky.StatusManyViruses)
	dbOrder, _ := w.openByKey(db)

	// The databases order is locked and its description clears: pending.
	w.desk.SetLocked(dbOrder.Number, true)
	w.devices(tenantA, sot.Device(tenantA, "1", kaspersky.StatusWarning, kaspersky.StatusManyViruses))
	wantCounts(t, w.cycleWith(serviceorder.Accounts{tenantA: accountA}), 0, 0, 0, 1, 0, 0)

	// Unmapped (absent, or account 0): nothing closes, the pending close is
	// retried and done once unlocked.
	w.devices(tenantA, sot.Device(tenantA, "1", kaspersky.StatusOK))
	wantCounts(t, w.cycleWith(serviceorder.Accounts{}), 0, 0, 0, 1, 0, 0)
	w.desk.SetLocked(dbOrder.Number, false)
	res = w.cycleWith(serviceorder.Accounts{tenantA: 0})
	wantCounts(t, res, 0, 0, 1, 0, 0, 0)
	if res.Closed[0].Key != db {
		t.Fatalf("closed %v, want the databases order", res.Closed[0])
	}
	if _, open := w.openByKey(mv); !open {
		t.Fatal("an unmapped tenant's order was closed")
	}

	// Mapped again to another account, the description back: the open order
	// is kept, not duplicated.
	const accountC = 5003
	w.devices(tenantA, sot.Device(tenantA, "1", kaspersky.StatusWarning, kaspersky.StatusManyViruses, kaspersky.StatusDatabasesOutdated))
	res = w.cycleWith(serviceorder.Accounts{tenantA: accountC})
	wantCounts(t, res, 1, 0, 0, 0, 0, 0)
	if o, _ := w.desk.Order(res.Created[0].Number); o.Account != accountC || o.Reference != db {
		t.Fatalf("new order %+v, want the databases order on account %d", o, accountC)
	}
	if o, _ := w.openByKey(mv); o.Account != accountA {
		t.Fatalf("kept order %+v, want it on account %d still", o, accountA)
	}
	// Cleared: both close.
	w.devices(tenantA, sot.Device(tenantA, "1", kaspersky.StatusOK))
	wantCounts(t, w.cycleWith(serviceorder.Accounts{tenantA: accountC}), 0, 0, 2, 0, 0, 0)
	if n := len(w.desk.Open()); n != 0 {
		t.Fatalf("%d orders left open", n)
	}
}
