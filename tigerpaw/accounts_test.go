package tigerpaw_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

func TestAccountsSearch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		q    tigerpaw.Search
		want []int
	}{
		{name: "all", q: tigerpaw.Search{}, want: []int{1001, 1002, 1003, 1004, 1005}},
		{name: "name starts with", q: tigerpaw.Search{Criteria: []tigerpaw.Criterion{{SearchType: tigerpaw.SearchAccountName, Criteria: "contoso"}}}, want: []int{1001, 1002}},
		{name: "name ends with", q: tigerpaw.Search{Criteria: []tigerpaw.Criterion{{SearchType: tigerpaw.SearchAccountName, MatchType: tigerpaw.MatchEndsWith, Criteria: "Labs"}}}, want: []int{1002}},
		{name: "or within a type", q: tigerpaw.Search{Criteria: []tigerpaw.Criterion{
			{SearchType: tigerpaw.SearchAccountName, MatchType: tigerpaw.MatchContains, Criteria: "wind"},
			{SearchType: tigerpaw.SearchAccountName, Criteria: "Fab"},
		}}, want: []int{1003, 1004}},
		{name: "and across types", q: tigerpaw.Search{Criteria: []tigerpaw.Criterion{
			{SearchType: tigerpaw.SearchAccountName, Criteria: "Contoso"},
			{SearchType: tigerpaw.SearchAccountNumber, MatchType: tigerpaw.MatchEndsWith, Criteria: "2"},
		}}, want: []int{1002}},
		{name: "external id", q: tigerpaw.Search{Criteria: []tigerpaw.Criterion{{SearchType: tigerpaw.SearchExternalID, Criteria: "vs-"}}}, want: []int{1001}},
		{name: "external product", q: tigerpaw.Search{Criteria: []tigerpaw.Criterion{{SearchType: tigerpaw.SearchExternalProduct, Criteria: "Kaspersky"}}}, want: []int{1001}},
		{name: "custom field", q: tigerpaw.Search{Criteria: []tigerpaw.Criterion{{SearchType: tigerpaw.SearchCustomField, MatchType: tigerpaw.MatchContains, Criteria: "VS"}}}, want: []int{1001}},
		{name: "small pages", q: tigerpaw.Search{PageSize: 2}, want: []int{1001, 1002, 1003, 1004, 1005}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t)
			var got []int
			for a, err := range c.Accounts.Search(t.Context(), tc.q) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, a.AccountNumber)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("accounts (-want +got):\n%s", diff)
			}
			if tc.q.PageSize == 2 {
				if n := srv.Count("POST", "/api/accounts/search"); n != 3 {
					t.Errorf("pages fetched = %d, want 3", n)
				}
			}
		})
	}
}

func TestAccountsSearchRefusedAndInvalid(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	_, err := tigerpaw.Collect(c.Accounts.Search(t.Context(), tigerpaw.Search{Criteria: []tigerpaw.Criterion{{SearchType: "Colour", Criteria: "x"}}}))
	var ae *tigerpaw.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 200 || ae.Message == "" {
		t.Fatalf("unknown search type: err = %v, want an APIError for Success false", err)
	}
	for _, q := range []tigerpaw.Search{{PageSize: -1}, {Criteria: []tigerpaw.Criterion{{Criteria: "x"}}}} {
		if _, err := tigerpaw.Collect(c.Accounts.Search(t.Context(), q)); err == nil {
			t.Errorf("Search(%+v) gave no error", q)
		}
	}
	if n := srv.Count("POST", "/api/accounts/search"); n != 1 {
		t.Errorf("invalid searches reached the server: %d requests", n)
	}
}

func TestAccountsListStopsWhenCallerBreaks(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, tigerpaw.WithPageSize(1))
	n := 0
	for _, err := range c.Accounts.List(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 2 {
			break
		}
	}
	if got := srv.Count("POST", "/api/accounts/search"); got != 2 {
		t.Errorf("requests = %d, want 2 (no page fetched after break)", got)
	}
}

