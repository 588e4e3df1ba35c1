package billing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

func TestCheckCharges(t *testing.T) {
	t.Parallel()
	owned := func(id int64, item string) Charge {
		return Charge{DetailID: id, ItemID: item, Description: Describe("x"), Quantity: 1, Price: 100, PriceLevel: 1}
	}
	person := func(id int64, item, desc string) Charge {
		return Charge{DetailID: id, ItemID: item, Description: desc, Quantity: 1, Price: 100, PriceLevel: 1}
	}
	tests := []struct {
		name    string
		charges []Charge
		want    string // "" for consistent
	}{
		{"empty", nil, ""},
		{"owned and a person's", []Charge{owned(1, "A"), person(2, "A", "Onsite install")}, ""},
		{"two owned charges of one item, two DetailIds", []Charge{owned(1, "A"), owned(2, "A")}, ""},
		{"marker in other letter case after spaces", []Charge{person(1, "A", "  [KASPERSKY:AUTO] x")}, ""},
		{"a person's charge saying kaspersky", []Charge{person(1, "A", "Kaspersky install")}, ""},
		{"the same charge twice", []Charge{owned(1, "A"), owned(2, "B"), owned(1, "A")}, "charge 1 (item \"A\") is listed twice"},
		{"a person's charge twice", []Charge{person(5, "A", "Onsite"), person(5, "A", "Onsite")}, "listed twice"},
		{"no DetailId", []Charge{owned(0, "A")}, "has no DetailId"},
		{"marker moved", []Charge{person(3, "A", "Workstations "+OwnerMarker)}, "elsewhere than at the start"},
		{"marker cut", []Charge{person(3, "A", OwnerMarker[:6])}, "start of the marker"},
	}
	for _, tt := range tests {
		err := CheckCharges(1043, tt.charges)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want consistent", tt.name, err)
		case tt.want != "" && (!errors.Is(err, ErrInconsistentCharges) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "1043")):
			t.Errorf("%s: %v, want ErrInconsistentCharges naming agreement 1043 and %q", tt.name, err, tt.want)
		}
	}
}

func TestPricesRefuseNegativeAndRepeatedLevels(t *testing.T) {
	t.Parallel()
	var p Prices
	p.Add("A", 1, 450)
	p.Add("A", 2, -1)
	p.Add("B", 1, 300)
	p.Add("B", 1, 300) // the same level twice, even at the same price
	p.Add("B", 1, 200) // and a third time
	p.Add("C", 1, 0)
	if m, ok := p.Price("A", 1); !ok || m != 450 || p.PriceErr("A", 1) != nil {
		t.Errorf("A@1 = %v %v %v, want 4.50", m, ok, p.PriceErr("A", 1))
	}
	if m, ok := p.Price("C", 1); !ok || m != 0 || p.PriceErr("C", 1) != nil {
		t.Errorf("C@1 = %v %v %v, want a free item", m, ok, p.PriceErr("C", 1))
	}
	for _, k := range []PriceKey{{"A", 2}, {"B", 1}} {
		if _, ok := p.Price(k.Item, k.Level); ok || !errors.Is(p.PriceErr(k.Item, k.Level), ErrInvalidPrice) {
			t.Errorf("%v: price %v, err %v; want refused", k, ok, p.PriceErr(k.Item, k.Level))
		}
	}

	// Biller skips the agreement that needs a refused price, with the reason.
	b, err := NewBiller(PriceBook{Items: map[kaspersky.AppID]ItemMapping{kaspersky.AppKESBAdvanced: {Item: "B"}}}, &p)
	if err != nil {
		t.Fatal(err)
	}
	inv := seedInventory()
	_, _, err = b.Desired(testAccount, b.Count(&inv, now))
	if !errors.Is(err, ErrInvalidPrice) || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("Desired = %v, want ErrInvalidPrice for the level listed twice", err)
	}

	// A plain PriceLookup with a negative price is refused too.
	b, err = NewBiller(PriceBook{Items: map[kaspersky.AppID]ItemMapping{kaspersky.AppKESBAdvanced: {Item: "N"}}}, PriceList{{"N", 1}: -5})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err = b.Desired(testAccount, b.Count(&inv, now)); !errors.Is(err, ErrInvalidPrice) || !strings.Contains(err.Error(), "negative") {
		t.Errorf("Desired = %v, want ErrInvalidPrice for the negative price", err)
	}
}

