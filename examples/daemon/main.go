// Command daemon is the reference daemon of the module: it runs the automatic
// billing and the service order cycles of one integration between a Kaspersky
// console (Kaspersky Security Center, or Business Hub through the module's own
// contract) and Tigerpaw, on the module's library packages.
//
// Usage:
//
//	daemon -demo                  run the cycles on an in-process fake KSC and Tigerpaw
//	daemon -demo -solution hub    the same with a fake Business Hub
//	daemon -config daemon.json    run the cycles until interrupted
//	daemon -config daemon.json -once
//	daemon -config daemon.json -dry-run   print the billing plan, write nothing
//	daemon -config daemon.json -listen :9464   also serve /healthz, /readyz, /status, /metrics
//
// Exit codes: 0 done or stopped by SIGINT/SIGTERM (the cycle in flight
// finishes first; a second signal exits at once), 1 a cycle of -once failed or
// was partial, or a -dry-run plan skipped every agreement, 2 a flag or
// configuration error, or file stores another process holds, before anything
// ran. A service refuses at once to run beside another process on its file
// stores; -once and -dry-run wait up to -lock-wait for it to end.
//
// The configuration file names the servers, where the secrets are
// ("env:NAME" or "file:PATH"), the mapping store, the service order rules file and the
// engine's state file; see config.go. The integration's mapping (tenants,
// accounts, billing settings, price book) is edited with package mapping and
// read from the store at every cycle.
package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	kt "github.com/mspkit/kaspersky-tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/internal/httpx"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hub"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksc"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel() // the first signal: finish the cycle in flight, persist, exit 0
		<-sigs
		fmt.Fprintln(os.Stderr, "daemon: second signal, exiting at once")
		os.Exit(1)
	}()
	os.Exit(runMain(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes of the daemon.
const (
	exitOK     = 0 // done, or stopped by a signal after the cycle in flight
	exitFailed = 1 // a cycle of -once or -demo failed, or the daemon could not run
	exitConfig = 2 // a flag or configuration error: nothing ran
)

// options are the daemon's command-line flags.
type options struct {
	demo            bool
	solution        string
	config          string
	once, dryRun    bool
	verbose         bool
	logFormat       string
	listen          string
	shutdownTimeout time.Duration
	lockWait        time.Duration
}

// runMain is the daemon's main: it parses args, runs until done or until ctx
// ends (the first SIGINT or SIGTERM), then lets the cycle in flight finish, for
// at most -shutdown-timeout. It returns the exit code.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("daemon", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.BoolVar(&o.demo, "demo", false, "run billing and service order cycles on in-process fake servers, and show what they did")
	fs.StringVar(&o.solution, "solution", "ksc", "with -demo: the console to fake, ksc or hub")
	fs.StringVar(&o.config, "config", "", "the daemon's configuration file (JSON)")
	fs.BoolVar(&o.once, "once", false, "run one billing and one service order cycle, then exit")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print the billing plan and exit; write nothing")
	fs.BoolVar(&o.verbose, "v", false, "log at debug level")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format, text or json")
	fs.StringVar(&o.listen, "listen", "", "serve /healthz, /readyz, /status, /metrics and the configuration console /console/ on this address (a port alone listens on loopback)")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", time.Minute, "after a signal, how long the cycle in flight may run before it is cancelled")
	fs.DurationVar(&o.lockWait, "lock-wait", 30*time.Second, "with -once or -dry-run: how long to wait for another process holding the file stores to end before refusing to start (a service refuses at once)")
	if err := fs.Parse(args); err != nil {
		return exitConfig
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "daemon: unexpected argument %q\n", fs.Arg(0))
		return exitConfig
	}
	log, err := newLogger(stderr, o.logFormat, o.verbose)
	if err != nil {
		fmt.Fprintf(stderr, "daemon: %v\n", err)
		return exitConfig
	}
	if !o.demo && o.config == "" {
		fmt.Fprintln(stderr, "daemon: -config is required (or -demo)")
		return exitConfig
	}
	// Cycles run on work, which outlives ctx by the shutdown timeout so that the
	// write in flight completes and the stores are saved.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stopWork := context.AfterFunc(ctx, func() {
		log.Info("stopping: the cycle in flight finishes first", "timeout", o.shutdownTimeout)
		time.AfterFunc(o.shutdownTimeout, cancelWork)
	})
	defer stopWork()
	if o.demo {
		err = demo(ctx, work, o, stdout, log)
	} else {
		err = runService(ctx, work, o, stdout, log)
	}
	var cerr *configError
	switch {
	case err == nil, ctx.Err() != nil && errors.Is(err, context.Canceled):
		return exitOK
	case errors.As(err, &cerr):
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(stderr, line)
		}
		return exitConfig
	default:
		log.Error("daemon stopped", "err", err)
		return exitFailed
	}
}

