package service

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/history"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/store/postgres"
)

// StoreConfig is the config's "store": where the mapping, the service order
// rules and the service order state are kept. Kind "file" (the default) uses
// mappingDir, rulesFile and stateFile; "postgres" uses the database at DSN,
// "env:NAME" to read it from the environment variable NAME, and a leader
// lease so that only one replica runs cycles and writes.
type StoreConfig struct {
	Kind string `json:"kind"`
	DSN  string `json:"dsn"`
	// LeaseTTL is how long a leader's lease lasts without renewal; 30s when
	// zero. The leader renews it before each cycle.
	LeaseTTL Duration `json:"leaseTTL"`
	// Schema is the database schema of the tables; "kt" when empty. Two
	// integrations on one database use two schemas.
	Schema string `json:"schema,omitempty"`
}

// defaultRulesFile is the rules file of the file store when the config names
// none: next to the state file.
const defaultRulesFile = "rules.json"

// minLeaseTTL is the shortest lease the config accepts.
const minLeaseTTL = time.Second

// leaseName is the lease the replicas of one daemon share.
const leaseName = "daemon"

// stores are the opened stores and, for postgres, the lease. lead must
// succeed before a cycle runs: it takes or renews the lease (a no-op for
// files); a replica whose lead fails skips the cycle. hold returns a context
// for the cycle that ends when the lease is lost (its renewal failed), so
// that the cycle stops before its next write. close releases the lease and
// closes the database.
type stores struct {
	mapping   mapping.Store
	state     serviceorder.Store
	rules     serviceorder.RulesStore
	decisions billing.DecisionStore
	history   history.Store
	lead      func(ctx context.Context) error
	hold      func(ctx context.Context) (context.Context, context.CancelFunc)
	close     func()
}

// ErrNotLeader is wrapped by the error of a write, or of RunNow, on a replica
// that does not hold the leader lease (a standby).
var ErrNotLeader = errors.New("service: this replica does not hold the leader lease")

// openStores opens the stores the config names. File stores are locked for
// this process (see openFileStores): when another process holds them,
// openStores waits up to lockWait for it to end. For postgres, a goroutine
// renews the lease every third of its ttl while this replica holds it, until
// close; log gets the lease's losses.
func openStores(ctx context.Context, cfg *Config, lockWait time.Duration, log *slog.Logger) (*stores, error) {
	sc := cfg.Store
	switch sc.Kind {
	case "", "file":
		rulesFile := cfg.RulesFile
		if rulesFile == "" {
			rulesFile = filepath.Join(filepath.Dir(cfg.StateFile), defaultRulesFile)
		}
		st, err := openFileStores(ctx, cfg.MappingDir, cfg.StateFile, rulesFile, lockWait, log)
		if err != nil {
			return nil, err
		}
		if err := st.openBillingFiles(cfg); err != nil {
			st.close()
			return nil, err
		}
		return st, nil
	case "postgres":
	default:
		return nil, fmt.Errorf("config: store.kind %q: want \"file\" or \"postgres\"", sc.Kind)
	}
	dsn, err := storeDSN(sc)
	if err != nil {
		return nil, err
	}
	db, err := postgres.Open(ctx, postgres.Options{DSN: dsn, Schema: sc.Schema})
	if err != nil {
		return nil, err
	}
	ttl := time.Duration(sc.LeaseTTL)
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	// The holder names this opening: host, process and a random part, so
	// that two openings (or a restart) are two replicas.
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	l := &leader{db: db, holder: fmt.Sprintf("%s/%d/%x", host, os.Getpid(), b), ttl: ttl, log: log}
	rules, err := openDatabaseRules(ctx, l, cfg.RulesFile, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	keepCtx, stopKeep := context.WithCancel(context.Background())
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		l.keep(keepCtx)
	}()
	return &stores{
		mapping:   &leaderMapping{l: l},
		state:     &leaderState{l: l},
		rules:     rules,
		decisions: &leaderDecisions{l: l},
		history:   &leaderHistory{l: l},
		lead:      l.lead,
		hold:      l.hold,
		close: func() {
			stopKeep()
			<-kept
			rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if f := l.current(); f != nil {
				_ = f.Release(rctx)
			}
			db.Close()
		},
	}, nil
}

