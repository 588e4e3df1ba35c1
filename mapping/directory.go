package mapping

import (
	"context"
	"time"
)

// Directory is what the mapping needs to know from Tigerpaw: the data a
// configuration refers to, to validate it and to list unmapped accounts, and the
// integration's custom fields on accounts. The module implements it over
// tigerpaw.Client in the root package; mappingtest.Directory is an in-memory
// implementation for tests.
//
// Implementations must be safe for concurrent use and honour ctx. A lookup of
// something that does not exist returns an error that wraps [ErrNotFound]; any
// other error is a fault (Tigerpaw unreachable, refused) and stops validation.
type Directory interface {
	// Accounts lists the Tigerpaw accounts with their type.
	Accounts(ctx context.Context) ([]Account, error)
	// CrossReferenced reports whether the account is cross-referenced to the
	// external product ("Assign External Products to an Account" in Tigerpaw).
	CrossReferenced(ctx context.Context, account, externalProductID int) (bool, error)
	// Agreements lists the agreements of the account.
	Agreements(ctx context.Context, account int) ([]Agreement, error)
	// PriceLevels lists the price levels.
	PriceLevels(ctx context.Context) ([]PriceLevel, error)
	// PriceBookItem returns the price book item with the given ItemId, or an
	// error wrapping ErrNotFound.
	PriceBookItem(ctx context.Context, itemID string) (PriceBookItem, error)
	CustomFields
}

// CustomFields is the part of [Directory] that manages the integration's own
// custom fields on Tigerpaw accounts (see [SyncCustomFields]).
type CustomFields interface {
	// AccountFieldCategories lists the categories of account custom fields.
	AccountFieldCategories(ctx context.Context) ([]string, error)
	// CreateAccountFieldCategory creates a category of account custom fields.
	CreateAccountFieldCategory(ctx context.Context, name string) error
	// AccountFields lists the definitions of account custom fields.
	AccountFields(ctx context.Context) ([]FieldDefinition, error)
	// CreateAccountTextField creates a text field in a category and returns its
	// definition.
	CreateAccountTextField(ctx context.Context, category, label string) (FieldDefinition, error)
	// AccountFieldValues returns the non-empty values of a field, by account
	// number.
	AccountFieldValues(ctx context.Context, fieldID int) (map[int]string, error)
	// SetAccountFieldValue writes the value of a field of an account; "" clears
	// it.
	SetAccountFieldValue(ctx context.Context, account, fieldID int, value string) error
}

// Account is a Tigerpaw account, as the accounts view shows it.
type Account struct {
	// Number is the account number (Acct. No.).
	Number int
	// Name is the account name (Acct. Name).
	Name string
	// Type is the account type (Acct. Type), e.g. "Customer".
	Type string
}

// Agreement is a Tigerpaw agreement, as the product's agreement picker shows it.
type Agreement struct {
	Number int
	// Account is the number of the account the agreement belongs to.
	Account int
	// Recurring reports whether the agreement bills periodically; automatic
	// billing needs a recurring agreement.
	Recurring bool
	// Start is the agreement's start date.
	Start time.Time
}

// PriceLevel is a Tigerpaw price level.
type PriceLevel struct {
	ID          int
	Description string
}

// PriceBookItem is a Tigerpaw price book item.
type PriceBookItem struct {
	// ID is the item's ItemId, the id the price book mapping refers to.
	ID          string
	Description string
}

// ExternalProduct is a Tigerpaw External Product: what accounts with
// automatic billing on must be cross-referenced to ([Config.ExternalProductID]).
type ExternalProduct struct {
	ID   int
	Name string
	// Active is false for a product Tigerpaw keeps but no longer offers.
	Active bool
}

// ExternalProductLister lists Tigerpaw's External Products. It is not part of
// [Directory]: the console offers the choice of [Config.ExternalProductID] when
// its directory implements it (the module's directory over tigerpaw.Client and
// mappingtest.Directory do).
type ExternalProductLister interface {
	// ExternalProducts lists every External Product, active or not, in
	// Tigerpaw's order.
	ExternalProducts(ctx context.Context) ([]ExternalProduct, error)
}

// FieldDefinition is the definition of an account custom field.
type FieldDefinition struct {
	ID       int
	Category string
	Label    string
}
