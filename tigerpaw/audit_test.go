package tigerpaw_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// TestChargeWritesRefusedWithSuccessAsText answers charge writes 200 with a
// Success that says false in a form other than the JSON boolean: none of them
// may be taken for a write that succeeded.
func TestChargeWritesRefusedWithSuccessAsText(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"Success":"false","Message":"agreement closed"}`,
		`{"Success":false,"Message":{"Text":"agreement closed"}}`,
		`{"Success":0}`,
	} {
		srv, c := setup(t)
		q := 4
		srv.FailNext("PUT", "/api/agreements/{n}/additionalcharges/{d}", 1, tigerpawtest.Fault{Status: http.StatusOK, Body: body})
		if err := c.Charges.Update(t.Context(), 501, 7001, tigerpaw.ChargeUpdate{Quantity: &q}); err == nil {
			t.Errorf("update answered %s: no error", body)
		}
		srv.FailNext("DELETE", "/api/agreements/{n}/additionalcharges/{d}", 1, tigerpawtest.Fault{Status: http.StatusOK, Body: body})
		if err := c.Charges.Delete(t.Context(), 501, 7001); err == nil {
			t.Errorf("delete answered %s: no error", body)
		}
		srv.FailNext("POST", "/api/agreements/{n}/additionalcharges", 1, tigerpawtest.Fault{Status: http.StatusOK, Body: body})
		if id, err := c.Charges.Create(t.Context(), 501, tigerpaw.NewCharge{SpecialItemID: "KES-1", Quantity: 1, PriceLevel: 1}); err == nil {
			t.Errorf("create answered %s: charge %d, no error", body, id)
		}
		if n := len(srv.Charges(501)); n != 1 {
			t.Errorf("charges of agreement 501: %d, want the seeded one", n)
		}
	}
}

// TestServiceOrderCreateAnsweredWithAnotherOrder answers a create with an
// order other than the one sent: the caller must not take its number.
func TestServiceOrderCreateAnsweredWithAnotherOrder(t *testing.T) {
	t.Parallel()
	for name, order := range map[string]string{
		"reference": `{"AccountNumber":1001,"Reference":"PRINTER-1"}`,
		"account":   `{"AccountNumber":2002,"Reference":"ksc:1:host:9"}`,
	} {
		srv, c := setup(t)
		body := `{"Success":true,"ServiceOrderSummary":{"ServiceOrderNumber":4711,"ServiceOrder":` + order + `}}`
		srv.FailNext("POST", "/api/ServiceOrders", 1, tigerpawtest.Fault{Status: http.StatusOK, Body: body})
		got, err := c.ServiceOrders.Create(t.Context(), newOrder("ksc:1:host:9"))
		if err == nil || !errors.Is(err, tigerpaw.ErrMalformedResponse) || !strings.Contains(err.Error(), "look it up by Reference") {
			t.Errorf("%s: order %+v, err %v; want a malformed answer that asks for a lookup", name, got, err)
		}
	}
	// An answer that does not repeat the reference or the account is the
	// order created.
	srv, c := setup(t)
	srv.FailNext("POST", "/api/ServiceOrders", 1, tigerpawtest.Fault{Status: http.StatusOK,
		Body: `{"Success":true,"ServiceOrderSummary":{"ServiceOrderNumber":4711}}`})
	if got, err := c.ServiceOrders.Create(t.Context(), newOrder("ksc:1:host:9")); err != nil || got.ServiceOrderNumber != 4711 {
		t.Errorf("bare answer: %+v, %v", got, err)
	}
}