// newLogger makes the daemon's logger.
func newLogger(w io.Writer, format string, debug bool) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if debug {
		opts.Level = slog.LevelDebug
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format %q: want text or json", format)
}

// daemon holds what the cycles need.
type daemon struct {
	store   mapping.Store
	name    string
	rules   serviceorder.Rules
	billing *kt.BillingJob
	orders  *kt.ServiceOrderJob
	log     *slog.Logger
	out     io.Writer
	// status and metrics see every cycle.
	status  *statusBoard
	metrics *kt.Metrics
	// lead and hold are the stores' leader lease (see stores); nil: no lease.
	lead func(context.Context) error
	hold func(context.Context) (context.Context, context.CancelFunc)
	// console, when set, is the configuration console of -listen.
	console *consoleSetup

	// cycles holds each job's last CycleResult, as its OnCycle saw it, so that
	// a cycle the job reports as failed or partial fails -once even when its
	// Run returned no error.
	cyclesMu sync.Mutex
	cycles   map[string]*kt.CycleResult
}

// run wires the clients, stores and jobs from the configuration file and runs
// the cycles until ctx ends (or once).
func run(ctx context.Context, cfgPath string, once, dryRun bool, out io.Writer, log *slog.Logger) error {
	return runService(ctx, ctx, options{config: cfgPath, once: once, dryRun: dryRun}, out, log)
}

// runService runs the daemon from its configuration file: no new cycle starts
// once ctx ends; cycles run on work.
func runService(ctx, work context.Context, o options, out io.Writer, log *slog.Logger) error {
	cfg, err := loadConfig(o.config)
	if err != nil {
		return err
	}
	if err := cfg.resolve(); err != nil {
		return err
	}
	rules, err := loadRules(cfg.RulesFile)
	if err != nil {
		return err
	}
	obs, err := newObservers()
	if err != nil {
		return err
	}
	tp, err := newTigerpaw(cfg, log, obs.metrics)
	if err != nil {
		return asConfigError(err)
	}
	src, closeSource, err := newSource(cfg, log, obs.metrics)
	if err != nil {
		return asConfigError(err)
	}
	defer closeSource()
	if strings.HasPrefix(strings.ToLower(cfg.Tigerpaw.URL), "http:") {
		log.Warn("tigerpaw.url is http://: the requests are signed but travel in clear; use https:// in production", "url", cfg.Tigerpaw.URL)
	}
	// A service refuses at once to run beside another process on its files;
	// a -once (a cron job) waits for the one before it to end.
	var lockWait time.Duration
	if o.once || o.dryRun {
		lockWait = max(o.lockWait, 0)
	}
	// A signal ends the wait for the file stores' lock at once.
	storeCtx := work
	if cfg.Store.Kind == "" || cfg.Store.Kind == "file" {
		storeCtx = ctx
	}
	st, err := openStores(storeCtx, cfg.Store, cfg.MappingDir, cfg.StateFile, lockWait, log)
	if errors.Is(err, errStoreLocked) {
		return asConfigError(err)
	}
	if err != nil {
		return err
	}
	defer st.close()
	var deskOpts []kt.DeskOption
	if cfg.Tigerpaw.CompleteOpenTasks {
		deskOpts = append(deskOpts, kt.WithCompleteOpenTasks())
	}
	d, err := newDaemon(src, tp, st.mapping, cfg.Integration, rules, st.state, out, log, deskOpts...)
	if err != nil {
		return err
	}
	d.lead, d.hold = st.lead, st.hold
	d.billing.Concurrency, d.orders.Concurrency = cfg.Concurrency, cfg.Concurrency
	obs.attach(d)
	if o.dryRun {
		return d.planBilling(work)
	}
	if o.listen != "" {
		if d.console, err = newConsoleSetup(cfg, rules); err != nil {
			return err
		}
		shutdown, err := d.serve(o.listen, obs)
		if err != nil {
			return err
		}
		defer shutdown()
	}
	if o.once {
		err := d.runBilling(work)
		if ctx.Err() != nil {
			return err
		}
		return errors.Join(err, d.runServiceOrders(work))
	}
	d.loop(ctx, work, time.Duration(cfg.BillingEvery), time.Duration(cfg.ServiceOrdersEvery))
	return nil
}

