package tigerpaw

import (
	"context"
	"fmt"
	"iter"
	"net/http"
)

// AccountsService reads Tigerpaw accounts. Use it as Client.Accounts.
type AccountsService struct{ c *Client }

// Account is the core of an account record.
type Account struct {
	Name        string
	AccountID   FlexString `json:"AccountId"`
	AccountType string
	Status      string
	RepNumber   int
}

// AccountSummary is an account as Tigerpaw's searches and GET /api/accounts/{n}
// return it.
type AccountSummary struct {
	AccountNumber       int
	Account             Account
	PhoneNumber         string
	RepName             string
	PrimaryContactName  string
	ParentAccountNumber int
	OpenServiceOrders   int
}

// AccountDetail is the answer of GET /api/accounts/{n}/details.
type AccountDetail struct {
	AccountNumber    int
	Account          Account
	Accounting       AccountingDetail
	ExternalProducts []AccountExternalProduct
	CustomFields     []CustomField
}

// AccountingDetail holds an account's accounting settings, among them its default
// price level.
type AccountingDetail struct {
	DefaultPriceLevel   FlexString
	DefaultPriceLevelID int `json:"DefaultPriceLevelId"`
}

// AccountAccounting is the answer of GET /api/accounts/{n}/accounting.
type AccountAccounting struct {
	AccountNumber int
	Detail        AccountingDetail
}

// CustomField is the value of one custom field of an account.
type CustomField struct {
	Category      string
	CustomFieldID int `json:"CustomFieldId"`
	Label         string
	Description   string
	Value         FlexString
}

// AccountExternalProduct is an account's cross-reference to an external product
// (billing requires the account to be cross-referenced to the external product of
// the integration's API user).
type AccountExternalProduct struct {
	AccountExternalProductID int `json:"AccountExternalProductId"`
	ExternalProductID        int `json:"ExternalProductId"`
	ExternalProduct          string
	ExternalID               FlexString `json:"ExternalId"`
	ExternalSystemID         FlexString `json:"ExternalSystemId"`
	Comment                  string
}

// Strict readings of the account lists (see decodeList).
var (
	accountSpec = listSpec[AccountSummary]{what: "account", required: []string{"AccountNumber"},
		check: func(a *AccountSummary) error { return positiveField("AccountNumber", a.AccountNumber) }}
	customFieldSpec = listSpec[CustomField]{what: "custom field", required: []string{"CustomFieldId"},
		check: func(f *CustomField) error { return positiveField("CustomFieldId", f.CustomFieldID) }}
	accountExternalProductSpec = listSpec[AccountExternalProduct]{what: "external product cross-reference",
		required: []string{"ExternalProductId"},
		check:    func(p *AccountExternalProduct) error { return positiveField("ExternalProductId", p.ExternalProductID) }}
)

// PriceLevelRef names a price level.
type PriceLevelRef struct {
	ID          int
	Description string
}

// Search yields the accounts matching s, all pages (POST /api/accounts/search).
// An empty Search lists every account.
func (s *AccountsService) Search(ctx context.Context, q Search) iter.Seq2[AccountSummary, error] {
	if err := q.validate(); err != nil {
		return func(yield func(AccountSummary, error) bool) { yield(AccountSummary{}, err) }
	}
	const path = "/api/accounts/search"
	return paginate(ctx, s.c, "accounts", q.PageSize, func(ctx context.Context, row, size int) (page[AccountSummary], error) {
		body, err := s.c.do(ctx, &request{method: http.MethodPost, path: path, body: q.body(row, size), retry: true})
		if err != nil {
			return page[AccountSummary]{}, err
		}
		return decodePage(s.c, http.MethodPost, path, body, "Accounts", accountSpec)
	})
}

// List yields every account (a search without criteria).
func (s *AccountsService) List(ctx context.Context) iter.Seq2[AccountSummary, error] {
	return s.Search(ctx, Search{})
}

// Get returns one account (GET /api/accounts/{n}).
func (s *AccountsService) Get(ctx context.Context, accountNumber int) (*AccountSummary, error) {
	if err := positive("account number", accountNumber); err != nil {
		return nil, err
	}
	var a AccountSummary
	path := pathf("/api/accounts/%d", accountNumber)
	if err := s.c.getJSON(ctx, path, nil, &a); err != nil {
		return nil, err
	}
	if err := sameNumber(path, "AccountNumber", a.AccountNumber, accountNumber); err != nil {
		return nil, err
	}
	return &a, nil
}

