package tigerpawtest_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// nowWorld seeds an account with a recurring (20) and a non-recurring (21)
// agreement and a price book item priced at two levels.
func nowWorld(t *testing.T) *tigerpawtest.Server {
	t.Helper()
	srv := tigerpawtest.NewServer(t)
	srv.AddAccount(tigerpawtest.Account{Number: 1, Name: "A"})
	srv.AddPriceLevel(tigerpawtest.PriceLevel{ID: 1, Description: "Standard"})
	srv.AddPriceLevel(tigerpawtest.PriceLevel{ID: 2, Description: "Gold"})
	srv.AddPriceBookItem(tigerpawtest.PriceBookItem{Number: 9, ItemID: "KES", Description: "KES seat", SellingPrices: map[int]int64{1: 450, 2: 399}})
	srv.AddAgreement(tigerpawtest.Agreement{Number: 20, AccountNumber: 1, BillingPeriod: 1})
	srv.AddAgreement(tigerpawtest.Agreement{Number: 21, AccountNumber: 1})
	return srv
}

func TestChargeWire(t *testing.T) {
	t.Parallel()
	srv := nowWorld(t)

	tests := []struct {
		name      string
		body      string
		wantOK    bool
		wantPrice int64
		wantQty   int
		wantDesc  string
	}{
		{name: "exact half up", body: `{"SpecialItemId":"KES","Quantity":2,"Price":4.505,"PriceLevel":1}`, wantOK: true, wantPrice: 451, wantQty: 2, wantDesc: "KES seat"},
		{name: "half away from zero", body: `{"SpecialItemId":"KES","Quantity":1,"Price":"0.125","PriceLevel":1}`, wantOK: true, wantPrice: 13, wantQty: 1, wantDesc: "KES seat"},
		{name: "price from the price book", body: `{"specialitemid":"kes","quantity":3.0,"pricelevel":2,"itemdescription":"mine"}`, wantOK: true, wantPrice: 399, wantQty: 3, wantDesc: "mine"},
		{name: "fractional quantity", body: `{"SpecialItemId":"KES","Quantity":1.5,"PriceLevel":1}`},
		{name: "negative quantity", body: `{"SpecialItemId":"KES","Quantity":-1,"PriceLevel":1}`},
		{name: "no item", body: `{"Quantity":1}`},
		{name: "no quantity", body: `{"SpecialItemId":"KES"}`},
		{name: "blank item", body: `{"SpecialItemId":" ","Quantity":1}`},
		{name: "bad price", body: `{"SpecialItemId":"KES","Quantity":1,"Price":"abc"}`},
		{name: "bad flag", body: `{"SpecialItemId":"KES","Quantity":1,"UseFlatPrice":"yes"}`},
		{name: "bad price level", body: `{"SpecialItemId":"KES","Quantity":1,"PriceLevel":"x"}`},
		{name: "bad description", body: `{"SpecialItemId":"KES","Quantity":1,"ItemDescription":{}}`},
	}
	for _, tc := range tests {
		status, body := call(t, srv, "POST", "/api/agreements/20/additionalcharges", tc.body)
		m, _ := body.(map[string]any)
		if status != 200 || (m["Success"] == true) != tc.wantOK {
			t.Errorf("%s: %d %v, want success %v", tc.name, status, body, tc.wantOK)
			continue
		}
		if !tc.wantOK {
			if m["Message"] == "" {
				t.Errorf("%s: refusal without a message", tc.name)
			}
			continue
		}
		id := int(m["DetailId"].(float64))
		var got *tigerpawtest.Charge
		for _, c := range srv.Charges(20) {
			if c.DetailID == id {
				got = &c
			}
		}
		if got == nil || got.Price != tc.wantPrice || got.Quantity != tc.wantQty || got.ItemDescription != tc.wantDesc || got.SpecialItemID != "KES" {
			t.Errorf("%s: stored %+v", tc.name, got)
		}
	}
	if status, _ := call(t, srv, "POST", "/api/agreements/20/additionalcharges", `[`); status != 400 {
		t.Errorf("invalid JSON: %d, want 400", status)
	}
	if status, _ := call(t, srv, "POST", "/api/agreements/20/additionalcharges", `null`); status != 400 {
		t.Errorf("null body: %d, want 400", status)
	}

	// Written as Json.NET writes decimals.
	status, body := call(t, srv, "GET", "/api/agreements/20/additionalcharges/1", "")
	if status != 200 {
		t.Fatalf("GET charge: %d %v", status, body)
	}
	m := body.(map[string]any)
	if m["Price"] != 4.51 || m["Quantity"] != 2.0 || m["PriceLevelDescription"] != "Standard" || m["SourceDescription"] != "API" {
		t.Errorf("charge on the wire = %v", m)
	}
}

