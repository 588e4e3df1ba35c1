package kasperskytigerpaw

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// defaultConcurrency is how many tenants a job reads at once unless told.
const defaultConcurrency = 4

// forEach calls read(i) for i in [0, n) from at most concurrency goroutines
// (defaultConcurrency when 0 or less) and returns when all calls have
// returned. Once ctx ends no further call starts.
func forEach(ctx context.Context, n, concurrency int, read func(i int)) {
	if concurrency <= 0 {
		concurrency = defaultConcurrency
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(concurrency, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				read(i)
			}
		}()
	}
	wg.Wait()
}

// clockOr returns now, or time.Now when now is nil.
func clockOr(now func() time.Time) func() time.Time {
	if now != nil {
		return now
	}
	return time.Now
}

// loggerOr returns l, or a logger that discards everything when l is nil.
func loggerOr(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}
