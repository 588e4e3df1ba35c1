package mapping_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

func TestSearchTenants(t *testing.T) {
	t.Parallel()
	tenants := []mapping.Tenant{
		{ID: "1", Name: "Müller GmbH"},
		{ID: "2", Name: "ÖZTÜRK Ltd"},
		{ID: "3", Name: "ООО «Ромашка»"},
		{ID: "4", Name: "ΟΔΥΣΣΕΥΣ Shipping"},
		{ID: "5", Name: "Kelvin \u212a Labs"}, // KELVIN SIGN folds with k and K
		{ID: "6", Name: "Acme", Account: &mapping.AccountMapping{Number: 1}},
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"1", "2", "3", "4", "5", "6"}},
		{"müller", []string{"1"}},
		{"MÜLLER", []string{"1"}},
		{"ller g", []string{"1"}},
		{"öztürk", []string{"2"}},
		{"Öztürk LTD", []string{"2"}},
		{"ромашка", []string{"3"}},
		{"РОМАШКА", []string{"3"}},
		{"«ром", []string{"3"}},
		{"οδυσσευς", []string{"4"}}, // final sigma ς folds with σ and Σ
		{"οδυσσευσ", []string{"4"}},
		{"k labs", []string{"5"}},
		{"l", []string{"1", "2", "5"}},
		{"mueller", nil},
		{"zz", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, tn := range mapping.SearchTenants(tenants, tt.query) {
			got = append(got, tn.ID)
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("SearchTenants(%q) (-want +got):\n%s", tt.query, d)
		}
	}
	// Results are copies.
	res := mapping.SearchTenants(tenants, "acme")
	res[0].Account.Number = 99
	if tenants[5].Account.Number != 1 {
		t.Error("SearchTenants shares accounts with its input")
	}
}

func TestEditorSearchTenants(t *testing.T) {
	t.Parallel()
	ed := open(t, mapping.NewMemoryStore(), world(), "main")
	build(t, ed)
	got := ed.SearchTenants("öztürk")
	if len(got) != 1 || got[0].ID != "vs-2" {
		t.Errorf("SearchTenants(öztürk) = %v, want vs-2 (ÖZTÜRK Ltd)", got)
	}
}
