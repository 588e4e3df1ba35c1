package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	kt "github.com/mspkit/kaspersky-tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/history"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/metrics"
	"github.com/mspkit/kaspersky-tigerpaw/service/sdnotify"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

// Service is the integration's runtime: the clients, the stores, the leader
// lease, the two jobs and their schedules, the status board and, with
// WithListen, the HTTP server of /healthz, /readyz, /status, /metrics and the
// console. Build it with New, then call Run (a service), RunOnce (a cron
// job) or Plan (a dry run); Close releases what it opened.
type Service struct {
	cfg             *Config
	name            string
	log             *slog.Logger
	listen          string
	lockWait        time.Duration
	shutdownTimeout time.Duration
	// readOnly is set by WithReadOnly.
	readOnly bool

	source      kaspersky.Source
	closeSource func()
	tp          *tigerpaw.Client
	// injected are the stores given by WithStores; st the stores in use once
	// Start opened them.
	injected *stores
	// billingStores are the decision store and history of WithBillingStores.
	billingStores *stores
	st            *stores
	deskOpts      []kt.DeskOption

	registry *prometheus.Registry
	metrics  *metrics.Metrics
	status   *statusBoard
	console  *consoleSetup

	billing *kt.BillingJob
	orders  *kt.ServiceOrderJob
	jobs    map[string]*job

	startMu    sync.Mutex
	started    bool
	stopServer func()
	addr       string
	// scheduling is closed once Run schedules the cycles.
	scheduling   chan struct{}
	scheduleOnce sync.Once

	// cycles holds each job's last CycleResult, as its OnCycle saw it, so that
	// a cycle the job reports as failed or partial fails RunOnce even when
	// its Run returned no error.
	cyclesMu sync.Mutex
	cycles   map[string]*kt.CycleResult

	// notify is WithNotify's function; sd tells systemd (nil outside it).
	notify func(Phase)
	sd     *sdnotify.Notifier
}

// job is one job's schedule.
type job struct {
	name  string
	every time.Duration
	cycle func(context.Context) error
	// running is held while a cycle of the job runs: never two at once.
	running sync.Mutex
	// now asks the schedule for a cycle at once (RunNow).
	now chan struct{}
}

// Option configures a Service.
type Option func(*Service)

// WithLogger sets the logger (default: none).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithListen serves /healthz, /readyz, /status, /metrics and the console at
// /console/ on addr ("host:port"; a port alone is on loopback) once the
// service starts.
func WithListen(addr string) Option { return func(s *Service) { s.listen = addr } }

// WithLockWait is how long Start waits for another process that holds the
// file stores to end before it refuses to start (default: not at all).
func WithLockWait(d time.Duration) Option { return func(s *Service) { s.lockWait = max(d, 0) } }

// WithShutdownTimeout is how long the cycle in flight may run on once the
// context of Run, RunOnce or Plan ended (default: a minute): it finishes its
// write and saves the state rather than stop in the middle.
func WithShutdownTimeout(d time.Duration) Option {
	return func(s *Service) { s.shutdownTimeout = d }
}

// WithSource reads this Kaspersky console instead of the configuration's.
func WithSource(src kaspersky.Source) Option { return func(s *Service) { s.source = src } }

// WithTigerpaw writes to this Tigerpaw client instead of the configuration's.
func WithTigerpaw(c *tigerpaw.Client) Option { return func(s *Service) { s.tp = c } }

// WithStores keeps the mapping, the service order state and the rules in
// these stores instead of the configuration's (the service then needs no
// leader lease: it is always the leader).
func WithStores(m mapping.Store, state serviceorder.Store, rules serviceorder.RulesStore) Option {
	return func(s *Service) {
		s.injected = &stores{mapping: m, state: state, rules: rules, lead: func(context.Context) error { return nil },
			hold: func(ctx context.Context) (context.Context, context.CancelFunc) { return context.WithCancel(ctx) }, close: func() {}}
	}
}

// WithMetrics registers the metrics m in reg, served at /metrics, instead
// of a registry of the service's own; give the same m's RoundTripper to the
// clients of WithSource and WithTigerpaw.
func WithMetrics(reg *prometheus.Registry, m *metrics.Metrics) Option {
	return func(s *Service) { s.registry, s.metrics = reg, m }
}

