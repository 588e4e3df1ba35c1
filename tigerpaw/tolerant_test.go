package tigerpaw

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// modelCase is one decoded model fed with its enum-like and id-like fields in
// the documented form and in the other one (numbers as text, text as numbers).
type modelCase struct {
	name      string
	target    func() any // a pointer to a fresh value of the model
	number    string     // ids and enums as numbers, names as text
	text      string     // the same fields in the other form
	want      any        // what both forms decode to (the value, not a pointer)
	badField  string     // a field that gets an object in bad
	bad       string     // the body with an object where a number or text is expected
	skipPlain bool       // the documented form needs the tolerant decoder too
}

func ptrTo[T any]() func() any { return func() any { return new(T) } }

var modelCases = []modelCase{
	{
		name:   "ExternalProduct",
		target: ptrTo[[]ExternalProduct](),
		number: `[{"ExternalProductId":1,"Product":"Kaspersky","ProductType":0,"SystemEntry":false,"Active":true},{"ExternalProductId":2,"Product":"RMM","ProductType":3.0,"SystemEntry":true}]`,
		text:   `[{"ExternalProductId":"1","Product":"Kaspersky","ProductType":"0","SystemEntry":false,"Active":true},{"ExternalProductId":" 2 ","Product":"RMM","ProductType":"3","SystemEntry":true}]`,
		want: []ExternalProduct{
			{ExternalProductID: 1, Product: "Kaspersky", ProductType: "0", Active: true},
			{ExternalProductID: 2, Product: "RMM", ProductType: "3", SystemEntry: true},
		},
		badField: "ProductType", bad: `[{"ExternalProductId":1,"ProductType":{"Id":0}}]`,
	},
	{
		name:     "AccountType",
		target:   ptrTo[[]AccountType](),
		number:   `[{"Id":1,"Value":"Customer","IsSystemEntry":true,"IsSystemDefault":false}]`,
		text:     `[{"Id":"1","Value":"Customer","IsSystemEntry":true,"IsSystemDefault":false}]`,
		want:     []AccountType{{ID: 1, Value: "Customer", IsSystemEntry: true}},
		badField: "Id", bad: `[{"Id":{}}]`,
	},
	{
		name:     "PriceLevel",
		target:   ptrTo[[]PriceLevel](),
		number:   `[{"PriceLevelId":2,"Description":"Discount"}]`,
		text:     `[{"PriceLevelId":"2","Description":"Discount"}]`,
		want:     []PriceLevel{{PriceLevelID: 2, Description: "Discount"}},
		badField: "PriceLevelId", bad: `[{"PriceLevelId":[2]}]`,
	},
	{
		name:     "Rep",
		target:   ptrTo[[]Rep](),
		number:   `[{"RepNumber":7,"DisplayName":"Dana Tech","Inactive":false}]`,
		text:     `[{"RepNumber":"7","DisplayName":"Dana Tech","Inactive":false}]`,
		want:     []Rep{{RepNumber: 7, DisplayName: "Dana Tech"}},
		badField: "RepNumber", bad: `[{"RepNumber":{}}]`,
	},
	{
		name:     "ServiceOrderStatus",
		target:   ptrTo[[]ServiceOrderStatus](),
		number:   `[{"Status":"Closed","SystemEntry":true,"Rank":9.0}]`,
		text:     `[{"Status":"Closed","SystemEntry":true,"Rank":"9"}]`,
		want:     []ServiceOrderStatus{{Status: "Closed", SystemEntry: true, Rank: 9}},
		badField: "Status", bad: `[{"Status":{"Name":"Closed"}}]`,
	},
	{
		name:     "ServiceOrderStatus by number",
		target:   ptrTo[[]ServiceOrderStatus](),
		number:   `[{"Status":4,"Rank":1}]`,
		text:     `[{"Status":"4","Rank":"1"}]`,
		want:     []ServiceOrderStatus{{Status: "4", Rank: 1}},
		badField: "Rank", bad: `[{"Status":"New","Rank":{}}]`, skipPlain: true,
	},
	{
		name:     "DispatchBoard",
		target:   ptrTo[[]DispatchBoard](),
		number:   `[{"DispatchBoardId":3,"Description":"Service"}]`,
		text:     `[{"DispatchBoardId":"3","Description":"Service"}]`,
		want:     []DispatchBoard{{DispatchBoardID: 3, Description: "Service"}},
		badField: "DispatchBoardId", bad: `[{"DispatchBoardId":{}}]`,
	},
	{
		name:     "Priority",
		target:   ptrTo[[]Priority](),
		number:   `[{"Priority":"High","Rank":1}]`,
		text:     `[{"Priority":"High","Rank":"1"}]`,
		want:     []Priority{{Priority: "High", Rank: 1}},
		badField: "Priority", bad: `[{"Priority":["High"]}]`,
	},
	{
		name:     "ServiceOrderType",
		target:   ptrTo[[]ServiceOrderType](),
		number:   `[{"Type":2,"Priority":1}]`,
		text:     `[{"Type":"2","Priority":"1"}]`,
		want:     []ServiceOrderType{{Type: "2", Priority: "1"}},
		badField: "Type", bad: `[{"Type":{}}]`, skipPlain: true,
	},
	{
		name:   "CustomFieldCategory",
		target: ptrTo[[]CustomFieldCategory](),
		number: `[{"CategoryName":"Kaspersky","AvailableInGui":true,"Fields":[{"CustomFieldDefinitionId":300,"CustomFieldLabel":"VS","OrdinalPosition":1,"MaxLength":100,"MinValue":0,"MaxValue":0,"Constraints":[]}]}]`,
		text:   `[{"CategoryName":"Kaspersky","AvailableInGui":true,"Fields":[{"CustomFieldDefinitionId":"300","CustomFieldLabel":"VS","OrdinalPosition":"1","MaxLength":"100","MinValue":"0","MaxValue":"0","Constraints":[]}]}]`,
		want: []CustomFieldCategory{{CategoryName: "Kaspersky", AvailableInGui: true, Fields: []CustomFieldDefinitionFields{
			{CustomFieldDefinitionID: 300, CustomFieldLabel: "VS", OrdinalPosition: 1, MaxLength: 100, Constraints: []string{}},
		}}},
		badField: "CustomFieldDefinitionId", bad: `[{"Fields":[{"CustomFieldDefinitionId":{}}]}]`,
	},
	{
		name:   "AccountSummary",
		target: ptrTo[AccountSummary](),
		number: `{"AccountNumber":1001,"Account":{"Name":"Contoso","AccountId":5,"AccountType":"Customer","Status":"Active","RepNumber":7},"ParentAccountNumber":0,"OpenServiceOrders":2}`,
		text:   `{"AccountNumber":"1001","Account":{"Name":"Contoso","AccountId":"5","AccountType":"Customer","Status":"Active","RepNumber":"7"},"ParentAccountNumber":"0","OpenServiceOrders":"2"}`,
		want: AccountSummary{AccountNumber: 1001, OpenServiceOrders: 2,
			Account: Account{Name: "Contoso", AccountID: "5", AccountType: "Customer", Status: "Active", RepNumber: 7}},
		badField: "AccountNumber", bad: `{"AccountNumber":{"n":1001}}`,
	},
	{
		name:     "Account with numeric type and status",
		target:   ptrTo[AccountSummary](),
		number:   `{"AccountNumber":1001,"Account":{"AccountType":1,"Status":0}}`,
		text:     `{"AccountNumber":"1001","Account":{"AccountType":"1","Status":"0"}}`,
		want:     AccountSummary{AccountNumber: 1001, Account: Account{AccountType: "1", Status: "0"}},
		badField: "AccountType", bad: `{"Account":{"AccountType":{}}}`, skipPlain: true,
	},
	{
		name:   "AccountDetail",
		target: ptrTo[AccountDetail](),
		number: `{"AccountNumber":1001,"Accounting":{"DefaultPriceLevel":"Discount","DefaultPriceLevelId":2},"ExternalProducts":[{"AccountExternalProductId":9,"ExternalProductId":50,"ExternalProduct":"Kaspersky","ExternalId":"vs-1","ExternalSystemId":"x"}],"CustomFields":[{"Category":"Kaspersky","CustomFieldId":300,"Label":"VS","Value":"VS Contoso"}]}`,
		text:   `{"AccountNumber":"1001","Accounting":{"DefaultPriceLevel":"Discount","DefaultPriceLevelId":"2"},"ExternalProducts":[{"AccountExternalProductId":"9","ExternalProductId":"50","ExternalProduct":"Kaspersky","ExternalId":"vs-1","ExternalSystemId":"x"}],"CustomFields":[{"Category":"Kaspersky","CustomFieldId":"300","Label":"VS","Value":"VS Contoso"}]}`,
		want: AccountDetail{AccountNumber: 1001, Accounting: AccountingDetail{DefaultPriceLevel: "Discount", DefaultPriceLevelID: 2},
			ExternalProducts: []AccountExternalProduct{{AccountExternalProductID: 9, ExternalProductID: 50, ExternalProduct: "Kaspersky", ExternalID: "vs-1", ExternalSystemID: "x"}},
			CustomFields:     []CustomField{{Category: "Kaspersky", CustomFieldID: 300, Label: "VS", Value: "VS Contoso"}}},
		badField: "ExternalProductId", bad: `{"ExternalProducts":[{"ExternalProductId":{}}]}`,
	},
	{
		name:     "AccountAccounting",
		target:   ptrTo[AccountAccounting](),
		number:   `{"AccountNumber":1001,"Detail":{"DefaultPriceLevel":2,"DefaultPriceLevelId":2}}`,
		text:     `{"AccountNumber":"1001","Detail":{"DefaultPriceLevel":"2","DefaultPriceLevelId":"2"}}`,
		want:     AccountAccounting{AccountNumber: 1001, Detail: AccountingDetail{DefaultPriceLevel: "2", DefaultPriceLevelID: 2}},
		badField: "DefaultPriceLevelId", bad: `{"Detail":{"DefaultPriceLevelId":{}}}`,
	},
	{
		name:     "CustomField",
		target:   ptrTo[[]CustomField](),
		number:   `[{"Category":"Kaspersky","CustomFieldId":300,"Label":"VS","Description":"d","Value":12}]`,
		text:     `[{"Category":"Kaspersky","CustomFieldId":"300","Label":"VS","Description":"d","Value":"12"}]`,
		want:     []CustomField{{Category: "Kaspersky", CustomFieldID: 300, Label: "VS", Description: "d", Value: "12"}},
		badField: "CustomFieldId", bad: `[{"CustomFieldId":{}}]`,
	},
	{
		name:     "AccountExternalProduct",
		target:   ptrTo[[]AccountExternalProduct](),
		number:   `[{"AccountExternalProductId":9,"ExternalProductId":50,"ExternalProduct":"Kaspersky","ExternalId":77,"ExternalSystemId":5,"Comment":"c"}]`,
		text:     `[{"AccountExternalProductId":"9","ExternalProductId":"50","ExternalProduct":"Kaspersky","ExternalId":"77","ExternalSystemId":"5","Comment":"c"}]`,
		want:     []AccountExternalProduct{{AccountExternalProductID: 9, ExternalProductID: 50, ExternalProduct: "Kaspersky", ExternalID: "77", ExternalSystemID: "5", Comment: "c"}},
		badField: "AccountExternalProductId", bad: `[{"AccountExternalProductId":{}}]`,
	},
	{
		name:   "AgreementSummary",
		target: ptrTo[AgreementSummary](),
		number: `{"AgreementNumber":501,"AccountName":"Contoso","Agreement":{"AccountNumber":1001,"Type":"Managed","BillingPeriod":1,"BillingPeriodDescription":"Monthly","AutomatedBilling":true,"ExternalProduct":"Kaspersky","ContractNumber":0},"AdditionalCharges":3}`,
		text:   `{"AgreementNumber":"501","AccountName":"Contoso","Agreement":{"AccountNumber":"1001","Type":"Managed","BillingPeriod":"1","BillingPeriodDescription":"Monthly","AutomatedBilling":true,"ExternalProduct":"Kaspersky","ContractNumber":"0"},"AdditionalCharges":"3"}`,
		want: AgreementSummary{AgreementNumber: 501, AccountName: "Contoso", AdditionalCharges: 3, Agreement: Agreement{
			AccountNumber: 1001, Type: "Managed", BillingPeriod: 1, BillingPeriodDescription: "Monthly", AutomatedBilling: true, ExternalProduct: "Kaspersky"}},
		badField: "BillingPeriod", bad: `{"Agreement":{"BillingPeriod":{"Months":1}}}`,
	},
	{
		name:     "Agreement with numeric type",
		target:   ptrTo[AgreementSummary](),
		number:   `{"AgreementNumber":501,"Agreement":{"Type":2,"BillingPeriod":12,"BillingPeriodDescription":12}}`,
		text:     `{"AgreementNumber":"501","Agreement":{"Type":"2","BillingPeriod":"12","BillingPeriodDescription":"12"}}`,
		want:     AgreementSummary{AgreementNumber: 501, Agreement: Agreement{Type: "2", BillingPeriod: 12, BillingPeriodDescription: "12"}},
		badField: "Type", bad: `{"Agreement":{"Type":{}}}`, skipPlain: true,
	},
	{
		name:     "AdditionalCharge",
		target:   ptrTo[[]AdditionalCharge](),
		number:   `[{"DetailId":7001,"SpecialItemId":"KES-1","Quantity":3.0,"Price":4.5,"PriceLevel":1,"PriceLevelDescription":"Standard","Source":1,"SourceDescription":"API"}]`,
		text:     `[{"DetailId":"7001","SpecialItemId":"KES-1","Quantity":"3","Price":"4.5","PriceLevel":"1","PriceLevelDescription":"Standard","Source":"1","SourceDescription":"API"}]`,
		want:     []AdditionalCharge{{DetailID: 7001, SpecialItemID: "KES-1", Quantity: 3, Price: 450, PriceLevel: 1, PriceLevelDescription: "Standard", Source: 1, SourceDescription: "API"}},
		badField: "Source", bad: `[{"DetailId":1,"Source":{"Id":1}}]`,
	},
	{
		name:     "AdditionalCharge with a numeric item id",
		target:   ptrTo[[]AdditionalCharge](),
		number:   `[{"DetailId":1,"SpecialItemId":1234,"SourceDescription":2}]`,
		text:     `[{"DetailId":"1","SpecialItemId":"1234","SourceDescription":"2"}]`,
		want:     []AdditionalCharge{{DetailID: 1, SpecialItemID: "1234", SourceDescription: "2"}},
		badField: "SpecialItemId", bad: `[{"SpecialItemId":{}}]`, skipPlain: true,
	},
	{
		name:     "PriceBookItemSummary",
		target:   ptrTo[PriceBookItemSummary](),
		number:   `{"ItemId":1234,"PriceBookItemNumber":900,"Item":{"ItemDescription":"KES","Type":1,"Status":0,"ItemCategory":7,"Inactive":false}}`,
		text:     `{"ItemId":"1234","PriceBookItemNumber":"900","Item":{"ItemDescription":"KES","Type":"1","Status":"0","ItemCategory":"7","Inactive":false}}`,
		want:     PriceBookItemSummary{ItemID: "1234", PriceBookItemNumber: 900, Item: PriceBookItem{ItemDescription: "KES", Type: "1", Status: "0", ItemCategory: "7"}},
		badField: "ItemCategory", bad: `{"Item":{"ItemCategory":{}}}`, skipPlain: true,
	},
	{
		name:   "PriceBookItemDetail",
		target: ptrTo[PriceBookItemDetail](),
		number: `{"ItemId":"KES-1","PriceBookItemNumber":900,"Item":{"Type":"Service","Status":"Active","ItemCategory":"Security"},"Pricing":[{"PriceLevel":1,"Description":"Standard","SellingPrice":4.5,"FlatPrice":0}]}`,
		text:   `{"ItemId":"KES-1","PriceBookItemNumber":"900","Item":{"Type":"Service","Status":"Active","ItemCategory":"Security"},"Pricing":[{"PriceLevel":"1","Description":"Standard","SellingPrice":"4.5","FlatPrice":"0"}]}`,
		want: PriceBookItemDetail{ItemID: "KES-1", PriceBookItemNumber: 900, Item: PriceBookItem{Type: "Service", Status: "Active", ItemCategory: "Security"},
			Pricing: []ItemPrice{{PriceLevel: 1, Description: "Standard", SellingPrice: 450}}},
		badField: "PriceLevel", bad: `{"Pricing":[{"PriceLevel":{}}]}`,
	},
	{
		name:   "ServiceOrderSummary",
		target: ptrTo[ServiceOrderSummary](),
		number: `{"ServiceOrderNumber":3,"ServiceOrder":{"AccountNumber":1001,"Status":"New","Priority":"High","ServiceOrderType":"Security","DispatchBoardNumber":3,"TechnicianAssigned":7,"TakenBy":8,"Reference":"KT-1"},"OpenTasks":1,"ServiceOrderLock":{"LockingRepNumber":7,"LockingRepName":"Dana"}}`,
		text:   `{"ServiceOrderNumber":"3","ServiceOrder":{"AccountNumber":"1001","Status":"New","Priority":"High","ServiceOrderType":"Security","DispatchBoardNumber":"3","TechnicianAssigned":"7","TakenBy":"8","Reference":"KT-1"},"OpenTasks":"1","ServiceOrderLock":{"LockingRepNumber":"7","LockingRepName":"Dana"}}`,
		want: ServiceOrderSummary{ServiceOrderNumber: 3, OpenTasks: 1, ServiceOrderLock: &ServiceOrderLock{LockingRepNumber: 7, LockingRepName: "Dana"},
			ServiceOrder: ServiceOrder{AccountNumber: 1001, Status: "New", Priority: "High", ServiceOrderType: "Security", DispatchBoardNumber: 3, TechnicianAssigned: 7, TakenBy: 8, Reference: "KT-1"}},
		badField: "DispatchBoardNumber", bad: `{"ServiceOrder":{"DispatchBoardNumber":{}}}`,
	},
	{
		name:     "ServiceOrder with numeric status, priority and type",
		target:   ptrTo[serviceOrderAnswer](),
		number:   `{"ServiceOrderSummary":{"ServiceOrderNumber":3,"ServiceOrder":{"Status":1,"Priority":2,"ServiceOrderType":3,"Reference":12}},"Success":true}`,
		text:     `{"ServiceOrderSummary":{"ServiceOrderNumber":"3","ServiceOrder":{"Status":"1","Priority":"2","ServiceOrderType":"3","Reference":"12"}},"Success":true}`,
		want:     serviceOrderAnswer{ServiceOrderSummary: &ServiceOrderSummary{ServiceOrderNumber: 3, ServiceOrder: ServiceOrder{Status: "1", Priority: "2", ServiceOrderType: "3", Reference: "12"}}},
		badField: "ServiceOrderType", bad: `{"ServiceOrderSummary":{"ServiceOrder":{"ServiceOrderType":{}}}}`, skipPlain: true,
	},
	{
		name:     "page envelope",
		target:   ptrTo[pageInfo](),
		number:   `{"Accounts":[],"PageSize":50,"NextRow":100,"TotalCount":120,"Success":true}`,
		text:     `{"Accounts":[],"PageSize":"50","NextRow":"100","TotalCount":"120","Success":true}`,
		want:     pageInfo{PageSize: 50, NextRow: 100, TotalCount: ptrInt(120)},
		badField: "NextRow", bad: `{"NextRow":{}}`,
	},
	{
		name: "create answers",
		target: ptrTo[struct {
			DetailID int `json:"DetailId"`
			Field    *CustomFieldDefinitionFields
		}](),
		number: `{"Success":true,"DetailId":7002,"Field":{"CustomFieldDefinitionId":301}}`,
		text:   `{"Success":true,"DetailId":"7002","Field":{"CustomFieldDefinitionId":"301"}}`,
		want: struct {
			DetailID int `json:"DetailId"`
			Field    *CustomFieldDefinitionFields
		}{7002, &CustomFieldDefinitionFields{CustomFieldDefinitionID: 301}},
		badField: "DetailId", bad: `{"DetailId":{}}`,
	},
}

