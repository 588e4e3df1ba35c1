package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// ErrRejected is wrapped by a ChargeWriter's error when the server refused a
// write and certainly applied nothing (a validation failure, an unknown item, a
// closed agreement). Apply does not retry such a write.
var ErrRejected = errors.New("write rejected")

// ErrUnauthorized is wrapped by a ChargeReader's or ChargeWriter's error when
// the server refused its credentials. Biller.Plan lists no further agreement
// once a list fails so (they are skipped with the reason), and Plan.Failed
// reports the plan as failed.
var ErrUnauthorized = errors.New("credentials refused")

// ErrNotFound is wrapped by a ChargeWriter's error when the charge to update or
// delete does not exist. Apply takes a delete of a missing charge as done.
var ErrNotFound = errors.New("charge not found")

// ChargeReader reads the Additional Charges of agreements.
type ChargeReader interface {
	// List returns every charge of the agreement, owned or not.
	List(ctx context.Context, agreement int) ([]Charge, error)
}

// ChargeWriter writes the Additional Charges of agreements. The module's root
// package adapts a Tigerpaw client to it; a user can plug in their own.
//
// Errors tell Apply what it may do next. An error that wraps ErrRejected means
// the server applied nothing; an error that wraps ErrNotFound means the charge
// is not there. Every other error (a timeout, a dropped connection, a 5xx) is
// taken as "the write may have been applied": Apply re-reads the agreement's
// charges before it tries a create again, so a charge is never created twice.
type ChargeWriter interface {
	ChargeReader
	// Create adds the charge (its DetailID is zero) to the agreement and returns
	// the new charge's DetailID.
	Create(ctx context.Context, agreement int, c Charge) (detailID int64, err error)
	// Update sets the quantity, price, price level and description of the charge
	// with c.DetailID.
	Update(ctx context.Context, agreement int, c Charge) error
	// Delete removes the charge.
	Delete(ctx context.Context, agreement int, detailID int64) error
}

// Result is what Apply did.
type Result struct {
	Created, Updated, Deleted, Unchanged int
	// Failed holds one error per change that could not be made.
	Failed []*ChangeError
}

// ChangeError is the failure of one change of a plan.
type ChangeError struct {
	Action    Action
	Agreement int
	ItemID    string
	// DetailID is the charge's id for an update or delete.
	DetailID int64
	Err      error
}

// Error names the change and the cause.
func (e *ChangeError) Error() string {
	if e.DetailID != 0 {
		return fmt.Sprintf("billing: %s agreement %d item %s (charge %d): %v", e.Action, e.Agreement, e.ItemID, e.DetailID, e.Err)
	}
	return fmt.Sprintf("billing: %s agreement %d item %s: %v", e.Action, e.Agreement, e.ItemID, e.Err)
}

// Unwrap returns the cause.
func (e *ChangeError) Unwrap() error { return e.Err }

// ApplyOption configures Apply.
type ApplyOption func(*applier)

// WithAttempts sets how many times Apply tries each write, and each re-read of an
// agreement, before it gives up on it (default 3; values below 1 mean 1).
func WithAttempts(n int) ApplyOption {
	return func(a *applier) { a.attempts = max(1, n) }
}

// WithBackoff sets the wait before the second attempt; it doubles with each
// further attempt (default 500ms; 0 retries at once). Waits end early when the
// context is done.
func WithBackoff(d time.Duration) ApplyOption {
	return func(a *applier) { a.backoff = max(0, d) }
}

// WithLogger makes Apply log each write and failure (default: no logging).
func WithLogger(l *slog.Logger) ApplyOption {
	return func(a *applier) {
		if l != nil {
			a.log = l
		}
	}
}

type applier struct {
	w        ChargeWriter
	attempts int
	backoff  time.Duration
	log      *slog.Logger
}

