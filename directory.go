package kasperskytigerpaw

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

// Directory is what package mapping reads from and writes to Tigerpaw: it
// implements mapping.Directory over a tigerpaw.Client (accounts, external
// product cross-references, agreements, price levels, price book items, and the
// integration's account custom fields).
type Directory struct {
	c *tigerpaw.Client
}

var (
	_ mapping.Directory             = (*Directory)(nil)
	_ mapping.ExternalProductLister = (*Directory)(nil)
)

// NewDirectory returns a Directory over c.
func NewDirectory(c *tigerpaw.Client) (*Directory, error) {
	if c == nil {
		return nil, errors.New("kasperskytigerpaw: NewDirectory: nil tigerpaw client")
	}
	return &Directory{c: c}, nil
}

// Accounts lists every Tigerpaw account with its type.
func (d *Directory) Accounts(ctx context.Context) ([]mapping.Account, error) {
	var out []mapping.Account
	for a, err := range d.c.Accounts.List(ctx) {
		if err != nil {
			return nil, err
		}
		out = append(out, mapping.Account{Number: a.AccountNumber, Name: a.Account.Name, Type: a.Account.AccountType})
	}
	return out, nil
}

// CrossReferenced reports whether the account is cross-referenced to the
// external product.
func (d *Directory) CrossReferenced(ctx context.Context, account, externalProductID int) (bool, error) {
	refs, err := d.c.Accounts.ExternalProducts(ctx, account)
	if err != nil {
		return false, directoryError(err)
	}
	for _, r := range refs {
		if r.ExternalProductID == externalProductID {
			return true, nil
		}
	}
	return false, nil
}

// ExternalProducts lists Tigerpaw's External Products, active or not, in
// Tigerpaw's order (GET /api/mastertables/externalproducts, read strictly: a
// malformed list is an error, never a shorter list).
func (d *Directory) ExternalProducts(ctx context.Context) ([]mapping.ExternalProduct, error) {
	eps, err := d.c.MasterTables.ExternalProducts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]mapping.ExternalProduct, len(eps))
	for i, p := range eps {
		out[i] = mapping.ExternalProduct{ID: p.ExternalProductID, Name: p.Product, Active: p.Active}
	}
	return out, nil
}

// Agreements lists the agreements of an account.
func (d *Directory) Agreements(ctx context.Context, account int) ([]mapping.Agreement, error) {
	var out []mapping.Agreement
	for a, err := range d.c.Agreements.ForAccount(ctx, account) {
		if err != nil {
			return nil, directoryError(err)
		}
		owner := a.Agreement.AccountNumber
		if owner == 0 {
			owner = account
		}
		out = append(out, mapping.Agreement{
			Number:    a.AgreementNumber,
			Account:   owner,
			Recurring: a.Agreement.Recurring(),
			Start:     a.Agreement.StartDate.Time,
		})
	}
	return out, nil
}

// PriceLevels lists the price levels.
func (d *Directory) PriceLevels(ctx context.Context) ([]mapping.PriceLevel, error) {
	levels, err := d.c.MasterTables.PriceLevels(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]mapping.PriceLevel, len(levels))
	for i, l := range levels {
		out[i] = mapping.PriceLevel{ID: l.PriceLevelID, Description: l.Description}
	}
	return out, nil
}

// PriceBookItem returns the price book item with the given ItemId, compared as
// Tigerpaw compares item ids: regardless of letter case. The returned ID is
// Tigerpaw's spelling.
func (d *Directory) PriceBookItem(ctx context.Context, itemID string) (mapping.PriceBookItem, error) {
	it, err := d.c.PriceBook.ByItemID(ctx, itemID)
	if err != nil {
		return mapping.PriceBookItem{}, directoryError(err)
	}
	return mapping.PriceBookItem{ID: it.ItemID, Description: it.Item.ItemDescription}, nil
}

