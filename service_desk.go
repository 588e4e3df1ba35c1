package kasperskytigerpaw

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

// Desk opens, finds, closes, notes and reopens Tigerpaw service orders for package
// serviceorder: it implements serviceorder.Desk over a tigerpaw.Client. It maps
// the client's ErrLocked and ErrNotFound to serviceorder's, so the Runner keeps a
// close of an order open in the Tigerpaw UI pending and retries it later; the
// rep holding the lock (ServiceOrderLock) goes into DeskOrder.LockedBy and a
// serviceorder.LockedError.
type Desk struct {
	c                 *tigerpaw.Client
	completeOpenTasks bool
}

var _ serviceorder.Desk = (*Desk)(nil)

// DeskOption configures a Desk.
type DeskOption func(*Desk)

// WithCompleteOpenTasks makes the Desk ask Tigerpaw to complete an order's
// open tasks when it closes the order (CompleteOpenTasks). Use it when your
// Tigerpaw refuses to close orders with open tasks; by default the tasks are
// left to the technicians who added them.
func WithCompleteOpenTasks() DeskOption {
	return func(d *Desk) { d.completeOpenTasks = true }
}

// NewDesk returns a Desk over c.
func NewDesk(c *tigerpaw.Client, opts ...DeskOption) (*Desk, error) {
	if c == nil {
		return nil, errors.New("kasperskytigerpaw: NewDesk: nil tigerpaw client")
	}
	d := &Desk{c: c}
	for _, o := range opts {
		if o != nil {
			o(d)
		}
	}
	return d, nil
}

// Create creates a service order and returns its number.
func (d *Desk) Create(ctx context.Context, o serviceorder.NewOrder) (int, error) {
	so, err := d.c.ServiceOrders.Create(ctx, tigerpaw.NewServiceOrder{
		AccountNumber:       o.Account,
		TechnicianAssigned:  o.Rep,
		Status:              o.Status,
		Priority:            o.Priority,
		ServiceOrderType:    o.Type,
		DispatchBoardNumber: o.Board,
		BriefDescription:    o.Brief,
		WorkRequested:       o.Work,
		Reference:           string(o.Reference),
	})
	if err != nil {
		return 0, deskError(err)
	}
	if so.ServiceOrderNumber <= 0 {
		return 0, fmt.Errorf("kasperskytigerpaw: create service order %s: Tigerpaw returned no order number", o.Reference)
	}
	return so.ServiceOrderNumber, nil
}

// FindByReference returns the orders whose Reference is ref.
func (d *Desk) FindByReference(ctx context.Context, ref string) ([]serviceorder.DeskOrder, error) {
	found, err := d.c.ServiceOrders.FindByReference(ctx, ref)
	if err != nil {
		return nil, deskError(err)
	}
	out := make([]serviceorder.DeskOrder, len(found))
	for i := range found {
		out[i] = deskOrder(&found[i])
	}
	return out, nil
}

// Get returns an order with its lock.
func (d *Desk) Get(ctx context.Context, number int) (serviceorder.DeskOrder, error) {
	so, err := d.c.ServiceOrders.Get(ctx, number)
	if err != nil {
		return serviceorder.DeskOrder{}, deskError(err)
	}
	return deskOrder(so), nil
}

// Close sets an order to the closed status. A close Tigerpaw accepts is done
// only when the order comes back closed (a close date, or the closed status):
// when the answer shows it open, the order is read back, and an order still
// open is an error, so that the Runner keeps it and closes it again.
func (d *Desk) Close(ctx context.Context, number int, c serviceorder.CloseRequest) error {
	so, err := d.c.ServiceOrders.Close(ctx, number, tigerpaw.CloseServiceOrder{
		Status:            c.Status,
		WorkPerformed:     c.WorkPerformed,
		CompleteOpenTasks: d.completeOpenTasks,
	})
	if err != nil {
		return deskError(err)
	}
	if closedAs(so, c.Status) {
		return nil
	}
	cur, err := d.c.ServiceOrders.Get(ctx, number)
	switch {
	case err != nil:
		return fmt.Errorf("kasperskytigerpaw: close service order %d: accepted, but answered with status %q, and reading it back failed: %w",
			number, so.ServiceOrder.Status, deskError(err))
	case closedAs(cur, c.Status):
		return nil
	case cur.Locked():
		return &serviceorder.LockedError{Number: number, LockedBy: lockHolder(cur.ServiceOrderLock),
			Err: fmt.Errorf("kasperskytigerpaw: close service order %d: accepted, but the order is still open: %w", number, tigerpaw.ErrLocked)}
	}
	return fmt.Errorf("kasperskytigerpaw: close service order %d: accepted, but the order is still open with status %q", number, cur.ServiceOrder.Status)
}

// closedAs reports whether an order is closed: it has a close date, or the
// closed status.
func closedAs(so *tigerpaw.ServiceOrderSummary, status string) bool {
	return !so.ServiceOrder.DateTimeClosed.IsZero() ||
		strings.EqualFold(strings.TrimSpace(so.ServiceOrder.Status), strings.TrimSpace(status))
}

// Notes lists an order's notes (GET /api/serviceorders/{n}/notes).
func (d *Desk) Notes(ctx context.Context, number int) ([]serviceorder.Note, error) {
	notes, err := d.c.ServiceOrders.Notes(ctx, number)
	if err != nil {
		return nil, deskError(err)
	}
	out := make([]serviceorder.Note, len(notes))
	for i, n := range notes {
		out[i] = serviceorder.Note{Number: n.ServiceOrderNoteNumber, Topic: n.Topic, Text: n.Note}
	}
	return out, nil
}

