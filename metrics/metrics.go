// Package metrics holds the integration's Prometheus metrics: the cycles of
// the jobs (give [Metrics.Observe] as a job's OnCycle) and the requests of the
// API clients (wrap a client's transport with [Metrics.RoundTripper]). It is
// kept out of the root package so that a program that only runs a job does
// not import Prometheus.
//
//	reg := prometheus.NewRegistry()
//	m, err := metrics.New(reg)
//	job := &kasperskytigerpaw.BillingJob{..., OnCycle: m.Observe}
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	kt "github.com/mspkit/kaspersky-tigerpaw"
)

// Metrics are the integration's Prometheus metrics: the jobs' cycles (give
// Observe as a job's OnCycle) and the requests of the API clients (give each
// client an http.Client whose Transport is RoundTripper). Every name starts
// with kt_.
type Metrics struct {
	cycles        *prometheus.CounterVec
	cycleDuration *prometheus.HistogramVec
	lastSuccess   *prometheus.GaugeVec
	tenantFails   *prometheus.CounterVec
	pending       prometheus.Gauge
	held          prometheus.Gauge
	charges       *prometheus.CounterVec
	orders        *prometheus.CounterVec
	summaries     prometheus.Counter
	suppressed    prometheus.Counter
	deferred      prometheus.Counter
	floodLimit    prometheus.Gauge
	requests      *prometheus.CounterVec
	writes        *prometheus.CounterVec
	retries       *prometheus.CounterVec
	reqDuration   *prometheus.HistogramVec
}

