package kasperskytigerpaw

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// memSource is a kaspersky.Source over fixed data, for the root package's tests.
type memSource struct {
	mu          sync.Mutex
	tenants     []kaspersky.Tenant
	inventories map[string]kaspersky.Inventory
	events      map[string][]kaspersky.Event
	failing     map[string]error
}

func newMemSource() *memSource {
	return &memSource{inventories: map[string]kaspersky.Inventory{}, events: map[string][]kaspersky.Event{}, failing: map[string]error{}}
}

func (s *memSource) set(inv kaspersky.Inventory) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, t := range s.tenants {
		if t.ID == inv.Tenant.ID {
			s.tenants[i] = inv.Tenant
			s.inventories[inv.Tenant.ID] = inv
			return
		}
	}
	s.tenants = append(s.tenants, inv.Tenant)
	s.inventories[inv.Tenant.ID] = inv
}

func (s *memSource) Tenants(context.Context) ([]kaspersky.Tenant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]kaspersky.Tenant(nil), s.tenants...), nil
}

func (s *memSource) Inventory(_ context.Context, id string) (kaspersky.Inventory, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failing[id]; err != nil {
		return kaspersky.Inventory{}, err
	}
	inv, ok := s.inventories[id]
	if !ok {
		return kaspersky.Inventory{}, fmt.Errorf("no tenant %q", id)
	}
	return inv, nil
}

func (s *memSource) Events(_ context.Context, id string, since time.Time) ([]kaspersky.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.failing[id]; err != nil {
		return nil, err
	}
	var out []kaspersky.Event
	for _, e := range s.events[id] {
		if !e.Time.Before(since) {
			out = append(out, e)
		}
	}
	return out, nil
}
