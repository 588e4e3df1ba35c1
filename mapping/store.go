package mapping

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
)

// ErrConflict is returned by [Store.Save] and [Store.Delete] when the stored
// revision is not the one the caller read: someone else saved in between. Load
// again and redo the change.
var ErrConflict = errors.New("revision conflict")

// Store keeps the saved configurations of one or more integrations, by name.
// Integrations that share a store share one Tigerpaw, and those of the same
// solution one console: a tenant can be in one of them only, and an account
// maps to one tenant of them only.
//
// Implementations must be safe for concurrent use, honour ctx, return copies
// (a caller changing a loaded Config does not change the store) and pass
// mappingtest.Run. [MemoryStore] and [FileStore] ship with the package.
type Store interface {
	// Load returns the saved configuration with the given name, its Revision
	// set, or an error wrapping ErrNotFound.
	Load(ctx context.Context, name string) (Config, error)
	// List returns every saved configuration, sorted by name.
	List(ctx context.Context) ([]Config, error)
	// Save stores cfg under cfg.Name, all or nothing, and returns its new
	// revision. cfg.Revision must be the revision of the stored configuration
	// (0: none may be stored), otherwise Save fails with ErrConflict. Save
	// applies [CrossCheck] against the other stored configurations atomically
	// with the write and fails with its *ValidationError (ErrTenantTaken,
	// ErrAccountTaken). It applies no other rule: see [Validate].
	Save(ctx context.Context, cfg Config) (int64, error)
	// Delete removes the configuration with the given name if its revision is
	// revision; ErrNotFound when there is none, ErrConflict when the revision
	// differs.
	Delete(ctx context.Context, name string, revision int64) error
}

// MemoryStore is a [Store] in memory. The zero value is ready to use.
type MemoryStore struct {
	mu   sync.Mutex
	cfgs map[string]Config
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Load implements [Store].
func (s *MemoryStore) Load(ctx context.Context, name string) (Config, error) {
	if err := ctx.Err(); err != nil {
		return Config{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cfgs[name]
	if !ok {
		return Config{}, notFound(name)
	}
	return c.Clone(), nil
}

// List implements [Store].
func (s *MemoryStore) List(ctx context.Context) ([]Config, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Config, 0, len(s.cfgs))
	for _, c := range s.cfgs {
		out = append(out, c.Clone())
	}
	sortConfigs(out)
	return out, nil
}

// Save implements [Store].
func (s *MemoryStore) Save(ctx context.Context, cfg Config) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	others := make([]Config, 0, len(s.cfgs))
	for _, c := range s.cfgs {
		others = append(others, c)
	}
	cur, ok := s.cfgs[cfg.Name]
	if err := admit(cfg, cur, ok, others); err != nil {
		return 0, err
	}
	cfg = cfg.Clone()
	cfg.Revision++
	if s.cfgs == nil {
		s.cfgs = map[string]Config{}
	}
	s.cfgs[cfg.Name] = cfg
	return cfg.Revision, nil
}

// Delete implements [Store].
func (s *MemoryStore) Delete(ctx context.Context, name string, revision int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.cfgs[name]
	if err := admitDelete(name, revision, cur, ok); err != nil {
		return err
	}
	delete(s.cfgs, name)
	return nil
}

// admit applies the checks of Store.Save: a valid name, the expected revision
// and the rules across integrations. cur is the stored configuration with the
// same name, if exists.
func admit(cfg, cur Config, exists bool, others []Config) error {
	if err := CheckName(cfg.Name); err != nil {
		return err
	}
	switch {
	case cfg.Revision < 0:
		return fmt.Errorf("mapping: save %q: revision %d is negative: %w", cfg.Name, cfg.Revision, ErrInvalid)
	case cfg.Revision == math.MaxInt64:
		// The next revision would wrap around to a negative one.
		return fmt.Errorf("mapping: save %q: revision %d is the largest there is: %w", cfg.Name, cfg.Revision, ErrInvalid)
	}
	switch {
	case !exists && cfg.Revision != 0:
		return fmt.Errorf("mapping: save %q at revision %d: the integration is no longer stored: %w", cfg.Name, cfg.Revision, ErrConflict)
	case exists && cfg.Revision != cur.Revision:
		return fmt.Errorf("mapping: save %q at revision %d: the stored revision is %d: %w", cfg.Name, cfg.Revision, cur.Revision, ErrConflict)
	}
	return CrossCheck(cfg, others)
}

// admitDelete applies the checks of Store.Delete.
func admitDelete(name string, revision int64, cur Config, exists bool) error {
	switch {
	case !exists:
		return notFound(name)
	case cur.Revision != revision:
		return fmt.Errorf("mapping: delete %q at revision %d: the stored revision is %d: %w", name, revision, cur.Revision, ErrConflict)
	}
	return nil
}

func notFound(name string) error {
	return fmt.Errorf("mapping: integration %q: %w", name, ErrNotFound)
}

func sortConfigs(cfgs []Config) {
	slices.SortFunc(cfgs, func(a, b Config) int { return strings.Compare(a.Name, b.Name) })
}