// New builds the runtime of cfg: it reads the secrets and connects nothing
// yet. Its configuration errors are *ConfigError.
func New(cfg *Config, opts ...Option) (*Service, error) {
	s := &Service{cfg: cfg, name: cfg.Integration, shutdownTimeout: time.Minute, status: newStatusBoard(),
		closeSource: func() {}, scheduling: make(chan struct{}), sd: sdnotify.FromEnv()}
	for _, o := range opts {
		o(s)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := mapping.CheckName(s.name); err != nil {
		return nil, asConfigError(fmt.Errorf("config: integration: %w", err))
	}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
		if err := s.registry.Register(collectors.NewGoCollector()); err != nil {
			return nil, err
		}
		m, err := metrics.New(s.registry)
		if err != nil {
			return nil, err
		}
		s.metrics = m
	}
	if s.tp == nil || s.source == nil || s.injected == nil {
		if err := cfg.Resolve(); err != nil {
			return nil, err
		}
	}
	if s.tp == nil {
		tp, err := newTigerpaw(cfg, s.log, s.metrics)
		if err != nil {
			return nil, asConfigError(err)
		}
		s.tp = tp
		if strings.HasPrefix(strings.ToLower(cfg.Tigerpaw.URL), "http:") {
			s.log.Warn("tigerpaw.url is http://: the requests are signed but travel in clear; use https:// in production", "url", cfg.Tigerpaw.URL)
		}
	}
	if s.source == nil {
		src, closeSource, err := newSource(cfg, s.log, s.metrics)
		if err != nil {
			return nil, asConfigError(err)
		}
		s.source, s.closeSource = src, closeSource
	}
	if cfg.Tigerpaw.CompleteOpenTasks {
		s.deskOpts = append(s.deskOpts, kt.WithCompleteOpenTasks())
	}
	if s.listen != "" {
		c, err := newConsoleSetup(cfg)
		if err != nil {
			s.closeSource()
			return nil, err
		}
		s.console = c
	}
	s.billing = &kt.BillingJob{Source: s.source, Tigerpaw: s.tp, Logger: s.log, Concurrency: cfg.Concurrency,
		TigerpawConcurrency: cfg.Tigerpaw.Concurrency, OnCycle: s.observe,
		Guard: cfg.BillingGuard, HistoryRetention: time.Duration(cfg.HistoryRetention)}
	s.jobs = map[string]*job{
		kt.JobBilling:       {name: kt.JobBilling, every: time.Duration(cfg.BillingEvery), cycle: s.billingCycle, now: make(chan struct{}, 1)},
		kt.JobServiceOrders: {name: kt.JobServiceOrders, every: time.Duration(cfg.ServiceOrdersEvery), cycle: s.serviceOrderCycle, now: make(chan struct{}, 1)},
	}
	return s, nil
}

// Start opens the stores (waiting WithLockWait for file stores another
// process holds; ctx ends the wait; WithReadOnly opens them for reading
// only, without waiting) and, with WithListen, starts the HTTP server. Run,
// RunOnce and Plan call it; it does its work once.
func (s *Service) Start(ctx context.Context) error {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	if s.started {
		return nil
	}
	st := s.injected
	switch {
	case st == nil && s.readOnly:
		var err error
		if st, err = openReadOnlyStores(ctx, s.cfg); err != nil {
			return err
		}
	case st == nil:
		var err error
		st, err = openStores(ctx, s.cfg, s.lockWait, s.log)
		if errors.Is(err, errStoreLocked) {
			return asConfigError(err)
		}
		if err != nil {
			return err
		}
	}
	if s.billingStores != nil {
		st.decisions, st.history = s.billingStores.decisions, s.billingStores.history
	}
	if s.readOnly {
		st = readOnly(st)
	}
	desk, err := kt.NewDesk(s.tp, s.deskOpts...)
	if err != nil {
		st.close()
		return err
	}
	runner, err := serviceorder.NewRunner(desk, st.state, serviceorder.WithLogger(s.log))
	if err != nil {
		st.close()
		return err
	}
	s.billing.Decisions, s.billing.History = st.decisions, st.history
	s.orders = &kt.ServiceOrderJob{Source: s.source, Runner: runner, Logger: s.log, Concurrency: s.cfg.Concurrency, OnCycle: s.observe}
	s.st = st
	if s.listen != "" {
		stop, err := s.serve(s.listen)
		if err != nil {
			st.close()
			s.st = nil
			return err
		}
		s.stopServer = stop
	}
	s.started = true
	return nil
}

