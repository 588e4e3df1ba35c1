package tigerpaw

import (
	"bytes"
	"context"
	"encoding/json"
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

// Strict readings of the price book lists (see decodeList). A price level
// must carry its PriceLevel and SellingPrice, and a SellingPrice is never
// negative.
var (
	priceBookItemSpec = listSpec[PriceBookItemSummary]{what: "price book item",
		required: []string{"ItemId", "PriceBookItemNumber"},
		check: func(it *PriceBookItemSummary) error {
			return errors.Join(textField("ItemId", it.ItemID), positiveField("PriceBookItemNumber", it.PriceBookItemNumber))
		}}
	itemPriceSpec = listSpec[ItemPrice]{what: "price level", required: []string{"PriceLevel", "SellingPrice"},
		check: func(p *ItemPrice) error {
			if p.PriceLevel < 0 {
				return fmt.Errorf("PriceLevel %d is negative", p.PriceLevel)
			}
			if p.SellingPrice < 0 {
				return fmt.Errorf("SellingPrice %s at price level %d is negative", p.SellingPrice, p.PriceLevel)
			}
			return nil
		}}
)

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
		return decodePage(s.c, http.MethodPost, path, body, "PriceBookItems", priceBookItemSpec)
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
// (GET /api/pricebook/items/{priceBookItemNumber}/details). The answer is read
// strictly: it must carry the item's ItemId and a Pricing list (possibly
// empty, never missing or null) whose levels each carry PriceLevel and a
// SellingPrice that is not negative, each level at most once. Anything else is
// an error wrapping ErrMalformedResponse that names the item and the level.
func (s *PriceBookService) Details(ctx context.Context, priceBookItemNumber int) (*PriceBookItemDetail, error) {
	if err := positive("price book item number", priceBookItemNumber); err != nil {
		return nil, err
	}
	path := pathf("/api/pricebook/items/%d/details", priceBookItemNumber)
	body, err := s.c.do(ctx, &request{method: http.MethodGet, path: path, retry: true})
	if err != nil {
		return nil, err
	}
	var wire struct {
		ItemID              string `json:"ItemId"`
		PriceBookItemNumber int
		Item                PriceBookItem
		Pricing             json.RawMessage
	}
	if b := bytes.TrimSpace(body); len(b) == 0 || b[0] != '{' {
		return nil, malformed(http.MethodGet, path, "price book item %d: the answer is not a JSON object", priceBookItemNumber)
	}
	if err := s.c.decode(http.MethodGet, path, body, &wire); err != nil {
		return nil, err
	}
	switch {
	case strings.TrimSpace(wire.ItemID) == "":
		return nil, malformed(http.MethodGet, path, "price book item %d: ItemId is missing", priceBookItemNumber)
	case wire.PriceBookItemNumber != 0 && wire.PriceBookItemNumber != priceBookItemNumber:
		return nil, malformed(http.MethodGet, path, "price book item %d: the answer is item %d", priceBookItemNumber, wire.PriceBookItemNumber)
	}
	spec := itemPriceSpec
	spec.what = fmt.Sprintf("item %q Pricing: price level", wire.ItemID)
	pricing, err := decodeList(s.c, http.MethodGet, path, wire.Pricing, spec)
	if err != nil {
		return nil, err
	}
	seen := make(map[int]bool, len(pricing))
	for _, p := range pricing {
		if seen[p.PriceLevel] {
			return nil, malformed(http.MethodGet, path, "item %q Pricing: price level %d is listed twice", wire.ItemID, p.PriceLevel)
		}
		seen[p.PriceLevel] = true
	}
	return &PriceBookItemDetail{ItemID: wire.ItemID, PriceBookItemNumber: priceBookItemNumber, Item: wire.Item, Pricing: pricing}, nil
}