// leader holds the lease of this replica, if any.
type leader struct {
	db     *postgres.DB
	holder string
	ttl    time.Duration
	log    *slog.Logger

	mu    sync.Mutex
	fence *postgres.Fence
	// lost is closed when fence is dropped; the cycles holding it end.
	lost chan struct{}
}

// lead takes or renews the lease; on failure the replica is no leader and
// its writes fail until a later lead succeeds.
func (l *leader) lead(ctx context.Context) error {
	f, err := l.db.Acquire(ctx, leaseName, l.holder, l.ttl)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.dropLocked()
		return err
	}
	if l.fence == nil || l.fence.Token() != f.Token() {
		l.dropLocked()
		l.lost = make(chan struct{})
	}
	l.fence = f
	return nil
}

// dropLocked forgets the fence and ends the cycles holding it.
func (l *leader) dropLocked() {
	if l.lost != nil {
		close(l.lost)
		l.lost = nil
	}
	l.fence = nil
}

// hold returns a context that ends when the lease held now is lost (at once
// when none is held).
func (l *leader) hold(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	l.mu.Lock()
	lost := l.lost
	l.mu.Unlock()
	if lost == nil {
		cancel(ErrNotLeader)
		return ctx, func() {}
	}
	go func() {
		select {
		case <-lost:
			cancel(ErrNotLeader)
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(context.Canceled) }
}

// keep renews the held lease every third of its ttl until ctx ends; a failed
// renewal (the database unreachable, or the lease expired and was taken)
// drops it, which ends the cycles holding it.
func (l *leader) keep(ctx context.Context) {
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		f := l.current()
		if f == nil {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, l.ttl/3)
		err := f.Renew(rctx)
		cancel()
		if err == nil || ctx.Err() != nil {
			continue
		}
		l.mu.Lock()
		if l.fence == f {
			l.dropLocked()
		}
		l.mu.Unlock()
		l.log.Warn("leader lease lost: writes stop until a cycle takes it again", "lease", leaseName, "err", err)
	}
}

func (l *leader) current() *postgres.Fence {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fence
}

// leaderMapping is the mapping store whose writes carry the current fence.
type leaderMapping struct{ l *leader }

func (m *leaderMapping) Load(ctx context.Context, name string) (mapping.Config, error) {
	return m.l.db.Mapping(nil).Load(ctx, name)
}

func (m *leaderMapping) List(ctx context.Context) ([]mapping.Config, error) {
	return m.l.db.Mapping(nil).List(ctx)
}

func (m *leaderMapping) Save(ctx context.Context, cfg mapping.Config) (int64, error) {
	f, err := m.l.editFence(ctx)
	if err != nil {
		return 0, err
	}
	return m.l.db.Mapping(f).Save(ctx, cfg)
}

func (m *leaderMapping) Delete(ctx context.Context, name string, revision int64) error {
	f, err := m.l.editFence(ctx)
	if err != nil {
		return err
	}
	return m.l.db.Mapping(f).Delete(ctx, name, revision)
}

// editFence is the fence of an edit made in the console: the lease held now,
// or else the lease taken at once when no other replica holds it (the
// leader's last renewal may have failed between two cycles). On a standby
// it fails with ErrNotLeader. The cycles' writes never take the lease this
// way: a cycle that lost it stops.
func (l *leader) editFence(ctx context.Context) (*postgres.Fence, error) {
	if f := l.current(); f != nil {
		return f, nil
	}
	if err := l.lead(ctx); err != nil {
		if errors.Is(err, postgres.ErrLeaseHeld) {
			return nil, ErrNotLeader
		}
		return nil, fmt.Errorf("leader lease: %w", err)
	}
	if f := l.current(); f != nil {
		return f, nil
	}
	return nil, ErrNotLeader
}