// deref returns the value a target pointer points to.
func deref(p any) any { return reflect.ValueOf(p).Elem().Interface() }

func TestDecodeModelsInBothForms(t *testing.T) {
	t.Parallel()
	for _, tc := range modelCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for form, body := range map[string]string{"number": tc.number, "text": tc.text} {
				got := tc.target()
				if err := decodeBody([]byte(body), got, time.UTC); err != nil {
					t.Errorf("%s form: %v", form, err)
					continue
				}
				if diff := cmp.Diff(tc.want, deref(got)); diff != "" {
					t.Errorf("%s form (-want +got):\n%s", form, diff)
				}
			}
			// The documented form needs no coercion: a plain decode reads it.
			if !tc.skipPlain {
				if err := json.Unmarshal(normalizeNumbers([]byte(tc.number)), tc.target()); err != nil {
					t.Errorf("documented form does not decode plainly: %v", err)
				}
			}
			err := decodeBody([]byte(tc.bad), tc.target(), time.UTC)
			if err == nil || !strings.Contains(err.Error(), tc.badField) {
				t.Errorf("bad input %s: err = %v, want an error naming %s", tc.bad, err, tc.badField)
			}
		})
	}
}

func TestDecodeRejectsTextThatIsNoNumber(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ body, field string }{
		{`[{"DetailId":"seven"}]`, "DetailId"},
		{`[{"DetailId":""}]`, "DetailId"},
		{`[{"PriceLevel":"1.5"}]`, "PriceLevel"},
		{`[{"Source":"99999999999999999999"}]`, "Source"},
		{`[{"Quantity":true}]`, "Quantity"},
	} {
		var out []AdditionalCharge
		err := decodeBody([]byte(tc.body), &out, time.UTC)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: err = %v, want an error naming %s", tc.body, err, tc.field)
		}
	}
}

