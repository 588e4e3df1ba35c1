package tigerpaw

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
)

// PriceBookService searches the price book. Use it as Client.PriceBook.
type PriceBookService struct{ c *Client }

// PriceBookItem is the core of a price book item.
type PriceBookItem struct {
	ItemDescription string
	Type            string
	Status          string
	ItemCategory    string
	Inactive        bool
}

// PriceBookItemSummary is a price book item as searches return it. ItemID is the
// id additional charges refer to (their SpecialItemID).
type PriceBookItemSummary struct {
	ItemID              string `json:"ItemId"`
	PriceBookItemNumber int
	Item                PriceBookItem
}

// ItemPrice is the price of an item at one price level.
type ItemPrice struct {
	PriceLevel   int
	Description  string
	SellingPrice Cents
	FlatPrice    Cents
}

// PriceBookItemDetail is an item with its pricing per price level.
type PriceBookItemDetail struct {
	ItemID              string `json:"ItemId"`
	PriceBookItemNumber int
	Item                PriceBookItem
	Pricing             []ItemPrice
}

// PriceAt returns the item's pricing at a price level.
func (d *PriceBookItemDetail) PriceAt(priceLevel int) (ItemPrice, bool) {
	for _, p := range d.Pricing {
		if p.PriceLevel == priceLevel {
			return p, true
		}
	}
	return ItemPrice{}, false
}

// Search yields the price book items matching q, all pages
// (POST /api/pricebook/items/search).
func (s *PriceBookService) Search(ctx context.Context, q Search) iter.Seq2[PriceBookItemSummary, error] {
	if err := q.validate(); err != nil {
		return func(yield func(PriceBookItemSummary, error) bool) { yield(PriceBookItemSummary{}, err) }
	}
	const path = "/api/pricebook/items/search"
	return paginate(ctx, s.c, "price book", q.PageSize, func(ctx context.Context, row, size int) (page[PriceBookItemSummary], error) {
		body, err := s.c.do(ctx, &request{method: http.MethodPost, path: path, body: q.body(row, size), retry: true})
		if err != nil {
			return page[PriceBookItemSummary]{}, err
		}
		return decodePage[PriceBookItemSummary](s.c, http.MethodPost, path, body, "PriceBookItems")
	})
}

// ByItemID returns the item whose ItemId is itemID. Tigerpaw compares item ids
// regardless of letter case (a charge's SpecialItemId "kes-1" is item "KES-1"),
// so ByItemID does too, preferring an exact spelling when both exist; the
// search matches prefixes, so "KES-1" does not find "KES-10". It returns an
// error matching ErrNotFound when there is none.
func (s *PriceBookService) ByItemID(ctx context.Context, itemID string) (*PriceBookItemSummary, error) {
	if strings.TrimSpace(itemID) == "" {
		return nil, errors.New("tigerpaw: price book item by id: ItemID is empty")
	}
	q := Search{Criteria: []Criterion{{SearchType: SearchItemID, MatchType: MatchStartsWith, Criteria: itemID}}}
	var folded *PriceBookItemSummary
	for it, err := range s.Search(ctx, q) {
		if err != nil {
			return nil, err
		}
		if it.ItemID == itemID {
			return &it, nil
		}
		if folded == nil && strings.EqualFold(it.ItemID, itemID) {
			folded = &it
		}
	}
	if folded != nil {
		return folded, nil
	}
	return nil, fmt.Errorf("tigerpaw: price book item %q: %w", itemID, ErrNotFound)
}

// Details returns an item with its pricing per price level
// (GET /api/pricebook/items/{priceBookItemNumber}/details).
func (s *PriceBookService) Details(ctx context.Context, priceBookItemNumber int) (*PriceBookItemDetail, error) {
	if err := positive("price book item number", priceBookItemNumber); err != nil {
		return nil, err
	}
	var d PriceBookItemDetail
	if err := s.c.getJSON(ctx, pathf("/api/pricebook/items/%d/details", priceBookItemNumber), nil, &d); err != nil {
		return nil, err
	}
	return &d, nil
}
