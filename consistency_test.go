package kasperskytigerpaw

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// Tests of issue 18's triggers: a read that contradicts itself, or that the
// server refused, must not delete charges, close orders or write twice, and a
// cycle that did nothing must say it failed.

// cycles collects the CycleResults a job gives its OnCycle.
type cycles struct {
	mu  sync.Mutex
	all []CycleResult
}

func (c *cycles) observe(r CycleResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.all = append(c.all, r)
}

func (c *cycles) last(t *testing.T) CycleResult {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.all) == 0 {
		t.Fatal("no cycle observed")
	}
	return c.all[len(c.all)-1]
}

// tenantErrors returns the errors a cycle reports for a tenant, joined.
func tenantErrors(r CycleResult, tenant string) string {
	for _, t := range r.Tenants {
		if t.Tenant == tenant {
			return strings.Join(t.Errors, "; ")
		}
	}
	return ""
}

// openOrders counts the service orders of an account that are not closed.
func openOrders(srv *tigerpawtest.Server, account int) int {
	n := 0
	for _, o := range srv.Snapshot().ServiceOrders {
		if o.AccountNumber == account && o.Closed.IsZero() {
			n++
		}
	}
	return n
}

// TestNoHostsWhileKeysBindDevices: the console's FindHosts reports no host for
// a tenant whose license keys still bind its devices. Today every charge of
// the tenant would be deleted and its status orders closed; the tenant must be
// skipped with the reason, the other tenant billed as usual, and the cycles
// reported partial.
func TestNoHostsWhileKeysBindDevices(t *testing.T) {
	t.Parallel()
	const devices = 30 // device 25 has out-of-date databases: one status order
	w := newScaleWorld(t, 2, devices)
	j := w.jobs(t, serviceorder.NewMemoryStore(), 2)
	if _, _, err := w.cycle(t.Context(), j); err != nil {
		t.Fatalf("first cycle: %v", err)
	}
	agr := w.agreements[0]
	chargesBefore := w.tp.Charges(agr)
	if len(chargesBefore) == 0 || openOrders(w.tp, w.accounts[0]) == 0 {
		t.Fatalf("the first cycle left %d charges and %d open orders on tenant 0; want some of each",
			len(chargesBefore), openOrders(w.tp, w.accounts[0]))
	}
	ordersBefore := openOrders(w.tp, w.accounts[0])

	// Every host of tenant 0 gone from FindHosts; its key still binds them.
	for d := range devices {
		if !w.ksc.RemoveHost(scaleVS(0), scaleHost(0, d)) {
			t.Fatalf("host %d not removed", d)
		}
	}
	var bc, sc cycles
	j.billing.OnCycle = bc.observe
	j.orders.OnCycle = sc.observe
	w.advance(DefaultEventOverlap)
	j.source.Forget()
	plan, _, berr := j.billing.Run(t.Context(), w.cfg)
	if berr != nil {
		t.Errorf("billing run: %v; want a partial cycle without error", berr)
	}
	if _, err := j.orders.Run(t.Context(), w.cfg, w.rules); err != nil {
		t.Errorf("service order run: %v; want a partial cycle without error", err)
	}

	if diff := cmp.Diff(chargesBefore, w.tp.Charges(agr)); diff != "" {
		t.Errorf("tenant 0's charges changed (-before +after):\n%s", diff)
	}
	if got := openOrders(w.tp, w.accounts[0]); got != ordersBefore {
		t.Errorf("tenant 0 has %d open orders, had %d: orders were closed on an inconsistent read", got, ordersBefore)
	}
	skipped := false
	for _, s := range plan.Skipped {
		if s.Agreement == agr && errors.Is(s.Err, kaspersky.ErrInconsistentInventory) && strings.Contains(s.Err.Error(), scaleTenantID(0)) {
			skipped = true
		}
	}
	if !skipped || plan.Planned != 1 {
		t.Errorf("plan skipped %v, planned %d; want agreement %d skipped as inconsistent and the other planned", plan.Skipped, plan.Planned, agr)
	}
	for _, r := range []CycleResult{bc.last(t), sc.last(t)} {
		if r.Failed || r.Err == nil {
			t.Errorf("%s cycle: failed %v, err %v; want partial", r.Job, r.Failed, r.Err)
		}
		if e := tenantErrors(r, scaleTenantID(0)); !strings.Contains(e, "no device while its license keys bind") {
			t.Errorf("%s cycle: tenant 0's errors %q do not say why it was skipped", r.Job, e)
		}
		if e := tenantErrors(r, scaleTenantID(1)); e != "" {
			t.Errorf("%s cycle: tenant 1 has errors %q", r.Job, e)
		}
		if o := r.Outcome(); o != OutcomePartial {
			t.Errorf("%s cycle: outcome %q, want %q", r.Job, o, OutcomePartial)
		}
	}
}

