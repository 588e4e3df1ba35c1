package tigerpaw_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// malformedCase is one answer a read must refuse.
type malformedCase struct {
	name      string
	body      string
	wantField string // a word the error must carry (the field or the reason)
}

// checkMalformed asserts err is a malformed-response error naming want, and
// not one a caller could take for "not found".
func checkMalformed(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want a malformed-response error naming %q", want)
	}
	if !errors.Is(err, tigerpaw.ErrMalformedResponse) {
		t.Errorf("err = %v, want one matching ErrMalformedResponse", err)
	}
	if errors.Is(err, tigerpaw.ErrNotFound) || errors.Is(err, tigerpaw.ErrUnauthorized) || errors.Is(err, tigerpaw.ErrOutcomeUnknown) {
		t.Errorf("err = %v matches another sentinel", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to name %q", err, want)
	}
}

func TestChargeListIsStrict(t *testing.T) {
	t.Parallel()
	tests := []malformedCase{
		{"null", `null`, "list is null"},
		{"null element", `[null]`, "additional charge 0: is null"},
		{"empty object", `[{}]`, "DetailId is missing"},
		{"number element", `[0,0,0]`, "not a JSON object"},
		{"object instead of list", `{"Success":true}`, "not a JSON array"},
		{"no ItemDescription", `[{"DetailId":1,"SpecialItemId":"KES-1","Quantity":1,"Price":1}]`, "ItemDescription is missing"},
		{"ItemDescription null", `[{"DetailId":1,"SpecialItemId":"KES-1","ItemDescription":null}]`, "ItemDescription is null"},
		{"no SpecialItemId", `[{"DetailId":1,"ItemDescription":"x"}]`, "SpecialItemId is missing"},
		{"empty SpecialItemId", `[{"DetailId":1,"SpecialItemId":" ","ItemDescription":"x"}]`, "SpecialItemId is empty"},
		{"DetailId zero", `[{"DetailId":0,"SpecialItemId":"K","ItemDescription":"x"}]`, "DetailId 0 is not positive"},
		{"second element bad", `[{"DetailId":1,"SpecialItemId":"K","ItemDescription":"x"},{"DetailId":2,"SpecialItemId":"K"}]`, "additional charge 1: ItemDescription is missing"},
		{"field twice in two cases", `[{"DetailId":1,"detailid":2,"SpecialItemId":"K","ItemDescription":"x"}]`, "DetailId is given 2 times"},
		{"data after the list", `[] []`, "data after the list"},
		{"blank body", "  \n", "list is missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t)
			srv.FailNext("GET", "/api/agreements/{n}/additionalcharges", 1, tigerpawtest.Fault{Status: 200, Body: tc.body})
			got, err := c.Charges.List(t.Context(), 501)
			checkMalformed(t, err, tc.wantField)
			if got != nil {
				t.Errorf("charges = %+v alongside the error", got)
			}
		})
	}
}

func TestChargeListToleratesWhatIsComplete(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	for _, tc := range []struct {
		body string
		want int
	}{
		{`[]`, 0},
		{` [ ] `, 0},
		// Types sent in the other form and an empty description are complete.
		{`[{"DetailId":"7","SpecialItemId":12,"ItemDescription":"","Quantity":"3","Price":"1.5"}]`, 1},
		{`[{"detailid":7.0,"specialitemid":"K","itemdescription":"x","Extra":null}]`, 1},
	} {
		srv.FailNext("GET", "/api/agreements/{n}/additionalcharges", 1, tigerpawtest.Fault{Status: 200, Body: tc.body})
		got, err := c.Charges.List(t.Context(), 501)
		if err != nil || got == nil || len(got) != tc.want {
			t.Errorf("%s: charges %+v, err %v; want %d charges", tc.body, got, err, tc.want)
		}
	}
	// And the fake's own answer.
	got, err := c.Charges.List(t.Context(), 501)
	if err != nil || len(got) != 1 || got[0].DetailID != 7001 {
		t.Errorf("real list: %+v, %v", got, err)
	}
}