// AddNote adds a note to an order (POST /api/serviceorders/{n}/notes). The
// note's body shape follows Tigerpaw's 18.2.1 method reference; that Tigerpaw
// stamps the note's date itself when none is sent is assumed.
func (d *Desk) AddNote(ctx context.Context, number int, n serviceorder.NewNote) error {
	_, err := d.c.ServiceOrders.AddNote(ctx, number, tigerpaw.NewServiceOrderNote{Topic: n.Topic, Note: n.Text})
	return deskError(err)
}

// Reopen sets a closed order back to the new status (PUT
// /api/serviceorders/{n} with Status; Tigerpaw is assumed to clear the close
// date when the status is not a closed one).
func (d *Desk) Reopen(ctx context.Context, number int, r serviceorder.ReopenRequest) error {
	_, err := d.c.ServiceOrders.Reopen(ctx, number, r.Status)
	return deskError(err)
}

func deskOrder(so *tigerpaw.ServiceOrderSummary) serviceorder.DeskOrder {
	return serviceorder.DeskOrder{
		Number:    so.ServiceOrderNumber,
		Reference: so.ServiceOrder.Reference,
		Status:    so.ServiceOrder.Status,
		Closed:    !so.ServiceOrder.DateTimeClosed.IsZero(),
		Locked:    so.Locked(),
		LockedBy:  lockHolder(so.ServiceOrderLock),
		ClosedAt:  so.ServiceOrder.DateTimeClosed.Time,
		Work:      so.ServiceOrder.WorkRequested,
	}
}

// lockHolder names who holds a service order's lock: the locking rep's name,
// "rep <number>" when Tigerpaw gives only the number, "" when neither (or no
// lock).
func lockHolder(l *tigerpaw.ServiceOrderLock) string {
	if l == nil {
		return ""
	}
	return repName(l.LockingRepNumber, l.LockingRepName)
}

func repName(number int, name string) string {
	switch {
	case strings.TrimSpace(name) != "":
		return strings.TrimSpace(name)
	case number > 0:
		return "rep " + strconv.Itoa(number)
	}
	return ""
}

// deskError translates a tigerpaw error into serviceorder's vocabulary.
func deskError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, tigerpaw.ErrLocked):
		var le *tigerpaw.LockedError
		if errors.As(err, &le) {
			return &serviceorder.LockedError{Number: le.Number, LockedBy: repName(le.RepNumber, le.RepName), Err: err}
		}
		return fmt.Errorf("%w: %w", serviceorder.ErrLocked, err)
	case errors.Is(err, tigerpaw.ErrNotFound):
		return fmt.Errorf("%w: %w", serviceorder.ErrNotFound, err)
	case errors.Is(err, tigerpaw.ErrUnauthorized):
		return fmt.Errorf("%w: %w", serviceorder.ErrUnauthorized, err)
	}
	return err
}

// Lookups reads the Tigerpaw tables that service order rules refer to (reps,
// statuses, boards, priorities, types): it implements serviceorder.Lookups over
// a tigerpaw.Client.
type Lookups struct {
	c *tigerpaw.Client
}

var _ serviceorder.Lookups = (*Lookups)(nil)

// NewLookups returns a Lookups over c.
func NewLookups(c *tigerpaw.Client) (*Lookups, error) {
	if c == nil {
		return nil, errors.New("kasperskytigerpaw: NewLookups: nil tigerpaw client")
	}
	return &Lookups{c: c}, nil
}

// Reps lists the reps.
func (l *Lookups) Reps(ctx context.Context) ([]serviceorder.Rep, error) {
	reps, err := l.c.MasterTables.Reps(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]serviceorder.Rep, len(reps))
	for i, r := range reps {
		out[i] = serviceorder.Rep{Number: r.RepNumber, Name: r.DisplayName, Inactive: r.Inactive}
	}
	return out, nil
}

// Statuses lists the service order status names.
func (l *Lookups) Statuses(ctx context.Context) ([]string, error) {
	st, err := l.c.MasterTables.ServiceOrderStatuses(ctx)
	return names(st, err, func(s tigerpaw.ServiceOrderStatus) string { return s.Status })
}

// Boards lists the dispatch boards.
func (l *Lookups) Boards(ctx context.Context) ([]serviceorder.Board, error) {
	boards, err := l.c.MasterTables.DispatchBoards(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]serviceorder.Board, len(boards))
	for i, b := range boards {
		out[i] = serviceorder.Board{ID: b.DispatchBoardID, Name: b.Description}
	}
	return out, nil
}

// Priorities lists the priority names.
func (l *Lookups) Priorities(ctx context.Context) ([]string, error) {
	p, err := l.c.MasterTables.Priorities(ctx)
	return names(p, err, func(p tigerpaw.Priority) string { return p.Priority })
}

// Types lists the service order type names.
func (l *Lookups) Types(ctx context.Context) ([]string, error) {
	t, err := l.c.MasterTables.ServiceOrderTypes(ctx)
	return names(t, err, func(t tigerpaw.ServiceOrderType) string { return t.Type })
}

func names[T any](items []T, err error, name func(T) string) ([]string, error) {
	if err != nil {
		return nil, err
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = name(it)
	}
	return out, nil
}
