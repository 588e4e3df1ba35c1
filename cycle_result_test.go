package kasperskytigerpaw

import (
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
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

// countedTigerpawWrites counts the requests of srv that change Tigerpaw.
func countedTigerpawWrites(srv *tigerpawtest.Server) int {
	return srv.Count("POST", "/api/agreements/{n}/additionalcharges") + srv.Count("PUT", "*") + srv.Count("DELETE", "*") +
		srv.Count("POST", "/api/serviceorders")
}

func TestBillingJobOnCycleAndMetrics(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	hc := *w.srv.HTTPClient()
	hc.Transport = m.RoundTripper(APITigerpaw, hc.Transport)
	job := w.job(t)
	job.Tigerpaw = w.srv.Client(t, tigerpaw.WithHTTPClient(&hc))
	var got []CycleResult
	job.OnCycle = func(r CycleResult) {
		got = append(got, r)
		m.Observe(r)
	}

	// The first cycle's two writes are refused: a partial cycle with two
	// failures of the tenant, and no success time.
	w.srv.FailNext("POST", "/api/agreements/{n}/additionalcharges", 2,
		tigerpawtest.Fault{Status: http.StatusOK, Body: `{"Success":false,"Message":"Agreement is being edited."}`})
	if _, _, err := job.Run(t.Context(), w.cfg); err == nil {
		t.Fatal("a cycle with refused writes reported no error")
	}
	if len(got) != 1 {
		t.Fatalf("OnCycle called %d times", len(got))
	}
	r := got[0]
	if r.Job != JobBilling || !r.Start.Equal(billingNow) || r.Err == nil || r.Failed || len(r.Tenants) != 1 ||
		r.Tenants[0].Tenant != "vs-1" || r.Tenants[0].Created != 0 || len(r.Tenants[0].Errors) != 2 {
		t.Errorf("result of the refused cycle = %+v", r)
	}
	if v := metricValue(t, reg, "kt_cycles_total", "job", JobBilling, "outcome", "partial"); v != 1 {
		t.Errorf("kt_cycles_total partial = %v", v)
	}
	if v := metricValue(t, reg, "kt_tenant_failures_total", "job", JobBilling, "tenant", "vs-1"); v != 2 {
		t.Errorf("kt_tenant_failures_total = %v", v)
	}
	if v := metricValue(t, reg, "kt_last_success_timestamp_seconds", "job", JobBilling); v != 0 {
		t.Errorf("a partial cycle set the last success time to %v", v)
	}

	// The next cycle makes them.
	if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
		t.Fatal(err)
	}
	r = got[1]
	if r.Err != nil || r.Failed || len(r.Tenants) != 1 {
		t.Fatalf("result = %+v", r)
	}
	if to := r.Tenants[0]; to.Tenant != "vs-1" || to.Created != 2 || to.Updated+to.Deleted+to.Unchanged != 0 || len(to.Errors) != 0 {
		t.Errorf("tenant outcome = %+v, want 2 created", to)
	}
	if v := metricValue(t, reg, "kt_requests_total", "api", APITigerpaw); v != float64(w.srv.Count("*", "*")) || v == 0 {
		t.Errorf("kt_requests_total = %v, the fake counted %d", v, w.srv.Count("*", "*"))
	}
	if v := metricValue(t, reg, "kt_writes_total", "api", APITigerpaw); v != float64(countedTigerpawWrites(w.srv)) || v != 4 {
		t.Errorf("kt_writes_total = %v, the fake counted %d writes, want 4", v, countedTigerpawWrites(w.srv))
	}
	if v := metricValue(t, reg, "kt_cycles_total", "job", JobBilling, "outcome", "ok"); v != 1 {
		t.Errorf("kt_cycles_total ok = %v", v)
	}
	if v := metricValue(t, reg, "kt_charges_total", "action", "created"); v != 2 {
		t.Errorf("kt_charges_total created = %v", v)
	}
	if v := metricValue(t, reg, "kt_last_success_timestamp_seconds", "job", JobBilling); v != float64(billingNow.Unix()) {
		t.Errorf("last success = %v, want %d", v, billingNow.Unix())
	}
	if v := metricValue(t, reg, "kt_cycle_duration_seconds", "job", JobBilling); v != 2 {
		t.Errorf("kt_cycle_duration_seconds count = %v", v)
	}
}

func TestServiceOrderJobOnCycle(t *testing.T) {
	t.Parallel()
	w := newSOWorld(t)
	desk, err := NewDesk(w.srv.Client(t, tigerpaw.WithClock(w.clock)))
	if err != nil {
		t.Fatal(err)
	}
	runner, err := serviceorder.NewRunner(desk, w.store, serviceorder.WithClock(w.clock))
	if err != nil {
		t.Fatal(err)
	}
	var got []CycleResult
	job := &ServiceOrderJob{Source: w.src, Runner: runner, Now: w.clock, OnCycle: func(r CycleResult) { got = append(got, r) }}
	res, err := job.Run(t.Context(), w.cfg, w.rules)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) == 0 {
		t.Fatal("the cycle created no order")
	}
	if len(got) != 1 || got[0].Job != JobServiceOrders || got[0].Err != nil || got[0].Failed {
		t.Fatalf("results = %+v", got)
	}
	// Only the mapped tenant is in the outcomes.
	if ts := got[0].Tenants; len(ts) != 1 || ts[0].Tenant != "vs-1" || ts[0].OrdersCreated != len(res.Created) || ts[0].OrdersClosed != 0 {
		t.Errorf("tenants = %+v, want vs-1 with %d created", ts, len(res.Created))
	}

	// The status clears: the order is closed.
	w.setDevice(kaspersky.StatusOK)
	w.advance(time.Hour)
	res, err = job.Run(t.Context(), w.cfg, w.rules)
	if err != nil {
		t.Fatal(err)
	}
	if ts := got[1].Tenants; len(ts) != 1 || ts[0].OrdersClosed != len(res.Closed) || len(res.Closed) == 0 {
		t.Errorf("tenants after the close = %+v, result %+v", ts, res)
	}
}
