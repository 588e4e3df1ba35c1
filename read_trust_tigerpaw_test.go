package kasperskytigerpaw

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// These tests run the real jobs against the fake Tigerpaw whose answer to one
// read is malformed in the ways issue 18 lists, and check that nothing is
// written on the strength of it: no charge created a second time, no order
// created again, nothing billed at a negative price.

// dropField removes a field from every object of a JSON list (a rewrite of a
// real answer).
func dropField(t *testing.T, field string) func([]byte) []byte {
	return func(body []byte) []byte {
		var list []map[string]any
		if err := json.Unmarshal(body, &list); err != nil {
			t.Errorf("rewrite: %v", err)
			return body
		}
		for _, m := range list {
			delete(m, field)
		}
		out, err := json.Marshal(list)
		if err != nil {
			t.Errorf("rewrite: %v", err)
		}
		return out
	}
}

func TestBillingNeverActsOnAMalformedChargeList(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault func(t *testing.T) tigerpawtest.Fault
		want  string // what the skip reason names
	}{
		{"null", func(*testing.T) tigerpawtest.Fault { return tigerpawtest.Fault{Status: 200, Body: `null`} }, "list is null"},
		{"null element", func(*testing.T) tigerpawtest.Fault { return tigerpawtest.Fault{Status: 200, Body: `[null]`} }, "is null"},
		{"empty object", func(*testing.T) tigerpawtest.Fault { return tigerpawtest.Fault{Status: 200, Body: `[{}]`} }, "DetailId is missing"},
		{"no ItemDescription", func(t *testing.T) tigerpawtest.Fault {
			return tigerpawtest.Fault{Rewrite: dropField(t, "ItemDescription")}
		}, "ItemDescription is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newBillingWorld(t)
			job := w.job(t)
			if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantSeedCharges, w.charges(), sortCharges()); diff != "" {
				t.Fatalf("first run (-want +got):\n%s", diff)
			}

			// Every charge list read of the next run is malformed.
			w.srv.FailNext("GET", "/api/agreements/{n}/additionalcharges", 100, tc.fault(t))
			w.srv.ResetCounts()
			plan, res, _ := job.Run(t.Context(), w.cfg)
			if n := w.srv.Count("GET", "/api/agreements/{n}/additionalcharges"); n == 0 {
				t.Fatal("the run read no charge list")
			}
			if res.Created != 0 || res.Updated != 0 || res.Deleted != 0 || len(plan.Changes) != 0 {
				t.Errorf("a malformed list led to changes: plan %s, result %+v", plan, res)
			}
			if got := len(w.srv.Charges(w.agreement)); got != len(wantSeedCharges) {
				t.Errorf("charges on the agreement: %d, want %d", got, len(wantSeedCharges))
			}
			if diff := cmp.Diff(wantSeedCharges, w.charges(), sortCharges()); diff != "" {
				t.Errorf("charges after the malformed read (-want +got):\n%s", diff)
			}
			if len(plan.Skipped) != 1 || plan.Skipped[0].Agreement != w.agreement ||
				!errors.Is(plan.Skipped[0].Err, tigerpaw.ErrMalformedResponse) ||
				!strings.Contains(plan.Skipped[0].Err.Error(), tc.want) {
				t.Errorf("skipped = %+v, want agreement %d skipped with a malformed-answer reason naming %q", plan.Skipped, w.agreement, tc.want)
			}

			// With a good answer again, the next run finds nothing to do.
			w.srv.ClearFaults()
			plan, res, err := job.Run(t.Context(), w.cfg)
			if err != nil || len(plan.Skipped) != 0 || res.Created+res.Updated+res.Deleted != 0 {
				t.Errorf("run after recovery: plan %s, result %+v, err %v", plan, res, err)
			}
		})
	}
}

func TestBillingNeverWritesANegativePrice(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	// Every price of every item comes back negative.
	w.srv.FailNext("GET", "/api/pricebook/items/{n}/details", 100, tigerpawtest.Fault{Rewrite: func(body []byte) []byte {
		var d map[string]any
		if err := json.Unmarshal(body, &d); err != nil {
			t.Errorf("rewrite: %v", err)
			return body
		}
		for _, p := range d["Pricing"].([]any) {
			p.(map[string]any)["SellingPrice"] = -4.5
		}
		out, _ := json.Marshal(d)
		return out
	}})
	plan, res, err := w.job(t).Run(t.Context(), w.cfg)
	if err == nil || !errors.Is(err, tigerpaw.ErrMalformedResponse) || !strings.Contains(err.Error(), "SellingPrice -4.50") {
		t.Errorf("err = %v, want the negative price named", err)
	}
	if res.Created != 0 || len(plan.Changes) != 0 {
		t.Errorf("plan %s, result %+v: something was planned at a negative price", plan, res)
	}
	for _, c := range w.srv.Charges(w.agreement) {
		if c.Price < 0 || c.Quantity != 3 {
			t.Errorf("charge written: %+v", c)
		}
	}
	if n := len(w.srv.Charges(w.agreement)); n != 1 {
		t.Errorf("charges = %d, want only the hand-made one", n)
	}
}

func TestServiceOrdersNeverCreatedAgainOnAMalformedSearch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		body string
	}{
		{"list null", `{"ServiceOrders":null,"Success":true}`},
		{"answer null", `null`},
		{"no list", `{"Success":true}`},
		{"empty element", `{"ServiceOrders":[{}],"Success":true}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newSOWorld(t)
			if res := w.runOK(t); len(res.Created) != 1 {
				t.Fatalf("first run created %+v", res.Created)
			}
			// The engine's state is lost, and the reference search answers
			// malformed: the order must not be created again.
			w.store = serviceorder.NewMemoryStore()
			w.srv.FailNext("POST", "/api/serviceorders/search/reference", 100, tigerpawtest.Fault{Status: 200, Body: tc.body})
			w.srv.ResetCounts()
			w.advance(time.Minute)
			res := w.run(t)
			if n := w.srv.Count("POST", "/api/serviceorders/search/reference"); n == 0 {
				t.Fatal("the run did not search by reference")
			}
			if len(res.Created) != 0 {
				t.Errorf("created %+v on a malformed search", res.Created)
			}
			if n := len(w.orders()); n != 1 {
				t.Errorf("orders = %d, want exactly 1", n)
			}
			if len(res.Failed) == 0 {
				t.Errorf("result %+v: the malformed search is not reported as a failure", res)
			}
			for _, f := range res.Failed {
				if !errors.Is(f.Err, tigerpaw.ErrMalformedResponse) {
					t.Errorf("failure %v does not say the answer was malformed", f.Err)
				}
			}

			// With good answers again, the order is found, not created.
			w.srv.ClearFaults()
			w.advance(time.Minute)
			if res := w.runOK(t); len(res.Created) != 0 {
				t.Errorf("created %+v after recovery", res.Created)
			}
			if n := len(w.orders()); n != 1 {
				t.Errorf("orders after recovery = %d, want exactly 1", n)
			}
		})
	}
}