// Addr is the address the HTTP server listens on, once started.
func (s *Service) Addr() string {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	return s.addr
}

// Close stops the HTTP server, releases the stores (and the leader lease)
// and ends the console sessions.
func (s *Service) Close() error {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	if s.stopServer != nil {
		s.stopServer()
		s.stopServer = nil
	}
	if s.st != nil {
		s.st.close()
		s.st = nil
	}
	s.started = false
	s.closeSource()
	s.closeSource = func() {}
	return nil
}

// work is the context the cycles run on: it outlives ctx by the shutdown
// timeout, so that the write in flight when ctx ends completes and the state
// is saved. stop releases it.
func (s *Service) work(ctx context.Context) (work context.Context, stop func()) {
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	after := context.AfterFunc(ctx, func() {
		s.log.Info("stopping: the cycle in flight finishes first", "timeout", s.shutdownTimeout)
		time.AfterFunc(s.shutdownTimeout, cancel)
	})
	return work, func() { after(); cancel() }
}

// Run starts the service and runs the billing and the service order cycles,
// each at its interval after the end of its previous cycle (and at once on
// RunNow), until ctx ends; each runs once at the start. A job's cycles run
// one after the other, never two at once; the two jobs run side by side.
// The cycle in flight when ctx ends finishes (see WithShutdownTimeout);
// Run returns when both jobs have stopped. Once started it tells Running,
// and Stopping when ctx ends (see WithNotify).
func (s *Service) Run(ctx context.Context) error {
	if s.readOnly {
		return errNotPlanning("run")
	}
	work, stop := s.work(ctx)
	defer stop()
	if err := s.Start(ctx); err != nil {
		return err
	}
	s.scheduleOnce.Do(func() { close(s.scheduling) })
	var wg sync.WaitGroup
	for _, j := range []*job{s.jobs[kt.JobBilling], s.jobs[kt.JobServiceOrders]} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.schedule(ctx, work, j)
		}()
	}
	s.tell(Running)
	stopWatchdog := s.watchdog()
	defer stopWatchdog()
	<-ctx.Done() // the schedules end only with ctx
	s.tell(Stopping)
	wg.Wait()
	return nil
}

// RunOnce starts the service and runs one billing and one service order
// cycle. Its error is that of a cycle that failed or was partial; a cycle
// that found the integration not configured yet is not an error (the log
// says what is missing).
func (s *Service) RunOnce(ctx context.Context) error {
	if s.readOnly {
		return errNotPlanning("run once")
	}
	work, stop := s.work(ctx)
	defer stop()
	if err := s.Start(ctx); err != nil {
		return err
	}
	err := s.runJob(work, s.jobs[kt.JobBilling])
	if ctx.Err() != nil {
		return err
	}
	return errors.Join(err, s.runJob(work, s.jobs[kt.JobServiceOrders]))
}

// RunBilling runs one billing cycle now and waits for it (after the one in
// flight, if any).
func (s *Service) RunBilling(ctx context.Context) error {
	if s.readOnly {
		return errNotPlanning("billing cycle")
	}
	if err := s.Start(ctx); err != nil {
		return err
	}
	return s.runJob(ctx, s.jobs[kt.JobBilling])
}

// RunServiceOrders runs one service order cycle now and waits for it (after
// the one in flight, if any).
func (s *Service) RunServiceOrders(ctx context.Context) error {
	if s.readOnly {
		return errNotPlanning("service order cycle")
	}
	if err := s.Start(ctx); err != nil {
		return err
	}
	return s.runJob(ctx, s.jobs[kt.JobServiceOrders])
}

// runJob runs one cycle of j, after the one in flight, and logs its error.
func (s *Service) runJob(ctx context.Context, j *job) error {
	j.running.Lock()
	defer j.running.Unlock()
	return s.leading(ctx, j.name, j.cycle)
}

// schedule runs j's cycles until ctx ends.
func (s *Service) schedule(ctx, work context.Context, j *job) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-j.now:
			timer.Stop()
		}
		if ctx.Err() != nil {
			return // both were ready: stopping wins
		}
		if err := s.runJob(work, j); err != nil {
			s.log.Error("cycle failed; it runs again at its next time", "cycle", j.name, "err", err)
		}
		next := time.Now().Add(j.every)
		s.status.setNext(j.name, next)
		timer.Reset(time.Until(next))
	}
}

