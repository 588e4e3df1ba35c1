package mapping

import (
	"strings"
	"testing"
)

func TestBillingGuardRoundTripAndCheck(t *testing.T) {
	cfg := Config{Name: "main", Solution: SolutionKSC, BillingGuard: &BillingGuard{Mode: GuardHold, DropPercent: 25, DropUnits: 3}}
	data, err := Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.BillingGuard == nil || *got.BillingGuard != *cfg.BillingGuard || !got.BillingGuard.Holds() {
		t.Errorf("round trip: %+v", got.BillingGuard)
	}
	for _, g := range []BillingGuard{{Mode: "later"}, {Mode: GuardHold, DropPercent: -1}, {Mode: GuardHold, DropUnits: -2}} {
		cfg.BillingGuard = &g
		if err := cfg.Check(); err == nil || !strings.Contains(err.Error(), "billingGuard") {
			t.Errorf("Check with %+v = %v, want a billingGuard problem", g, err)
		}
	}
	if (*BillingGuard)(nil).Holds() || (&BillingGuard{Mode: GuardApply}).Holds() {
		t.Error("no policy, or apply, holds")
	}
}
