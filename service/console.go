package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	kt "github.com/mspkit/kaspersky-tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/console"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// consolePath is where the runtime's HTTP server mounts the configuration
// console.
const consolePath = "/console/"

// ConsoleConfig is the config's "console": the credentials the configuration
// console requires when -listen is not a loopback address, as secret
// references ("env:NAME" or "file:PATH"), and the External Product of a new
// integration.
type ConsoleConfig struct {
	// Token is accepted as "Authorization: Bearer <token>" (the scheme in any
	// case) or as the password of basic auth.
	Token string `json:"token,omitempty"`
	// User (plain) and Password (a secret reference) are basic-auth
	// credentials.
	User     string `json:"user,omitempty"`
	Password string `json:"password,omitempty"`
	// ExternalProductID is only the initial default of the Tigerpaw External
	// Product, for an integration not yet in the mapping store; the MSP
	// chooses it on the console's Accounts tab, which stores it.
	ExternalProductID int `json:"externalProductId,omitempty"`
	// Secret (a secret reference, at least 16 characters) keys the console's
	// CSRF token and flash cookie. Give every replica the same one, so that a
	// form served by one is accepted by another behind the same address;
	// without it each process draws its own key.
	Secret string `json:"secret,omitempty"`
}

// consoleSetup is what the runtime needs to serve the console.
type consoleSetup struct {
	token, user, password string
	secret                []byte
	solution              mapping.Solution
	externalProductID     int
}

// newConsoleSetup resolves the config's console section. Its errors are
// ConfigErrors naming the field.
func newConsoleSetup(cfg *Config) (*consoleSetup, error) {
	s := &consoleSetup{user: cfg.Console.User, solution: mapping.Solution(cfg.Solution), externalProductID: cfg.Console.ExternalProductID}
	var errs []error
	if cfg.Console.Token != "" {
		v, err := resolveSecret("console.token", cfg.Console.Token)
		errs = append(errs, err)
		s.token = v
	}
	if cfg.Console.Password != "" {
		v, err := resolveSecret("console.password", cfg.Console.Password)
		errs = append(errs, err)
		s.password = v
	}
	if cfg.Console.Secret != "" {
		v, err := resolveSecret("console.secret", cfg.Console.Secret)
		switch {
		case err != nil:
			errs = append(errs, err)
		case len(v) < 16:
			errs = append(errs, fmt.Errorf("config: console.secret: %d characters; at least 16 are required", len(v)))
		default:
			s.secret = []byte(v)
		}
	}
	if (s.user == "") != (cfg.Console.Password == "") {
		errs = append(errs, errors.New("config: console.user and console.password go together"))
	}
	if cfg.Console.ExternalProductID < 0 {
		errs = append(errs, errors.New("config: console.externalProductId: must not be negative"))
	}
	return s, asConfigError(errors.Join(errs...))
}

// consoleRoutes is the configuration console for the HTTP server at addr:
// none, with a warning, when addr is not loopback and no credentials are
// configured. Without credentials the console answers only loopback clients
// asking for a loopback Host name (see console.Options.Addr), so it must be
// opened as http://127.0.0.1:PORT/console/ or http://localhost:PORT/console/.
func (d *Service) consoleRoutes(addr string) ([]route, error) {
	s := d.console
	if s == nil {
		return nil, nil
	}
	if !console.LoopbackAddr(addr) && s.token == "" && s.user == "" {
		d.log.Warn("the configuration console is not served: -listen is not a loopback address and the config has no console.token or console.user/password",
			"addr", addr)
		return nil, nil
	}
	dir, err := kt.NewDirectory(d.billing.Tigerpaw)
	if err != nil {
		return nil, err
	}
	lookups, err := kt.NewLookups(d.billing.Tigerpaw)
	if err != nil {
		return nil, err
	}
	h, err := console.New(console.Options{
		Store: d.st.mapping, Directory: dir, Integration: d.name, Solution: s.solution, ExternalProductID: s.externalProductID,
		Source: d.billing.Source, Rules: d.st.rules, Lookups: lookups, Planner: d.billing,
		Decisions: consoleDecisions(d.st.decisions), History: d.st.history,
		Token: s.token, User: s.user, Password: s.password, Secret: s.secret, Addr: addr, Logger: d.log, Runtime: consoleRuntime{d},
	})
	if err != nil {
		return nil, asConfigError(err)
	}
	d.log.Info("configuration console", "path", consolePath)
	return []route{{Pattern: consolePath, Handler: http.StripPrefix(consolePath[:len(consolePath)-1], h)}}, nil
}

// consoleRuntime is the Service as the console's overview sees it.
type consoleRuntime struct{ s *Service }