func TestReferenceSearchIsStrict(t *testing.T) {
	t.Parallel()
	tests := []malformedCase{
		{"list null", `{"ServiceOrders":null,"Success":true}`, "service order list is null"},
		{"answer null", `null`, "not a JSON object"},
		{"no list", `{"Success":true}`, "no ServiceOrders list"},
		{"empty element", `{"ServiceOrders":[{}],"Success":true}`, "ServiceOrderNumber is missing"},
		{"no ServiceOrder", `{"ServiceOrders":[{"ServiceOrderNumber":4}],"Success":true}`, "ServiceOrder is missing"},
		{"no reference", `{"ServiceOrders":[{"ServiceOrderNumber":4,"ServiceOrder":{"Status":"New"}}],"Success":true}`, "ServiceOrder.Reference is missing"},
		{"reference null", `{"ServiceOrders":[{"ServiceOrderNumber":4,"ServiceOrder":{"Reference":null}}],"Success":true}`, "ServiceOrder.Reference is null"},
		{"null element", `{"ServiceOrders":[null],"Success":true}`, "is null"},
		{"short of TotalCount", `{"ServiceOrders":[],"TotalCount":2,"NextRow":0,"Success":true}`, "announced TotalCount 2"},
		{"two lists", `{"ServiceOrders":[],"serviceorders":[],"Success":true}`, "2 ServiceOrders lists"},
		{"negative TotalCount", `{"ServiceOrders":[],"TotalCount":-1,"Success":true}`, "TotalCount -1 is negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t)
			srv.FailNext("POST", "/api/serviceorders/search/reference", 1, tigerpawtest.Fault{Status: 200, Body: tc.body})
			got, err := c.ServiceOrders.FindByReference(t.Context(), "KT-1")
			checkMalformed(t, err, tc.wantField)
			if got != nil {
				t.Errorf("orders = %+v alongside the error", got)
			}
		})
	}
	// A complete answer without a match is "not found": no order, no error.
	_, c := setup(t)
	if got, err := c.ServiceOrders.FindByReference(t.Context(), "KT-none"); err != nil || len(got) != 0 {
		t.Errorf("no match: %+v, %v", got, err)
	}
}

func TestPriceDetailsAreStrict(t *testing.T) {
	t.Parallel()
	const item = `"ItemId":"KES-1","PriceBookItemNumber":900,"Item":{"ItemDescription":"KES"}`
	tests := []malformedCase{
		{"negative price", `{` + item + `,"Pricing":[{"PriceLevel":1,"SellingPrice":4.5},{"PriceLevel":2,"SellingPrice":-0.01}]}`,
			`item "KES-1" Pricing: price level 1: SellingPrice -0.01 at price level 2 is negative`},
		{"level twice", `{` + item + `,"Pricing":[{"PriceLevel":1,"SellingPrice":4.5},{"PriceLevel":1,"SellingPrice":3}]}`,
			`item "KES-1" Pricing: price level 1 is listed twice`},
		{"no Pricing", `{` + item + `}`, "list is missing"},
		{"Pricing null", `{` + item + `,"Pricing":null}`, "list is null"},
		{"null level", `{` + item + `,"Pricing":[null]}`, "is null"},
		{"no SellingPrice", `{` + item + `,"Pricing":[{"PriceLevel":1}]}`, "SellingPrice is missing"},
		{"no PriceLevel", `{` + item + `,"Pricing":[{"SellingPrice":1}]}`, "PriceLevel is missing"},
		{"no ItemId", `{"Pricing":[]}`, "ItemId is missing"},
		{"another item", `{"ItemId":"X","PriceBookItemNumber":901,"Pricing":[]}`, "the answer is item 901"},
		{"null", `null`, "not a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t)
			srv.FailNext("GET", "/api/pricebook/items/{n}/details", 1, tigerpawtest.Fault{Status: 200, Body: tc.body})
			got, err := c.PriceBook.Details(t.Context(), 900)
			checkMalformed(t, err, tc.wantField)
			if got != nil {
				t.Errorf("details = %+v alongside the error", got)
			}
		})
	}
	_, c := setup(t)
	d, err := c.PriceBook.Details(t.Context(), 900)
	if err != nil || len(d.Pricing) != 2 {
		t.Fatalf("real details: %+v, %v", d, err)
	}
	if p, ok := d.PriceAt(2); !ok || p.SellingPrice != 405 {
		t.Errorf("price at level 2: %+v %v", p, ok)
	}
}

