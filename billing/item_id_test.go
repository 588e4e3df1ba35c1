package billing_test

import (
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
)

// TestItemIDs is the one rule of item id comparison: surrounding white space
// is not part of the id, and letter case does not count.
func TestItemIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		same bool
	}{
		{"KESB-WS", "KESB-WS", true},
		{"KESB-WS", "kesb-ws", true},
		{" KESB-WS\t", "Kesb-Ws", true},
		{"\u00a0KESB-WS\n", "KESB-WS", true}, // Unicode white space too
		{"KESB-WS", "KESB-W S", false},
		{"KESB-WS", "KESB-SRV", false},
		{"Straße", "STRASSE", false}, // simple folding only, as Tigerpaw's ids compare
		{"ÄRZTE", "ärzte", true},
		{"K1", "\u212a1", true}, // the Kelvin sign folds to K
		{"ſ", "S", true},        // a long s folds to s
		{"", "  ", true},
		{"", "X", false},
	}
	for _, tt := range tests {
		if got := billing.SameItem(tt.a, tt.b); got != tt.same {
			t.Errorf("SameItem(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
		if got := billing.SameItem(tt.b, tt.a); got != tt.same {
			t.Errorf("SameItem(%q, %q) = %v, want %v", tt.b, tt.a, got, tt.same)
		}
		if got := billing.ItemKey(tt.a) == billing.ItemKey(tt.b); got != tt.same {
			t.Errorf("ItemKey(%q) = %q, ItemKey(%q) = %q: equal %v, want %v", tt.a, billing.ItemKey(tt.a), tt.b, billing.ItemKey(tt.b), got, tt.same)
		}
	}
	if got := billing.TrimItemID(" \tKESB-WS \n"); got != "KESB-WS" {
		t.Errorf("TrimItemID = %q", got)
	}
	if got := billing.ItemKey(" kesb-ws "); got != "KESB-WS" {
		t.Errorf("ItemKey of an ASCII id = %q, want it upper-cased and trimmed", got)
	}
}

// FuzzItemKey: ItemKey and SameItem never disagree.
func FuzzItemKey(f *testing.F) {
	f.Add("KESB-WS", "kesb-ws ")
	f.Add("K", "\u212a")
	f.Add("\xff", "\xfe")
	f.Add("ß", "ẞ")
	f.Fuzz(func(t *testing.T, a, b string) {
		if same, keys := billing.SameItem(a, b), billing.ItemKey(a) == billing.ItemKey(b); same != keys {
			t.Fatalf("SameItem(%q, %q) = %v but their keys %q, %q equal: %v", a, b, same, billing.ItemKey(a), billing.ItemKey(b), keys)
		}
	})
}
