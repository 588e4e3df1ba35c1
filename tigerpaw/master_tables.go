package tigerpaw

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// MasterTablesService reads Tigerpaw's lookup tables. Use it as
// Client.MasterTables.
type MasterTablesService struct{ c *Client }

// ExternalProduct is an external product (an integration's identity in Tigerpaw).
// ProductType is an integer enum in 18.2.1; a name is accepted too.
type ExternalProduct struct {
	ExternalProductID int `json:"ExternalProductId"`
	Product           string
	ProductType       ProductType
	SystemEntry       bool
	Active            bool
}

// AccountType is an entry of the account types table.
type AccountType struct {
	ID              int `json:"Id"`
	Value           string
	IsSystemEntry   bool
	IsSystemDefault bool
}

// PriceLevel is an entry of the price levels table.
type PriceLevel struct {
	PriceLevelID int `json:"PriceLevelId"`
	Description  string
}

// Rep is a Tigerpaw rep (user).
type Rep struct {
	RepNumber   int
	DisplayName string
	Inactive    bool
}

// ServiceOrderStatus is a service order status; orders refer to it by name.
type ServiceOrderStatus struct {
	Status      string
	SystemEntry bool
	Rank        int
}

// DispatchBoard is a dispatch board; orders refer to it by id.
type DispatchBoard struct {
	DispatchBoardID int `json:"DispatchBoardId"`
	Description     string
}

// Priority is a service order priority; orders refer to it by name.
type Priority struct {
	Priority string
	Rank     int
}

// ServiceOrderType is a service order type; orders refer to it by name.
type ServiceOrderType struct {
	Type     string
	Priority string
}

// CustomFieldCategory is a category of account custom fields with its field
// definitions (an entry of GET /api/mastertables/customfields/accounts).
type CustomFieldCategory struct {
	CategoryName   string
	AvailableInGui bool
	SystemEntry    bool
	Fields         []CustomFieldDefinitionFields
}

// CustomFieldDefinitionFields is a field definition as Tigerpaw nests it in its
// category.
type CustomFieldDefinitionFields struct {
	CustomFieldDefinitionID int `json:"CustomFieldDefinitionId"`
	CustomFieldLabel        string
	Description             string
	OrdinalPosition         int
	MaxLength               int
	MinValue                int
	MaxValue                int
	Constraints             []string
}

// CustomFieldDefinition is one account custom field definition, flattened from
// its category: CustomFieldID is the id the values of the field carry
// (CustomField.CustomFieldID).
type CustomFieldDefinition struct {
	CustomFieldID   int
	Category        string
	Label           string
	Description     string
	MaxLength       int
	OrdinalPosition int
	SystemEntry     bool // the category is one of Tigerpaw's own
}

// NewTextCustomField is a text custom field to create in an existing category
// of account custom fields.
type NewTextCustomField struct {
	Category        string `json:"CategoryName"`
	Label           string `json:"CustomFieldLabel"`
	Description     string `json:"Description,omitempty"`
	MaxLength       int    `json:"MaxLength,omitempty"`
	OrdinalPosition int    `json:"OrdinalPosition,omitempty"`
}

// ExternalProducts lists the external products (GET /api/mastertables/externalproducts).
func (s *MasterTablesService) ExternalProducts(ctx context.Context) ([]ExternalProduct, error) {
	return getStrictList(ctx, s.c, "/api/mastertables/externalproducts", externalProductSpec)
}

// AccountTypes lists the account types (GET /api/mastertables/accounts/types).
func (s *MasterTablesService) AccountTypes(ctx context.Context) ([]AccountType, error) {
	return getStrictList(ctx, s.c, "/api/mastertables/accounts/types", accountTypeSpec)
}

// PriceLevels lists the price levels (GET /api/mastertables/pricelevels).
func (s *MasterTablesService) PriceLevels(ctx context.Context) ([]PriceLevel, error) {
	return getStrictList(ctx, s.c, "/api/mastertables/pricelevels", priceLevelSpec)
}

// Reps lists the reps (GET /api/mastertables/reps).
func (s *MasterTablesService) Reps(ctx context.Context) ([]Rep, error) {
	return getStrictList(ctx, s.c, "/api/mastertables/reps", repSpec)
}

// ServiceOrderStatuses lists the service order statuses
// (GET /api/mastertables/serviceorders/statuses).
func (s *MasterTablesService) ServiceOrderStatuses(ctx context.Context) ([]ServiceOrderStatus, error) {
	return getStrictList(ctx, s.c, "/api/mastertables/serviceorders/statuses", statusSpec)
}

// DispatchBoards lists the dispatch boards (GET /api/mastertables/dispatchboards).
func (s *MasterTablesService) DispatchBoards(ctx context.Context) ([]DispatchBoard, error) {
	return getStrictList(ctx, s.c, "/api/mastertables/dispatchboards", boardSpec)
}

// Priorities lists the priorities (GET /api/mastertables/priorities).
func (s *MasterTablesService) Priorities(ctx context.Context) ([]Priority, error) {
	return getStrictList(ctx, s.c, "/api/mastertables/priorities", prioritySpec)
}

// ServiceOrderTypes lists the service order types
// (GET /api/mastertables/serviceOrders/types).
func (s *MasterTablesService) ServiceOrderTypes(ctx context.Context) ([]ServiceOrderType, error) {
	return getStrictList(ctx, s.c, "/api/mastertables/serviceOrders/types", soTypeSpec)
}

// AccountCustomFieldCategories lists the categories of account custom fields
// with their field definitions (GET /api/mastertables/customfields/accounts),
// including categories that have no field yet.
func (s *MasterTablesService) AccountCustomFieldCategories(ctx context.Context) ([]CustomFieldCategory, error) {
	return getStrictList(ctx, s.c, "/api/mastertables/customfields/accounts", cfCategorySpec)
}