func TestChargeUpdateChangesOnlyCarriedFields(t *testing.T) {
	t.Parallel()
	srv := nowWorld(t)
	ch := srv.AddCharge(tigerpawtest.Charge{AgreementNumber: 20, SpecialItemID: "KES", ItemDescription: "d", Quantity: 4, Price: 450, PriceLevel: 1, UseFlatPrice: true})
	path := "/api/agreements/20/additionalcharges/" + strconv.Itoa(ch.DetailID)

	if status, body := call(t, srv, "PUT", path, `{"quantity":7}`); status != 200 || body.(map[string]any)["Success"] != true {
		t.Fatalf("PUT: %d %v", status, body)
	}
	want := ch
	want.Quantity = 7
	if diff := cmp.Diff([]tigerpawtest.Charge{want}, srv.Charges(20)); diff != "" {
		t.Errorf("after PUT (-want +got):\n%s", diff)
	}
	if status, body := call(t, srv, "PUT", path, `{"Quantity":1.5}`); status != 200 || body.(map[string]any)["Success"] != false {
		t.Errorf("bad PUT: %d %v", status, body)
	}
	if diff := cmp.Diff([]tigerpawtest.Charge{want}, srv.Charges(20)); diff != "" {
		t.Errorf("a refused PUT changed the charge (-want +got):\n%s", diff)
	}
	if status, _ := call(t, srv, "PUT", path, `"x"`); status != 400 {
		t.Errorf("PUT with a string body: %d, want 400", status)
	}
	if status, _ := call(t, srv, "PUT", "/api/agreements/21/additionalcharges/"+strconv.Itoa(ch.DetailID), `{"Quantity":1}`); status != 404 {
		t.Errorf("PUT through another agreement: %d, want 404", status)
	}
	// A charge seeded on a non-recurring agreement cannot be changed through
	// the API.
	other := srv.AddCharge(tigerpawtest.Charge{AgreementNumber: 21, SpecialItemID: "KES", Quantity: 1})
	if status, body := call(t, srv, "PUT", "/api/agreements/21/additionalcharges/"+strconv.Itoa(other.DetailID), `{"Quantity":2}`); status != 200 || body.(map[string]any)["Success"] != false {
		t.Errorf("PUT on a non-recurring agreement: %d %v", status, body)
	}
	if status, _ := call(t, srv, "GET", "/api/agreements/99/additionalcharges", ""); status != 404 {
		t.Errorf("charges of an unknown agreement: %d", status)
	}
}