func TestProductType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json     string
		want     ProductType
		code     int
		isCode   bool
		marshal  string
		wantFail bool
	}{
		{json: `0`, want: "0", code: 0, isCode: true, marshal: `0`},
		{json: `12`, want: "12", code: 12, isCode: true, marshal: `12`},
		{json: `2.0`, want: "2", code: 2, isCode: true, marshal: `2`},
		{json: `-1`, want: "-1", code: -1, isCode: true, marshal: `-1`},
		{json: `"3"`, want: "3", code: 3, isCode: true, marshal: `3`},
		{json: `" 4 "`, want: "4", code: 4, isCode: true, marshal: `4`},
		{json: `"007"`, want: "7", code: 7, isCode: true, marshal: `7`},
		{json: `-0`, want: "0", code: 0, isCode: true, marshal: `0`},
		{json: `"RMM"`, want: "RMM", marshal: `"RMM"`},
		{json: `"Unknown kind"`, want: "Unknown kind", marshal: `"Unknown kind"`},
		{json: `null`, want: "keep", marshal: `"keep"`},
		{json: `""`, want: "", marshal: `null`},
		{json: `1.5`, wantFail: true},
		{json: `1e30`, wantFail: true},
		{json: `{}`, wantFail: true},
		{json: `[0]`, wantFail: true},
		{json: `true`, wantFail: true},
	}
	for _, tc := range tests {
		p := ProductType("keep")
		err := json.Unmarshal([]byte(tc.json), &p)
		if tc.wantFail {
			if err == nil {
				t.Errorf("Unmarshal(%s) = %q, want an error", tc.json, p)
			}
			continue
		}
		if err != nil {
			t.Errorf("Unmarshal(%s): %v", tc.json, err)
			continue
		}
		if p != tc.want || p.String() != string(tc.want) {
			t.Errorf("Unmarshal(%s) = %q (String %q), want %q", tc.json, p, p.String(), tc.want)
		}
		if code, ok := p.Code(); code != tc.code || ok != tc.isCode {
			t.Errorf("%q.Code() = %d, %v; want %d, %v", p, code, ok, tc.code, tc.isCode)
		}
		out, err := json.Marshal(p)
		if err != nil || string(out) != tc.marshal {
			t.Errorf("Marshal(%q) = %s, %v; want %s", p, out, err, tc.marshal)
		}
	}
	var p ProductType
	if err := p.UnmarshalJSON(nil); err == nil {
		t.Error("empty input gave no error")
	}
}

