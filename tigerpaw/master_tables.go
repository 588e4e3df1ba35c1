package tigerpaw

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// MasterTablesService reads Tigerpaw's lookup tables. Use it as
// Client.MasterTables.
type MasterTablesService struct{ c *Client }

// ExternalProduct is an external product (an integration's identity in Tigerpaw).
type ExternalProduct struct {
	ExternalProductID int `json:"ExternalProductId"`
	Product           string
	ProductType       string
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

// CustomFieldDefinition is the definition of an account custom field. Its shape
// beyond the fields of a value is assumed.
type CustomFieldDefinition struct {
	CustomFieldID int `json:"CustomFieldId"`
	Category      string
	Label         string
	Description   string
	FieldType     string
}

// NewTextCustomField is the body of the creation of a text custom field
// (assumed shape).
type NewTextCustomField struct {
	Category    string `json:"Category"`
	Label       string `json:"Label"`
	Description string `json:"Description,omitempty"`
	MaxLength   int    `json:"MaxLength,omitempty"`
}

// ExternalProducts lists the external products (GET /api/mastertables/externalproducts).
func (s *MasterTablesService) ExternalProducts(ctx context.Context) ([]ExternalProduct, error) {
	return getList[ExternalProduct](ctx, s.c, "/api/mastertables/externalproducts")
}

// AccountTypes lists the account types (GET /api/mastertables/accounts/types).
func (s *MasterTablesService) AccountTypes(ctx context.Context) ([]AccountType, error) {
	return getList[AccountType](ctx, s.c, "/api/mastertables/accounts/types")
}

// PriceLevels lists the price levels (GET /api/mastertables/pricelevels).
func (s *MasterTablesService) PriceLevels(ctx context.Context) ([]PriceLevel, error) {
	return getList[PriceLevel](ctx, s.c, "/api/mastertables/pricelevels")
}

// Reps lists the reps (GET /api/mastertables/reps).
func (s *MasterTablesService) Reps(ctx context.Context) ([]Rep, error) {
	return getList[Rep](ctx, s.c, "/api/mastertables/reps")
}

// ServiceOrderStatuses lists the service order statuses
// (GET /api/mastertables/serviceorders/statuses).
func (s *MasterTablesService) ServiceOrderStatuses(ctx context.Context) ([]ServiceOrderStatus, error) {
	return getList[ServiceOrderStatus](ctx, s.c, "/api/mastertables/serviceorders/statuses")
}

// DispatchBoards lists the dispatch boards (GET /api/mastertables/dispatchboards).
func (s *MasterTablesService) DispatchBoards(ctx context.Context) ([]DispatchBoard, error) {
	return getList[DispatchBoard](ctx, s.c, "/api/mastertables/dispatchboards")
}

// Priorities lists the priorities (GET /api/mastertables/priorities).
func (s *MasterTablesService) Priorities(ctx context.Context) ([]Priority, error) {
	return getList[Priority](ctx, s.c, "/api/mastertables/priorities")
}

// ServiceOrderTypes lists the service order types
// (GET /api/mastertables/serviceOrders/types).
func (s *MasterTablesService) ServiceOrderTypes(ctx context.Context) ([]ServiceOrderType, error) {
	return getList[ServiceOrderType](ctx, s.c, "/api/mastertables/serviceOrders/types")
}

// AccountCustomFields lists the definitions of the account custom fields
// (GET /api/mastertables/customfields/accounts).
func (s *MasterTablesService) AccountCustomFields(ctx context.Context) ([]CustomFieldDefinition, error) {
	return getList[CustomFieldDefinition](ctx, s.c, "/api/mastertables/customfields/accounts")
}

// CreateAccountCustomFieldCategory creates a category of account custom fields
// (POST /api/mastertables/customfields/categories/accounts, body
// {"Category": name}; assumed). It is not retried after an ambiguous failure:
// list the definitions before trying again.
func (s *MasterTablesService) CreateAccountCustomFieldCategory(ctx context.Context, name string) error {
	if strings.TrimSpace(name) == "" {
		return errors.New("tigerpaw: create custom field category: name is empty")
	}
	_, err := s.c.do(ctx, &request{method: http.MethodPost, path: "/api/mastertables/customfields/categories/accounts",
		body: map[string]string{"Category": name}})
	return err
}

// CreateTextCustomField creates a text custom field definition for accounts
// (POST /api/mastertables/customfields/definitions/text; answer shape assumed:
// {Success, Message, CustomFieldId}) and returns its id.
func (s *MasterTablesService) CreateTextCustomField(ctx context.Context, f NewTextCustomField) (int, error) {
	switch {
	case strings.TrimSpace(f.Category) == "":
		return 0, errors.New("tigerpaw: create text custom field: Category is empty")
	case strings.TrimSpace(f.Label) == "":
		return 0, errors.New("tigerpaw: create text custom field: Label is empty")
	case f.MaxLength < 0:
		return 0, errors.New("tigerpaw: create text custom field: MaxLength is negative")
	}
	const path = "/api/mastertables/customfields/definitions/text"
	body, err := s.c.do(ctx, &request{method: http.MethodPost, path: path, body: f})
	if err != nil {
		return 0, err
	}
	var out struct {
		CustomFieldID int `json:"CustomFieldId"`
	}
	if err := s.c.decode(http.MethodPost, path, body, &out); err != nil {
		return 0, err
	}
	return out.CustomFieldID, nil
}

// getList GETs a JSON array.
func getList[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	var out []T
	if err := c.getJSON(ctx, path, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}
