package retry

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Sleep waits d, or until ctx ends, whichever comes first; it returns
// ctx.Err() in the second case. A d of zero or less does not wait.
func Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Limiter paces attempts; *rate.Limiter from golang.org/x/time/rate
// satisfies it.
type Limiter interface {
	Wait(ctx context.Context) error
}

// IsNil reports whether l is nil, or an interface holding a nil pointer (such
// as a nil *rate.Limiter), which would panic when waited on.
func IsNil(l Limiter) bool {
	if l == nil {
		return true
	}
	switch v := reflect.ValueOf(l); v.Kind() {
	case reflect.Pointer, reflect.Func, reflect.Map, reflect.Chan, reflect.Slice:
		return v.IsNil()
	}
	return false
}

// Pace waits on l before an attempt; a nil l lets every attempt go at once.
// When the wait fails because ctx ended, the error is ctx.Err(). When l
// refuses up front because the wait would outlast ctx's deadline, as
// *rate.Limiter does, the error matches both context.DeadlineExceeded and
// l's own error. Any other refusal is l's error as it is.
func Pace(ctx context.Context, l Limiter) error {
	if IsNil(l) {
		return nil
	}
	err := l.Wait(ctx)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return err
	case ctx.Err() != nil:
		return ctx.Err()
	case strings.Contains(err.Error(), "exceed context deadline"):
		// x/time/rate has no sentinel for this refusal; its text is all there is.
		return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	return err
}
