package serviceorder

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrLocked is what a [Desk] returns when Tigerpaw refuses to change an order
// because it is open (locked) in the Tigerpaw UI. Adapters must map the
// client's own lock error to it (errors.Is(err, ErrLocked) must hold). The Runner
// keeps such a close pending and retries it on later cycles.
var ErrLocked = errors.New("serviceorder: service order is locked")

// LockedError is an error a [Desk] may return for a change refused because the
// order is locked, when it knows who holds the lock. It matches [ErrLocked]
// with errors.Is; the Runner finds it with errors.As and reports the holder
// with the pending close ([OrderRef.LockedBy]).
type LockedError struct {
	// Number is the service order number.
	Number int
	// LockedBy names who holds the lock (a rep's name); "" when not known.
	LockedBy string
	// Err is the Desk's own error (the client's refusal); may be nil.
	Err error
}

// Error names the order, the holder when known, and the cause.
func (e *LockedError) Error() string {
	msg := fmt.Sprintf("service order %d is locked", e.Number)
	if e.LockedBy != "" {
		msg += " by " + e.LockedBy
	}
	msg += ": " + ErrLocked.Error()
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is matches [ErrLocked].
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Unwrap returns the Desk's own error.
func (e *LockedError) Unwrap() error { return e.Err }

// ErrNotFound is what a [Desk] returns from Get or Close when the order does not
// exist. Adapters must map the client's own not-found error to it.
var ErrNotFound = errors.New("serviceorder: service order not found")

// ErrUnauthorized is what a [Desk] returns when Tigerpaw refuses its
// credentials. Adapters must map the client's own error to it. After such a
// failure the Runner sends nothing more to the Desk in that cycle: every
// further call would be refused the same way.
var ErrUnauthorized = errors.New("serviceorder: Tigerpaw refused the credentials")

// NewOrder is a service order to create in Tigerpaw.
type NewOrder struct {
	// Account is the Tigerpaw account number (AccountNumber).
	Account int `json:"account"`
	// Rep is the rep number assigned (TechnicianAssigned).
	Rep int `json:"rep"`
	// Status is the status name of the new order.
	Status string `json:"status"`
	// Priority and Type are names; Type may be empty.
	Priority string `json:"priority"`
	Type     string `json:"type,omitzero"`
	// Board is the dispatch board id (DispatchBoardNumber); 0 means none.
	Board int `json:"board,omitzero"`
	// Brief is a one-line summary (BriefDescription).
	Brief string `json:"brief"`
	// Work is the full text for the technician (WorkRequested).
	Work string `json:"work"`
	// Reference is the order's [Key], to be stored in the Reference field.
	Reference Key `json:"reference"`
}

// DeskOrder is an existing service order as a [Desk] reports it.
type DeskOrder struct {
	Number    int
	Reference string
	Status    string
	// Closed is true when the order is closed (it has a close date). The Runner
	// also takes an order whose Status is the configured closed status as closed.
	Closed bool
	// Locked is true while the order is open in the Tigerpaw UI.
	Locked bool
	// LockedBy names who holds the lock (the locking rep's name) when Locked
	// and the Desk can say; "" otherwise.
	LockedBy string
	// ClosedAt is when the order was closed (DateTimeClosed); zero when open
	// or not known. The reopen window of a grouped rule counts from it.
	ClosedAt time.Time
	// Work is the order's text (WorkRequested). The Runner reads the marker
	// of the repeats a group order covers from it; a Desk that cannot say
	// leaves it empty.
	Work string
}

// Note is a service order note as a [Desk] reports it.
type Note struct {
	Number int
	Topic  string
	Text   string
}

// NewNote is a note to add to a service order.
type NewNote struct {
	// Topic is a short title (Topic).
	Topic string
	// Text is the note (Note). It carries a marker line the Runner looks for
	// when it reads the notes back: a note is not idempotent.
	Text string
}

// ReopenRequest is how the engine sets a closed order back to the new status.
type ReopenRequest struct {
	// Status is the configured new status.
	Status string
}

// CloseRequest is how the engine closes an order.
type CloseRequest struct {
	// Status is the configured closed status.
	Status string
	// WorkPerformed tells the technician why the order was closed.
	WorkPerformed string
}

// Desk is the write side of Tigerpaw's service orders that the engine needs. The
// root package implements it over tigerpaw.Client; tests use a fake.
// Implementations must be safe for concurrent use and honour ctx.
type Desk interface {
	// Create creates an order and returns its number. Create is not idempotent:
	// the Runner looks the reference up before calling it.
	Create(ctx context.Context, o NewOrder) (number int, err error)
	// FindByReference returns the orders whose Reference is ref. Tigerpaw's
	// search may match prefixes and ignore case; implementations may return such
	// extra orders, the Runner keeps only case-insensitive exact matches.
	FindByReference(ctx context.Context, ref string) ([]DeskOrder, error)
	// Get returns the order with the given number, or an error wrapping
	// ErrNotFound.
	Get(ctx context.Context, number int) (DeskOrder, error)
	// Close sets the order's status to the closed status. It returns an error
	// wrapping ErrLocked when the order is locked (a *LockedError when the
	// Desk knows who holds the lock), ErrNotFound when it does not exist.
	Close(ctx context.Context, number int, c CloseRequest) error
	// Notes lists the notes of an order, or returns an error wrapping
	// ErrNotFound.
	Notes(ctx context.Context, number int) ([]Note, error)
	// AddNote adds a note to an order. It is not idempotent: the Runner reads
	// the notes back before adding a note whose earlier attempt has an
	// unknown outcome. It returns an error wrapping ErrNotFound when the order
	// does not exist (ErrLocked when the order's lock keeps notes out).
	AddNote(ctx context.Context, number int, n NewNote) error
	// Reopen sets a closed order back to the new status (and clears its close
	// date). It returns an error wrapping ErrLocked when the order is locked,
	// ErrNotFound when it does not exist.
	Reopen(ctx context.Context, number int, r ReopenRequest) error
}
