package billing

import (
	"fmt"
	"slices"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// Biller turns inventories into desired charges and plans for one price book and
// one set of prices. It keeps scratch space that it reuses from one tenant to the
// next, so that Count, Desired and Diff allocate nothing in the steady state;
// the slices they return are valid until the next call of the same method. A
// Biller is not safe for concurrent use: give each goroutine its own.
type Biller struct {
	book    *compiledBook
	prices  PriceLookup
	counter Counter

	qty      []int64
	touched  []int32
	desired  []Charge
	unbilled []Usage
	changes  []Change
}

// NewBiller validates the price book and returns a Biller that prices charges
// with prices. The error wraps ErrInvalidConfig and names the application and the
// field at fault.
func NewBiller(book PriceBook, prices PriceLookup) (*Biller, error) {
	if prices == nil {
		return nil, fmt.Errorf("billing: prices is nil: %w", ErrInvalidConfig)
	}
	cb, err := compile(book)
	if err != nil {
		return nil, err
	}
	return &Biller{book: cb, prices: prices, qty: make([]int64, len(cb.items))}, nil
}

// Count returns the tenant's billable usage at now (see Counter for the rules).
// The result is valid until the next call of Count.
func (b *Biller) Count(inv *kaspersky.Inventory, now time.Time) []Usage {
	return b.counter.Count(inv, now)
}

// Desired returns the charges that the account's agreement should carry for the
// usage: one charge per mapped price book item with a non-zero quantity, sorted
// by item id, priced at the item's selling price at the account's price level,
// each with the item's description (see Describe). Usage of an application the
// price book does not map, or of a category that has no item, is returned as
// unbilled, for a report. The error wraps ErrNoPrice when an item has no price at
// the account's level, ErrInvalidPrice when that price is negative or refused
// by a PriceChecker, and ErrInvalidConfig for unusable account settings; in
// both cases no charge is returned, so that a caller never acts on a partial
// picture. The slices are valid until the next call of Desired.
func (b *Biller) Desired(acct Account, usage []Usage) (charges []Charge, unbilled []Usage, err error) {
	b.desired = b.desired[:0]
	b.unbilled = b.unbilled[:0]
	b.touched = b.touched[:0]
	if b.book == nil {
		return nil, nil, fmt.Errorf("billing: Biller not made by NewBiller: %w", ErrInvalidConfig)
	}
	if err := acct.validate(); err != nil {
		return nil, nil, err
	}
	for _, u := range usage {
		if u.Quantity <= 0 {
			continue
		}
		s := b.book.slotFor(u)
		if s < 0 {
			b.unbilled = append(b.unbilled, u)
			continue
		}
		if b.qty[s] == 0 {
			b.touched = append(b.touched, s)
		}
		b.qty[s] += u.Quantity
	}
	slices.Sort(b.touched) // slots are in item id order
	for _, s := range b.touched {
		q := b.qty[s]
		b.qty[s] = 0
		if err != nil {
			continue // keep clearing the scratch quantities
		}
		item := &b.book.items[s]
		if pc, ok := b.prices.(PriceChecker); ok {
			if perr := pc.PriceErr(item.id, acct.PriceLevel); perr != nil {
				err = fmt.Errorf("billing: account %d agreement %d: %w", acct.AccountNumber, acct.AgreementNumber, perr)
				continue
			}
		}
		price, ok := b.prices.Price(item.id, acct.PriceLevel)
		switch {
		case !ok:
			err = fmt.Errorf("billing: account %d agreement %d: item %q at price level %d: %w",
				acct.AccountNumber, acct.AgreementNumber, item.id, acct.PriceLevel, ErrNoPrice)
			continue
		case price < 0:
			err = fmt.Errorf("billing: account %d agreement %d: item %q at price level %d: the selling price %s is negative: %w",
				acct.AccountNumber, acct.AgreementNumber, item.id, acct.PriceLevel, price, ErrInvalidPrice)
			continue
		}
		b.desired = append(b.desired, Charge{
			ItemID:      item.id,
			Description: item.description,
			Quantity:    q,
			Price:       price,
			PriceLevel:  acct.PriceLevel,
		})
	}
	if err != nil {
		b.desired = b.desired[:0]
		return nil, nil, err
	}
	return b.desired, b.unbilled, nil
}

// Diff compares the agreement's desired charges with its existing ones, like the
// package-level AppendDiff, into a buffer the Biller reuses. The result is valid
// until the next call of Diff.
func (b *Biller) Diff(agreement int, desired, existing []Charge) []Change {
	b.changes = AppendDiff(b.changes[:0], agreement, desired, existing)
	return b.changes
}
