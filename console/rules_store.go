package console

import (
	"context"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// ErrConflict is serviceorder.ErrRevisionConflict, which a rules store's
// failed save wraps when someone else saved in between.
//
// Deprecated: use [serviceorder.ErrRevisionConflict].
var ErrConflict = serviceorder.ErrRevisionConflict

// RulesStore keeps the service order rules the console edits.
//
// Deprecated: use [serviceorder.RulesStore], which this is.
type RulesStore = serviceorder.RulesStore

// MemoryRules is a rules store in memory.
//
// Deprecated: use [serviceorder.MemoryRules], which this is.
type MemoryRules = serviceorder.MemoryRules

// NewMemoryRules returns an in-memory rules store holding r at revision 1, as
// if r had been saved once into an empty store.
//
// Deprecated: use [serviceorder.NewMemoryRules] and [serviceorder.SeedRules].
func NewMemoryRules(r serviceorder.Rules) *serviceorder.MemoryRules {
	m := serviceorder.NewMemoryRules()
	// A first save into an empty memory store with a live context cannot fail.
	_, _ = serviceorder.SeedRules(context.Background(), m, r)
	return m
}
