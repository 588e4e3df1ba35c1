package hub

import (
	"errors"
	"strings"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hubtest"
)

// The tests of this file check the fields that decide billing and service
// orders: one that is absent, null or empty is an error for the company,
// never a value that happens to mean "nothing there" (a device whose status
// is OK, a license that never bills).

// editItem returns a Rewrite that edits item i of a page.
func editItem(t *testing.T, i int, edit func(it map[string]any)) func([]byte) []byte {
	return editPage(t, func(p map[string]any) { edit(items(p)[i].(map[string]any)) })
}

func TestFieldsThatDecideAreRequired(t *testing.T) {
	t.Parallel()
	const devices, licenses = "/api/v1/companies/c1/devices", "/api/v1/companies/c1/licenses"
	tests := []struct {
		name, path string
		edit       func(it map[string]any)
		want       string
	}{
		// d2 is a warning device with open-order material; without its status
		// it would read as OK (or Warning by guess) and its orders would close.
		{"device status missing", devices, func(it map[string]any) { delete(it, "status") }, `items[1] has no "status"`},
		{"device status null", devices, func(it map[string]any) { it["status"] = nil }, `items[1] has no "status"`},
		{"device status empty", devices, func(it map[string]any) { it["status"] = " " }, `items[1] has no "status"`},
		// l1 is a commercial KES Cloud license that bills.
		{"license type missing", licenses, func(it map[string]any) { delete(it, "type") }, `items[0] has no "type"`},
		{"license type empty", licenses, func(it map[string]any) { it["type"] = "" }, `items[0] has no "type"`},
		{"license product missing", licenses, func(it map[string]any) { delete(it, "product") }, `items[0] has no "product"`},
		{"license product null", licenses, func(it map[string]any) { it["product"] = nil }, `items[0] has no "product"`},
		// l4 is an active Office 365 subscription: without a state it would
		// never bill.
		{"subscription state missing", licenses, func(it map[string]any) {
			if it["id"] == "l4" {
				delete(it, "state")
			}
		}, `license "l4" is a subscription without a state`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			seedContoso(t, e.srv)
			i := 1
			if tt.path == licenses {
				i = 0
			}
			edit := editItem(t, i, tt.edit)
			if strings.HasPrefix(tt.name, "subscription") {
				edit = editPage(t, func(p map[string]any) {
					for _, it := range items(p) {
						tt.edit(it.(map[string]any))
					}
				})
			}
			e.srv.InjectFault(hubtest.Fault{Path: tt.path, Times: 2, Rewrite: edit})
			inv, err := NewSource(e.c).Inventory(t.Context(), "c1")
			if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one wrapping ErrIncomplete naming %q", err, tt.want)
			}
			if len(inv.Devices) != 0 || len(inv.Licenses) != 0 {
				t.Errorf("inventory %+v returned with the error", inv)
			}
		})
	}
}