func TestAccountReads(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	ctx := t.Context()

	got, err := c.Accounts.Get(ctx, 1001)
	if err != nil {
		t.Fatal(err)
	}
	want := &tigerpaw.AccountSummary{
		AccountNumber: 1001,
		Account:       tigerpaw.Account{Name: "Contoso Ltd", AccountID: "1001", AccountType: "Customer", Status: "Active", RepNumber: 7},
		RepName:       "Dana Tech",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}

	det, err := c.Accounts.Details(ctx, 1001)
	if err != nil {
		t.Fatal(err)
	}
	wantDet := &tigerpaw.AccountDetail{
		AccountNumber: 1001,
		Account:       want.Account,
		Accounting:    tigerpaw.AccountingDetail{DefaultPriceLevel: "Discount", DefaultPriceLevelID: 2},
		ExternalProducts: []tigerpaw.AccountExternalProduct{
			{AccountExternalProductID: 1, ExternalProductID: 50, ExternalProduct: "Kaspersky", ExternalID: "vs-contoso"},
		},
		CustomFields: []tigerpaw.CustomField{{Category: "Kaspersky", CustomFieldID: 300, Label: "Kaspersky virtual server", Value: "VS Contoso"}},
	}
	if diff := cmp.Diff(wantDet, det); diff != "" {
		t.Errorf("Details (-want +got):\n%s", diff)
	}

	acc, err := c.Accounts.Accounting(ctx, 1001)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&tigerpaw.AccountAccounting{AccountNumber: 1001, Detail: wantDet.Accounting}, acc); diff != "" {
		t.Errorf("Accounting (-want +got):\n%s", diff)
	}
	pl, err := c.Accounts.DefaultPriceLevel(ctx, 1001)
	if err != nil || pl != (tigerpaw.PriceLevelRef{ID: 2, Description: "Discount"}) {
		t.Errorf("DefaultPriceLevel = %+v, %v", pl, err)
	}
	pl, err = c.Accounts.DefaultPriceLevel(ctx, 1002)
	if err != nil || pl != (tigerpaw.PriceLevelRef{}) {
		t.Errorf("DefaultPriceLevel of an account without one = %+v, %v", pl, err)
	}

	xrefs, err := c.Accounts.ExternalProducts(ctx, 1001)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantDet.ExternalProducts, xrefs); diff != "" {
		t.Errorf("ExternalProducts (-want +got):\n%s", diff)
	}
	none, err := c.Accounts.ExternalProducts(ctx, 1002)
	if err != nil || len(none) != 0 {
		t.Errorf("ExternalProducts of an account without any = %v, %v", none, err)
	}
}

func TestAccountNotFoundAndBadNumbers(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	ctx := t.Context()
	calls := map[string]func(n int) error{
		"Get":               func(n int) error { _, err := c.Accounts.Get(ctx, n); return err },
		"Details":           func(n int) error { _, err := c.Accounts.Details(ctx, n); return err },
		"Accounting":        func(n int) error { _, err := c.Accounts.Accounting(ctx, n); return err },
		"DefaultPriceLevel": func(n int) error { _, err := c.Accounts.DefaultPriceLevel(ctx, n); return err },
		"CustomFields":      func(n int) error { _, err := c.Accounts.CustomFields(ctx, n); return err },
		"ExternalProducts":  func(n int) error { _, err := c.Accounts.ExternalProducts(ctx, n); return err },
		"SetCustomFields": func(n int) error {
			return c.Accounts.SetCustomFields(ctx, n, []tigerpaw.CustomField{{CustomFieldID: 300, Value: "x"}})
		},
		"Agreements": func(n int) error { _, err := tigerpaw.Collect(c.Agreements.ForAccount(ctx, n)); return err },
	}
	for name, call := range calls {
		err := call(4242)
		if !errors.Is(err, tigerpaw.ErrNotFound) {
			t.Errorf("%s(4242) = %v, want ErrNotFound", name, err)
		}
		var ae *tigerpaw.APIError
		if !errors.As(err, &ae) || ae.StatusCode != 404 || ae.Method == "" || ae.Path == "" {
			t.Errorf("%s(4242): APIError = %+v", name, ae)
		}
		before := srv.Count("*", "*")
		if err := call(0); err == nil {
			t.Errorf("%s(0) gave no error", name)
		}
		if after := srv.Count("*", "*"); after != before {
			t.Errorf("%s(0) sent a request", name)
		}
	}
}

func TestAccountCustomFields(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	ctx := t.Context()
	company := srv.AddCustomFieldDefinition(tigerpawtest.CustomFieldDefinition{Category: "Kaspersky", Label: "Kaspersky company"})

	if err := c.Accounts.SetCustomFields(ctx, 1002, []tigerpaw.CustomField{{CustomFieldID: company.ID, Value: "Hub company 9"}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Accounts.CustomFields(ctx, 1002)
	if err != nil {
		t.Fatal(err)
	}
	want := []tigerpaw.CustomField{
		{Category: "Kaspersky", CustomFieldID: 300, Label: "Kaspersky virtual server"},
		{Category: "Kaspersky", CustomFieldID: company.ID, Label: "Kaspersky company", Value: "Hub company 9"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CustomFields (-want +got):\n%s", diff)
	}
	// Only the field written changed, on that account only.
	snap := srv.Snapshot()
	if diff := cmp.Diff(map[int]map[int]string{1001: {300: "VS Contoso"}, 1002: {company.ID: "Hub company 9"}}, snap.CustomFieldValues); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}

	err = c.Accounts.SetCustomFields(ctx, 1002, []tigerpaw.CustomField{{CustomFieldID: 999, Value: "x"}})
	if err == nil || errors.Is(err, tigerpaw.ErrNotFound) {
		t.Errorf("unknown field: err = %v, want a refusal", err)
	}
	for _, bad := range [][]tigerpaw.CustomField{nil, {{CustomFieldID: 0, Value: "x"}}} {
		if err := c.Accounts.SetCustomFields(ctx, 1002, bad); err == nil {
			t.Errorf("SetCustomFields(%v) gave no error", bad)
		}
	}
}