func TestOtherListsAreStrict(t *testing.T) {
	t.Parallel()
	type read func(c *tigerpaw.Client) error
	first := func(seq func(c *tigerpaw.Client) error) read { return seq }
	tests := []struct {
		name, method, path string
		call               read
		bodies             []malformedCase
	}{
		{"agreements", "GET", "/api/agreements/account/{n}", first(func(c *tigerpaw.Client) error {
			_, err := tigerpaw.Collect(c.Agreements.ForAccount(t.Context(), 1001))
			return err
		}), []malformedCase{
			{"no list", `{"Success":true}`, "no Agreements list"},
			{"null list", `{"Agreements":null}`, "agreement list is null"},
			{"empty element", `{"Agreements":[{}]}`, "AgreementNumber is missing"},
			{"short of TotalCount", `{"Agreements":[{"AgreementNumber":501}],"TotalCount":3,"NextRow":0}`, "received 1 items, the server announced TotalCount 3"},
		}},
		{"accounts", "POST", "/api/accounts/search", first(func(c *tigerpaw.Client) error {
			_, err := tigerpaw.Collect(c.Accounts.List(t.Context()))
			return err
		}), []malformedCase{
			{"null", `null`, "not a JSON object"},
			{"empty element", `{"Accounts":[{}]}`, "AccountNumber is missing"},
		}},
		{"price book", "POST", "/api/pricebook/items/search", first(func(c *tigerpaw.Client) error {
			_, err := c.PriceBook.ByItemID(t.Context(), "KES-1")
			return err
		}), []malformedCase{
			{"null list", `{"PriceBookItems":null,"Success":true}`, "price book item list is null"},
			{"no ItemId", `{"PriceBookItems":[{"PriceBookItemNumber":900}]}`, "ItemId is missing"},
		}},
		{"reps", "GET", "/api/mastertables/reps", first(func(c *tigerpaw.Client) error {
			_, err := c.MasterTables.Reps(t.Context())
			return err
		}), []malformedCase{
			{"null", `null`, "rep list is null"},
			{"empty element", `[{}]`, "RepNumber is missing"},
		}},
		{"statuses", "GET", "/api/mastertables/serviceorders/statuses", first(func(c *tigerpaw.Client) error {
			_, err := c.MasterTables.ServiceOrderStatuses(t.Context())
			return err
		}), []malformedCase{
			{"empty element", `[{"Rank":1}]`, "Status is missing"},
			{"empty name", `[{"Status":""}]`, "Status is empty"},
		}},
		{"external products", "GET", "/api/mastertables/externalproducts", first(func(c *tigerpaw.Client) error {
			_, err := c.MasterTables.ExternalProducts(t.Context())
			return err
		}), []malformedCase{
			{"null", `null`, "external product list is null"},
			{"not a list", `{"ExternalProducts":[]}`, "external product list is not a JSON array"},
			{"null element", `[{"ExternalProductId":50,"Product":"Kaspersky","Active":true},null]`, "external product 1: is null"},
			{"no id", `[{"Product":"Kaspersky","Active":true}]`, "ExternalProductId is missing"},
			{"null id", `[{"ExternalProductId":null,"Product":"Kaspersky"}]`, "ExternalProductId is null"},
			{"zero id", `[{"ExternalProductId":0,"Product":"Kaspersky"}]`, "ExternalProductId"},
		}},
		{"price levels", "GET", "/api/mastertables/pricelevels", first(func(c *tigerpaw.Client) error {
			_, err := c.MasterTables.PriceLevels(t.Context())
			return err
		}), []malformedCase{{"empty element", `[{}]`, "PriceLevelId is missing"}}},
		{"custom field categories", "GET", "/api/mastertables/customfields/accounts", first(func(c *tigerpaw.Client) error {
			_, err := c.MasterTables.AccountCustomFields(t.Context())
			return err
		}), []malformedCase{
			{"no fields", `[{"CategoryName":"K"}]`, "Fields is missing"},
			{"field without id", `[{"CategoryName":"K","Fields":[{}]}]`, "CustomFieldDefinitionId is missing"},
		}},
		{"account custom fields", "GET", "/api/accounts/{n}/customfields", first(func(c *tigerpaw.Client) error {
			_, err := c.Accounts.CustomFields(t.Context(), 1001)
			return err
		}), []malformedCase{{"empty element", `[{"Value":"x"}]`, "CustomFieldId is missing"}}},
		// Single objects read by their number must carry it: {}, null or
		// another object's answer is malformed, never an object of number 0.
		{"service order", "GET", "/api/serviceorders/{n}", first(func(c *tigerpaw.Client) error {
			so, err := c.ServiceOrders.Create(t.Context(), newOrder("strict-get"))
			if err != nil {
				return fmt.Errorf("create: %w", err)
			}
			_, err = c.ServiceOrders.Get(t.Context(), so.ServiceOrderNumber)
			return err
		}), []malformedCase{
			{"empty object", `{}`, "ServiceOrderNumber is 0"},
			{"null", `null`, "ServiceOrderNumber is 0"},
			{"another order", `{"ServiceOrderNumber":999999,"ServiceOrder":{"Status":"New"}}`, "ServiceOrderNumber is 999999"},
		}},
		{"agreement", "GET", "/api/agreements/{n}", first(func(c *tigerpaw.Client) error {
			_, err := c.Agreements.Get(t.Context(), 501)
			return err
		}), []malformedCase{
			{"empty object", `{}`, "AgreementNumber is 0"},
			{"another agreement", `{"AgreementNumber":502}`, "AgreementNumber is 502, want 501"},
		}},
		{"charge", "GET", "/api/agreements/{n}/additionalcharges/{d}", first(func(c *tigerpaw.Client) error {
			_, err := c.Charges.Get(t.Context(), 501, 7001)
			return err
		}), []malformedCase{
			{"empty object", `{}`, "DetailId is 0"},
			{"null", `null`, "DetailId is 0"},
		}},
		{"account", "GET", "/api/accounts/{n}", first(func(c *tigerpaw.Client) error {
			_, err := c.Accounts.Get(t.Context(), 1001)
			return err
		}), []malformedCase{
			{"empty object", `{}`, "AccountNumber is 0"},
			{"another account", `{"AccountNumber":1002}`, "AccountNumber is 1002, want 1001"},
		}},
		{"account details", "GET", "/api/accounts/{n}/details", first(func(c *tigerpaw.Client) error {
			_, err := c.Accounts.Details(t.Context(), 1001)
			return err
		}), []malformedCase{
			{"no external products", `{"AccountNumber":1001,"CustomFields":[]}`, "ExternalProducts list is missing or null"},
			{"null cross-reference", `{"AccountNumber":1001,"CustomFields":[],"ExternalProducts":[null]}`, "ExternalProducts 0: ExternalProductId 0"},
		}},
	}
	for _, tc := range tests {
		for _, b := range tc.bodies {
			t.Run(tc.name+"/"+b.name, func(t *testing.T) {
				t.Parallel()
				srv, c := setup(t)
				srv.FailNext(tc.method, tc.path, 1, tigerpawtest.Fault{Status: 200, Body: b.body})
				checkMalformed(t, tc.call(c), b.wantField)
			})
		}
		t.Run(tc.name+"/real answer", func(t *testing.T) {
			t.Parallel()
			_, c := setup(t)
			if err := tc.call(c); err != nil {
				t.Errorf("the fake's own answer: %v", err)
			}
		})
	}
}

