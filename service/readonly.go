package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/history"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/store/postgres"
)

// ErrReadOnly is wrapped by the error of every write to the stores of a
// service built WithReadOnly, and of its Run, RunOnce, RunBilling and
// RunServiceOrders: a read-only service only plans.
var ErrReadOnly = errors.New("service: the stores are open read-only (a dry run)")

// WithReadOnly opens the stores for reading only, for Plan (a dry run)
// beside a service that runs on them: the file stores are read without their
// locks and nothing is created or removed; PostgreSQL is neither migrated
// nor leased and its transactions are read-only. Every write to the stores
// fails with an error wrapping ErrReadOnly, and so do Run, RunOnce,
// RunBilling and RunServiceOrders. WithLockWait does not apply.
func WithReadOnly() Option { return func(s *Service) { s.readOnly = true } }

// errNotPlanning is the error of a read-only service asked to run cycles.
func errNotPlanning(what string) error {
	return fmt.Errorf("%s: %w: only Plan runs", what, ErrReadOnly)
}

// openReadOnlyStores opens the stores the config names for reading only; Start
// refuses their writes (see readOnly). The
// file stores are read without their locks, beside the daemon that owns them:
// each file is replaced whole by a rename (internal/atomicfile), so each read
// sees one file as it was before or after a write. A dry run reads the
// integration's mapping file and the decisions file at the time it plans;
// the state file and an existing rules file are read (and checked) when
// opened, as the service does. Nothing is created: a missing mapping
// directory, state file, decisions file or history directory is an empty
// store.
func openReadOnlyStores(ctx context.Context, cfg *Config) (*stores, error) {
	sc := cfg.Store
	switch sc.Kind {
	case "", "file":
		return openReadOnlyFileStores(cfg)
	case "postgres":
	default:
		return nil, fmt.Errorf("config: store.kind %q: want \"file\" or \"postgres\"", sc.Kind)
	}
	dsn, err := storeDSN(sc)
	if err != nil {
		return nil, err
	}
	db, err := postgres.Open(ctx, postgres.Options{DSN: dsn, Schema: sc.Schema, ReadOnly: true})
	if err != nil {
		return nil, err
	}
	// The rules file that seeds an empty database is not read: seeding is a
	// write, which the service that runs makes.
	return (&stores{
		mapping:   db.Mapping(nil),
		state:     db.ServiceOrders(stateStoreName, nil),
		rules:     db.Rules(rulesStoreName, nil),
		decisions: db.Decisions(billingStoreName, nil),
		history:   db.History(billingStoreName, nil),
		close:     db.Close,
	}), nil
}

// openReadOnlyFileStores opens the file stores for reading only.
func openReadOnlyFileStores(cfg *Config) (*stores, error) {
	m, err := mapping.OpenFileStoreReadOnly(cfg.MappingDir)
	if err != nil {
		return nil, err
	}
	state, err := serviceorder.OpenFileStoreReadOnly(cfg.StateFile)
	if err != nil {
		_ = m.Close()
		return nil, err
	}
	closeAll := func() { _ = errors.Join(state.Close(), m.Close()) }
	rulesFile := cfg.RulesFile
	if rulesFile == "" {
		rulesFile = filepath.Join(filepath.Dir(cfg.StateFile), defaultRulesFile)
	}
	rules, err := serviceorder.NewFileRulesReadOnly(rulesFile)
	if err != nil {
		closeAll()
		return nil, asConfigError(fmt.Errorf("config: rulesFile: %w", err))
	}
	dir := filepath.Dir(cfg.StateFile)
	hdir := cfg.HistoryDir
	if hdir == "" {
		hdir = filepath.Join(dir, historyDirName)
	}
	var h history.Store = readOnlyHistory{} // empty
	switch info, err := os.Stat(hdir); {
	case errors.Is(err, fs.ErrNotExist):
		// Nothing recorded yet; opening the store would create the directory.
	case err != nil:
		closeAll()
		return nil, fmt.Errorf("history directory: %w", err)
	case !info.IsDir():
		closeAll()
		return nil, fmt.Errorf("history directory %s: not a directory", hdir)
	default:
		// The directory exists: opening it creates nothing.
		if h, err = history.OpenFileStore(hdir); err != nil {
			closeAll()
			return nil, err
		}
	}
	return (&stores{
		mapping:   m,
		state:     state,
		rules:     rules,
		decisions: billing.NewFileDecisions(filepath.Join(dir, decisionsFileName)),
		history:   h,
		close:     closeAll,
	}), nil
}

// readOnly returns st with every store's writes refused (ErrReadOnly), no
// leader lease (lead fails: no cycle runs) and close kept. A nil history is
// an empty one.
func readOnly(st *stores) *stores {
	out := &stores{
		lead: func(context.Context) error { return errNotPlanning("leader lease") },
		hold: func(ctx context.Context) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancelCause(ctx)
			cancel(ErrReadOnly)
			return ctx, func() {}
		},
		close: st.close,
	}
	if out.close == nil {
		out.close = func() {}
	}
	if st.mapping != nil {
		out.mapping = readOnlyMapping{st.mapping}
	}
	if st.state != nil {
		out.state = readOnlyState{st.state}
	}
	if st.rules != nil {
		out.rules = readOnlyRules{st.rules}
	}
	if st.decisions != nil {
		out.decisions = readOnlyDecisions{st.decisions}
	}
	if st.history != nil {
		out.history = readOnlyHistory{st.history}
	}
	return out
}

type readOnlyMapping struct{ mapping.Store }

func (m readOnlyMapping) Save(_ context.Context, cfg mapping.Config) (int64, error) {
	return 0, fmt.Errorf("saving integration %q: %w", cfg.Name, ErrReadOnly)
}

func (m readOnlyMapping) Delete(_ context.Context, name string, _ int64) error {
	return fmt.Errorf("deleting integration %q: %w", name, ErrReadOnly)
}

type readOnlyState struct{ serviceorder.Store }

func (s readOnlyState) Apply(context.Context, serviceorder.Change) error {
	return fmt.Errorf("saving the service order state: %w", ErrReadOnly)
}

type readOnlyRules struct{ serviceorder.RulesStore }

func (r readOnlyRules) SaveRules(context.Context, serviceorder.Rules, int64) (int64, error) {
	return 0, fmt.Errorf("saving the service order rules: %w", ErrReadOnly)
}

type readOnlyDecisions struct{ billing.DecisionStore }

func (d readOnlyDecisions) Decide(_ context.Context, dec billing.Decision) error {
	return fmt.Errorf("deciding on held change %q: %w", dec.Key, ErrReadOnly)
}

func (d readOnlyDecisions) Forget(context.Context, []string) error {
	return fmt.Errorf("forgetting decisions on held changes: %w", ErrReadOnly)
}

// readOnlyHistory is the usage history of a read-only service; a nil Store
// (no history directory yet) is empty.
type readOnlyHistory struct{ h history.Store }

func (h readOnlyHistory) Record(context.Context, []history.Snapshot) error {
	return fmt.Errorf("recording the usage history: %w", ErrReadOnly)
}

func (h readOnlyHistory) Prune(context.Context, time.Time) (int, error) {
	return 0, fmt.Errorf("pruning the usage history: %w", ErrReadOnly)
}

func (h readOnlyHistory) Query(ctx context.Context, tenant string, from, to time.Time) ([]history.Snapshot, error) {
	if h.h == nil {
		return nil, ctx.Err()
	}
	return h.h.Query(ctx, tenant, from, to)
}
