package mapping_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

func TestAccountsView(t *testing.T) {
	t.Parallel()
	store := mapping.NewMemoryStore()
	d := world()
	other := open(t, store, d, "other")
	must(t, other.SetSolution(mapping.SolutionKSC))
	must(t, other.AddTenant(kaspersky.Tenant{ID: "vs-9", Name: "Elsewhere", Kind: kaspersky.KindVirtualServer}))
	must(t, other.MapAccount("vs-9", 1005))
	must(t, other.Save(t.Context()))

	ed := open(t, store, d, "main")
	build(t, ed) // staged: vs-1 → 1001, vs-2 → 1002, vs-3 unmapped
	tests := []struct {
		accountType string
		want        []int
	}{
		{"", []int{1003, 1004}},
		{"Customer", []int{1003}},
		{"customer", []int{1003}},
		{"VENDOR", []int{1004}},
		{"Prospect", nil}, // 1005 is mapped in the other integration
		{"Partner", nil},
	}
	for _, tt := range tests {
		view, err := ed.AccountsView(t.Context(), tt.accountType)
		must(t, err)
		var got []int
		for _, a := range view.UnmappedAccounts {
			got = append(got, a.Number)
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("unmapped accounts of type %q (-want +got):\n%s", tt.accountType, d)
		}
		if len(view.TenantsWithoutAccount) != 1 || view.TenantsWithoutAccount[0].ID != "vs-3" {
			t.Errorf("tenants without account = %v, want vs-3", view.TenantsWithoutAccount)
		}
	}
	view, err := ed.AccountsView(t.Context(), "Customer")
	must(t, err)
	want := []mapping.Account{{Number: 1003, Name: "ООО Ромашка", Type: "Customer"}}
	if d := cmp.Diff(want, view.UnmappedAccounts); d != "" {
		t.Errorf("accounts (-want +got):\n%s", d)
	}

	fault := errors.New("down")
	d.FailNext("Accounts", fault)
	if _, err := ed.AccountsView(t.Context(), ""); !errors.Is(err, fault) {
		t.Errorf("AccountsView with a failing directory = %v", err)
	}
}

func TestAvailableTenants(t *testing.T) {
	t.Parallel()
	ksc := mapping.Config{Name: "ksc", Solution: mapping.SolutionKSC, Tenants: []mapping.Tenant{{ID: "1"}, {ID: "2"}}}
	hub := mapping.Config{Name: "hub", Solution: mapping.SolutionHub, Tenants: []mapping.Tenant{{ID: "3"}}}
	all := []kaspersky.Tenant{
		{ID: "1", Kind: kaspersky.KindVirtualServer},
		{ID: "3", Kind: kaspersky.KindVirtualServer},
		{ID: "4", Kind: kaspersky.KindVirtualServer},
		{ID: "3", Kind: kaspersky.KindCompany},
		{ID: "5", Kind: kaspersky.KindCompany},
	}
	ids := func(ts []kaspersky.Tenant) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.ID)
		}
		return out
	}
	// Another KSC integration: vs 1 is taken by "ksc", companies are not shown,
	// and the hub integration's company 3 does not hide virtual server 3.
	if d := cmp.Diff([]string{"3", "4"}, ids(mapping.AvailableTenants("other", mapping.SolutionKSC, all, ksc, hub))); d != "" {
		t.Errorf("for another KSC integration (-want +got):\n%s", d)
	}
	// The ksc integration itself sees its own tenants.
	if d := cmp.Diff([]string{"1", "3", "4"}, ids(mapping.AvailableTenants("ksc", mapping.SolutionKSC, all, ksc, hub))); d != "" {
		t.Errorf("for ksc (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"5"}, ids(mapping.AvailableTenants("hub2", mapping.SolutionHub, all, ksc, hub))); d != "" {
		t.Errorf("for another hub integration (-want +got):\n%s", d)
	}
}
