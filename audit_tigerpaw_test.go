package kasperskytigerpaw

import (
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// These tests answer the jobs with replies that look complete but are not
// evidence of what they would act on, and check that no charge or order is
// changed on their strength.

func TestServiceOrderJobIgnoresAnotherTenantsInventory(t *testing.T) {
	t.Parallel()
	w := newSOWorld(t)
	res := w.runOK(t)
	if len(res.Created) != 1 {
		t.Fatalf("first cycle created %+v", res.Created)
	}
	// The console answers the read of vs-1 with the inventory of another
	// tenant: its one device has another name and a problem of its own.
	other := kaspersky.Inventory{Tenant: kaspersky.Tenant{ID: "vs-3", Name: "Fabrikam VS", Kind: kaspersky.KindVirtualServer},
		Devices: []kaspersky.Device{{ID: "host-9", TenantID: "vs-3", Name: "FABRIKAM-DC", Category: kaspersky.WindowsServer,
			Status: kaspersky.StatusWarning, Descriptions: []kaspersky.StatusDescription{mustStatus(t, kaspersky.StatusDatabasesOutdated)}}}}
	w.src.mu.Lock()
	w.src.inventories["vs-1"] = other
	w.src.mu.Unlock()
	w.advance(time.Hour)
	res = w.run(t)
	if len(res.Closed) != 0 || len(res.Created) != 0 {
		t.Errorf("on another tenant's inventory: closed %+v, created %+v", res.Closed, res.Created)
	}
	orders := w.orders()
	if len(orders) != 1 || orders[0].Status != "New" || !orders[0].Closed.IsZero() {
		t.Errorf("orders = %+v, want the one order still open", orders)
	}
}

func mustStatus(t *testing.T, c kaspersky.StatusCode) kaspersky.StatusDescription {
	t.Helper()
	s, ok := kaspersky.LookupStatus(c)
	if !ok {
		t.Fatalf("no status %v", c)
	}
	return s
}
