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
//
// The configuration file names the servers, the environment variables that
// hold the secrets, the mapping store, the service order rules file and the
// engine's state file; see config.go. The integration's mapping (tenants,
// accounts, billing settings, price book) is edited with package mapping and
// read from the store at every cycle.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	kt "github.com/mspkit/kaspersky-tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hub"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksc"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

func main() {
	demo := flag.Bool("demo", false, "run billing and service order cycles on in-process fake servers, and show what they did")
	demoSolution := flag.String("solution", "ksc", "with -demo: the console to fake, ksc or hub")
	cfgPath := flag.String("config", "", "the daemon's configuration file (JSON)")
	once := flag.Bool("once", false, "run one billing and one service order cycle, then exit")
	dryRun := flag.Bool("dry-run", false, "print the billing plan and exit; write nothing")
	verbose := flag.Bool("v", false, "log at debug level")
	flag.Parse()

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var err error
	switch {
	case *demo:
		err = runDemo(ctx, *demoSolution, os.Stdout, logger)
	case *cfgPath == "":
		err = errors.New("-config is required (or -demo)")
	default:
		err = run(ctx, *cfgPath, *once, *dryRun, os.Stdout, logger)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		logger.Error("daemon stopped", "err", err)
		os.Exit(1)
	}
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
}

// run wires the clients, stores and jobs from the configuration file and runs
// the cycles.
func run(ctx context.Context, cfgPath string, once, dryRun bool, out io.Writer, log *slog.Logger) error {
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return err
	}
	rules, err := loadRules(cfg.RulesFile)
	if err != nil {
		return err
	}
	tp, err := newTigerpaw(cfg, log)
	if err != nil {
		return err
	}
	src, closeSource, err := newSource(cfg, log)
	if err != nil {
		return err
	}
	defer closeSource()
	store, err := mapping.NewFileStore(cfg.MappingDir)
	if err != nil {
		return err
	}
	state, err := serviceorder.OpenFileStore(cfg.StateFile)
	if err != nil {
		return err
	}
	var deskOpts []kt.DeskOption
	if cfg.Tigerpaw.CompleteOpenTasks {
		deskOpts = append(deskOpts, kt.WithCompleteOpenTasks())
	}
	d, err := newDaemon(src, tp, store, cfg.Integration, rules, state, out, log, deskOpts...)
	if err != nil {
		return err
	}
	if dryRun {
		return d.planBilling(ctx)
	}
	if once {
		return errors.Join(d.runBilling(ctx), d.runServiceOrders(ctx))
	}
	return d.loop(ctx, time.Duration(cfg.BillingEvery), time.Duration(cfg.ServiceOrdersEvery))
}

func newTigerpaw(cfg *config, log *slog.Logger) (*tigerpaw.Client, error) {
	public, err := secret(cfg.Tigerpaw.PublicKeyEnv)
	if err != nil {
		return nil, fmt.Errorf("tigerpaw public key: %w", err)
	}
	private, err := secret(cfg.Tigerpaw.PrivateKeyEnv)
	if err != nil {
		return nil, fmt.Errorf("tigerpaw private key: %w", err)
	}
	return tigerpaw.NewClient(cfg.Tigerpaw.URL, tigerpaw.WithKeys(public, private), tigerpaw.WithLogger(log))
}

// newSource connects to the configured Kaspersky console. The returned func
// ends its sessions.
func newSource(cfg *config, log *slog.Logger) (kaspersky.Source, func(), error) {
	if cfg.Solution == "hub" {
		password, err := secret(cfg.Hub.PasswordEnv)
		if err != nil {
			return nil, nil, fmt.Errorf("hub password: %w", err)
		}
		opts := []hub.Option{hub.WithCredentials(hub.Credentials{Email: cfg.Hub.Email, Password: password}), hub.WithLogger(log)}
		if cfg.Hub.CAFile != "" {
			pool, err := certPool(cfg.Hub.CAFile, "hub.caFile")
			if err != nil {
				return nil, nil, err
			}
			opts = append(opts, hub.WithRootCAs(pool))
		}
		c, err := hub.NewClient(cfg.Hub.URL, opts...)
		if err != nil {
			return nil, nil, err
		}
		return hub.NewSource(c), func() {}, nil
	}
	password, err := secret(cfg.KSC.PasswordEnv)
	if err != nil {
		return nil, nil, fmt.Errorf("ksc password: %w", err)
	}
	opts := []ksc.Option{
		ksc.WithCredentials(ksc.Credentials{User: cfg.KSC.User, Password: password, Domain: cfg.KSC.Domain, Internal: cfg.KSC.Internal}),
		ksc.WithLogger(log),
	}
	if cfg.KSC.CAFile != "" {
		pool, err := certPool(cfg.KSC.CAFile, "ksc.caFile")
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, ksc.WithRootCAs(pool))
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

// loop runs the billing and service order cycles at their intervals until ctx
// ends. Each runs once at the start.
func (d *daemon) loop(ctx context.Context, billingEvery, ordersEvery time.Duration) error {
	bill := time.NewTicker(billingEvery)
	defer bill.Stop()
	orders := time.NewTicker(ordersEvery)
	defer orders.Stop()
	d.logCycle("billing", d.runBilling(ctx))
	d.logCycle("service orders", d.runServiceOrders(ctx))
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-bill.C:
			d.logCycle("billing", d.runBilling(ctx))
		case <-orders.C:
			d.logCycle("service orders", d.runServiceOrders(ctx))
		}
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

// planBilling prints the billing plan without writing anything.
func (d *daemon) planBilling(ctx context.Context) error {
	cfg, err := d.mapping(ctx)
	if err != nil {
		return err
	}
	plan, err := d.billing.Plan(ctx, cfg)
	if err != nil {
		return err
	}
	_, err = io.WriteString(d.out, plan.Explain())
	return err
}

// runBilling runs one billing cycle and logs what it did.
func (d *daemon) runBilling(ctx context.Context) error {
	cfg, err := d.mapping(ctx)
	if err != nil {
		return err
	}
	plan, res, err := d.billing.Run(ctx, cfg)
	create, update, del, _ := plan.Counts()
	d.log.Info("billing cycle", "planned_creates", create, "planned_updates", update, "planned_deletes", del,
		"created", res.Created, "updated", res.Updated, "deleted", res.Deleted, "unchanged", res.Unchanged,
		"failed", len(res.Failed), "skipped_agreements", len(plan.Skipped))
	return err
}

// runServiceOrders runs one service order cycle and logs what it did.
func (d *daemon) runServiceOrders(ctx context.Context) error {
	cfg, err := d.mapping(ctx)
	if err != nil {
		return err
	}
	res, err := d.orders.Run(ctx, cfg, d.rules)
	d.log.Info("service order cycle", "created", len(res.Created), "recovered", len(res.Recovered),
		"closed", len(res.Closed), "pending", len(res.Pending), "failed", len(res.Failed))
	if err != nil {
		return err
	}
	return res.Err()
}