func newTigerpaw(cfg *config, log *slog.Logger, m *kt.Metrics) (*tigerpaw.Client, error) {
	hc := &http.Client{Timeout: 60 * time.Second, Transport: m.RoundTripper(kt.APITigerpaw, httpx.NewTransport(nil))}
	opts := []tigerpaw.Option{tigerpaw.WithKeys(cfg.secrets.tigerpawPublic, cfg.secrets.tigerpawPrivate),
		tigerpaw.WithLogger(log), tigerpaw.WithHTTPClient(hc)}
	if r := cfg.Tigerpaw.RequestsPerSecond; r > 0 {
		opts = append(opts, tigerpaw.WithRateLimit(rate.Limit(r), tigerpaw.DefaultBurst))
	}
	return tigerpaw.NewClient(cfg.Tigerpaw.URL, opts...)
}

// instrumentedClient is an HTTP client for api whose requests m counts, with
// the given root CAs (nil: the system's).
func instrumentedClient(m *kt.Metrics, api string, roots *x509.CertPool) *http.Client {
	return &http.Client{Transport: m.RoundTripper(api, httpx.NewTransport(roots))}
}

// newSource connects to the configured Kaspersky console. The returned func
// ends its sessions.
func newSource(cfg *config, log *slog.Logger, m *kt.Metrics) (kaspersky.Source, func(), error) {
	if cfg.Solution == "hub" {
		var roots *x509.CertPool
		if cfg.Hub.CAFile != "" {
			pool, err := certPool(cfg.Hub.CAFile, "hub.caFile")
			if err != nil {
				return nil, nil, err
			}
			roots = pool
		}
		opts := []hub.Option{hub.WithCredentials(hub.Credentials{Email: cfg.Hub.Email, Password: cfg.secrets.hubPassword}),
			hub.WithLogger(log), hub.WithHTTPClient(instrumentedClient(m, kt.APIHub, roots))}
		if cfg.Hub.InsecureHTTP {
			opts = append(opts, hub.WithInsecureHTTP())
		}
		c, err := hub.NewClient(cfg.Hub.URL, opts...)
		if err != nil {
			return nil, nil, err
		}
		return hub.NewSource(c), func() {}, nil
	}
	var roots *x509.CertPool
	if cfg.KSC.CAFile != "" {
		pool, err := certPool(cfg.KSC.CAFile, "ksc.caFile")
		if err != nil {
			return nil, nil, err
		}
		roots = pool
	}
	opts := []ksc.Option{
		ksc.WithCredentials(ksc.Credentials{User: cfg.KSC.User, Password: cfg.secrets.kscPassword, Domain: cfg.KSC.Domain, Internal: cfg.KSC.Internal}),
		ksc.WithLogger(log), ksc.WithHTTPClient(instrumentedClient(m, kt.APIKSC, roots))}
	if cfg.KSC.InsecureHTTP {
		opts = append(opts, ksc.WithInsecureHTTP())
	}
	c, err := ksc.NewClient(cfg.KSC.URL, opts...)
	if err != nil {
		return nil, nil, err
	}
	closeSessions := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			log.Warn("ending the KSC sessions", "err", err)
		}
	}
	return ksc.NewSource(c), closeSessions, nil
}

func newDaemon(src kaspersky.Source, tp *tigerpaw.Client, store mapping.Store, name string, rules serviceorder.Rules,
	state serviceorder.Store, out io.Writer, log *slog.Logger, deskOpts ...kt.DeskOption) (*daemon, error) {
	desk, err := kt.NewDesk(tp, deskOpts...)
	if err != nil {
		return nil, err
	}
	runner, err := serviceorder.NewRunner(desk, state, serviceorder.WithLogger(log))
	if err != nil {
		return nil, err
	}
	return &daemon{
		store:   store,
		name:    name,
		rules:   rules,
		billing: &kt.BillingJob{Source: src, Tigerpaw: tp, Logger: log},
		orders:  &kt.ServiceOrderJob{Source: src, Runner: runner, Logger: log},
		log:     log,
		out:     out,
	}, nil
}

// loop runs the billing and the service order cycles, each at its interval
// after the end of its previous cycle, until ctx ends; each runs once at the
// start. A job's cycles run one after the other, never two at once; the two
// jobs run side by side. Cycles run on work, so that one in flight when ctx
// ends finishes; loop returns when both jobs have stopped.
func (d *daemon) loop(ctx, work context.Context, billingEvery, ordersEvery time.Duration) {
	var wg sync.WaitGroup
	for _, j := range []struct {
		name  string
		every time.Duration
		run   func(context.Context) error
	}{{kt.JobBilling, billingEvery, d.runBilling}, {kt.JobServiceOrders, ordersEvery, d.runServiceOrders}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.schedule(ctx, work, j.name, j.every, j.run)
		}()
	}
	wg.Wait()
}