// TestExternalProductsBothForms reads the body, and its text form, through
// MasterTables.ExternalProducts against a server that answers exactly that.
func TestExternalProductsBothForms(t *testing.T) {
	t.Parallel()
	bodies := map[string]string{
		"number": `[{"ExternalProductId":1,"Product":"Kaspersky","ProductType":0,"SystemEntry":false,"Active":true}]`,
		"text":   `[{"ExternalProductId":"1","Product":"Kaspersky","ProductType":"0","SystemEntry":false,"Active":true}]`,
	}
	want := []ExternalProduct{{ExternalProductID: 1, Product: "Kaspersky", ProductType: "0", Active: true}}
	for form, body := range bodies {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/api/mastertables/externalproducts" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
		}))
		t.Cleanup(srv.Close)
		c, err := NewClient(srv.URL, WithKeys("p", "k"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.MasterTables.ExternalProducts(t.Context())
		if err != nil {
			t.Errorf("%s form: %v", form, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s form (-want +got):\n%s", form, diff)
		}
		if code, ok := got[0].ProductType.Code(); !ok || code != 0 {
			t.Errorf("%s form: ProductType.Code() = %d, %v; want 0, true", form, code, ok)
		}
	}
}

// FuzzDecodeModels feeds each decoded model with arbitrary bodies, seeded with
// both forms and the bad input of every model. Whatever a plain decode reads,
// the tolerant decoder reads the same; it never panics.
func FuzzDecodeModels(f *testing.F) {
	for i, tc := range modelCases {
		for _, s := range []string{tc.number, tc.text, tc.bad} {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		tc := modelCases[int(which)%len(modelCases)]
		tolerant := tc.target()
		terr := decodeTolerant(body, tolerant)
		plain := tc.target()
		if perr := json.Unmarshal(body, plain); perr == nil {
			if terr != nil {
				t.Fatalf("%s: plain decode reads %q, tolerant one fails: %v", tc.name, body, terr)
			}
			if diff := cmp.Diff(deref(plain), deref(tolerant)); diff != "" {
				t.Fatalf("%s: tolerant decode of %q differs (-plain +tolerant):\n%s", tc.name, body, diff)
			}
		}
		// A ProductType read from anything writes itself back to the same value.
		var p ProductType
		if json.Unmarshal(body, &p) == nil {
			out, err := json.Marshal(p)
			var again ProductType
			if err != nil || json.Unmarshal(out, &again) != nil || again != p {
				t.Fatalf("ProductType %q marshals to %s (%v) and reads back as %q", p, out, err, again)
			}
		}
	})
}

// BenchmarkDecodeChargesTextForm measures the tolerant path: 1000 additional
// charges whose ids, quantities and enums come as text, so that the plain
// decode fails and the body is coerced and decoded again. Compare with
// BenchmarkDecodeCharges, the documented form.
func BenchmarkDecodeChargesTextForm(b *testing.B) {
	var items []string
	for i := 0; i < 1000; i++ {
		items = append(items, fmt.Sprintf(`{"DetailId":"%d","SpecialItemId":"KES-%d","ItemDescription":"Kaspersky item %d","Quantity":"%d","Price":%d.%02d00,"PriceLevel":"1","PriceLevelDescription":"Standard","Source":"1","SourceDescription":"API","DateAdded":"2024-01-31T13:45:00","UseFlatPrice":false}`,
			i+1, i%7, i, i%300, i%50, i%100))
	}
	body := []byte("[" + strings.Join(items, ",") + "]")
	loc := time.FixedZone("S", 3600)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var out []AdditionalCharge
		if err := decodeBody(body, &out, loc); err != nil || len(out) != 1000 || out[999].DetailID != 1000 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "charges/s")
}

