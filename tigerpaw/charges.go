package tigerpaw

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ChargesService reads and writes the additional charges of agreements. Use it as
// Client.Charges. The writes (Create, Update, Delete) are assumed: Tigerpaw's
// REST reference 18.2.1 documents the reads only.
type ChargesService struct{ c *Client }

// AdditionalCharge is an additional charge of an agreement.
type AdditionalCharge struct {
	DetailID              int    `json:"DetailId"`
	SpecialItemID         string `json:"SpecialItemId"` // the price book item's ItemId
	ItemDescription       string
	Quantity              int
	Price                 Cents
	PriceLevel            int
	PriceLevelDescription string
	Source                int
	SourceDescription     string
	PrintWhenQuantityZero bool
	DeleteAfterInvoicing  bool
	DateAdded             DateTime
	UseFlatPrice          bool
}

// NewCharge is a charge to create. SpecialItemID (a price book ItemId), Quantity
// and PriceLevel are required; Price is sent as given (0 is a price).
type NewCharge struct {
	SpecialItemID         string `json:"SpecialItemId"`
	ItemDescription       string `json:"ItemDescription,omitempty"`
	Quantity              int    `json:"Quantity"`
	Price                 Cents  `json:"Price"`
	PriceLevel            int    `json:"PriceLevel"`
	PrintWhenQuantityZero bool   `json:"PrintWhenQuantityZero,omitempty"`
	DeleteAfterInvoicing  bool   `json:"DeleteAfterInvoicing,omitempty"`
	UseFlatPrice          bool   `json:"UseFlatPrice,omitempty"`
}

// ChargeUpdate holds the fields of a charge to change; nil fields are not sent
// and keep their values.
type ChargeUpdate struct {
	SpecialItemID         *string `json:"SpecialItemId,omitempty"`
	ItemDescription       *string `json:"ItemDescription,omitempty"`
	Quantity              *int    `json:"Quantity,omitempty"`
	Price                 *Cents  `json:"Price,omitempty"`
	PriceLevel            *int    `json:"PriceLevel,omitempty"`
	PrintWhenQuantityZero *bool   `json:"PrintWhenQuantityZero,omitempty"`
	DeleteAfterInvoicing  *bool   `json:"DeleteAfterInvoicing,omitempty"`
	UseFlatPrice          *bool   `json:"UseFlatPrice,omitempty"`
}

func (u ChargeUpdate) empty() bool { return u == ChargeUpdate{} }

// chargeSpec reads a charge list strictly (see decodeList): every charge
// carries its DetailId (positive), its SpecialItemId (not empty) and its
// ItemDescription (which may be empty but not missing or null: the
// integration's marker of the charges it owns lives there).
var chargeSpec = listSpec[AdditionalCharge]{
	what:     "additional charge",
	required: []string{"DetailId", "SpecialItemId", "ItemDescription"},
	check: func(ch *AdditionalCharge) error {
		return errors.Join(positiveField("DetailId", ch.DetailID), textField("SpecialItemId", ch.SpecialItemID))
	},
}

// List returns the additional charges of an agreement
// (GET /api/agreements/{n}/additionalcharges). An answer that is not a
// complete list (null, a null charge, a charge without DetailId, SpecialItemId
// or ItemDescription, see ErrMalformedResponse) is an error, never an empty
// list.
func (s *ChargesService) List(ctx context.Context, agreementNumber int) ([]AdditionalCharge, error) {
	if err := positive("agreement number", agreementNumber); err != nil {
		return nil, err
	}
	return getStrictList(ctx, s.c, pathf("/api/agreements/%d/additionalcharges", agreementNumber), chargeSpec)
}

// Get returns one additional charge
// (GET /api/agreements/{n}/additionalcharges/{detailId}).
func (s *ChargesService) Get(ctx context.Context, agreementNumber, detailID int) (*AdditionalCharge, error) {
	if err := errors.Join(positive("agreement number", agreementNumber), positive("detail id", detailID)); err != nil {
		return nil, err
	}
	var ch AdditionalCharge
	path := pathf("/api/agreements/%d/additionalcharges/%d", agreementNumber, detailID)
	if err := s.c.getJSON(ctx, path, nil, &ch); err != nil {
		return nil, err
	}
	if err := sameNumber(path, "DetailId", ch.DetailID, detailID); err != nil {
		return nil, err
	}
	return &ch, nil
}

// Create adds a charge to an agreement (POST /api/agreements/{n}/additionalcharges)
// and returns its DetailId. It is never retried after the request may have
// reached the server: after an error, list the charges before creating again.
func (s *ChargesService) Create(ctx context.Context, agreementNumber int, ch NewCharge) (int, error) {
	if err := positive("agreement number", agreementNumber); err != nil {
		return 0, err
	}
	switch {
	case strings.TrimSpace(ch.SpecialItemID) == "":
		return 0, errors.New("tigerpaw: create charge: SpecialItemID is empty")
	case ch.Quantity < 0:
		return 0, fmt.Errorf("tigerpaw: create charge: Quantity %d is negative", ch.Quantity)
	case ch.PriceLevel < 0:
		return 0, fmt.Errorf("tigerpaw: create charge: PriceLevel %d is negative", ch.PriceLevel)
	}
	path := pathf("/api/agreements/%d/additionalcharges", agreementNumber)
	body, err := s.c.do(ctx, &request{method: http.MethodPost, path: path, body: ch})
	if err != nil {
		return 0, err
	}
	var out struct {
		DetailID int `json:"DetailId"`
	}
	if err := s.c.decode(http.MethodPost, path, body, &out); err != nil {
		return 0, err
	}
	if out.DetailID <= 0 {
		return 0, fmt.Errorf("tigerpaw: POST %s: answer has no DetailId; the charge may have been created: list the charges before creating it again", path)
	}
	return out.DetailID, nil
}

// Update changes the given fields of a charge
// (PUT /api/agreements/{n}/additionalcharges/{detailId}).
func (s *ChargesService) Update(ctx context.Context, agreementNumber, detailID int, u ChargeUpdate) error {
	if err := errors.Join(positive("agreement number", agreementNumber), positive("detail id", detailID)); err != nil {
		return err
	}
	switch {
	case u.empty():
		return errors.New("tigerpaw: update charge: no field to change")
	case u.Quantity != nil && *u.Quantity < 0:
		return fmt.Errorf("tigerpaw: update charge: Quantity %d is negative", *u.Quantity)
	case u.SpecialItemID != nil && strings.TrimSpace(*u.SpecialItemID) == "":
		return errors.New("tigerpaw: update charge: SpecialItemID is empty")
	}
	_, err := s.c.do(ctx, &request{method: http.MethodPut,
		path: pathf("/api/agreements/%d/additionalcharges/%d", agreementNumber, detailID), body: u, retry: true})
	return err
}

// Delete removes a charge (DELETE /api/agreements/{n}/additionalcharges/{detailId}).
// When an attempt fails after reaching the server and the retry finds the charge
// gone, Delete succeeds; a charge that did not exist at the first attempt gives
// an error matching ErrNotFound.
func (s *ChargesService) Delete(ctx context.Context, agreementNumber, detailID int) error {
	if err := errors.Join(positive("agreement number", agreementNumber), positive("detail id", detailID)); err != nil {
		return err
	}
	_, err := s.c.do(ctx, &request{method: http.MethodDelete,
		path: pathf("/api/agreements/%d/additionalcharges/%d", agreementNumber, detailID), retry: true, goneIsDone: true})
	return err
}