// Details returns an account with its accounting, external products and custom
// fields (GET /api/accounts/{n}/details).
func (s *AccountsService) Details(ctx context.Context, accountNumber int) (*AccountDetail, error) {
	if err := positive("account number", accountNumber); err != nil {
		return nil, err
	}
	path := pathf("/api/accounts/%d/details", accountNumber)
	var d AccountDetail
	if err := s.c.getJSON(ctx, path, nil, &d); err != nil {
		return nil, err
	}
	// The nested lists are read strictly too: a list decoded from [] is an
	// empty, non-nil slice, so nil means missing or null; a null element
	// decodes to a zero value without its id.
	switch {
	case d.ExternalProducts == nil:
		return nil, malformed(http.MethodGet, path, "account %d: the ExternalProducts list is missing or null", accountNumber)
	case d.CustomFields == nil:
		return nil, malformed(http.MethodGet, path, "account %d: the CustomFields list is missing or null", accountNumber)
	}
	for i := range d.ExternalProducts {
		if err := accountExternalProductSpec.check(&d.ExternalProducts[i]); err != nil {
			return nil, malformed(http.MethodGet, path, "account %d: ExternalProducts %d: %v", accountNumber, i, err)
		}
	}
	for i := range d.CustomFields {
		if err := customFieldSpec.check(&d.CustomFields[i]); err != nil {
			return nil, malformed(http.MethodGet, path, "account %d: CustomFields %d: %v", accountNumber, i, err)
		}
	}
	return &d, nil
}

// Accounting returns an account's accounting settings
// (GET /api/accounts/{n}/accounting).
func (s *AccountsService) Accounting(ctx context.Context, accountNumber int) (*AccountAccounting, error) {
	if err := positive("account number", accountNumber); err != nil {
		return nil, err
	}
	var a AccountAccounting
	if err := s.c.getJSON(ctx, pathf("/api/accounts/%d/accounting", accountNumber), nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// DefaultPriceLevel returns the account's default price level; ID is 0 when the
// account has none.
func (s *AccountsService) DefaultPriceLevel(ctx context.Context, accountNumber int) (PriceLevelRef, error) {
	a, err := s.Accounting(ctx, accountNumber)
	if err != nil {
		return PriceLevelRef{}, err
	}
	return PriceLevelRef{ID: a.Detail.DefaultPriceLevelID, Description: string(a.Detail.DefaultPriceLevel)}, nil
}

// CustomFields returns the values of an account's custom fields
// (GET /api/accounts/{n}/customfields).
func (s *AccountsService) CustomFields(ctx context.Context, accountNumber int) ([]CustomField, error) {
	if err := positive("account number", accountNumber); err != nil {
		return nil, err
	}
	return getStrictList(ctx, s.c, pathf("/api/accounts/%d/customfields", accountNumber), customFieldSpec)
}

// SetCustomFields writes custom field values of an account
// (PUT /api/accounts/{n}/customfields). Each field is identified by CustomFieldID;
// fields not given keep their values.
func (s *AccountsService) SetCustomFields(ctx context.Context, accountNumber int, fields []CustomField) error {
	if err := positive("account number", accountNumber); err != nil {
		return err
	}
	if len(fields) == 0 {
		return fmt.Errorf("tigerpaw: set custom fields of account %d: no fields given", accountNumber)
	}
	for i, f := range fields {
		if f.CustomFieldID <= 0 {
			return fmt.Errorf("tigerpaw: set custom fields of account %d: field %d: CustomFieldID %d is not positive", accountNumber, i, f.CustomFieldID)
		}
	}
	_, err := s.c.do(ctx, &request{method: http.MethodPut, path: pathf("/api/accounts/%d/customfields", accountNumber), body: fields, retry: true})
	return err
}

// ExternalProducts returns an account's external product cross-references
// (GET /api/accounts/{n}/service/externalproducts).
func (s *AccountsService) ExternalProducts(ctx context.Context, accountNumber int) ([]AccountExternalProduct, error) {
	if err := positive("account number", accountNumber); err != nil {
		return nil, err
	}
	return getStrictList(ctx, s.c, pathf("/api/accounts/%d/service/externalproducts", accountNumber), accountExternalProductSpec)
}

// positive checks an identifier argument.
func positive(name string, v int) error {
	if v <= 0 {
		return fmt.Errorf("tigerpaw: %s %d is not positive", name, v)
	}
	return nil
}