// Apply carries out the plan's changes through w, in the plan's order. A failed
// change is reported in the Result and does not stop the others, of the same
// agreement or of others. Updates and deletes (which name their charge) are
// retried on errors that do not wrap ErrRejected; a create that fails with such
// an error may have been applied, so Apply lists the agreement's charges before
// trying again and takes an owned charge of the item found there as the created
// one (updating it if its values differ). The returned error joins the
// ChangeErrors of the Result; it is nil when every change was made.
func Apply(ctx context.Context, plan Plan, w ChargeWriter, opts ...ApplyOption) (Result, error) {
	a := &applier{w: w, attempts: 3, backoff: 500 * time.Millisecond, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(a)
	}
	var res Result
	if w == nil && !plan.Empty() {
		return res, fmt.Errorf("billing: Apply: the ChargeWriter is nil: %w", ErrInvalidConfig)
	}
	for i := range plan.Changes {
		c := &plan.Changes[i]
		var err error
		if c.Action != NoOp {
			if err = ctx.Err(); err == nil {
				err = a.apply(ctx, c)
			}
		}
		if err != nil {
			ce := &ChangeError{Action: c.Action, Agreement: c.Agreement, ItemID: c.ItemID, DetailID: c.Current.DetailID, Err: err}
			res.Failed = append(res.Failed, ce)
			a.log.LogAttrs(ctx, slog.LevelWarn, "billing: change failed", slog.String("action", c.Action.String()),
				slog.Int("agreement", c.Agreement), slog.String("item", c.ItemID), slog.Any("error", err))
			continue
		}
		switch c.Action {
		case NoOp:
			res.Unchanged++
			continue
		case Create:
			res.Created++
		case Update:
			res.Updated++
		case Delete:
			res.Deleted++
		}
		a.log.LogAttrs(ctx, slog.LevelInfo, "billing: charge written", slog.String("change", c.String()), slog.String("reason", c.Reason))
	}
	var err error
	if len(res.Failed) > 0 {
		errs := make([]error, len(res.Failed))
		for i, f := range res.Failed {
			errs[i] = f
		}
		err = errors.Join(errs...)
	}
	return res, err
}

func (a *applier) apply(ctx context.Context, c *Change) error {
	switch c.Action {
	case Create:
		return a.create(ctx, c)
	case Update:
		return a.retry(ctx, func() error {
			want := c.Desired
			want.DetailID = c.Current.DetailID
			return a.w.Update(ctx, c.Agreement, want)
		})
	case Delete:
		err := a.retry(ctx, func() error { return a.w.Delete(ctx, c.Agreement, c.Current.DetailID) })
		if errors.Is(err, ErrNotFound) {
			return nil // already gone: what the change asked for
		}
		return err
	}
	return fmt.Errorf("unknown action %d", int(c.Action))
}

// final reports whether an error ends the attempts at a write.
func final(ctx context.Context, err error) bool {
	return err == nil || errors.Is(err, ErrRejected) || errors.Is(err, ErrNotFound) || ctx.Err() != nil
}

// retry runs an idempotent write until it succeeds, fails finally or runs out of
// attempts.
func (a *applier) retry(ctx context.Context, write func() error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = write()
		if final(ctx, err) || attempt >= a.attempts {
			return err
		}
		if werr := a.wait(ctx, attempt); werr != nil {
			return errors.Join(err, werr)
		}
	}
}

// wait sleeps before attempt+1, or until ctx is done.
func (a *applier) wait(ctx context.Context, attempt int) error {
	d := a.backoff << (attempt - 1)
	if d <= 0 {
		return ctx.Err()
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

// create adds a charge, never twice: after a failure that may have been applied
// it looks for the charge before it tries again.
func (a *applier) create(ctx context.Context, c *Change) error {
	want := c.Desired
	want.DetailID = 0
	for attempt := 1; ; attempt++ {
		_, err := a.w.Create(ctx, c.Agreement, want)
		if err == nil {
			return nil
		}
		if errors.Is(err, ErrRejected) {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (the charge may have been created; the next plan will tell)", err)
		}
		a.log.LogAttrs(ctx, slog.LevelWarn, "billing: create may have been applied; re-reading the agreement",
			slog.Int("agreement", c.Agreement), slog.String("item", c.ItemID), slog.Any("error", err))
		found, lerr := a.find(ctx, c.Agreement, want.ItemID, &want)
		if lerr != nil {
			return fmt.Errorf("%w; then re-reading the agreement's charges failed, so the create is not retried: %w", err, lerr)
		}
		if found != nil {
			if sameValues(found, &want) {
				return nil
			}
			fixed := want
			fixed.DetailID = found.DetailID
			return a.retry(ctx, func() error { return a.w.Update(ctx, c.Agreement, fixed) })
		}
		if attempt >= a.attempts {
			return err
		}
		if werr := a.wait(ctx, attempt); werr != nil {
			return errors.Join(err, werr)
		}
	}
}

// find lists the agreement's charges and returns the owned charge of the item
// (the one with the desired values if there are several, else the oldest), or
// nil. A list CheckCharges refuses is an error.
func (a *applier) find(ctx context.Context, agreement int, item string, want *Charge) (*Charge, error) {
	var list []Charge
	err := a.retry(ctx, func() error {
		var err error
		list, err = a.w.List(ctx, agreement)
		return err
	})
	if err != nil {
		return nil, err
	}
	// A list that contradicts itself (see CheckCharges) cannot tell whether
	// the charge was created: its marker may be cut, or the charge listed
	// twice.
	if err := CheckCharges(agreement, list); err != nil {
		return nil, err
	}
	var found *Charge
	for i := range list {
		e := &list[i]
		if e.Owned() && SameItem(e.ItemID, item) && (found == nil || better(e, found, want)) {
			found = e
		}
	}
	return found, nil
}
