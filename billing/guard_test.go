package billing

import (
	"slices"
	"testing"
)

func TestGuardHoldsWhatThePolicySays(t *testing.T) {
	t.Parallel()
	cur := Charge{DetailID: 5, ItemID: "WS", Description: Describe("ws"), Quantity: 100, Price: 400, PriceLevel: 1}
	with := func(f func(*Charge)) Charge { c := cur; f(&c); return c }
	upd := func(want Charge) Change {
		return Change{Action: Update, Agreement: 7, ItemID: "WS", Current: cur, Desired: want}
	}
	tests := []struct {
		name string
		g    Guard
		c    Change
		hold bool
	}{
		{"drop of 20 % is not more than 20 %", Guard{}, upd(with(func(c *Charge) { c.Quantity = 80 })), false},
		{"drop of 21 %", Guard{}, upd(with(func(c *Charge) { c.Quantity = 79 })), true},
		{"drop under a 30 % threshold", Guard{DropPercent: 30}, upd(with(func(c *Charge) { c.Quantity = 75 })), false},
		{"drop of more than 5 units", Guard{DropPercent: 50, DropUnits: 5}, upd(with(func(c *Charge) { c.Quantity = 94 })), true},
		{"drop of 5 units", Guard{DropPercent: 50, DropUnits: 5}, upd(with(func(c *Charge) { c.Quantity = 95 })), false},
		{"increase", Guard{DropUnits: 1}, upd(with(func(c *Charge) { c.Quantity = 300 })), false},
		{"price at the same level", Guard{}, upd(with(func(c *Charge) { c.Price = 100 })), false},
		{"price level", Guard{}, upd(with(func(c *Charge) { c.PriceLevel = 2 })), true},
		{"delete", Guard{}, Change{Action: Delete, Agreement: 7, ItemID: "WS", Current: cur, Reason: reasonNoUsage}, true},
		{"create", Guard{}, Change{Action: Create, Agreement: 7, ItemID: "WS", Desired: cur}, false},
	}
	for _, tt := range tests {
		p := tt.g.Filter(Plan{Changes: []Change{tt.c}}, nil)
		if held := len(p.Held) == 1; held != tt.hold || len(p.Changes)+len(p.Held) != 1 {
			t.Errorf("%s: held %v (%d changes, %d held), want %v", tt.name, held, len(p.Changes), len(p.Held), tt.hold)
		}
	}
	var none *Guard
	if p := none.Filter(Plan{Changes: []Change{tests[1].c}}, nil); len(p.Held) != 0 || len(p.Changes) != 1 {
		t.Error("a nil guard held a change")
	}
}

func TestGuardDecisionsAndStale(t *testing.T) {
	t.Parallel()
	cur := Charge{DetailID: 5, ItemID: "WS", Description: Describe("ws"), Quantity: 100, Price: 400, PriceLevel: 1}
	want := cur
	want.Quantity = 50
	drop := Change{Action: Update, Agreement: 7, ItemID: "WS", Current: cur, Desired: want}
	del := Change{Action: Delete, Agreement: 8, ItemID: "SRV", Current: Charge{DetailID: 6, ItemID: "SRV", Quantity: 3}}
	g := &Guard{}
	plan := Plan{Changes: []Change{drop, del}}
	kd, kx := ChangeKey(&drop), ChangeKey(&del)
	if kd == kx || len(kd) != 24 {
		t.Fatalf("keys %q %q", kd, kx)
	}
	moved := drop
	moved.Desired.Quantity = 49
	if ChangeKey(&moved) == kd {
		t.Error("a change to another quantity has the same key")
	}
	p := g.Filter(plan, map[string]Decision{kd: {Key: kd, Agreement: 7, Approved: true}, kx: {Key: kx, Agreement: 8}})
	if len(p.Changes) != 1 || p.Changes[0].Action != Update || len(p.Held) != 1 || !p.Held[0].Rejected {
		t.Fatalf("approved kept, rejected held: changes %v held %+v", p.Changes, p.Held)
	}
	// Once the drop is written it is a no-op, and the delete's agreement is
	// skipped: the approval is stale, the rejection is kept.
	later := Plan{Changes: []Change{{Action: NoOp, Agreement: 7, ItemID: "WS", Current: want, Desired: want}}, Skipped: []Skipped{{Agreement: 8}}}
	d := map[string]Decision{kd: {Key: kd, Agreement: 7, Approved: true}, kx: {Key: kx, Agreement: 8}, "old": {Key: "old", Agreement: 7}}
	if got := Stale(g.Filter(later, d), d); !slices.Equal(got, []string{kd, "old"}) {
		t.Errorf("stale = %v, want the spent approval and the old decision", got)
	}
}
