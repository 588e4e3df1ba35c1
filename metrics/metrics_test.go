package metrics

import (
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	kt "github.com/mspkit/kaspersky-tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// metricValue sums the samples of the metric family name in reg whose labels
// include labels (name, value pairs).
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue metrics
				}
			}
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			case m.Histogram != nil:
				sum += float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return sum
}

// TestObserveByOutcome: each cycle is counted under its outcome; only an ok
// cycle sets the last success time; the tenants' failures and the charges
// and orders are counted; a not configured cycle is not a failure.
func TestObserveByOutcome(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	partial := errors.New("agreement 7 skipped")
	m.Observe(kt.CycleResult{Job: kt.JobBilling, Start: start, Duration: time.Second, Err: partial,
		Tenants: []kt.TenantOutcome{{Tenant: "vs-1", Errors: []string{"a", "b"}}}})
	if v := metricValue(t, reg, "kt_cycles_total", "job", kt.JobBilling, "outcome", "partial"); v != 1 {
		t.Errorf("kt_cycles_total partial = %v", v)
	}
	if v := metricValue(t, reg, "kt_tenant_failures_total", "job", kt.JobBilling, "tenant", "vs-1"); v != 2 {
		t.Errorf("kt_tenant_failures_total = %v", v)
	}
	if v := metricValue(t, reg, "kt_last_success_timestamp_seconds", "job", kt.JobBilling); v != 0 {
		t.Errorf("a partial cycle set the last success time to %v", v)
	}
	m.Observe(kt.CycleResult{Job: kt.JobBilling, Start: start, Duration: 2 * time.Second,
		Tenants: []kt.TenantOutcome{{Tenant: "vs-1", Created: 2, Unchanged: 1}}})
	if v := metricValue(t, reg, "kt_cycles_total", "job", kt.JobBilling, "outcome", "ok"); v != 1 {
		t.Errorf("kt_cycles_total ok = %v", v)
	}
	if v := metricValue(t, reg, "kt_charges_total", "action", "created"); v != 2 {
		t.Errorf("kt_charges_total created = %v", v)
	}
	if v := metricValue(t, reg, "kt_last_success_timestamp_seconds", "job", kt.JobBilling); v != float64(start.Add(2*time.Second).Unix()) {
		t.Errorf("last success = %v", v)
	}
	m.Observe(kt.CycleResult{Job: kt.JobServiceOrders, Start: start, Failed: true, Err: kt.ErrCycleFailed})
	m.Observe(kt.CycleResult{Job: kt.JobServiceOrders, Start: start, NotConfigured: []string{"no tenant mapped"}})
	m.Observe(kt.CycleResult{Job: kt.JobServiceOrders, Start: start, PendingCloses: 3,
		Tenants: []kt.TenantOutcome{{Tenant: "vs-1", OrdersCreated: 1, OrdersClosed: 2}}})
	for outcome, want := range map[string]float64{"failed": 1, "not_configured": 1, "ok": 1, "partial": 0} {
		if v := metricValue(t, reg, "kt_cycles_total", "job", kt.JobServiceOrders, "outcome", outcome); v != want {
			t.Errorf("kt_cycles_total{service_orders,%s} = %v, want %v", outcome, v, want)
		}
	}
	if v := metricValue(t, reg, "kt_service_orders_total", "action", "closed"); v != 2 {
		t.Errorf("kt_service_orders_total closed = %v", v)
	}
	if v := metricValue(t, reg, "kt_pending_locked_closes"); v != 3 {
		t.Errorf("kt_pending_locked_closes = %v", v)
	}
	if v := metricValue(t, reg, "kt_cycle_duration_seconds", "job", kt.JobServiceOrders); v != 3 {
		t.Errorf("kt_cycle_duration_seconds count = %v", v)
	}
}

