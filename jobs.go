package kasperskytigerpaw

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
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

// errNotReadRefused is why a tenant was not read: the console refused the
// credentials for another tenant of the same cycle, and logging in again with
// them would only count one more failed login against the account.
var errNotReadRefused = fmt.Errorf("not read: the console refused the credentials: %w", kaspersky.ErrUnauthorized)

// credentialsRefused reports whether err says a server refused the
// integration's credentials: the Kaspersky console or Tigerpaw.
func credentialsRefused(err error) bool {
	return errors.Is(err, kaspersky.ErrUnauthorized) || errors.Is(err, tigerpaw.ErrUnauthorized)
}

// readTenants calls read(ctx, i) for i in [0, n): the first alone, then the
// others from at most concurrency goroutines, so that a wrong password costs one
// refused login and not one per tenant. Once a read fails with
// kaspersky.ErrUnauthorized no further read starts and the reads in flight are
// cancelled. It returns each read's error; the tenants not read because of a
// refusal have errNotReadRefused, those not read because ctx ended ctx's error.
func readTenants(ctx context.Context, n, concurrency int, read func(ctx context.Context, i int) error) []error {
	errs := make([]error, n)
	if n == 0 {
		return errs
	}
	notStarted := errors.New("not read")
	for i := range errs {
		errs[i] = notStarted
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var refused atomic.Bool
	one := func(i int) {
		if refused.Load() {
			errs[i] = errNotReadRefused
			return
		}
		err := read(rctx, i)
		switch {
		case err == nil:
		case errors.Is(err, kaspersky.ErrUnauthorized):
			refused.Store(true)
			cancel()
		case refused.Load() && ctx.Err() == nil:
			err = errNotReadRefused // cancelled by the refusal
		}
		errs[i] = err
	}
	one(0)
	forEach(ctx, n-1, concurrency, func(i int) { one(i + 1) })
	for i := range errs {
		if errs[i] == notStarted && ctx.Err() != nil {
			errs[i] = fmt.Errorf("not read: %w", ctx.Err())
		}
	}
	return errs
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
