package kasperskytigerpaw

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// CycleSource is a kaspersky.Source that reads each tenant's inventory once
// until Forget: give the same CycleSource to a BillingJob and a
// ServiceOrderJob that run in the same cycle, call Forget before each cycle,
// and the console is asked for every inventory once instead of twice. Failed
// reads are not kept; events and tenants are always read from the console,
// except after the console refused the credentials (kaspersky.ErrUnauthorized):
// until Forget, every read returns that refusal without logging in again. It
// is safe for concurrent use.
type CycleSource struct {
	src kaspersky.Source

	mu   sync.Mutex
	invs map[string]kaspersky.Inventory
	// refused is the console's refusal of the credentials since Forget: no
	// further read asks it again until then.
	refused error
}

var _ kaspersky.Source = (*CycleSource)(nil)

// NewCycleSource returns a CycleSource reading through src.
func NewCycleSource(src kaspersky.Source) *CycleSource {
	return &CycleSource{src: src, invs: map[string]kaspersky.Inventory{}}
}

// Forget drops the inventories read so far: the next reads go to the console.
func (s *CycleSource) Forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invs = map[string]kaspersky.Inventory{}
	s.refused = nil
}

// refusal returns the console's refusal since Forget, or nil.
func (s *CycleSource) refusal() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refused != nil {
		return fmt.Errorf("not asked: %w", s.refused)
	}
	return nil
}

// note keeps err when it is the console's refusal of the credentials.
func (s *CycleSource) note(err error) error {
	if errors.Is(err, kaspersky.ErrUnauthorized) {
		s.mu.Lock()
		if s.refused == nil {
			s.refused = err
		}
		s.mu.Unlock()
	}
	return err
}

// Tenants lists the console's tenants.
func (s *CycleSource) Tenants(ctx context.Context) ([]kaspersky.Tenant, error) {
	if err := s.refusal(); err != nil {
		return nil, err
	}
	ts, err := s.src.Tenants(ctx)
	return ts, s.note(err)
}

// Inventory returns the inventory of tenant read since the last Forget, or
// reads it. Two concurrent first reads of one tenant may both reach the
// console; the jobs read each tenant once anyway.
func (s *CycleSource) Inventory(ctx context.Context, tenant string) (kaspersky.Inventory, error) {
	s.mu.Lock()
	inv, ok := s.invs[tenant]
	s.mu.Unlock()
	if ok {
		return inv, nil
	}
	if err := s.refusal(); err != nil {
		return kaspersky.Inventory{}, err
	}
	inv, err := s.src.Inventory(ctx, tenant)
	if err != nil {
		return inv, s.note(err)
	}
	s.mu.Lock()
	s.invs[tenant] = inv
	s.mu.Unlock()
	return inv, nil
}

// Events reads the tenant's events from the console.
func (s *CycleSource) Events(ctx context.Context, tenant string, since time.Time) ([]kaspersky.Event, error) {
	if err := s.refusal(); err != nil {
		return nil, err
	}
	evs, err := s.src.Events(ctx, tenant, since)
	return evs, s.note(err)
}