func TestTolerantDecodeFollowsJSONNames(t *testing.T) {
	t.Parallel()
	type inner struct {
		Code  int
		Label string
	}
	type outer struct {
		inner
		Code    string         `json:"Code"` // shadows inner.Code
		Skipped int            `json:"-"`
		ByName  map[string]int `json:"by_name,omitempty"`
		Floats  []float64
		Ptr     *uint8
		hidden  int
	}
	var got outer
	err := decodeTolerant([]byte(`{"code":7,"label":12,"Skipped":"3","by_name":{"a":"1","b":2},"Floats":["1.5",2],"Ptr":"9"}`), &got)
	if err != nil {
		t.Fatal(err)
	}
	nine := uint8(9)
	want := outer{inner: inner{Label: "12"}, Code: "7", ByName: map[string]int{"a": 1, "b": 2}, Floats: []float64{1.5, 2}, Ptr: &nine}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(outer{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A body that is no JSON, or whose mismatch cannot be coerced, keeps the
	// plain decoder's error.
	for _, body := range []string{`{"Floats":["x"]}`, `{"Ptr":"-1"}`, `{"Floats":[1,`} {
		if err := decodeTolerant([]byte(body), &outer{}); err == nil {
			t.Errorf("%s decoded without error", body)
		}
	}
	if err := decodeTolerant([]byte(`{"a":"1"}`), map[string]int{}); err == nil {
		t.Error("decoding into a non-pointer gave no error")
	}
}

func ptrInt(n int) *int { return &n }