// ErrUnknownJob is wrapped by the error of RunNow for a job the runtime does
// not run.
var ErrUnknownJob = errors.New("service: unknown job")

// RunNow starts a cycle of job (kasperskytigerpaw.JobBilling or
// JobServiceOrders) at once, after the one in flight if any, and does not
// wait for it. It needs Run to be scheduling the cycles, and this replica to
// lead: on a standby it fails with an error wrapping ErrNotLeader (and
// console.ErrNotLeader). A request made while one is pending is the same
// request.
func (s *Service) RunNow(ctx context.Context, name string) error {
	j := s.jobs[name]
	if j == nil {
		return fmt.Errorf("job %q: %w", name, ErrUnknownJob)
	}
	select {
	case <-s.scheduling:
	default:
		return fmt.Errorf("job %q: the service is not running its schedule", name)
	}
	if err := s.st.lead(ctx); err != nil {
		if isLeaseHeld(err) {
			return fmt.Errorf("job %q: %w", name, ErrNotLeader)
		}
		return fmt.Errorf("job %q: leader lease: %w", name, err)
	}
	select {
	case j.now <- struct{}{}:
	default: // one is pending already
	}
	s.log.Info("cycle requested now", "cycle", name)
	return nil
}

// Held returns how many billing changes the guard holds for approval, and a
// line per change naming its tenant, the change and why, as of the last
// billing cycle that planned (a status page can show them; /status has them
// as jobs.billing.held and the cycles' tenants' heldChanges).
func (s *Service) Held(context.Context) (int, []string) { return s.status.held() }

// WithBillingStores keeps the billing guard's decisions and the usage
// history in these stores instead of the configuration's; with WithStores
// and without this option the service keeps neither.
func WithBillingStores(d billing.DecisionStore, h history.Store) Option {
	return func(s *Service) { s.billingStores = &stores{decisions: d, history: h} }
}

// Jobs returns the state of each job, billing first, as /status shows it.
func (s *Service) Jobs(context.Context) []JobState { return s.status.jobStates() }

// integration reads the integration's saved configuration.
func (s *Service) integration(ctx context.Context) (mapping.Config, error) {
	cfg, err := s.st.mapping.Load(ctx, s.name)
	if err != nil {
		return mapping.Config{}, fmt.Errorf("integration %q: %w", s.name, err)
	}
	return cfg, nil
}

// errAllSkipped is the error of a dry run whose plan leaves out every
// agreement: nothing of it could be checked.
var errAllSkipped = errors.New("every agreement was skipped")

// Plan starts the service and writes the billing plan to w without writing
// anything anywhere else; WithReadOnly lets it run beside a service on the
// same stores. A plan that skips every agreement is an error (the
// reasons are in the plan); an integration not configured for billing is an
// error naming what is missing.
func (s *Service) Plan(ctx context.Context, w io.Writer) error {
	if err := s.Start(ctx); err != nil {
		return err
	}
	cfg, missing, err := s.billingConfig(ctx)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("billing plan: the integration is not configured: %s", strings.Join(missing, "; "))
	}
	plan, err := s.billing.Plan(ctx, cfg)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, plan.Explain()); err != nil {
		return err
	}
	agreements := map[int]bool{}
	for _, ba := range cfg.BillingAccounts() {
		agreements[ba.Agreement] = true
	}
	for _, sk := range plan.Skipped {
		delete(agreements, sk.Agreement)
	}
	if len(plan.Skipped) > 0 && len(agreements) == 0 {
		reasons := make([]error, len(plan.Skipped))
		for i, sk := range plan.Skipped {
			reasons[i] = fmt.Errorf("agreement %d: %w", sk.Agreement, sk.Err)
		}
		return fmt.Errorf("billing plan: %w: %w", errAllSkipped, errors.Join(reasons...))
	}
	return nil
}

// startCycle forgets the job's last result, before a cycle of it runs.
func (s *Service) startCycle(job string) {
	s.status.setRunning(job)
	s.cyclesMu.Lock()
	defer s.cyclesMu.Unlock()
	delete(s.cycles, job)
}

