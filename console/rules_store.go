package console

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// ErrConflict is returned by [RulesStore.SaveRules] when the stored revision is
// not the one the caller read: someone else saved in between.
var ErrConflict = errors.New("revision conflict")

// RulesStore keeps the service order rules the console edits, with a revision
// for optimistic concurrency. Implementations must be safe for concurrent use.
type RulesStore interface {
	// LoadRules returns the saved rules and their revision.
	LoadRules(ctx context.Context) (serviceorder.Rules, int64, error)
	// SaveRules stores r if revision is the stored one and returns the new
	// revision; otherwise it fails with an error wrapping ErrConflict.
	SaveRules(ctx context.Context, r serviceorder.Rules, revision int64) (int64, error)
}

// MemoryRules is a [RulesStore] in memory.
type MemoryRules struct {
	mu    sync.Mutex
	rules serviceorder.Rules
	rev   int64
}

// NewMemoryRules returns a MemoryRules holding r at revision 1.
func NewMemoryRules(r serviceorder.Rules) *MemoryRules {
	return &MemoryRules{rules: r.Clone(), rev: 1}
}

// LoadRules implements [RulesStore].
func (m *MemoryRules) LoadRules(ctx context.Context) (serviceorder.Rules, int64, error) {
	if err := ctx.Err(); err != nil {
		return serviceorder.Rules{}, 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rules.Clone(), m.rev, nil
}

// SaveRules implements [RulesStore].
func (m *MemoryRules) SaveRules(ctx context.Context, r serviceorder.Rules, revision int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if revision != m.rev {
		return 0, fmt.Errorf("console: saving rules at revision %d, stored revision is %d: %w", revision, m.rev, ErrConflict)
	}
	m.rules = r.Clone()
	m.rev++
	return m.rev, nil
}

// Rules returns the saved rules (the daemon's service order job reads them).
func (m *MemoryRules) Rules() serviceorder.Rules {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rules.Clone()
}