// refusingReader refuses every list, counting them.
type refusingReader struct{ lists int }

func (r *refusingReader) List(context.Context, int) ([]Charge, error) {
	r.lists++
	return nil, fmt.Errorf("401: %w", ErrUnauthorized)
}

func TestPlanStopsListingAfterRefusedCredentials(t *testing.T) {
	t.Parallel()
	b := newTestBiller(t, testBook())
	var accounts []Account
	var inventories []kaspersky.Inventory
	for i := range 3 {
		inv := seedInventory()
		inv.Tenant.ID = fmt.Sprintf("t%d", i)
		inventories = append(inventories, inv)
		accounts = append(accounts, Account{TenantID: inv.Tenant.ID, AccountNumber: 100 + i, AgreementNumber: 100 + i, PriceLevel: 1})
	}
	r := &refusingReader{}
	plan, err := b.Plan(t.Context(), r, accounts, inventories, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.lists != 1 {
		t.Errorf("%d lists, want 1: none after the refusal", r.lists)
	}
	if len(plan.Skipped) != 3 || plan.Planned != 0 {
		t.Fatalf("skipped %v, planned %d; want all three skipped", plan.Skipped, plan.Planned)
	}
	for _, s := range plan.Skipped {
		if !errors.Is(s.Err, ErrUnauthorized) {
			t.Errorf("agreement %d skipped for %v, want the refusal", s.Agreement, s.Err)
		}
	}
	if err := plan.Failed(); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Failed() = %v, want the refusal", err)
	}
}

func TestPlanSkipsInconsistentInputs(t *testing.T) {
	t.Parallel()
	b := newTestBiller(t, testBook())
	good := seedInventory()
	shortRead := seedInventory()
	shortRead.Tenant.ID = "t2"
	shortRead.Devices = nil // the hosts read came back empty; the key still binds 100
	accounts := []Account{testAccount, {TenantID: "t2", AccountNumber: 2, AgreementNumber: 2, PriceLevel: 1}}
	owned := []Charge{{DetailID: 7, ItemID: "KESB-ADV-WS", Description: Describe("ws"), Quantity: 90, Price: 450, PriceLevel: 1}}
	w := newFakeWriter(map[int][]Charge{1043: nil, 2: owned})
	plan, err := b.Plan(t.Context(), w, accounts, []kaspersky.Inventory{good, shortRead}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Skipped) != 1 || plan.Skipped[0].Agreement != 2 || !errors.Is(plan.Skipped[0].Err, kaspersky.ErrInconsistentInventory) ||
		!strings.Contains(plan.Skipped[0].Err.Error(), "no device while its license keys bind 100 devices") {
		t.Errorf("skipped %v, want agreement 2 skipped for the short read", plan.Skipped)
	}
	for _, c := range plan.Changes {
		if c.Agreement == 2 {
			t.Errorf("change planned for the skipped agreement: %v", c)
		}
	}
	if plan.Planned != 1 || plan.Failed() != nil {
		t.Errorf("planned %d, failed %v; want a partial plan", plan.Planned, plan.Failed())
	}

	// A charge of a mapped item with a blank description: whose it is cannot
	// be told.
	w = newFakeWriter(map[int][]Charge{1043: {{DetailID: 9, ItemID: "kesb-adv-ws", Quantity: 90, Price: 450, PriceLevel: 1}}})
	plan, err = b.Plan(t.Context(), w, []Account{testAccount}, []kaspersky.Inventory{good}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Skipped) != 1 || !errors.Is(plan.Skipped[0].Err, ErrInconsistentCharges) || len(plan.Changes) != 0 {
		t.Errorf("plan %+v, want agreement 1043 skipped for the charge without description", plan)
	}
	if err := plan.Failed(); err == nil || !strings.Contains(err.Error(), "every agreement skipped") {
		t.Errorf("Failed() = %v, want every agreement skipped", err)
	}
}