// PriceBookItems lists Tigerpaw's active price book items, in Tigerpaw's
// order: what the console's Price book items tab offers in its drop-downs.
func (d *Directory) PriceBookItems(ctx context.Context) ([]mapping.PriceBookItem, error) {
	var out []mapping.PriceBookItem
	for it, err := range d.c.PriceBook.Search(ctx, tigerpaw.Search{}) {
		if err != nil {
			return nil, directoryError(err)
		}
		if it.Item.Inactive {
			continue
		}
		out = append(out, mapping.PriceBookItem{ID: it.ItemID, Description: it.Item.ItemDescription})
	}
	return out, nil
}

// AccountFieldCategories lists the categories of account custom fields,
// including those without a field yet.
func (d *Directory) AccountFieldCategories(ctx context.Context) ([]string, error) {
	cats, err := d.c.MasterTables.AccountCustomFieldCategories(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(cats))
	for i, c := range cats {
		out[i] = c.CategoryName
	}
	return out, nil
}

// CreateAccountFieldCategory creates a category of account custom fields. A
// refusal saying the category already exists counts as success.
func (d *Directory) CreateAccountFieldCategory(ctx context.Context, name string) error {
	err := d.c.MasterTables.CreateAccountCustomFieldCategory(ctx, name)
	var apiErr *tigerpaw.APIError
	if errors.As(err, &apiErr) && refused(err) && strings.Contains(strings.ToLower(apiErr.Message), "exist") {
		return nil
	}
	return err
}

// AccountFields lists the definitions of the account custom fields.
func (d *Directory) AccountFields(ctx context.Context) ([]mapping.FieldDefinition, error) {
	defs, err := d.c.MasterTables.AccountCustomFields(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]mapping.FieldDefinition, len(defs))
	for i, def := range defs {
		out[i] = mapping.FieldDefinition{ID: def.CustomFieldID, Category: def.Category, Label: def.Label}
	}
	return out, nil
}

// CreateAccountTextField creates a text field of accounts in a category.
func (d *Directory) CreateAccountTextField(ctx context.Context, category, label string) (mapping.FieldDefinition, error) {
	id, err := d.c.MasterTables.CreateTextCustomField(ctx, tigerpaw.NewTextCustomField{
		Category:    category,
		Label:       label,
		Description: "Written by the Kaspersky integration: the tenant mapped to the account.",
	})
	if err != nil {
		return mapping.FieldDefinition{}, err
	}
	return mapping.FieldDefinition{ID: id, Category: category, Label: label}, nil
}

// AccountFieldValues returns the non-empty values of a custom field, by account
// number. Tigerpaw has no query by field, so it reads the custom fields of every
// account: one request per account.
func (d *Directory) AccountFieldValues(ctx context.Context, fieldID int) (map[int]string, error) {
	out := map[int]string{}
	for a, err := range d.c.Accounts.List(ctx) {
		if err != nil {
			return nil, err
		}
		fields, err := d.c.Accounts.CustomFields(ctx, a.AccountNumber)
		if err != nil {
			return nil, fmt.Errorf("account %d: %w", a.AccountNumber, err)
		}
		for _, f := range fields {
			if f.CustomFieldID == fieldID && strings.TrimSpace(string(f.Value)) != "" {
				out[a.AccountNumber] = string(f.Value)
			}
		}
	}
	return out, nil
}

// SetAccountFieldValue writes the value of one custom field of an account; ""
// clears it. Only that field is sent.
func (d *Directory) SetAccountFieldValue(ctx context.Context, account, fieldID int, value string) error {
	return d.c.Accounts.SetCustomFields(ctx, account, []tigerpaw.CustomField{
		{CustomFieldID: fieldID, Value: tigerpaw.FlexString(value)},
	})
}

// directoryError adds mapping.ErrNotFound to a not-found answer.
func directoryError(err error) error {
	if errors.Is(err, tigerpaw.ErrNotFound) {
		return fmt.Errorf("%w: %w", mapping.ErrNotFound, err)
	}
	return err
}
