package kasperskytigerpaw

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestForEachCallsEachIndexOnceWithinTheBound(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ n, concurrency, bound int }{{0, 3, 3}, {1, 0, defaultConcurrency}, {50, 3, 3}, {7, 20, 20}} {
		var mu sync.Mutex
		calls := make([]int, tt.n)
		var running, peak atomic.Int64
		forEach(t.Context(), tt.n, tt.concurrency, func(i int) {
			r := running.Add(1)
			for {
				p := peak.Load()
				if r <= p || peak.CompareAndSwap(p, r) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			mu.Lock()
			calls[i]++
			mu.Unlock()
			running.Add(-1)
		})
		for i, c := range calls {
			if c != 1 {
				t.Errorf("n=%d: index %d called %d times", tt.n, i, c)
			}
		}
		if p := peak.Load(); p > int64(tt.bound) {
			t.Errorf("n=%d concurrency=%d: %d calls at once", tt.n, tt.concurrency, p)
		}
	}
}

func TestForEachStopsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	var calls, atCancel atomic.Int64
	forEach(ctx, 1000, 2, func(int) {
		if calls.Add(1) == 5 {
			cancel()
			// The other worker may have checked the context before the
			// cancel ended: it starts at most one read after this.
			atCancel.Store(calls.Load())
		}
	})
	if n := calls.Load(); n < 5 || n > atCancel.Load()+1 {
		t.Errorf("calls = %d, %d when the cancel at the fifth returned: want at most one more (the other worker's read in flight)", n, atCancel.Load())
	}
}