// New creates the metrics and registers them with reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		cycles: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kt_cycles_total",
			Help: "Cycles run, by job and outcome (ok; partial: some changes failed; failed: nothing done; not_configured: the integration is not yet configured, nothing done)."}, []string{"job", "outcome"}),
		cycleDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kt_cycle_duration_seconds",
			Help: "How long cycles ran, by job.", Buckets: prometheus.ExponentialBuckets(0.05, 3, 10)}, []string{"job"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kt_last_success_timestamp_seconds",
			Help: "Unix time of the end of the last cycle that made every change, by job."}, []string{"job"}),
		tenantFails: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kt_tenant_failures_total",
			Help: "Failed changes and skipped agreements, by job and tenant."}, []string{"job", "tenant"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kt_pending_locked_closes",
			Help: "Service order closes refused because the order is locked, as of the last cycle."}),
		held: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kt_billing_held_changes",
			Help: "Billing changes the guard holds for approval (not written), as of the last billing cycle that planned."}),
		charges: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kt_charges_total",
			Help: "Additional charges by what billing cycles did to them (created, updated, deleted, unchanged)."}, []string{"action"}),
		orders: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kt_service_orders_total",
			Help: "Service orders by what cycles did to them (created, closed; noted: a grouped order got a note about repeats; reopened: a closed grouped order was set back to new)."}, []string{"action"}),
		summaries: prometheus.NewCounter(prometheus.CounterOpts{Name: "kt_service_order_summaries_total",
			Help: "Summary orders the flood guard opened: one per tenant and cycle that reached the flood limit."}),
		suppressed: prometheus.NewCounter(prometheus.CounterOpts{Name: "kt_service_orders_suppressed_total",
			Help: "Events the flood guard listed in a summary order instead of opening an order for each."}),
		deferred: prometheus.NewCounter(prometheus.CounterOpts{Name: "kt_service_orders_deferred_total",
			Help: "Status, condition and license orders the flood guard left for a later cycle."}),
		floodLimit: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kt_service_order_flood_limit",
			Help: "Orders a service order cycle may open per tenant (the flood limit), as of the last cycle."}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kt_requests_total",
			Help: "HTTP requests sent, by API, method and status class (2xx, 4xx, 5xx, error)."}, []string{"api", "method", "class"}),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kt_writes_total",
			Help: "HTTP requests that change Tigerpaw (see kasperskytigerpaw.IsTigerpawWrite), by API and status class; the consoles are only read."}, []string{"api", "class"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kt_retries_total",
			Help: "HTTP requests that repeat a failed attempt (see kasperskytigerpaw.RequestAttempt), by API."}, []string{"api"}),
		reqDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kt_request_duration_seconds",
			Help: "HTTP request durations, by API.", Buckets: prometheus.DefBuckets}, []string{"api"}),
	}
	for _, c := range []prometheus.Collector{m.cycles, m.cycleDuration, m.lastSuccess, m.tenantFails, m.pending, m.held,
		m.charges, m.orders, m.summaries, m.suppressed, m.deferred, m.floodLimit, m.requests, m.writes, m.retries, m.reqDuration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Observe records one cycle. It is safe for concurrent use.
func (m *Metrics) Observe(r kt.CycleResult) {
	m.cycles.WithLabelValues(r.Job, r.Outcome()).Inc()
	m.cycleDuration.WithLabelValues(r.Job).Observe(r.Duration.Seconds())
	if r.Outcome() == kt.OutcomeOK {
		m.lastSuccess.WithLabelValues(r.Job).Set(float64(r.Start.Add(r.Duration).Unix()))
	}
	for _, t := range r.Tenants {
		if n := len(t.Errors); n > 0 {
			m.tenantFails.WithLabelValues(r.Job, t.Tenant).Add(float64(n))
		}
		if r.Job == kt.JobBilling {
			m.charges.WithLabelValues("created").Add(float64(t.Created))
			m.charges.WithLabelValues("updated").Add(float64(t.Updated))
			m.charges.WithLabelValues("deleted").Add(float64(t.Deleted))
			m.charges.WithLabelValues("unchanged").Add(float64(t.Unchanged))
		} else {
			m.orders.WithLabelValues("created").Add(float64(t.OrdersCreated))
			m.orders.WithLabelValues("closed").Add(float64(t.OrdersClosed))
			m.orders.WithLabelValues("noted").Add(float64(t.OrdersNoted))
			m.orders.WithLabelValues("reopened").Add(float64(t.OrdersReopened))
		}
	}
	if r.Job == kt.JobServiceOrders {
		m.summaries.Add(float64(r.Summaries))
		m.suppressed.Add(float64(r.Suppressed))
		m.deferred.Add(float64(r.Deferred))
		if r.FloodLimit > 0 {
			m.floodLimit.Set(float64(r.FloodLimit))
		}
	}
	if o := r.Outcome(); o == kt.OutcomeOK || o == kt.OutcomePartial {
		switch r.Job {
		case kt.JobServiceOrders:
			m.pending.Set(float64(r.PendingCloses))
		case kt.JobBilling:
			m.held.Set(float64(r.Held))
		}
	}
}

// API names, as in the metrics' api label.
const (
	APITigerpaw = "tigerpaw"
	APIKSC      = "ksc"
	APIHub      = "hub"
)

// RoundTripper returns next (http.DefaultTransport when nil) counting its
// requests as those of api (APITigerpaw, APIKSC, APIHub), and the retries
// among them; for APITigerpaw it counts the writes too.
func (m *Metrics) RoundTripper(api string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &countingTransport{m: m, api: api, next: next}
}

type countingTransport struct {
	m    *Metrics
	api  string
	next http.RoundTripper
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	class := "error"
	if err == nil {
		class = strconv.Itoa(resp.StatusCode/100) + "xx"
	}
	t.m.requests.WithLabelValues(t.api, req.Method, class).Inc()
	if kt.RequestAttempt(req) > 1 {
		t.m.retries.WithLabelValues(t.api).Inc()
	}
	if t.api == APITigerpaw && kt.IsTigerpawWrite(req) {
		t.m.writes.WithLabelValues(t.api, class).Inc()
	}
	t.m.reqDuration.WithLabelValues(t.api).Observe(time.Since(start).Seconds())
	return resp, err
}
