package tigerpaw_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

func TestAgreements(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("Server", -5*3600)
	srv := tigerpawtest.NewServer(t, tigerpawtest.WithTimeZone(loc))
	seed(srv)
	c := srv.Client(t, tigerpaw.WithPageSize(1))
	ctx := t.Context()

	got, err := tigerpaw.Collect(c.Agreements.ForAccount(ctx, 1001))
	if err != nil {
		t.Fatal(err)
	}
	want := []tigerpaw.AgreementSummary{
		{AgreementNumber: 501, AccountName: "Contoso Ltd", AdditionalCharges: 1, Agreement: tigerpaw.Agreement{
			AccountNumber: 1001, Type: "Managed", StartDate: tigerpaw.DateTime{Time: start2024.In(loc)}, BillingPeriod: 1, BillingPeriodDescription: "Monthly"}},
		{AgreementNumber: 502, AccountName: "Contoso Ltd", Agreement: tigerpaw.Agreement{
			AccountNumber: 1001, Type: "Block time", StartDate: tigerpaw.DateTime{Time: start2024.AddDate(0, 6, 0).In(loc)}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("agreements (-want +got):\n%s", diff)
	}
	if !got[0].Agreement.Recurring() || got[1].Agreement.Recurring() {
		t.Errorf("Recurring: %v, %v; want true, false", got[0].Agreement.Recurring(), got[1].Agreement.Recurring())
	}
	if n := srv.Count("GET", "/api/agreements/account/{n}"); n != 2 {
		t.Errorf("pages = %d, want 2 (page size 1, two agreements)", n)
	}
	one, err := c.Agreements.Get(ctx, 503)
	if err != nil || one.AgreementNumber != 503 || one.Agreement.BillingPeriod != 12 || one.AccountName != "Contoso Labs" {
		t.Errorf("Get(503) = %+v, %v", one, err)
	}
	if _, err := c.Agreements.Get(ctx, 999); !errors.Is(err, tigerpaw.ErrNotFound) {
		t.Errorf("Get(999) = %v, want ErrNotFound", err)
	}
	if _, err := c.Agreements.Get(ctx, -1); err == nil {
		t.Error("Get(-1) gave no error")
	}
	if _, err := tigerpaw.Collect(c.Agreements.ForAccount(ctx, 0)); err == nil {
		t.Error("ForAccount(0) gave no error")
	}
}

func TestChargesLifecycle(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	ctx := t.Context()
	ch := c.Charges

	id1, err := ch.Create(ctx, 501, tigerpaw.NewCharge{SpecialItemID: "KES-10", ItemDescription: "Kaspersky: servers", Quantity: 10, Price: 1250, PriceLevel: 1})
	if err != nil {
		t.Fatal(err)
	}
	id2, err := ch.Create(ctx, 503, tigerpaw.NewCharge{SpecialItemID: "KSO365", Quantity: 0, Price: 0, PriceLevel: 1})
	if err != nil {
		t.Fatal(err)
	}
	if id1 == id2 || id1 == 7001 || id2 == 7001 {
		t.Errorf("DetailIds %d, %d are not unique server-wide (seeded 7001)", id1, id2)
	}

	list, err := ch.List(ctx, 501)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].DetailID != 7001 || list[1].DetailID != id1 {
		t.Fatalf("List(501) = %+v", list)
	}
	got := list[1]
	if got.DateAdded.IsZero() {
		t.Error("DateAdded is zero")
	}
	got.DateAdded = tigerpaw.DateTime{}
	want := tigerpaw.AdditionalCharge{DetailID: id1, SpecialItemID: "KES-10", ItemDescription: "Kaspersky: servers",
		Quantity: 10, Price: 1250, PriceLevel: 1, PriceLevelDescription: "Standard", Source: 1, SourceDescription: "API"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("created charge (-want +got):\n%s", diff)
	}

	// An update changes only the fields it carries.
	q := 12
	if err := ch.Update(ctx, 501, id1, tigerpaw.ChargeUpdate{Quantity: &q}); err != nil {
		t.Fatal(err)
	}
	one, err := ch.Get(ctx, 501, id1)
	if err != nil {
		t.Fatal(err)
	}
	if one.Quantity != 12 || one.Price != 1250 || one.ItemDescription != "Kaspersky: servers" || one.SpecialItemID != "KES-10" {
		t.Errorf("after update = %+v", one)
	}
	price := tigerpaw.Cents(1333)
	desc := "Kaspersky: servers (2)"
	if err := ch.Update(ctx, 501, id1, tigerpaw.ChargeUpdate{Price: &price, ItemDescription: &desc}); err != nil {
		t.Fatal(err)
	}
	snap := srv.Snapshot()
	gotSnap := snap.Charges[501][1]
	if gotSnap.Quantity != 12 || gotSnap.Price != 1333 || gotSnap.ItemDescription != desc {
		t.Errorf("snapshot after second update = %+v", gotSnap)
	}
	if diff := cmp.Diff(tigerpawtest.Charge{DetailID: 7001, AgreementNumber: 501, SpecialItemID: "KES-1", ItemDescription: "Seeded by a person",
		Quantity: 3, Price: 450, PriceLevel: 1, DateAdded: start2024}, snap.Charges[501][0]); diff != "" {
		t.Errorf("a charge not touched changed (-want +got):\n%s", diff)
	}

	if err := ch.Delete(ctx, 503, id2); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.Get(ctx, 503, id2); !errors.Is(err, tigerpaw.ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
	if err := ch.Delete(ctx, 503, id2); !errors.Is(err, tigerpaw.ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	// A charge is addressed through its own agreement only.
	if _, err := ch.Get(ctx, 503, id1); !errors.Is(err, tigerpaw.ErrNotFound) {
		t.Errorf("Get through another agreement = %v, want ErrNotFound", err)
	}
}

func TestChargesRefused(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	ctx := t.Context()
	tests := []struct {
		name      string
		agreement int
		charge    tigerpaw.NewCharge
		notFound  bool
	}{
		{name: "non-recurring agreement", agreement: 502, charge: tigerpaw.NewCharge{SpecialItemID: "KES-1", Quantity: 1, PriceLevel: 1}},
		{name: "unknown item", agreement: 501, charge: tigerpaw.NewCharge{SpecialItemID: "NOPE", Quantity: 1, PriceLevel: 1}},
		{name: "unknown price level", agreement: 501, charge: tigerpaw.NewCharge{SpecialItemID: "KES-1", Quantity: 1, PriceLevel: 77}},
		{name: "unknown agreement", agreement: 9999, charge: tigerpaw.NewCharge{SpecialItemID: "KES-1", Quantity: 1, PriceLevel: 1}, notFound: true},
	}
	for _, tc := range tests {
		_, err := c.Charges.Create(ctx, tc.agreement, tc.charge)
		var ae *tigerpaw.APIError
		if !errors.As(err, &ae) {
			t.Errorf("%s: err = %v, want an APIError", tc.name, err)
			continue
		}
		if tc.notFound != errors.Is(err, tigerpaw.ErrNotFound) || !tc.notFound && (ae.StatusCode != 200 || ae.Message == "") {
			t.Errorf("%s: %+v", tc.name, ae)
		}
	}
	if got := srv.Snapshot().Charges; len(got[501]) != 1 || len(got[502]) != 0 {
		t.Errorf("a refused charge was stored: %+v", got)
	}
	bad := "NOPE"
	if err := c.Charges.Update(ctx, 501, 7001, tigerpaw.ChargeUpdate{SpecialItemID: &bad}); err == nil {
		t.Error("update to an unknown item was accepted")
	}

	before := srv.Count("*", "*")
	neg, empty := -1, " "
	invalid := []error{
		func() error {
			_, err := c.Charges.Create(ctx, 0, tigerpaw.NewCharge{SpecialItemID: "KES-1"})
			return err
		}(),
		func() error { _, err := c.Charges.Create(ctx, 501, tigerpaw.NewCharge{}); return err }(),
		func() error {
			_, err := c.Charges.Create(ctx, 501, tigerpaw.NewCharge{SpecialItemID: "KES-1", Quantity: -1})
			return err
		}(),
		func() error {
			_, err := c.Charges.Create(ctx, 501, tigerpaw.NewCharge{SpecialItemID: "KES-1", PriceLevel: -1})
			return err
		}(),
		c.Charges.Update(ctx, 501, 7001, tigerpaw.ChargeUpdate{}),
		c.Charges.Update(ctx, 501, 0, tigerpaw.ChargeUpdate{Quantity: &neg}),
		c.Charges.Update(ctx, 501, 7001, tigerpaw.ChargeUpdate{Quantity: &neg}),
		c.Charges.Update(ctx, 501, 7001, tigerpaw.ChargeUpdate{SpecialItemID: &empty}),
		c.Charges.Delete(ctx, 0, 1),
		func() error { _, err := c.Charges.Get(ctx, 501, 0); return err }(),
		func() error { _, err := c.Charges.List(ctx, 0); return err }(),
	}
	for i, err := range invalid {
		if err == nil {
			t.Errorf("invalid call %d gave no error", i)
		}
	}
	if srv.Count("*", "*") != before {
		t.Error("invalid input reached the server")
	}
}