// leaderState is the service order store whose writes carry the current fence.
type leaderState struct{ l *leader }

// stateStoreName names the daemon's service order state in the database.
const stateStoreName = "daemon"

func (s *leaderState) Load(ctx context.Context) (serviceorder.State, error) {
	return s.l.db.ServiceOrders(stateStoreName, nil).Load(ctx)
}

func (s *leaderState) Apply(ctx context.Context, c serviceorder.Change) error {
	f := s.l.current()
	if f == nil {
		return ErrNotLeader
	}
	return s.l.db.ServiceOrders(stateStoreName, f).Apply(ctx, c)
}

// lockRetry is how often openFileStores tries again a store another process
// holds.
const lockRetry = 250 * time.Millisecond

// errStoreLocked marks the error of a file store another process holds: the
// daemon refuses to start (exit 2).
var errStoreLocked = errors.New("refusing to start")

// openFileStores opens the mapping directory and the state file, each locked
// for this process until close. While another process (a daemon on the same
// files) holds either, it tries again until lockWait has passed or ctx ends,
// then fails with an error matching errStoreLocked that names the lock file
// and its holder; it never opens one store without the other.
func openFileStores(ctx context.Context, mappingDir, stateFile, rulesFile string, lockWait time.Duration, log *slog.Logger) (*stores, error) {
	deadline := time.Now().Add(lockWait)
	for logged := false; ; logged = true {
		m, s, err := tryFileStores(mappingDir, stateFile)
		var rules serviceorder.RulesStore
		if err == nil {
			if rules, err = openFileRules(rulesFile); err != nil {
				_ = errors.Join(s.Close(), m.Close())
				return nil, err
			}
			return &stores{mapping: m, state: s, rules: rules, lead: func(context.Context) error { return nil },
				hold: func(ctx context.Context) (context.Context, context.CancelFunc) { return context.WithCancel(ctx) },
				close: func() {
					if err := errors.Join(s.Close(), m.Close()); err != nil {
						log.Warn("closing the file stores", "err", err)
					}
				}}, nil
		}
		if !errors.Is(err, mapping.ErrStoreLocked) && !errors.Is(err, serviceorder.ErrStoreLocked) {
			return nil, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			if lockWait > 0 {
				return nil, fmt.Errorf("%w (waited %v): %w", errStoreLocked, lockWait, err)
			}
			return nil, fmt.Errorf("%w: %w", errStoreLocked, err)
		}
		if !logged {
			log.Warn("another process holds the store; waiting for it to end", "err", err, "wait", lockWait)
		}
		t := time.NewTimer(min(lockRetry, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w: %w", errStoreLocked, errors.Join(err, ctx.Err()))
		case <-t.C:
		}
	}
}

// tryFileStores opens both file stores or neither.
func tryFileStores(mappingDir, stateFile string) (*mapping.FileStore, *serviceorder.FileStore, error) {
	m, err := mapping.NewFileStore(mappingDir)
	if err != nil {
		return nil, nil, err
	}
	s, err := serviceorder.OpenFileStore(stateFile)
	if err != nil {
		_ = m.Close()
		return nil, nil, err
	}
	return m, s, nil
}

// storeDSN resolves the PostgreSQL connection string of the store
// configuration (a secret reference or the string itself); empty is an error.
func storeDSN(sc StoreConfig) (string, error) {
	dsn := sc.DSN
	if dsn != "" {
		v, err := resolveSecret("store.dsn", dsn)
		if err != nil {
			return "", err
		}
		dsn = v
	}
	if dsn == "" {
		return "", errors.New("config: store.dsn: empty")
	}
	return dsn, nil
}