// observe records a cycle's result.
func (s *Service) observe(r kt.CycleResult) {
	if s.metrics != nil {
		s.metrics.Observe(r)
	}
	s.status.record(r)
	s.cyclesMu.Lock()
	defer s.cyclesMu.Unlock()
	if s.cycles == nil {
		s.cycles = map[string]*kt.CycleResult{}
	}
	s.cycles[r.Job] = &r
}

// observeFailure records a cycle that failed before its job ran.
func (s *Service) observeFailure(job string, err error) {
	s.observe(kt.CycleResult{Job: job, Start: time.Now(), Err: err, Failed: true})
}

// notConfigured records a cycle that did not run because the integration
// misses what missing says.
func (s *Service) notConfigured(job string, missing []string) {
	s.log.Warn("cycle not run: the integration is not configured yet; configure it in the console", "cycle", job,
		"missing", strings.Join(missing, "; "))
	s.observe(kt.CycleResult{Job: job, Start: time.Now(), NotConfigured: missing})
}

// cycleOutcome is the error of the job's cycle that just ran: err, its Run's
// error, or else the error of the CycleResult the job reported (a cycle that
// failed or was partial although Run returned nil).
func (s *Service) cycleOutcome(job string, err error) error {
	if err != nil {
		return err
	}
	s.cyclesMu.Lock()
	defer s.cyclesMu.Unlock()
	r := s.cycles[job]
	switch {
	case r == nil:
		return nil
	case r.Err != nil:
		return r.Err
	case r.Failed:
		return fmt.Errorf("the %s cycle failed", job)
	}
	return nil
}

// billingConfig reads the integration and says what billing misses of it.
func (s *Service) billingConfig(ctx context.Context) (mapping.Config, []string, error) {
	cfg, err := s.integration(ctx)
	if errors.Is(err, mapping.ErrNotFound) {
		return cfg, BillingMissing(mapping.Config{}), nil // none saved: everything is missing
	}
	if err != nil {
		return cfg, nil, err
	}
	return cfg, BillingMissing(cfg), nil
}

func (s *Service) billingCycle(ctx context.Context) error {
	s.startCycle(kt.JobBilling)
	cfg, missing, err := s.billingConfig(ctx)
	if err != nil {
		s.observeFailure(kt.JobBilling, err)
		return err
	}
	if len(missing) > 0 {
		s.notConfigured(kt.JobBilling, missing)
		return nil
	}
	plan, res, err := s.billing.Run(ctx, cfg)
	create, update, del, _ := plan.Counts()
	s.log.Info("billing cycle", "planned_creates", create, "planned_updates", update, "planned_deletes", del,
		"created", res.Created, "updated", res.Updated, "deleted", res.Deleted, "unchanged", res.Unchanged,
		"failed", len(res.Failed), "skipped_agreements", len(plan.Skipped))
	return s.cycleOutcome(kt.JobBilling, err)
}

func (s *Service) serviceOrderCycle(ctx context.Context) error {
	s.startCycle(kt.JobServiceOrders)
	cfg, err := s.integration(ctx)
	if errors.Is(err, mapping.ErrNotFound) {
		cfg, err = mapping.Config{}, nil // none saved: everything is missing
	}
	if err != nil {
		s.observeFailure(kt.JobServiceOrders, err)
		return err
	}
	rules, _, err := s.st.rules.LoadRules(ctx)
	if err != nil {
		err = fmt.Errorf("service order rules: %w", err)
		s.observeFailure(kt.JobServiceOrders, err)
		return err
	}
	missing := ServiceOrdersMissing(cfg, rules)
	if len(missing) > 0 {
		s.notConfigured(kt.JobServiceOrders, missing)
		return nil
	}
	if err := rules.Validate(); err != nil {
		err = fmt.Errorf("service order rules: %w", err)
		s.observeFailure(kt.JobServiceOrders, err)
		return err
	}
	res, err := s.orders.Run(ctx, cfg, rules)
	s.log.Info("service order cycle", "created", len(res.Created), "recovered", len(res.Recovered),
		"closed", len(res.Closed), "pending", len(res.Pending), "failed", len(res.Failed))
	if err == nil {
		err = res.Err()
	}
	return s.cycleOutcome(kt.JobServiceOrders, err)
}
