package tigerpaw_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

func TestMasterTables(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	ctx := t.Context()
	m := c.MasterTables
	check := func(name string, want, got any, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	eps, err := m.ExternalProducts(ctx)
	check("ExternalProducts", []tigerpaw.ExternalProduct{
		{ExternalProductID: 50, Product: "Kaspersky", ProductType: "0", Active: true},
		{ExternalProductID: 51, Product: "Other RMM", ProductType: "RMM", SystemEntry: true},
	}, eps, err)
	types, err := m.AccountTypes(ctx)
	check("AccountTypes", []tigerpaw.AccountType{
		{ID: 1, Value: "Customer", IsSystemDefault: true}, {ID: 2, Value: "Prospect", IsSystemEntry: true},
	}, types, err)
	levels, err := m.PriceLevels(ctx)
	check("PriceLevels", []tigerpaw.PriceLevel{{PriceLevelID: 1, Description: "Standard"}, {PriceLevelID: 2, Description: "Discount"}}, levels, err)
	reps, err := m.Reps(ctx)
	check("Reps", []tigerpaw.Rep{{RepNumber: 7, DisplayName: "Dana Tech"}, {RepNumber: 8, DisplayName: "Old Rep", Inactive: true}}, reps, err)
	statuses, err := m.ServiceOrderStatuses(ctx)
	check("ServiceOrderStatuses", []tigerpaw.ServiceOrderStatus{{Status: "New", Rank: 1}, {Status: "Closed", Rank: 9, SystemEntry: true}}, statuses, err)
	boards, err := m.DispatchBoards(ctx)
	check("DispatchBoards", []tigerpaw.DispatchBoard{{DispatchBoardID: 3, Description: "Service"}}, boards, err)
	prios, err := m.Priorities(ctx)
	check("Priorities", []tigerpaw.Priority{{Priority: "High", Rank: 1}, {Priority: "Low", Rank: 5}}, prios, err)
	soTypes, err := m.ServiceOrderTypes(ctx)
	check("ServiceOrderTypes", []tigerpaw.ServiceOrderType{{Type: "Security", Priority: "High"}}, soTypes, err)
	defs, err := m.AccountCustomFields(ctx)
	check("AccountCustomFields", []tigerpaw.CustomFieldDefinition{{CustomFieldID: 300, Category: "Kaspersky", Label: "Kaspersky virtual server"}}, defs, err)
}

func TestCreateCustomFields(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	ctx := t.Context()
	m := c.MasterTables

	if err := m.CreateAccountCustomFieldCategory(ctx, "Integration"); err != nil {
		t.Fatal(err)
	}
	// The new category is listed before it has a field.
	cats, err := m.AccountCustomFieldCategories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantCats := []tigerpaw.CustomFieldCategory{
		{CategoryName: "Kaspersky", AvailableInGui: true, Fields: []tigerpaw.CustomFieldDefinitionFields{{CustomFieldDefinitionID: 300, CustomFieldLabel: "Kaspersky virtual server", Constraints: []string{}}}},
		{CategoryName: "Integration", AvailableInGui: true, Fields: []tigerpaw.CustomFieldDefinitionFields{}},
	}
	if diff := cmp.Diff(wantCats, cats); diff != "" {
		t.Errorf("categories (-want +got):\n%s", diff)
	}
	// A second create of the same name is refused.
	err = m.CreateAccountCustomFieldCategory(ctx, "integration")
	var refusal *tigerpaw.APIError
	if !errors.As(err, &refusal) || !strings.Contains(refusal.Message, "exists") {
		t.Errorf("duplicate category: err = %v, want a refusal saying it exists", err)
	}
	id, err := m.CreateTextCustomField(ctx, tigerpaw.NewTextCustomField{Category: "Integration", Label: "Kaspersky company", Description: "Mapped company", MaxLength: 100})
	if err != nil {
		t.Fatal(err)
	}
	if id <= 300 {
		t.Errorf("new field id = %d, want a fresh id above 300", id)
	}
	defs, err := m.AccountCustomFields(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []tigerpaw.CustomFieldDefinition{
		{CustomFieldID: 300, Category: "Kaspersky", Label: "Kaspersky virtual server"},
		{CustomFieldID: id, Category: "Integration", Label: "Kaspersky company", Description: "Mapped company", MaxLength: 100},
	}
	if diff := cmp.Diff(want, defs); diff != "" {
		t.Errorf("definitions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Kaspersky", "Integration"}, srv.Snapshot().CustomFieldCategories); diff != "" {
		t.Errorf("categories (-want +got):\n%s", diff)
	}

	// A duplicate field is refused with HTTP 200 and Success false.
	_, err = m.CreateTextCustomField(ctx, tigerpaw.NewTextCustomField{Category: "Integration", Label: "Kaspersky company"})
	var ae *tigerpaw.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 200 || ae.Message == "" {
		t.Errorf("duplicate field: err = %v, want a Success:false refusal", err)
	}
	// A field in a category that does not exist is refused too.
	if _, err := m.CreateTextCustomField(ctx, tigerpaw.NewTextCustomField{Category: "Nope", Label: "x"}); err == nil {
		t.Error("field in an unknown category was accepted")
	}

	before := srv.Count("*", "*")
	for _, bad := range []tigerpaw.NewTextCustomField{{Label: "x"}, {Category: "c"}, {Category: "c", Label: "l", MaxLength: -1}, {Category: "c", Label: "l", OrdinalPosition: -1}} {
		if _, err := m.CreateTextCustomField(ctx, bad); err == nil {
			t.Errorf("CreateTextCustomField(%+v) gave no error", bad)
		}
	}
	if err := m.CreateAccountCustomFieldCategory(ctx, " "); err == nil {
		t.Error("empty category name gave no error")
	}
	if srv.Count("*", "*") != before {
		t.Error("invalid input reached the server")
	}
}
