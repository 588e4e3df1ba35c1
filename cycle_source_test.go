package kasperskytigerpaw

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// countingSource counts the inventory reads that reach the source.
type countingSource struct {
	*memSource
	reads atomic.Int64
}

func (s *countingSource) Inventory(ctx context.Context, id string) (kaspersky.Inventory, error) {
	s.reads.Add(1)
	return s.memSource.Inventory(ctx, id)
}

func TestCycleSourceReadsEachInventoryOncePerCycle(t *testing.T) {
	t.Parallel()
	mem := newMemSource()
	mem.set(kaspersky.Inventory{Tenant: kaspersky.Tenant{ID: "vs-1"}, Devices: []kaspersky.Device{{ID: "h1", TenantID: "vs-1"}}})
	src := &countingSource{memSource: mem}
	cs := NewCycleSource(src)
	for range 3 {
		inv, err := cs.Inventory(t.Context(), "vs-1")
		if err != nil || len(inv.Devices) != 1 {
			t.Fatalf("Inventory = %+v, %v", inv, err)
		}
	}
	if n := src.reads.Load(); n != 1 {
		t.Errorf("reads before Forget = %d, want 1", n)
	}
	cs.Forget()
	if _, err := cs.Inventory(t.Context(), "vs-1"); err != nil {
		t.Fatal(err)
	}
	if n := src.reads.Load(); n != 2 {
		t.Errorf("reads after Forget = %d, want 2", n)
	}

	// A failed read is not kept: the next read asks again.
	boom := errors.New("console down")
	mem.mu.Lock()
	mem.failing["vs-2"] = boom
	mem.mu.Unlock()
	if _, err := cs.Inventory(t.Context(), "vs-2"); !errors.Is(err, boom) {
		t.Fatalf("failing read: %v", err)
	}
	mem.mu.Lock()
	delete(mem.failing, "vs-2")
	mem.mu.Unlock()
	mem.set(kaspersky.Inventory{Tenant: kaspersky.Tenant{ID: "vs-2"}})
	if _, err := cs.Inventory(t.Context(), "vs-2"); err != nil {
		t.Errorf("read after the failure: %v", err)
	}
	if n := src.reads.Load(); n != 4 {
		t.Errorf("reads = %d, want 4", n)
	}
}
