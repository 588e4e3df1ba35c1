package mappingtest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/mapping/mappingtest"
)

func TestDirectory(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	d := mappingtest.NewDirectory().
		AddAccount(mapping.Account{Number: 1, Name: "A", Type: "Customer"}).
		CrossReference(1, 7).
		AddAgreement(mapping.Agreement{Number: 10, Account: 1, Recurring: true}, mapping.Agreement{Number: 20, Account: 2}).
		AddPriceLevel(mapping.PriceLevel{ID: 3}).
		AddItem("I")

	if ok, _ := d.CrossReferenced(ctx, 1, 7); !ok {
		t.Error("CrossReferenced(1, 7) = false")
	}
	if ok, _ := d.CrossReferenced(ctx, 1, 8); ok {
		t.Error("CrossReferenced(1, 8) = true")
	}
	if ag, _ := d.Agreements(ctx, 1); len(ag) != 1 || ag[0].Number != 10 {
		t.Errorf("Agreements(1) = %v", ag)
	}
	if _, err := d.PriceBookItem(ctx, "nope"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("PriceBookItem(nope) = %v, want ErrNotFound", err)
	}
	if it, err := d.PriceBookItem(ctx, "I"); err != nil || it.ID != "I" {
		t.Errorf("PriceBookItem(I) = %v, %v", it, err)
	}
	if l, _ := d.PriceLevels(ctx); len(l) != 1 {
		t.Errorf("PriceLevels = %v", l)
	}
	products := []mapping.ExternalProduct{{ID: 7, Name: "Kaspersky", Active: true}, {ID: 8, Name: "Old"}}
	d.AddExternalProduct(products...)
	if got, err := d.ExternalProducts(ctx); err != nil || !cmp.Equal(got, products) {
		t.Errorf("ExternalProducts = %v, %v; want %v", got, err, products)
	}
	d.FailNext("ExternalProducts", errors.New("down"))
	if got, err := d.ExternalProducts(ctx); err == nil || got != nil {
		t.Errorf("ExternalProducts with a fault = %v, %v", got, err)
	}

	// Custom fields: the category must exist before a field, names are unique.
	if _, err := d.CreateAccountTextField(ctx, mapping.FieldCategory, "F"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("field without category = %v", err)
	}
	if err := d.CreateAccountFieldCategory(ctx, mapping.FieldCategory); err != nil {
		t.Fatal(err)
	}
	if err := d.CreateAccountFieldCategory(ctx, "kaspersky"); err == nil {
		t.Error("category created twice")
	}
	f, err := d.CreateAccountTextField(ctx, mapping.FieldCategory, "F")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateAccountTextField(ctx, mapping.FieldCategory, "f"); err == nil {
		t.Error("field created twice")
	}
	if err := d.SetAccountFieldValue(ctx, 2, f.ID, "x"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("value of an unknown account = %v", err)
	}
	if err := d.SetAccountFieldValue(ctx, 1, 999, "x"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("value of an unknown field = %v", err)
	}
	if _, err := d.AccountFieldValues(ctx, 999); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("values of an unknown field = %v", err)
	}
	if err := d.SetAccountFieldValue(ctx, 1, f.ID, "x"); err != nil {
		t.Fatal(err)
	}
	if v, _ := d.AccountFieldValues(ctx, f.ID); !cmp.Equal(v, map[int]string{1: "x"}) {
		t.Errorf("values = %v", v)
	}
	if err := d.SetAccountFieldValue(ctx, 1, f.ID, ""); err != nil {
		t.Fatal(err)
	}
	if v := d.FieldValues("F"); len(v) != 0 {
		t.Errorf("values after clearing = %v", v)
	}
	if d.FieldValues("nope") != nil {
		t.Error("FieldValues of an unknown field")
	}

	// Faults and counts.
	fault := errors.New("x")
	d.FailNext("Accounts", fault, nil, fault)
	for i, want := range []error{fault, nil, fault, nil} {
		if _, err := d.Accounts(ctx); !errors.Is(err, want) || (want == nil && err != nil) {
			t.Errorf("Accounts call %d = %v, want %v", i, err, want)
		}
	}
	if n := d.Calls("Accounts"); n != 4 {
		t.Errorf("Calls(Accounts) = %d", n)
	}
	d.ResetCalls()
	if n := d.Calls("Accounts"); n != 0 {
		t.Errorf("Calls after ResetCalls = %d", n)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Accounts(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Accounts with a canceled context = %v", err)
	}
}