// AccountCustomFields lists the account custom field definitions of every
// category, flattened, in Tigerpaw's order.
func (s *MasterTablesService) AccountCustomFields(ctx context.Context) ([]CustomFieldDefinition, error) {
	cats, err := s.AccountCustomFieldCategories(ctx)
	if err != nil {
		return nil, err
	}
	var out []CustomFieldDefinition
	for _, cat := range cats {
		for _, f := range cat.Fields {
			out = append(out, CustomFieldDefinition{
				CustomFieldID: f.CustomFieldDefinitionID, Category: cat.CategoryName, Label: f.CustomFieldLabel,
				Description: f.Description, MaxLength: f.MaxLength, OrdinalPosition: f.OrdinalPosition,
				SystemEntry: cat.SystemEntry,
			})
		}
	}
	return out, nil
}

// CreateAccountCustomFieldCategory creates a category of account custom fields,
// shown in the Tigerpaw UI (POST /api/mastertables/customfields/categories/accounts,
// body {"CategoryName", "AvailableInGui"}). Tigerpaw may refuse a name that
// exists: list the categories first. A create is not retried after an ambiguous
// failure.
func (s *MasterTablesService) CreateAccountCustomFieldCategory(ctx context.Context, name string) error {
	if strings.TrimSpace(name) == "" {
		return errors.New("tigerpaw: create custom field category: name is empty")
	}
	_, err := s.c.do(ctx, &request{method: http.MethodPost, path: "/api/mastertables/customfields/categories/accounts",
		body: struct {
			CategoryName   string
			AvailableInGui bool
		}{name, true}})
	return err
}

// CreateTextCustomField creates a text custom field definition in a category of
// account custom fields (POST /api/mastertables/customfields/definitions/text,
// answered with {"Field": {"CustomFieldDefinitionId", ...}}) and returns its id.
func (s *MasterTablesService) CreateTextCustomField(ctx context.Context, f NewTextCustomField) (int, error) {
	switch {
	case strings.TrimSpace(f.Category) == "":
		return 0, errors.New("tigerpaw: create text custom field: Category is empty")
	case strings.TrimSpace(f.Label) == "":
		return 0, errors.New("tigerpaw: create text custom field: Label is empty")
	case f.MaxLength < 0:
		return 0, errors.New("tigerpaw: create text custom field: MaxLength is negative")
	case f.OrdinalPosition < 0:
		return 0, errors.New("tigerpaw: create text custom field: OrdinalPosition is negative")
	}
	const path = "/api/mastertables/customfields/definitions/text"
	body, err := s.c.do(ctx, &request{method: http.MethodPost, path: path, body: f})
	if err != nil {
		return 0, err
	}
	var out struct {
		Field *CustomFieldDefinitionFields
	}
	if err := s.c.decode(http.MethodPost, path, body, &out); err != nil {
		return 0, err
	}
	if out.Field == nil || out.Field.CustomFieldDefinitionID <= 0 {
		return 0, fmt.Errorf("tigerpaw: POST %s: answer has no Field with a CustomFieldDefinitionId; the field may have been created: list the definitions before creating it again", path)
	}
	return out.Field.CustomFieldDefinitionID, nil
}

// Strict readings of the master tables (see decodeList): each entry carries
// the identity the integration refers to it by.
var (
	externalProductSpec = listSpec[ExternalProduct]{what: "external product", required: []string{"ExternalProductId"},
		check: func(p *ExternalProduct) error { return positiveField("ExternalProductId", p.ExternalProductID) }}
	accountTypeSpec = listSpec[AccountType]{what: "account type", required: []string{"Id"},
		check: func(t *AccountType) error { return positiveField("Id", t.ID) }}
	priceLevelSpec = listSpec[PriceLevel]{what: "price level", required: []string{"PriceLevelId"},
		check: func(p *PriceLevel) error {
			if p.PriceLevelID < 0 {
				return fmt.Errorf("PriceLevelId %d is negative", p.PriceLevelID)
			}
			return nil
		}}
	repSpec = listSpec[Rep]{what: "rep", required: []string{"RepNumber"},
		check: func(r *Rep) error { return positiveField("RepNumber", r.RepNumber) }}
	statusSpec = listSpec[ServiceOrderStatus]{what: "service order status", required: []string{"Status"},
		check: func(s *ServiceOrderStatus) error { return textField("Status", s.Status) }}
	boardSpec = listSpec[DispatchBoard]{what: "dispatch board", required: []string{"DispatchBoardId"},
		check: func(b *DispatchBoard) error { return positiveField("DispatchBoardId", b.DispatchBoardID) }}
	prioritySpec = listSpec[Priority]{what: "priority", required: []string{"Priority"},
		check: func(p *Priority) error { return textField("Priority", p.Priority) }}
	soTypeSpec = listSpec[ServiceOrderType]{what: "service order type", required: []string{"Type"},
		check: func(t *ServiceOrderType) error { return textField("Type", t.Type) }}
	cfCategorySpec = listSpec[CustomFieldCategory]{what: "custom field category", required: []string{"CategoryName", "Fields"},
		check: func(c *CustomFieldCategory) error {
			if err := textField("CategoryName", c.CategoryName); err != nil {
				return err
			}
			for i, f := range c.Fields {
				if f.CustomFieldDefinitionID <= 0 {
					return fmt.Errorf("category %q: field %d: CustomFieldDefinitionId is missing or not positive", c.CategoryName, i)
				}
			}
			return nil
		}}
)