func TestServiceOrderWire(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t, tigerpawtest.WithTimeZone(time.FixedZone("S", 2*3600)))
	srv.AddAccount(tigerpawtest.Account{Number: 1, Name: "A"})
	srv.AddStatus(tigerpawtest.Status{Name: "New"})
	srv.AddStatus(tigerpawtest.Status{Name: "Done", Closed: true})
	srv.AddPriority(tigerpawtest.Priority{Name: "High"})
	srv.AddRep(tigerpawtest.Rep{Number: 3, Name: "R"})
	srv.AddBoard(tigerpawtest.Board{ID: 4})
	srv.AddServiceOrderType(tigerpawtest.ServiceOrderType{Name: "T"})

	status, body := call(t, srv, "POST", "/api/serviceorders",
		`{"accountnumber":1,"status":"new","priority":"HIGH","briefdescription":"b","reference":"Ref-1","ServiceOrderType":"t",
		  "DispatchBoardNumber":4,"TakenBy":3,"DateTimeOpened":{"DateTime":"2025-01-02T10:00:00"}}`)
	if status != 200 {
		t.Fatalf("create: %d %v", status, body)
	}
	so, _ := srv.ServiceOrder(1)
	want := tigerpawtest.ServiceOrder{Number: 1, AccountNumber: 1, Status: "New", Priority: "High", Type: "T", BoardID: 4, TakenBy: 3,
		BriefDescription: "b", Reference: "Ref-1", Opened: time.Date(2025, 1, 2, 8, 0, 0, 0, time.UTC)}
	if diff := cmp.Diff(want, so); diff != "" {
		t.Errorf("stored order (-want +got):\n%s", diff)
	}
	summary := body.(map[string]any)["ServiceOrderSummary"].(map[string]any)
	if got := summary["ServiceOrder"].(map[string]any)["DateTimeOpened"]; got != "2025-01-02T10:00:00" {
		t.Errorf("DateTimeOpened on the wire = %v, want the server's zone-less local time", got)
	}

	refusals := map[string]string{
		"bad type":     `{"ServiceOrderType":"nope"}`,
		"bad board":    `{"DispatchBoardNumber":9}`,
		"bad taken by": `{"TakenBy":9}`,
		"bad priority": `{"Priority":"Urgent"}`,
		"bad flag":     `{"CompleteOpenTasks":"yes"}`,
		"bad closed":   `{"DateTimeClosed":{"When":"x"}}`,
		"bad text":     `{"WorkPerformed":5.5}`,
	}
	for name, b := range refusals {
		status, body := call(t, srv, "PUT", "/api/serviceorders/1", b)
		if name == "bad text" {
			// A number is accepted as text, as Tigerpaw's binder would.
			if status != 200 || body.(map[string]any)["Success"] != true {
				t.Errorf("%s: %d %v", name, status, body)
			}
			continue
		}
		if status != 200 || body.(map[string]any)["Success"] != false {
			t.Errorf("%s: %d %v, want a refusal", name, status, body)
		}
	}
	status, _ = call(t, srv, "PUT", "/api/serviceorders/1", `{"Status":"Done"}`)
	so, _ = srv.ServiceOrder(1)
	if status != 200 || so.Status != "Done" || so.Closed.IsZero() {
		t.Errorf("close: %d %+v", status, so)
	}
	status, _ = call(t, srv, "PUT", "/api/serviceorders/1", `{"Status":"New"}`)
	so, _ = srv.ServiceOrder(1)
	if status != 200 || !so.Closed.IsZero() {
		t.Errorf("reopen: %d %+v", status, so)
	}

	for name, b := range map[string]string{
		"no account":      `{"Status":"New","Priority":"High","BriefDescription":"b"}`,
		"no priority":     `{"AccountNumber":1,"Status":"New","BriefDescription":"b"}`,
		"bad opened date": `{"AccountNumber":1,"Status":"New","Priority":"High","BriefDescription":"b","DateTimeOpened":{"DateTime":"soon"}}`,
	} {
		if status, body := call(t, srv, "POST", "/api/serviceorders", b); status != 200 || body.(map[string]any)["Success"] != false {
			t.Errorf("%s: %d %v, want a refusal", name, status, body)
		}
	}
	if status, _ := call(t, srv, "POST", "/api/serviceorders/search/reference", `{"Reference":"x"}`); status != 400 {
		t.Errorf("reference search with an object: %d, want 400", status)
	}
	status, body = call(t, srv, "POST", "/api/serviceorders/search/reference?pageRequest.pageSize=1&pageRequest.startRow=0", `"ref"`)
	env := body.(map[string]any)
	if status != 200 || len(env["ServiceOrders"].([]any)) != 1 || env["NextRow"] != 0.0 || env["TotalCount"] != 1.0 {
		t.Errorf("reference search: %d %v", status, body)
	}
}