// TestHugeMalformedListsFailFast serves the bodies of the issue (a 10 MB list
// of zeros, a 30 MB list of empty objects, both under the 32 MB body cap) as a
// charge list: the read is an error naming the cap, not a decode of millions
// of elements.
func TestHugeMalformedListsFailFast(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{
		{"10 MB of zeros", hugeList("0", 10<<20), "list elements in one answer"},
		{"30 MB of empty objects", hugeList("{}", 30<<20), "list elements in one answer"},
		{"1 MB of empty objects", hugeList("{}", 1<<20), "list elements in one answer"},
		{"100 KB of empty objects", hugeList("{}", 100<<10), "additional charge 0: DetailId is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t)
			srv.FailNext("GET", "/api/agreements/{n}/additionalcharges", 1, tigerpawtest.Fault{Status: 200, Body: string(tc.body)})
			got, err := c.Charges.List(t.Context(), 501)
			checkMalformed(t, err, tc.want)
			if got != nil {
				t.Errorf("%d charges alongside the error", len(got))
			}
		})
	}
}

// hugeList builds a JSON array of elem repeated up to about size bytes.
func hugeList(elem string, size int) []byte {
	n := size / (len(elem) + 1)
	var b bytes.Buffer
	b.Grow(size + 2)
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(elem)
	}
	b.WriteByte(']')
	return b.Bytes()
}