var _ console.Runtime = consoleRuntime{}

// Jobs implements console.Runtime: each job's state with its last cycles,
// whether one runs now and whether this replica leads.
func (r consoleRuntime) Jobs(ctx context.Context) []console.JobState {
	snaps := map[string]jobSnapshot{}
	for _, j := range r.s.status.snapshot() {
		snaps[j.Name] = j
	}
	var out []console.JobState
	for _, j := range r.s.Jobs(ctx) {
		c := console.JobState{Job: j.Job, State: j.State, Missing: j.Missing, LastStart: j.LastStart,
			LastError: j.LastError, NextRun: j.NextRun}
		snap := snaps[j.Job]
		c.Running = snap.Running
		c.FloodLimit, c.Summaries, c.Suppressed = snap.FloodLimit, snap.Summaries, snap.Suppressed
		if j.Job == kt.JobBilling {
			_, c.Held = r.s.Held(ctx)
		}
		switch {
		case snap.Standby:
			c.Role = "standby"
		case len(snap.Cycles) > 0 || snap.Running:
			c.Role = "leader"
		}
		for _, cy := range snap.Cycles {
			outcome := cy.Outcome()
			if outcome == kt.OutcomeNotConfigured {
				outcome = StateNotConfigured
			}
			c.Cycles = append(c.Cycles, console.CycleState{Start: cy.Start, Duration: cy.CycleResult.Duration, Outcome: outcome, Error: cy.Error})
		}
		out = append(out, c)
	}
	return out
}

// Tenants implements console.Runtime: the tenants of each job's last cycle.
func (r consoleRuntime) Tenants(context.Context) []console.TenantState {
	var out []console.TenantState
	for _, j := range r.s.status.snapshot() {
		if len(j.Cycles) == 0 {
			continue
		}
		c := j.Cycles[0]
		for _, t := range c.Tenants {
			ts := console.TenantState{Job: j.Name, Tenant: t.Tenant, Start: c.Start,
				Created: t.Created, Updated: t.Updated, Deleted: t.Deleted, Unchanged: t.Unchanged,
				OrdersCreated: t.OrdersCreated, OrdersClosed: t.OrdersClosed, OrdersPending: t.OrdersPending}
			for i, msg := range t.Errors {
				if i < len(t.Errs) && t.Errs[i] != nil {
					ts.Errors = append(ts.Errors, t.Errs[i])
				} else {
					ts.Errors = append(ts.Errors, errors.New(msg))
				}
			}
			out = append(out, ts)
		}
	}
	return out
}

// PendingCloses implements console.Runtime: the closes the last service
// order cycle found locked, with who holds each lock when Tigerpaw said (the
// order's ServiceOrderLock).
func (r consoleRuntime) PendingCloses(context.Context) []console.PendingClose {
	var out []console.PendingClose
	for _, j := range r.s.status.snapshot() {
		if j.Name != kt.JobServiceOrders || len(j.Cycles) == 0 {
			continue
		}
		c := j.Cycles[0]
		for _, t := range c.Tenants {
			for i := range t.OrdersPending {
				p := console.PendingClose{Tenant: t.Tenant, Since: c.Start}
				switch {
				case i < len(t.PendingCloses):
					p.Order, p.LockedBy = t.PendingCloses[i].Number, t.PendingCloses[i].LockedBy
				case i < len(t.PendingOrders):
					p.Order = t.PendingOrders[i]
				}
				out = append(out, p)
			}
		}
	}
	return out
}

// RunNow implements console.Runtime: its errors wrap console.ErrNotLeader and
// console.ErrUnknownJob as the console expects.
func (r consoleRuntime) RunNow(ctx context.Context, job string) error {
	err := r.s.RunNow(ctx, job)
	switch {
	case errors.Is(err, ErrNotLeader):
		return fmt.Errorf("%w: %w", console.ErrNotLeader, err)
	case errors.Is(err, ErrUnknownJob):
		return fmt.Errorf("%w: %w", console.ErrUnknownJob, err)
	}
	return err
}

// consoleDecisions is the decision store as the console sees it: nil when
// there is none, and a refusal on a standby wraps console.ErrNotLeader.
func consoleDecisions(s billing.DecisionStore) billing.DecisionStore {
	if s == nil {
		return nil
	}
	return decisionsForConsole{s}
}

type decisionsForConsole struct{ billing.DecisionStore }

func (d decisionsForConsole) Decide(ctx context.Context, dec billing.Decision) error {
	err := d.DecisionStore.Decide(ctx, dec)
	if errors.Is(err, ErrNotLeader) {
		return fmt.Errorf("%w: %w", console.ErrNotLeader, err)
	}
	return err
}
