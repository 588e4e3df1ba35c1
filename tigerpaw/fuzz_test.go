package tigerpaw

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// FuzzDecodeResponse feeds arbitrary bytes as response bodies to everything that
// reads an answer of the server: the envelope check, the error builder, the
// decoder into every model, and the search page reader. It must return errors,
// never panic, and keep its invariants.
func FuzzDecodeResponse(f *testing.F) {
	seeds := []string{
		`{"Accounts":[{"AccountNumber":1001,"Account":{"Name":"Contoso","AccountId":5}}],"PageSize":50,"NextRow":0,"TotalCount":1,"Success":true}`,
		`[{"DetailId":1,"SpecialItemId":"KES-1","Quantity":10.0,"Price":4.505,"PriceLevel":1,"DateAdded":"2024-01-31T13:45:00"}]`,
		`{"ServiceOrderSummary":{"ServiceOrderNumber":3,"ServiceOrder":{"DateTimeClosed":{"DateTime":"2024-01-01T00:00:00"}},"ServiceOrderLock":{"LockingRepNumber":7}},"Success":true}`,
		`{"Success":false,"Message":"Service order is locked"}`,
		`{"ItemId":"X","Pricing":[{"PriceLevel":1,"SellingPrice":"12.5000","FlatPrice":1e2}]}`,
		`{"Agreements":[{"Agreement":{"StartDate":{"Date":"2024-01-01","Time":"13:00"}}}],"NextRow":1.5}`,
		`{"Price":-92233720368547758.085}`,
		`[1e99999, -0.0, 1.e2, "\"\\", 01.0]`,
		``,
		`null`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	c, err := NewClient("http://tigerpaw.invalid", WithKeys("p", "k"), WithTimeZone(time.FixedZone("S", 3600)))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if json.Valid(body) && !json.Valid(normalizeNumbers(body)) {
			t.Fatalf("normalizeNumbers made valid JSON invalid: %q", normalizeNumbers(body))
		}
		_ = checkEnvelope(http.MethodPost, "/api/x", 200, body)
		if e := newAPIError(http.MethodGet, "/api/x", 500, body); len(e.Body) > maxErrorExcerpt+len("…") {
			t.Fatalf("error excerpt of %d bytes", len(e.Body))
		}
		targets := []any{
			&AccountSummary{}, &AccountDetail{}, &AccountAccounting{}, &[]CustomField{}, &[]AccountExternalProduct{},
			&[]ExternalProduct{}, &[]AccountType{}, &[]PriceLevel{}, &[]Rep{}, &[]ServiceOrderStatus{},
			&[]DispatchBoard{}, &[]Priority{}, &[]ServiceOrderType{}, &[]CustomFieldCategory{},
			&AgreementSummary{}, &[]AdditionalCharge{}, &PriceBookItemDetail{}, &serviceOrderAnswer{},
			&ServiceOrderSummary{}, &envelope{},
		}
		for _, v := range targets {
			_ = c.decode(http.MethodGet, "/api/x", body, v)
		}
		_, _ = decodePage[AccountSummary](c, http.MethodPost, "/api/x", body, "Accounts", accountSpec)
		_, _ = decodePage[AgreementSummary](c, http.MethodGet, "/api/x", body, "Agreements", agreementSpec)
		_, _ = decodePage[PriceBookItemSummary](c, http.MethodPost, "/api/x", body, "PriceBookItems", priceBookItemSpec)
		_, _ = decodePage[ServiceOrderSummary](c, http.MethodPost, "/api/x", body, "ServiceOrders", serviceOrderFoundSpec)

		// Money read from any text writes itself back to the same amount.
		if cents, err := ParseCents(string(body)); err == nil {
			again, err := ParseCents(cents.String())
			if err != nil || again != cents {
				t.Fatalf("ParseCents(%q) = %d, its text %q reads back as %d, %v", body, cents, cents.String(), again, err)
			}
		}
	})
}