func TestCustomFieldWire(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	srv.AddAccount(tigerpawtest.Account{Number: 1, Name: "A"})
	d := srv.AddCustomFieldDefinition(tigerpawtest.CustomFieldDefinition{Category: "Kaspersky", Label: "Company", MaxLength: 5})

	if status, body := call(t, srv, "PUT", "/api/accounts/1/customfields", `[{"Category":"kaspersky","Label":"company","Value":"abc"}]`); status != 200 || body.(map[string]any)["Success"] != true {
		t.Errorf("PUT by category and label: %d %v", status, body)
	}
	if diff := cmp.Diff(map[int]map[int]string{1: {d.ID: "abc"}}, srv.Snapshot().CustomFieldValues); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	for name, b := range map[string]string{
		"too long":   `[{"CustomFieldId":1,"Value":"abcdef"}]`,
		"bad id":     `[{"CustomFieldId":"x","Value":"a"}]`,
		"bad value":  `[{"CustomFieldId":1,"Value":{}}]`,
		"unknown id": `[{"CustomFieldId":2,"Value":"a"}]`,
	} {
		if status, body := call(t, srv, "PUT", "/api/accounts/1/customfields", b); status != 200 || body.(map[string]any)["Success"] != false {
			t.Errorf("%s: %d %v, want a refusal", name, status, body)
		}
	}
	if status, _ := call(t, srv, "PUT", "/api/accounts/1/customfields", `{}`); status != 400 {
		t.Errorf("PUT with an object: %d, want 400", status)
	}
	if status, body := call(t, srv, "PUT", "/api/accounts/1/customfields", `[{"CustomFieldId":1}]`); status != 200 || body.(map[string]any)["Success"] != true {
		t.Errorf("PUT without a value clears it: %d %v", status, body)
	}
	for name, b := range map[string]string{
		"category missing": `{}`,
		"category blank":   `{"CategoryName":" "}`,
		"category exists":  `{"CategoryName":"KASPERSKY"}`,
	} {
		if status, body := call(t, srv, "POST", "/api/mastertables/customfields/categories/accounts", b); status != 200 || body.(map[string]any)["Success"] != false {
			t.Errorf("%s: %d %v", name, status, body)
		}
	}
	if got := srv.Snapshot().CustomFieldCategories; len(got) != 1 {
		t.Errorf("categories = %v", got)
	}
	status, body := call(t, srv, "POST", "/api/mastertables/customfields/categories/accounts", `{"categoryname":"Billing"}`)
	if status != 200 || body.(map[string]any)["Success"] != true || body.(map[string]any)["Category"].(map[string]any)["CategoryName"] != "Billing" {
		t.Errorf("new category: %d %v", status, body)
	}
	status, body = call(t, srv, "POST", "/api/mastertables/customfields/definitions/text", `{"CategoryName":"billing","CustomFieldLabel":"Plan","MaxLength":20}`)
	field, _ := body.(map[string]any)["Field"].(map[string]any)
	if status != 200 || field["CustomFieldLabel"] != "Plan" || field["MaxLength"] != 20.0 {
		t.Errorf("new field: %d %v", status, body)
	}
	status, body = call(t, srv, "GET", "/api/mastertables/customfields/accounts", "")
	if cats, _ := body.([]any); status != 200 || len(cats) != 2 || cats[1].(map[string]any)["CategoryName"] != "Billing" {
		t.Errorf("categories listed: %d %v", status, body)
	}
	for name, b := range map[string]string{
		"no label":         `{"CategoryName":"Kaspersky"}`,
		"no category":      `{"CustomFieldLabel":"x"}`,
		"bad maxlength":    `{"CategoryName":"Kaspersky","CustomFieldLabel":"x","MaxLength":-1}`,
		"unknown category": `{"CategoryName":"Nope","CustomFieldLabel":"x"}`,
		"duplicate label":  `{"CategoryName":"Kaspersky","CustomFieldLabel":"company"}`,
		"not an object":    `[]`,
	} {
		status, body := call(t, srv, "POST", "/api/mastertables/customfields/definitions/text", b)
		if m, isMap := body.(map[string]any); status == 200 && (!isMap || m["Success"] != false) {
			t.Errorf("%s: %d %v, want a refusal", name, status, body)
		}
	}
}

func TestPagingCappedAndEchoed(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	for i := 0; i < tigerpawtest.MaxPageSize+5; i++ {
		srv.AddAccount(tigerpawtest.Account{Name: "A"})
	}
	status, body := call(t, srv, "POST", "/api/accounts/search", `{"Criteria":[],"PageSize":1000,"StartRow":0}`)
	env := body.(map[string]any)
	if status != 200 || len(env["Accounts"].([]any)) != tigerpawtest.MaxPageSize ||
		env["PageSize"] != float64(tigerpawtest.MaxPageSize) || env["NextRow"] != float64(tigerpawtest.MaxPageSize) {
		t.Errorf("capped page: %d PageSize=%v NextRow=%v items=%d", status, env["PageSize"], env["NextRow"], len(env["Accounts"].([]any)))
	}
	status, body = call(t, srv, "POST", "/api/accounts/search", `{"StartRow":200}`)
	env = body.(map[string]any)
	if status != 200 || len(env["Accounts"].([]any)) != 5 || env["NextRow"] != 0.0 || env["PageSize"] != float64(tigerpawtest.DefaultPageSize) {
		t.Errorf("last page: %v", env)
	}
	for name, b := range map[string]string{
		"bad page size": `{"PageSize":"x"}`,
		"bad start row": `{"StartRow":1.5}`,
		"bad criteria":  `{"Criteria":{}}`,
		"bad criterion": `{"Criteria":[{"SearchType":{}}]}`,
	} {
		if status, _ := call(t, srv, "POST", "/api/accounts/search", b); status != 400 {
			t.Errorf("%s: %d, want 400", name, status)
		}
	}
	if status, body := call(t, srv, "POST", "/api/accounts/search", `{"Criteria":[{"SearchType":"AccountName","MatchType":"Sounds","Criteria":"A"}]}`); status != 200 || body.(map[string]any)["Success"] != false {
		t.Errorf("unknown match type: %d %v", status, body)
	}
}
