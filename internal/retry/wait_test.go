package retry

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestSleep(t *testing.T) {
	t.Parallel()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{"short wait ends", context.Background(), time.Millisecond, nil},
		{"zero does not wait", context.Background(), 0, nil},
		{"negative does not wait", context.Background(), -time.Hour, nil},
		{"ended context, long wait", cancelled, time.Hour, context.Canceled},
		{"ended context, no wait", cancelled, 0, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := Sleep(tt.ctx, tt.d); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("Sleep(%v) = %v, want %v", tt.d, err, tt.want)
			}
		})
	}
}

func TestSleepCutShortByContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Sleep(ctx, time.Hour) }()
	cancel()
	// An hour-long wait that does not end here would fail the test by its
	// timeout.
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep = %v, want context.Canceled", err)
	}
}

// endingCtx is a context that is still alive when first asked and has ended
// by the time anything waits on it, so that the wait itself sees the end.
type endingCtx struct {
	context.Context
	asked bool
	done  chan struct{}
}

func (c *endingCtx) Done() <-chan struct{} { return c.done }

func (c *endingCtx) Err() error {
	if !c.asked {
		c.asked = true
		return nil
	}
	return context.Canceled
}

func TestSleepEndsWhenContextEndsDuringTheWait(t *testing.T) {
	t.Parallel()
	ctx := &endingCtx{Context: t.Context(), done: make(chan struct{})}
	close(ctx.done)
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep = %v, want context.Canceled", err)
	}
}

// fakeLimiter answers Wait with err, after cancelling the test's context
// when cancel is set.
type fakeLimiter struct {
	err    error
	cancel context.CancelFunc
	waits  int
}

func (l *fakeLimiter) Wait(context.Context) error {
	l.waits++
	if l.cancel != nil {
		l.cancel()
	}
	return l.err
}

type funcLimiter func(context.Context) error

func (f funcLimiter) Wait(ctx context.Context) error { return f(ctx) }

func TestIsNil(t *testing.T) {
	t.Parallel()
	var nilRate *rate.Limiter
	var nilFake *fakeLimiter
	var nilFunc funcLimiter
	tests := []struct {
		name string
		l    Limiter
		want bool
	}{
		{"nil interface", nil, true},
		{"nil *rate.Limiter", nilRate, true},
		{"nil pointer of another type", nilFake, true},
		{"nil func", nilFunc, true},
		{"rate limiter", rate.NewLimiter(1, 1), false},
		{"func", funcLimiter(func(context.Context) error { return nil }), false},
		{"value type", valueLimiter{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := IsNil(tt.l); got != tt.want {
				t.Errorf("IsNil(%T) = %t, want %t", tt.l, got, tt.want)
			}
		})
	}
}

type valueLimiter struct{}

func (valueLimiter) Wait(context.Context) error { return nil }

func TestPace(t *testing.T) {
	t.Parallel()
	closed := errors.New("limiter closed")
	rateRefusal := errors.New("rate: Wait(n=1) would exceed context deadline")
	tests := []struct {
		name     string
		limiter  func(cancel context.CancelFunc) Limiter
		deadline bool
		want     []error // errors.Is targets; none for success
		notWant  error
	}{
		{name: "no limiter", limiter: func(context.CancelFunc) Limiter { return nil }},
		{name: "nil *rate.Limiter", limiter: func(context.CancelFunc) Limiter { return (*rate.Limiter)(nil) }},
		{name: "limiter lets go", limiter: func(context.CancelFunc) Limiter { return &fakeLimiter{} }},
		{
			name:    "context ended while waiting",
			limiter: func(c context.CancelFunc) Limiter { return &fakeLimiter{err: closed, cancel: c} },
			want:    []error{context.Canceled}, notWant: closed,
		},
		{
			name:    "limiter reports the context's end",
			limiter: func(context.CancelFunc) Limiter { return &fakeLimiter{err: context.DeadlineExceeded} },
			want:    []error{context.DeadlineExceeded},
		},
		{
			name:     "rate's deadline refusal",
			limiter:  func(context.CancelFunc) Limiter { return &fakeLimiter{err: rateRefusal} },
			deadline: true,
			want:     []error{context.DeadlineExceeded, rateRefusal},
		},
		{
			name:     "other refusal under a deadline",
			limiter:  func(context.CancelFunc) Limiter { return &fakeLimiter{err: closed} },
			deadline: true,
			want:     []error{closed}, notWant: context.DeadlineExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.deadline {
				ctx, cancel = context.WithTimeout(ctx, time.Hour)
				defer cancel()
			}
			l := tt.limiter(cancel)
			err := Pace(ctx, l)
			if len(tt.want) == 0 && err != nil {
				t.Fatalf("Pace = %v, want nil", err)
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("Pace = %v, want it to match %v", err, w)
				}
			}
			if tt.notWant != nil && errors.Is(err, tt.notWant) {
				t.Errorf("Pace = %v, should not match %v", err, tt.notWant)
			}
			if f, ok := l.(*fakeLimiter); ok && f.waits != 1 {
				t.Errorf("limiter waited on %d times, want 1", f.waits)
			}
		})
	}
}

func TestPaceWithRealRateLimiter(t *testing.T) {
	t.Parallel()
	l := rate.NewLimiter(rate.Every(time.Hour), 1)
	if err := Pace(t.Context(), l); err != nil {
		t.Fatalf("first Pace = %v, want the burst to let it go", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	// The next token is an hour away, past the deadline: rate refuses at once.
	if err := Pace(ctx, l); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second Pace = %v, want it to match context.DeadlineExceeded", err)
	}
}
