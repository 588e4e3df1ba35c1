package tigerpaw_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

func TestPriceBook(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	ctx := t.Context()

	items, err := tigerpaw.Collect(c.PriceBook.Search(ctx, tigerpaw.Search{Criteria: []tigerpaw.Criterion{
		{SearchType: tigerpaw.SearchItemDescription, MatchType: tigerpaw.MatchStartsWith, Criteria: "KES"},
	}}))
	if err != nil {
		t.Fatal(err)
	}
	want := []tigerpaw.PriceBookItemSummary{
		{ItemID: "KES-1", PriceBookItemNumber: 900, Item: tigerpaw.PriceBookItem{ItemDescription: "KES workstation", Type: "Service"}},
		{ItemID: "KES-10", PriceBookItemNumber: 901, Item: tigerpaw.PriceBookItem{ItemDescription: "KES server", Type: "Service"}},
	}
	if diff := cmp.Diff(want, items); diff != "" {
		t.Errorf("Search (-want +got):\n%s", diff)
	}

	// The server matches "KES-1" as a prefix of "KES-10" too; ByItemID keeps
	// the exact one.
	it, err := c.PriceBook.ByItemID(ctx, "KES-1")
	if err != nil || it.PriceBookItemNumber != 900 {
		t.Errorf("ByItemID(KES-1) = %+v, %v", it, err)
	}
	// Tigerpaw compares item ids regardless of case.
	if it, err := c.PriceBook.ByItemID(ctx, "kes-10"); err != nil || it.PriceBookItemNumber != 901 {
		t.Errorf("ByItemID(kes-10) = %+v, %v", it, err)
	}
	if _, err := c.PriceBook.ByItemID(ctx, "KES"); !errors.Is(err, tigerpaw.ErrNotFound) {
		t.Errorf("ByItemID(KES) = %v, want ErrNotFound", err)
	}
	if _, err := c.PriceBook.ByItemID(ctx, ""); err == nil {
		t.Error("ByItemID(\"\") gave no error")
	}

	det, err := c.PriceBook.Details(ctx, 900)
	if err != nil {
		t.Fatal(err)
	}
	wantDet := &tigerpaw.PriceBookItemDetail{ItemID: "KES-1", PriceBookItemNumber: 900, Item: want[0].Item, Pricing: []tigerpaw.ItemPrice{
		{PriceLevel: 1, Description: "Standard", SellingPrice: 450},
		{PriceLevel: 2, Description: "Discount", SellingPrice: 405},
	}}
	if diff := cmp.Diff(wantDet, det); diff != "" {
		t.Errorf("Details (-want +got):\n%s", diff)
	}
	if p, ok := det.PriceAt(2); !ok || p.SellingPrice != 405 {
		t.Errorf("PriceAt(2) = %+v, %v", p, ok)
	}
	if _, ok := det.PriceAt(3); ok {
		t.Error("PriceAt(3) found a price for a level without one")
	}
	if _, err := c.PriceBook.Details(ctx, 12345); !errors.Is(err, tigerpaw.ErrNotFound) {
		t.Errorf("Details(12345) = %v, want ErrNotFound", err)
	}
	if _, err := c.PriceBook.Details(ctx, 0); err == nil {
		t.Error("Details(0) gave no error")
	}
	if _, err := tigerpaw.Collect(c.PriceBook.Search(ctx, tigerpaw.Search{PageSize: -5})); err == nil {
		t.Error("negative page size gave no error")
	}
}
