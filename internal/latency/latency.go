// Package latency holds the per-request latency of the module's fake servers
// (ksctest, tigerpawtest): a fixed part plus a uniformly drawn jitter, waited
// before every request is answered, so that benchmarks meet servers as slow as
// real ones.
package latency

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// Latency is a per-request delay. The zero value waits nothing. It is safe for
// concurrent use.
type Latency struct {
	fixed, jitter atomic.Int64 // nanoseconds
}

// Set makes every later request wait fixed plus a uniform draw from
// [0, jitter]. Negative values count as zero.
func (l *Latency) Set(fixed, jitter time.Duration) {
	l.fixed.Store(int64(max(fixed, 0)))
	l.jitter.Store(int64(max(jitter, 0)))
}

// Draw returns the delay of one request.
func (l *Latency) Draw() time.Duration {
	d := l.fixed.Load()
	if j := l.jitter.Load(); j > 0 {
		d += rand.Int64N(j + 1)
	}
	return time.Duration(d)
}

// Wait sleeps one request's delay. It returns false when ctx ended first: the
// client is gone and the request is not to be answered.
func (l *Latency) Wait(ctx context.Context) bool {
	d := l.Draw()
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
