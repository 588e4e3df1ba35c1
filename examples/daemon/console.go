package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	kt "github.com/mspkit/kaspersky-tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/console"
	"github.com/mspkit/kaspersky-tigerpaw/internal/atomicfile"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// consolePath is where the -listen server mounts the configuration console.
const consolePath = "/console/"

// consoleConfig is the config's "console": the credentials the configuration
// console requires when -listen is not a loopback address, as secret
// references ("env:NAME" or "file:PATH"), and the External Product of a new
// integration.
type consoleConfig struct {
	// Token is accepted as "Authorization: Bearer <token>" (the scheme in any
	// case) or as the password of basic auth.
	Token string `json:"token,omitempty"`
	// User (plain) and Password (a secret reference) are basic-auth
	// credentials.
	User     string `json:"user,omitempty"`
	Password string `json:"password,omitempty"`
	// ExternalProductID is the Tigerpaw External Product of an integration not
	// yet in the mapping store.
	ExternalProductID int `json:"externalProductId,omitempty"`
}

// consoleSetup is what the daemon needs to serve the console.
type consoleSetup struct {
	token, user, password string
	solution              mapping.Solution
	externalProductID     int
	// rules is where the console keeps the service order rules; the service
	// order cycles read them from it.
	rules console.RulesStore
}

// newConsoleSetup resolves the config's console section; rules is the rules
// file the console saves to. Its errors are configErrors naming the field.
func newConsoleSetup(cfg *config, rules serviceorder.Rules) (*consoleSetup, error) {
	s := &consoleSetup{user: cfg.Console.User, solution: mapping.Solution(cfg.Solution), externalProductID: cfg.Console.ExternalProductID,
		rules: &fileRules{path: cfg.RulesFile, rules: rules.Clone(), rev: 1}}
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
	if (s.user == "") != (cfg.Console.Password == "") {
		errs = append(errs, errors.New("config: console.user and console.password go together"))
	}
	if cfg.Console.ExternalProductID < 0 {
		errs = append(errs, errors.New("config: console.externalProductId: must not be negative"))
	}
	return s, asConfigError(errors.Join(errs...))
}

// consoleRoutes is the configuration console for the -listen server at addr:
// none, with a warning, when addr is not loopback and no credentials are
// configured. Without credentials the console answers only loopback clients
// asking for a loopback Host name (see console.Options.Addr), so it must be
// opened as http://127.0.0.1:PORT/console/ or http://localhost:PORT/console/.
func (d *daemon) consoleRoutes(addr string) ([]route, error) {
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
		Store: d.store, Directory: dir, Integration: d.name, Solution: s.solution, ExternalProductID: s.externalProductID,
		Source: d.billing.Source, Rules: s.rules, Lookups: lookups, Planner: d.billing,
		Token: s.token, User: s.user, Password: s.password, Addr: addr, Logger: d.log,
	})
	if err != nil {
		return nil, asConfigError(err)
	}
	d.log.Info("configuration console", "path", consolePath)
	return []route{{Pattern: consolePath, Handler: http.StripPrefix(consolePath[:len(consolePath)-1], h)}}, nil
}

// currentRules are the service order rules of the next cycle: the console's
// when it is served, else those read at start.
func (d *daemon) currentRules(ctx context.Context) (serviceorder.Rules, error) {
	if d.console == nil || d.console.rules == nil {
		return d.rules, nil
	}
	r, _, err := d.console.rules.LoadRules(ctx)
	return r, err
}

// fileRules is a console.RulesStore that writes every save to the rules
// file, atomically (a temporary file renamed over it).
type fileRules struct {
	path  string
	mu    sync.Mutex
	rules serviceorder.Rules
	rev   int64
}

// LoadRules implements console.RulesStore.
func (f *fileRules) LoadRules(ctx context.Context) (serviceorder.Rules, int64, error) {
	if err := ctx.Err(); err != nil {
		return serviceorder.Rules{}, 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rules.Clone(), f.rev, nil
}

// SaveRules implements console.RulesStore.
func (f *fileRules) SaveRules(ctx context.Context, r serviceorder.Rules, revision int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if revision != f.rev {
		return 0, fmt.Errorf("rules file %s: saving at revision %d, current revision is %d: %w", f.path, revision, f.rev, console.ErrConflict)
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return 0, fmt.Errorf("rules file %s: %w", f.path, err)
	}
	if err := atomicfile.Write(f.path, append(data, '\n'), 0o600); err != nil {
		return 0, fmt.Errorf("rules file: %w", err)
	}
	f.rules = r.Clone()
	f.rev++
	return f.rev, nil
}

// memoryConsole is the demo's console set-up: no credentials (the demo's
// console is served on loopback only) and the rules kept in memory.
func memoryConsole(sol mapping.Solution, externalProductID int, rules serviceorder.Rules) *consoleSetup {
	return &consoleSetup{solution: sol, externalProductID: externalProductID, rules: console.NewMemoryRules(rules)}
}