// TestObserveFloodGuard: what the flood guard did in a service order cycle
// is counted: summary orders, events suppressed into them, orders deferred,
// and the limit in force; repeats noted and orders reopened are service
// order actions.
func TestObserveFloodGuard(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	for range 2 {
		m.Observe(kt.CycleResult{Job: kt.JobServiceOrders, Start: start, FloodLimit: 25, Summaries: 1, Suppressed: 40, Deferred: 3,
			Tenants: []kt.TenantOutcome{{Tenant: "vs-1", OrdersCreated: 26, Summaries: 1, OrdersNoted: 2, OrdersReopened: 1}}})
	}
	m.Observe(kt.CycleResult{Job: kt.JobServiceOrders, Start: start, FloodLimit: 10})
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"kt_service_order_summaries_total", nil, 2},
		{"kt_service_orders_suppressed_total", nil, 80},
		{"kt_service_orders_deferred_total", nil, 6},
		{"kt_service_order_flood_limit", nil, 10},
		{"kt_service_orders_total", []string{"action", "noted"}, 4},
		{"kt_service_orders_total", []string{"action", "reopened"}, 2},
	} {
		if v := metricValue(t, reg, c.name, c.labels...); v != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, v, c.want)
		}
	}
	// A billing cycle leaves them alone.
	m.Observe(kt.CycleResult{Job: kt.JobBilling, Start: start, Suppressed: 5})
	if v := metricValue(t, reg, "kt_service_orders_suppressed_total"); v != 80 {
		t.Errorf("a billing cycle counted suppressed orders: %v", v)
	}
}

// TestRoundTripperCountsWrites: the requests to a fake Tigerpaw are counted
// as the fake counts them, and the writes among them.
func TestRoundTripperCountsWrites(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	srv := tigerpawtest.NewServer(t)
	acct := srv.AddAccount(tigerpawtest.Account{Name: "Contoso", Type: "Customer"})
	agr := srv.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct.Number, BillingPeriod: 1, StartDate: time.Now().AddDate(-1, 0, 0)})
	hc := *srv.HTTPClient()
	hc.Transport = m.RoundTripper(APITigerpaw, hc.Transport)
	c := srv.Client(t, tigerpaw.WithHTTPClient(&hc))
	if _, err := c.Accounts.Get(t.Context(), acct.Number); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Charges.List(t.Context(), agr.Number); err != nil {
		t.Fatal(err)
	}
	_ = c.Charges.Delete(t.Context(), agr.Number, 999) // a write, whatever its answer
	if v := metricValue(t, reg, "kt_requests_total", "api", APITigerpaw); v != float64(srv.Count("*", "*")) || v == 0 {
		t.Errorf("kt_requests_total = %v, the fake counted %d", v, srv.Count("*", "*"))
	}
	if v := metricValue(t, reg, "kt_writes_total", "api", APITigerpaw); v != float64(srv.Count("DELETE", "*")) || v == 0 {
		t.Errorf("kt_writes_total = %v, the fake counted %d deletes", v, srv.Count("DELETE", "*"))
	}
}

// TestHeldGauge: kt_billing_held_changes is what the last billing cycle
// that planned holds; a failed cycle leaves it as it was.
func TestHeldGauge(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	m.Observe(kt.CycleResult{Job: kt.JobBilling, Start: start, Held: 2})
	m.Observe(kt.CycleResult{Job: kt.JobBilling, Start: start, Failed: true, Err: kt.ErrCycleFailed})
	m.Observe(kt.CycleResult{Job: kt.JobServiceOrders, Start: start})
	if v := metricValue(t, reg, "kt_billing_held_changes"); v != 2 {
		t.Errorf("kt_billing_held_changes = %v, want 2", v)
	}
	m.Observe(kt.CycleResult{Job: kt.JobBilling, Start: start})
	if v := metricValue(t, reg, "kt_billing_held_changes"); v != 0 {
		t.Errorf("kt_billing_held_changes = %v after nothing held", v)
	}
}
