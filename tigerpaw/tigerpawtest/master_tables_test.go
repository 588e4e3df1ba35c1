package tigerpawtest_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// TestExternalProductWire checks that the fake writes ProductType as the integer
// of the 18.2.1 model unless a name is asked for, with SystemEntry alongside.
func TestExternalProductWire(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	srv.AddExternalProduct(tigerpawtest.ExternalProduct{ID: 1, Product: "Kaspersky", Active: true})
	srv.AddExternalProduct(tigerpawtest.ExternalProduct{ID: 2, Product: "RMM", ProductType: 3, SystemEntry: true})
	srv.AddExternalProduct(tigerpawtest.ExternalProduct{ID: 3, Product: "Named", ProductType: 3, ProductTypeName: "Backup"})
	code, got := call(t, srv, http.MethodGet, "/api/mastertables/externalproducts", "")
	if code != http.StatusOK {
		t.Fatalf("status %d: %v", code, got)
	}
	want := []any{
		map[string]any{"ExternalProductId": 1.0, "Product": "Kaspersky", "ProductType": 0.0, "SystemEntry": false, "Active": true},
		map[string]any{"ExternalProductId": 2.0, "Product": "RMM", "ProductType": 3.0, "SystemEntry": true, "Active": false},
		map[string]any{"ExternalProductId": 3.0, "Product": "Named", "ProductType": "Backup", "SystemEntry": false, "Active": false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("external products (-want +got):\n%s", diff)
	}
}