// recorder keeps the last body of the answers to GETs whose path ends with a
// suffix.
type recorder struct {
	base   http.RoundTripper
	suffix string
	mu     sync.Mutex
	body   []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || !strings.HasSuffix(req.URL.Path, r.suffix) {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.body = b
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// realAnswer returns the body of the fake's answer to GET path (relative to
// /api/).
func realAnswer(t *testing.T, srv *tigerpawtest.Server, fetch func(c *tigerpaw.Client) error, suffix string) []byte {
	t.Helper()
	rec := &recorder{base: srv.HTTPClient().Transport, suffix: suffix}
	if err := fetch(srv.Client(t, tigerpaw.WithHTTPClient(&http.Client{Transport: rec}))); err != nil {
		t.Fatal(err)
	}
	if rec.body == nil {
		t.Fatalf("no answer recorded for *%s", suffix)
	}
	return rec.body
}

// chargeListAnswer returns the fake's JSON answer listing an agreement's
// charges, as elements.
func chargeListAnswer(t *testing.T, w *billingWorld) []map[string]any {
	t.Helper()
	body := realAnswer(t, w.srv, func(c *tigerpaw.Client) error {
		_, err := c.Charges.List(t.Context(), w.agreement)
		return err
	}, "/additionalcharges")
	var list []map[string]any
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatalf("charge list %s: %v", body, err)
	}
	return list
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestInconsistentChargeListSkipsAgreement: Tigerpaw lists the same charge
// twice (same DetailId), or an owned charge whose marker was cut, moved or
// lost. Today the plan deletes the only real charge as a duplicate of itself,
// or creates the charge a second time; the agreement must be skipped with the
// reason, nothing written.
func TestInconsistentChargeListSkipsAgreement(t *testing.T) {
	t.Parallel()
	ownedWS := func(list []map[string]any) int {
		for i, c := range list {
			d, _ := c["ItemDescription"].(string)
			if c["SpecialItemId"] == "KESB-ADV-WS" && strings.HasPrefix(d, billing.OwnerMarker) {
				return i
			}
		}
		return -1
	}
	tests := []struct {
		name  string
		craft func(list []map[string]any, i int) []map[string]any
		want  string
	}{
		{"same DetailId twice", func(list []map[string]any, i int) []map[string]any {
			return append(list, list[i])
		}, "listed twice"},
		{"marker cut", func(list []map[string]any, i int) []map[string]any {
			list[i]["ItemDescription"] = billing.OwnerMarker[:10]
			return list
		}, "start of the marker"},
		{"marker moved", func(list []map[string]any, i int) []map[string]any {
			list[i]["ItemDescription"] = "Workstations " + list[i]["ItemDescription"].(string)
			return list
		}, "elsewhere than at the start"},
		{"description lost", func(list []map[string]any, i int) []map[string]any {
			list[i]["ItemDescription"] = ""
			return list
		}, "no description"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newBillingWorld(t)
			job := w.job(t)
			if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
				t.Fatal(err)
			}
			list := chargeListAnswer(t, w)
			i := ownedWS(list)
			if i < 0 {
				t.Fatalf("no owned KESB-ADV-WS charge in %v", list)
			}
			// One item's usage changes, so that a plan over a good list would
			// write, and a plan over the bad one can be seen not to.
			inv, _ := w.src.Inventory(t.Context(), "vs-1")
			inv.Devices = inv.Devices[:99]
			inv.Licenses[0].ActiveDevices = inv.Licenses[0].ActiveDevices[:99]
			w.src.set(inv)
			before := w.srv.Snapshot().Charges
			writes := countedTigerpawWrites(w.srv)

			w.srv.FailNext("GET", "/api/agreements/{n}/additionalcharges", 1,
				tigerpawtest.Fault{Status: http.StatusOK, Body: mustJSON(t, tt.craft(list, i))})
			var c cycles
			job.OnCycle = c.observe
			plan, res, err := job.Run(t.Context(), w.cfg)
			if n := countedTigerpawWrites(w.srv) - writes; n != 0 || res.Created+res.Updated+res.Deleted != 0 {
				t.Errorf("%d writes (result %+v) on an inconsistent list; plan:\n%s", n, res, plan)
			}
			if diff := cmp.Diff(before, w.srv.Snapshot().Charges); diff != "" {
				t.Errorf("charges changed (-before +after):\n%s", diff)
			}
			if len(plan.Skipped) != 1 || !errors.Is(plan.Skipped[0].Err, billing.ErrInconsistentCharges) ||
				!strings.Contains(plan.Skipped[0].Err.Error(), tt.want) {
				t.Fatalf("skipped %v; want the agreement skipped: %s", plan.Skipped, tt.want)
			}
			// The only agreement skipped: the cycle failed.
			if !errors.Is(err, ErrCycleFailed) || !c.last(t).Failed {
				t.Errorf("run: %v, failed %v; want the cycle failed", err, c.last(t).Failed)
			}
			// The next read is good again: the change is made.
			if _, res, err := job.Run(t.Context(), w.cfg); err != nil || res.Updated != 1 {
				t.Errorf("run over a good list: %+v, %v; want the update made", res, err)
			}
		})
	}
}

