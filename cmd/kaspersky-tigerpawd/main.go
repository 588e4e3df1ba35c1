// Command kaspersky-tigerpawd is the reference daemon of the module: a thin command over
// package service, the integration's runtime. It runs the automatic billing
// and the service order cycles of one integration between a Kaspersky console
// (Kaspersky Security Center, or Business Hub through the module's own
// contract) and Tigerpaw.
//
// Install it with
//
//	go install github.com/mspkit/kaspersky-tigerpaw/cmd/kaspersky-tigerpawd@latest
//
// Usage:
//
//	kaspersky-tigerpawd -demo                  run the cycles on an in-process fake KSC and Tigerpaw
//	kaspersky-tigerpawd -demo -solution hub    the same with a fake Business Hub
//	kaspersky-tigerpawd -config daemon.json    run the cycles until interrupted
//	kaspersky-tigerpawd -config daemon.json -once
//	kaspersky-tigerpawd -config daemon.json -dry-run   print the billing plan, write nothing
//	kaspersky-tigerpawd -config daemon.json -listen :9464   also serve /healthz, /readyz, /status, /metrics and /console/
//	kaspersky-tigerpawd -version               print the version, the commit and the Go version
//	kaspersky-tigerpawd install [flags]        Windows: register the service (also uninstall, start, stop)
//
// The configuration file names the servers, where the secrets are
// ("env:NAME" or "file:PATH") and the store; see service.Config and
// daemon.example.json. The integration itself (tenants, accounts, billing,
// price book, service order rules) starts empty and is set in the console:
// until then each cycle is "not configured", writes nothing and says what is
// missing.
//
// Exit codes: 0 done or stopped by SIGINT/SIGTERM (the cycle in flight
// finishes first; a second signal exits at once), 1 a cycle of -once failed or
// was partial, or a -dry-run plan skipped every agreement, 2 a flag or
// configuration error, or file stores another process holds, before anything
// ran. A service refuses at once to run beside another process on its file
// stores; -once waits up to -lock-wait for it to end. -dry-run reads the
// stores without their locks (and PostgreSQL without the leader lease), so it
// runs beside a service on them at once, and writes nothing to them.
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
	"strings"
	"syscall"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/internal/buildinfo"
	"github.com/mspkit/kaspersky-tigerpaw/service"
	"github.com/mspkit/kaspersky-tigerpaw/service/winsvc"
)

// daemonService is the daemon as a Windows service (package service/winsvc).
var daemonService = winsvc.Program{Name: "kaspersky-tigerpawd", DisplayName: "Kaspersky Tigerpaw integration",
	Description: "Bills Kaspersky licence usage to Tigerpaw agreements and opens Tigerpaw service orders for Kaspersky alerts.",
	DataDir:     "kaspersky-tigerpaw", Run: runMain}

func main() {
	if code, handled := daemonService.Main(os.Args[1:]); handled {
		os.Exit(code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel() // the first signal: finish the cycle in flight, persist, exit 0
		<-sigs
		fmt.Fprintln(os.Stderr, "kaspersky-tigerpawd: second signal, exiting at once")
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
	extra           []service.Option // given by the caller of runMain (a Windows service's)
}

// runMain is the daemon's main: it parses args, runs until done or until ctx
// ends (the first SIGINT or SIGTERM), then lets the cycle in flight finish, for
// at most -shutdown-timeout. It returns the exit code. The runtime gets opts
// after the daemon's own.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer, opts ...service.Option) int {
	fs := flag.NewFlagSet("kaspersky-tigerpawd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := options{extra: opts}
	var version bool
	fs.BoolVar(&version, "version", false, "print the version, the commit and the Go version, and exit")
	fs.BoolVar(&o.demo, "demo", false, "run billing and service order cycles on in-process fake servers, and show what they did")
	fs.StringVar(&o.solution, "solution", "ksc", "with -demo: the console to fake, ksc or hub")
	fs.StringVar(&o.config, "config", "", "the daemon's configuration file (JSON)")
	fs.BoolVar(&o.once, "once", false, "run one billing and one service order cycle, then exit")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print the billing plan and exit; write nothing (it reads the stores without locks, beside a running service)")
	fs.BoolVar(&o.verbose, "v", false, "log at debug level")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format, text or json")
	fs.StringVar(&o.listen, "listen", "", "serve /healthz, /readyz, /status, /metrics and the configuration console /console/ on this address (a port alone listens on loopback)")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", time.Minute, "after a signal, how long the cycle in flight may run before it is cancelled")
	fs.DurationVar(&o.lockWait, "lock-wait", 30*time.Second, "with -once: how long to wait for another process holding the file stores to end before refusing to start (a service refuses at once; -dry-run takes no lock)")
	if err := fs.Parse(args); err != nil {
		return exitConfig
	}
	if version {
		fmt.Fprintln(stdout, "kaspersky-tigerpawd", buildinfo.Read())
		return exitOK
	}
	if err := checkFlags(fs, &o); err != nil {
		fmt.Fprintf(stderr, "kaspersky-tigerpawd: %v\n", err)
		return exitConfig
	}
	log, err := newLogger(stderr, o.logFormat, o.verbose)
	if err != nil {
		fmt.Fprintf(stderr, "kaspersky-tigerpawd: %v\n", err)
		return exitConfig
	}
	if o.demo {
		err = demoRun(ctx, o, stdout, log)
	} else {
		err = run(ctx, o, stdout, log)
	}
	var cerr *service.ConfigError
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

// checkFlags checks the flags that go together.
func checkFlags(fs *flag.FlagSet, o *options) error {
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case !o.demo && o.config == "":
		return errors.New("-config is required (or -demo)")
	case o.demo && o.solution != "ksc" && o.solution != "hub":
		return fmt.Errorf("-solution %q: want ksc or hub", o.solution)
	}
	return nil
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

// run runs the daemon from its configuration file.
func run(ctx context.Context, o options, out io.Writer, log *slog.Logger) error {
	cfg, err := service.Load(o.config)
	if err != nil {
		return err
	}
	opts := []service.Option{service.WithLogger(log), service.WithShutdownTimeout(o.shutdownTimeout)}
	switch {
	case o.dryRun:
		// A dry run writes nothing: it needs no lock, and runs beside the
		// service.
		opts = append(opts, service.WithReadOnly())
	case o.once:
		// A cron job waits for the one before it to end; a service refuses at
		// once to run beside another process on its files.
		opts = append(opts, service.WithLockWait(o.lockWait))
	}
	if o.listen != "" && !o.dryRun {
		opts = append(opts, service.WithListen(o.listen))
	}
	s, err := service.New(cfg, append(opts, o.extra...)...)
	if err != nil {
		return err
	}
	defer s.Close()
	switch {
	case o.dryRun:
		return s.Plan(ctx, out)
	case o.once:
		return s.RunOnce(ctx)
	}
	return s.Run(ctx)
}
