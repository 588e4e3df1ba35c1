package mapping_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

func TestBillingAccounts(t *testing.T) {
	t.Parallel()
	c := valid()
	c.Tenants[1].Account.Billing.Enabled = false
	c.Tenants = append(c.Tenants, mapping.Tenant{ID: "vs-4", Name: "Four",
		Account: &mapping.AccountMapping{Number: 1004, Billing: mapping.Billing{Enabled: true, Agreement: 10040, PriceLevel: 2}}})
	want := []mapping.BillingAccount{
		{TenantID: "vs-1", TenantName: "Tenant vs-1", AccountNumber: 1001, Agreement: 10010, PriceLevel: 1},
		{TenantID: "vs-4", TenantName: "Four", AccountNumber: 1004, Agreement: 10040, PriceLevel: 2},
	}
	if d := cmp.Diff(want, c.BillingAccounts()); d != "" {
		t.Errorf("BillingAccounts (-want +got):\n%s", d)
	}
}

func TestPriceBookLookup(t *testing.T) {
	t.Parallel()
	pb := mapping.PriceBook{BillByCategory: true, Apps: []mapping.AppItems{
		mapping.ItemsByCategory(kaspersky.AppKESBAdvanced, "WS", "SRV", "NW"),
		mapping.SingleItem(kaspersky.AppKESCloudPlus, "PLUS"),
	}}
	if got, ok := pb.Lookup(kaspersky.AppKESCloudPlus); !ok || got.Item != "PLUS" {
		t.Errorf("Lookup(%s) = %+v, %v", kaspersky.AppKESCloudPlus, got, ok)
	}
	if got := pb.Apps[0].ItemIDs(); !cmp.Equal(got, []string{"WS", "SRV", "NW"}) {
		t.Errorf("ItemIDs = %v", got)
	}
	if _, ok := pb.Lookup(kaspersky.AppKESBSelect); ok {
		t.Error("Lookup found an unmapped application")
	}
}

func TestConfigLookups(t *testing.T) {
	t.Parallel()
	c := valid()
	if tn, ok := c.Tenant("vs-2"); !ok || tn.Account.Number != 1002 {
		t.Errorf("Tenant(vs-2) = %+v, %v", tn, ok)
	}
	if _, ok := c.Tenant("nope"); ok {
		t.Error("Tenant(nope) found")
	}
	if n, ok := c.AccountOf("vs-1"); !ok || n != 1001 {
		t.Errorf("AccountOf(vs-1) = %d, %v", n, ok)
	}
	if _, ok := c.AccountOf("vs-3"); ok {
		t.Error("AccountOf(vs-3) found an account for an unmapped tenant")
	}
	if tn, ok := c.TenantOf(1002); !ok || tn.ID != "vs-2" {
		t.Errorf("TenantOf(1002) = %+v, %v", tn, ok)
	}
	if _, ok := c.TenantOf(1003); ok {
		t.Error("TenantOf(1003) found a tenant")
	}
	tn, _ := c.Tenant("vs-1")
	tn.Account.Number = 5
	if n, _ := c.AccountOf("vs-1"); n != 1001 {
		t.Error("Tenant returned shared memory")
	}
}

func TestClone(t *testing.T) {
	t.Parallel()
	c := valid()
	d := c.Clone()
	if diff := cmp.Diff(c, d); diff != "" {
		t.Fatalf("Clone differs (-orig +clone):\n%s", diff)
	}
	d.Tenants[0].Account.Billing.Agreement = 1
	d.Tenants[1].Name = "x"
	d.PriceBook.Apps[0].Servers = "x"
	if c.Tenants[0].Account.Billing.Agreement != 10010 || c.Tenants[1].Name == "x" || c.PriceBook.Apps[0].Servers == "x" {
		t.Error("Clone shares memory")
	}
	if e := (mapping.Config{}).Clone(); e.Tenants != nil || e.PriceBook.Apps != nil {
		t.Error("Clone of an empty config allocates")
	}
}

func TestSolution(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s     mapping.Solution
		valid bool
		kind  kaspersky.TenantKind
		name  string
	}{
		{mapping.SolutionKSC, true, kaspersky.KindVirtualServer, "Kaspersky Security Center"},
		{mapping.SolutionHub, true, kaspersky.KindCompany, "Kaspersky Business Hub"},
		{"eset", false, 0, `Solution("eset")`},
	}
	for _, tt := range tests {
		if tt.s.Valid() != tt.valid || tt.s.TenantKind() != tt.kind || tt.s.String() != tt.name {
			t.Errorf("%q: Valid %v, TenantKind %v, String %q", string(tt.s), tt.s.Valid(), tt.s.TenantKind(), tt.s.String())
		}
	}
}