// TestUntrustedPricesSkipAgreement: Tigerpaw lists a negative selling price,
// or a price level twice for an item. Today the first is written as a price
// and the second silently takes the first entry; the agreement must be skipped
// with the reason, nothing written.
func TestUntrustedPricesSkipAgreement(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		craft func(pricing []any, i int) []any
		want  string
	}{
		{"negative price", func(pricing []any, i int) []any {
			pricing[i].(map[string]any)["SellingPrice"] = -4.0
			return pricing
		}, "negative"},
		{"level listed twice", func(pricing []any, i int) []any {
			again := map[string]any{}
			for k, v := range pricing[i].(map[string]any) {
				again[k] = v
			}
			again["SellingPrice"] = 1.0
			return append(pricing, again)
		}, "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newBillingWorld(t)
			level := w.cfg.Tenants[0].Account.Billing.PriceLevel
			// LoadPrices reads the items in the mapping's order: the
			// workstation item's details come first.
			body := realAnswer(t, w.srv, func(c *tigerpaw.Client) error {
				it, err := c.PriceBook.ByItemID(t.Context(), "KESB-ADV-WS")
				if err != nil {
					return err
				}
				_, err = c.PriceBook.Details(t.Context(), it.PriceBookItemNumber)
				return err
			}, "/details")
			var detail map[string]any
			if err := json.Unmarshal(body, &detail); err != nil {
				t.Fatalf("details %s: %v", body, err)
			}
			pricing, _ := detail["Pricing"].([]any)
			at := -1
			for i, p := range pricing {
				if lv, _ := p.(map[string]any)["PriceLevel"].(float64); int(lv) == level {
					at = i
				}
			}
			if at < 0 {
				t.Fatalf("no price at level %d in %s", level, body)
			}
			detail["Pricing"] = tt.craft(pricing, at)
			w.srv.FailNext("GET", "/api/pricebook/items/{n}/details", 1, tigerpawtest.Fault{Status: http.StatusOK, Body: mustJSON(t, detail)})

			writes := countedTigerpawWrites(w.srv)
			plan, res, err := w.job(t).Run(t.Context(), w.cfg)
			if n := countedTigerpawWrites(w.srv) - writes; n != 0 || res.Created != 0 {
				t.Errorf("%d writes, result %+v; plan:\n%s", n, res, plan)
			}
			if len(plan.Skipped) != 1 || !errors.Is(plan.Skipped[0].Err, billing.ErrInvalidPrice) || !strings.Contains(plan.Skipped[0].Err.Error(), tt.want) {
				t.Errorf("skipped %v, want the agreement skipped: %s", plan.Skipped, tt.want)
			}
			if !errors.Is(err, ErrCycleFailed) {
				t.Errorf("run: %v, want ErrCycleFailed", err)
			}
		})
	}
}
