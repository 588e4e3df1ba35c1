package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	kt "github.com/mspkit/kaspersky-tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/metrics"
)

// statusCycles is how many cycles of each job /status shows.
const statusCycles = 10

// observers are what sees the daemon's cycles and requests: the Prometheus
// registry and metrics, and the status board.
type observers struct {
	registry *prometheus.Registry
	metrics  *metrics.Metrics
	status   *statusBoard
}

func newObservers() (*observers, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, err
	}
	m, err := metrics.New(reg)
	if err != nil {
		return nil, err
	}
	return &observers{registry: reg, metrics: m, status: newStatusBoard()}, nil
}

// attach makes every cycle of d seen by the metrics and the status board.
func (o *observers) attach(d *daemon) {
	d.status, d.metrics = o.status, o.metrics
	d.billing.OnCycle = d.observe
	d.orders.OnCycle = d.observe
}

// observe records a cycle's result.
func (d *daemon) observe(r kt.CycleResult) {
	if d.metrics != nil {
		d.metrics.Observe(r)
	}
	d.status.record(r)
	d.cyclesMu.Lock()
	defer d.cyclesMu.Unlock()
	if d.cycles == nil {
		d.cycles = map[string]*kt.CycleResult{}
	}
	d.cycles[r.Job] = &r
}

// observeFailure records a cycle that failed before its job ran.
func (d *daemon) observeFailure(job string, err error) {
	d.observe(kt.CycleResult{Job: job, Start: time.Now(), Err: err, Failed: true})
}

// statusBoard keeps the last cycles of each job for /status and /readyz. A nil
// board records nothing.
type statusBoard struct {
	mu      sync.Mutex
	started time.Time
	jobs    map[string]*jobStatus
}

// jobStatus is one job's part of /status.
type jobStatus struct {
	Running bool       `json:"running"`
	NextRun *time.Time `json:"nextRun,omitempty"`
	// Cycles are the last cycles, the latest first.
	Cycles []cycleStatus `json:"cycles"`
	// Standby is set when this replica skipped the job's last cycle because
	// another replica holds the leader lease; SkippedCycles counts those.
	Standby       bool `json:"standby,omitempty"`
	SkippedCycles int  `json:"skippedCycles,omitempty"`
}

// cycleStatus is a cycle in /status.
type cycleStatus struct {
	kt.CycleResult
	// Duration replaces the result's nanoseconds with a Go duration string.
	Duration        string  `json:"duration"`
	DurationSeconds float64 `json:"durationSeconds"`
	Error           string  `json:"error,omitempty"`
}

func newStatusBoard() *statusBoard {
	return &statusBoard{started: time.Now(), jobs: map[string]*jobStatus{
		kt.JobBilling: {Cycles: []cycleStatus{}}, kt.JobServiceOrders: {Cycles: []cycleStatus{}},
	}}
}

func (b *statusBoard) job(name string) *jobStatus {
	j := b.jobs[name]
	if j == nil {
		j = &jobStatus{Cycles: []cycleStatus{}}
		b.jobs[name] = j
	}
	return j
}

func (b *statusBoard) setRunning(job string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	j := b.job(job)
	j.Running, j.NextRun = true, nil
}

func (b *statusBoard) setNext(job string, next time.Time) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	next = next.UTC()
	b.job(job).NextRun = &next
}

// setStandby records a cycle skipped because another replica leads.
func (b *statusBoard) setStandby(job string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	j := b.job(job)
	j.Running, j.Standby = false, true
	j.SkippedCycles++
}

func (b *statusBoard) record(r kt.CycleResult) {
	if b == nil {
		return
	}
	c := cycleStatus{CycleResult: r, Duration: r.Duration.String(), DurationSeconds: r.Duration.Seconds()}
	if r.Err != nil {
		c.Error = r.Err.Error()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	j := b.job(r.Job)
	j.Running, j.Standby = false, false
	j.Cycles = append([]cycleStatus{c}, j.Cycles...)
	if len(j.Cycles) > statusCycles {
		j.Cycles = j.Cycles[:statusCycles]
	}
}

// statusJSON is the body of /status.
func (b *statusBoard) statusJSON() ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return json.MarshalIndent(struct {
		Started time.Time             `json:"started"`
		Jobs    map[string]*jobStatus `json:"jobs"`
	}{b.started.UTC(), b.jobs}, "", "  ")
}

// ready reports why the daemon is not ready: the last cycle of a job failed
// whole (CycleResult.Failed: nothing read or written, every tenant failed, or
// a server refused the credentials). A partial cycle leaves it ready; a later
// cycle that does not fail makes it ready again.
func (b *statusBoard) ready() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(b.jobs)) {
		j := b.jobs[name]
		if len(j.Cycles) > 0 && j.Cycles[0].Failed {
			reason := j.Cycles[0].Error
			if reason == "" {
				reason = "no reason given"
			}
			errs = append(errs, fmt.Errorf("the last %s cycle failed: %s", name, reason))
		}
	}
	return errors.Join(errs...)
}

// route is an extra handler of the -listen server, e.g. a web console.
type route struct {
	// Pattern is an http.ServeMux pattern, e.g. "/console/".
	Pattern string
	Handler http.Handler
}

// newMux builds the -listen server's handler: /healthz, /readyz, /status,
// /metrics, then the extra routes (see extraRoutes).
func newMux(o *observers, extra ...route) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := o.status.ready(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, err)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		body, err := o.status.statusJSON()
		if err != nil {
			http.Error(w, "status: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.registry, promhttp.HandlerOpts{}))
	for _, r := range extra {
		mux.Handle(r.Pattern, r.Handler)
	}
	return mux
}

// listenAddr makes a port alone ("9464" or ":9464") a loopback address.
func listenAddr(addr string) string {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = ":" + addr
	}
	host, port, err := net.SplitHostPort(addr)
	if err == nil && host == "" {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

// serve starts the -listen server; the returned func stops it.
func (d *daemon) serve(addr string, o *observers) (func(), error) {
	ln, err := net.Listen("tcp", listenAddr(addr))
	if err != nil {
		return nil, asConfigError(fmt.Errorf("-listen %s: %w", addr, err))
	}
	extra, err := extraRoutes(d, listenAddr(addr))
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv := &http.Server{Handler: newMux(o, extra...), ReadHeaderTimeout: 10 * time.Second}
	d.log.Info("listening", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("the -listen server stopped", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
