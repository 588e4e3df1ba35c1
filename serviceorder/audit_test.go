package serviceorder_test

import (
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	sot "github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

// TestCloseLeavesAnOrderOfAnotherReference: the Store's number for a key
// names an order that carries another reference (a person's order, the
// number taken from a wrong answer): the close must not touch it, and closes
// the order that carries the key instead.
func TestCloseLeavesAnOrderOfAnotherReference(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableStatus(kaspersky.StatusDatabasesOutdated, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated))
	w.cycle()
	k := serviceorder.StatusKey(tenantA, "42", kaspersky.StatusDatabasesOutdated)
	ours, ok := w.openByKey(k)
	if !ok {
		t.Fatal("no order created")
	}
	theirs := w.desk.Add(serviceorder.NewOrder{Account: accountA, Status: sot.NewStatus, Priority: "High", Brief: "Printer jam", Reference: "PRINTER-1"})
	o := w.state().Orders[k]
	o.Number = theirs
	if err := w.store.Apply(t.Context(), serviceorder.Change{Put: []serviceorder.Order{o}}); err != nil {
		t.Fatal(err)
	}

	w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusOK))
	res := w.cycle()
	if got, _ := w.desk.Order(theirs); got.Closed || got.Status != sot.NewStatus {
		t.Errorf("the order of another reference was changed: %+v", got)
	}
	if got, _ := w.desk.Order(ours.Number); !got.Closed {
		t.Errorf("the order with the key is still open: %+v (result %+v)", got, res)
	}
	if len(res.Closed) != 1 || res.Closed[0].Number != ours.Number {
		t.Errorf("closed %+v, want order %d", res.Closed, ours.Number)
	}
}