// schedule runs one job's cycles until ctx ends.
func (d *daemon) schedule(ctx, work context.Context, job string, every time.Duration, run func(context.Context) error) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if ctx.Err() != nil {
			return // both were ready: stopping wins
		}
		d.logCycle(job, run(work))
		next := time.Now().Add(every)
		d.status.setNext(job, next)
		timer.Reset(time.Until(next))
	}
}

func (d *daemon) logCycle(what string, err error) {
	if err != nil {
		d.log.Error("cycle failed; it runs again at its next time", "cycle", what, "err", err)
	}
}

// mapping reads the integration's saved configuration.
func (d *daemon) mapping(ctx context.Context) (mapping.Config, error) {
	cfg, err := d.store.Load(ctx, d.name)
	if err != nil {
		return mapping.Config{}, fmt.Errorf("integration %q: %w", d.name, err)
	}
	return cfg, nil
}

// errAllSkipped is the error of a dry run whose plan leaves out every
// agreement: nothing of it could be checked.
var errAllSkipped = errors.New("every agreement was skipped")

// planBilling prints the billing plan without writing anything. A plan that
// skips every agreement is an error (the reasons are in the printed plan).
func (d *daemon) planBilling(ctx context.Context) error {
	cfg, err := d.mapping(ctx)
	if err != nil {
		return err
	}
	plan, err := d.billing.Plan(ctx, cfg)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(d.out, plan.Explain()); err != nil {
		return err
	}
	agreements := map[int]bool{}
	for _, ba := range cfg.BillingAccounts() {
		agreements[ba.Agreement] = true
	}
	for _, s := range plan.Skipped {
		delete(agreements, s.Agreement)
	}
	if len(plan.Skipped) > 0 && len(agreements) == 0 {
		reasons := make([]error, len(plan.Skipped))
		for i, s := range plan.Skipped {
			reasons[i] = fmt.Errorf("agreement %d: %w", s.Agreement, s.Err)
		}
		return fmt.Errorf("billing plan: %w: %w", errAllSkipped, errors.Join(reasons...))
	}
	return nil
}

// startCycle forgets the job's last result, before a cycle of it runs.
func (d *daemon) startCycle(job string) {
	d.status.setRunning(job)
	d.cyclesMu.Lock()
	defer d.cyclesMu.Unlock()
	delete(d.cycles, job)
}

// cycleOutcome is the error of the job's cycle that just ran: err, its Run's
// error, or else the error of the CycleResult the job reported (a cycle that
// failed or was partial although Run returned nil).
func (d *daemon) cycleOutcome(job string, err error) error {
	if err != nil {
		return err
	}
	d.cyclesMu.Lock()
	defer d.cyclesMu.Unlock()
	r := d.cycles[job]
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

// runBilling runs one billing cycle and logs what it did.
func (d *daemon) runBilling(ctx context.Context) error {
	return d.leading(ctx, kt.JobBilling, d.billingCycle)
}

func (d *daemon) billingCycle(ctx context.Context) error {
	d.startCycle(kt.JobBilling)
	cfg, err := d.mapping(ctx)
	if err != nil {
		d.observeFailure(kt.JobBilling, err)
		return err
	}
	plan, res, err := d.billing.Run(ctx, cfg)
	create, update, del, _ := plan.Counts()
	d.log.Info("billing cycle", "planned_creates", create, "planned_updates", update, "planned_deletes", del,
		"created", res.Created, "updated", res.Updated, "deleted", res.Deleted, "unchanged", res.Unchanged,
		"failed", len(res.Failed), "skipped_agreements", len(plan.Skipped))
	return d.cycleOutcome(kt.JobBilling, err)
}

// runServiceOrders runs one service order cycle and logs what it did.
func (d *daemon) runServiceOrders(ctx context.Context) error {
	return d.leading(ctx, kt.JobServiceOrders, d.serviceOrderCycle)
}

func (d *daemon) serviceOrderCycle(ctx context.Context) error {
	d.startCycle(kt.JobServiceOrders)
	cfg, err := d.mapping(ctx)
	if err != nil {
		d.observeFailure(kt.JobServiceOrders, err)
		return err
	}
	rules, err := d.currentRules(ctx)
	if err != nil {
		d.observeFailure(kt.JobServiceOrders, err)
		return err
	}
	res, err := d.orders.Run(ctx, cfg, rules)
	d.log.Info("service order cycle", "created", len(res.Created), "recovered", len(res.Recovered),
		"closed", len(res.Closed), "pending", len(res.Pending), "failed", len(res.Failed))
	if err == nil {
		err = res.Err()
	}
	return d.cycleOutcome(kt.JobServiceOrders, err)
}
