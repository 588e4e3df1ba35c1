package kasperskytigerpaw

import (
	"context"
	"errors"
	"fmt"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

// ChargeWriter writes the Additional Charges of Tigerpaw agreements for package
// billing: it implements billing.ChargeWriter over a tigerpaw.Client.
//
// Its errors tell billing.Apply what happened: a refusal by Tigerpaw (a 4xx
// answer, or Success:false) wraps billing.ErrRejected, a missing charge
// billing.ErrNotFound, refused credentials (401) billing.ErrUnauthorized as
// well as billing.ErrRejected; any other error (a dropped connection, a timeout, a 5xx)
// means the write may have been applied, and Apply re-reads the agreement before
// it creates anything again. The charge writes are assumed endpoints (see
// package tigerpaw); a user whose Tigerpaw lacks them can implement
// billing.ChargeWriter otherwise.
type ChargeWriter struct {
	c *tigerpaw.Client
}

var _ billing.ChargeWriter = (*ChargeWriter)(nil)

// NewChargeWriter returns a ChargeWriter over c.
func NewChargeWriter(c *tigerpaw.Client) (*ChargeWriter, error) {
	if c == nil {
		return nil, errors.New("kasperskytigerpaw: NewChargeWriter: nil tigerpaw client")
	}
	return &ChargeWriter{c: c}, nil
}

// List returns the charges of an agreement.
func (w *ChargeWriter) List(ctx context.Context, agreement int) ([]billing.Charge, error) {
	charges, err := w.c.Charges.List(ctx, agreement)
	if err != nil {
		return nil, chargeError(err)
	}
	out := make([]billing.Charge, len(charges))
	for i, ch := range charges {
		out[i] = billing.Charge{
			DetailID:    int64(ch.DetailID),
			ItemID:      ch.SpecialItemID,
			Description: ch.ItemDescription,
			Quantity:    int64(ch.Quantity),
			Price:       billing.Money(ch.Price),
			PriceLevel:  ch.PriceLevel,
		}
	}
	return out, nil
}

// Create adds a charge to an agreement and returns its DetailID.
func (w *ChargeWriter) Create(ctx context.Context, agreement int, c billing.Charge) (int64, error) {
	qty, err := quantity(c.Quantity)
	if err != nil {
		return 0, err
	}
	id, err := w.c.Charges.Create(ctx, agreement, tigerpaw.NewCharge{
		SpecialItemID:   c.ItemID,
		ItemDescription: c.Description,
		Quantity:        qty,
		Price:           tigerpaw.Cents(c.Price),
		PriceLevel:      c.PriceLevel,
	})
	if err != nil {
		return 0, chargeError(err)
	}
	return int64(id), nil
}

// Update sets the quantity, price, price level and description of a charge.
func (w *ChargeWriter) Update(ctx context.Context, agreement int, c billing.Charge) error {
	qty, err := quantity(c.Quantity)
	if err != nil {
		return err
	}
	price := tigerpaw.Cents(c.Price)
	err = w.c.Charges.Update(ctx, agreement, int(c.DetailID), tigerpaw.ChargeUpdate{
		ItemDescription: &c.Description,
		Quantity:        &qty,
		Price:           &price,
		PriceLevel:      &c.PriceLevel,
	})
	return chargeError(err)
}

// Delete removes a charge. A delete answered "not found" is taken for a
// charge already gone only when reading the charge back says so too: the
// same answer comes from a server that does not know the request, and the
// charge would go on billing while every cycle counted it deleted.
func (w *ChargeWriter) Delete(ctx context.Context, agreement int, detailID int64) error {
	err := w.c.Charges.Delete(ctx, agreement, int(detailID))
	if !errors.Is(err, tigerpaw.ErrNotFound) {
		return chargeError(err)
	}
	_, gerr := w.c.Charges.Get(ctx, agreement, int(detailID))
	switch {
	case errors.Is(gerr, tigerpaw.ErrNotFound):
		return chargeError(err)
	case gerr == nil:
		return fmt.Errorf("kasperskytigerpaw: delete charge %d of agreement %d: the delete was answered %v, but the charge is still there: %w",
			detailID, agreement, err, billing.ErrRejected)
	}
	return fmt.Errorf("kasperskytigerpaw: delete charge %d of agreement %d: the delete was answered %v, and reading the charge back failed: %w",
		detailID, agreement, err, chargeError(gerr))
}

// quantity converts a billed quantity to Tigerpaw's int, refusing what cannot be
// sent.
func quantity(q int64) (int, error) {
	if q < 0 || int64(int(q)) != q || q > 1<<31-1 {
		return 0, fmt.Errorf("kasperskytigerpaw: charge quantity %d out of range: %w", q, billing.ErrRejected)
	}
	return int(q), nil
}

// chargeError translates a tigerpaw error into billing's vocabulary.
func chargeError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, tigerpaw.ErrNotFound):
		return fmt.Errorf("%w: %w", billing.ErrNotFound, err)
	case errors.Is(err, tigerpaw.ErrUnauthorized):
		// Refused credentials applied nothing, and Plan lists no further
		// agreement with them.
		return fmt.Errorf("%w: %w: %w", billing.ErrUnauthorized, billing.ErrRejected, err)
	case refused(err):
		return fmt.Errorf("%w: %w", billing.ErrRejected, err)
	}
	return err
}
