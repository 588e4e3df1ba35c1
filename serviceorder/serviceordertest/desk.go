package serviceordertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// Op is a Desk operation a fault can be injected into.
type Op int

// The operations.
const (
	OpCreate Op = iota + 1
	OpFind
	OpGet
	OpClose
	OpNotes
	OpAddNote
	OpReopen
)

// String names the operation.
func (o Op) String() string {
	switch o {
	case OpCreate:
		return "create"
	case OpFind:
		return "find"
	case OpGet:
		return "get"
	case OpClose:
		return "close"
	case OpNotes:
		return "notes"
	case OpAddNote:
		return "add note"
	case OpReopen:
		return "reopen"
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// ErrInjected is the error of an injected fault.
var ErrInjected = errors.New("serviceordertest: injected fault")

// Fault is an injected failure of one call.
type Fault struct {
	// Applied makes the call take effect before it fails, like a connection
	// that drops after the server committed ("created, then the connection
	// dropped").
	Applied bool
	// Err is the error returned; ErrInjected when nil.
	Err error
}

// DeskOrder is a service order held by a [Desk].
type DeskOrder struct {
	Number int
	serviceorder.NewOrder
	// Status is the current status; the closed status once closed.
	Status string
	Closed bool
	Locked bool
	// LockedBy names who holds the lock (see [Desk.LockBy]); "" when the desk
	// does not say.
	LockedBy      string
	WorkPerformed string
	// ClosedAt is when the order was closed, by the desk's clock.
	ClosedAt time.Time
	// Notes are the order's notes, oldest first.
	Notes []serviceorder.Note
}

// Desk is an in-memory [serviceorder.Desk] with Tigerpaw's semantics as far as
// the engine relies on them: a reference search that matches prefixes and
// ignores case, orders locked while open in the UI (closing one fails with
// [serviceorder.ErrLocked], a *[serviceorder.LockedError] naming the holder
// when one was given), and injected faults per operation. It is safe for
// concurrent use.
type Desk struct {
	mu     sync.Mutex
	orders map[int]*DeskOrder
	next   int
	faults map[Op][]Fault
	calls  map[Op]int
	now    func() time.Time
	notes  int
}

// SetClock sets the clock that stamps closes (time.Now by default).
func (d *Desk) SetClock(now func() time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.now = now
}

func (d *Desk) clock() time.Time {
	if d.now == nil {
		return time.Now()
	}
	return d.now()
}

// NewDesk returns an empty desk whose first order is number 1001.
func NewDesk() *Desk {
	return &Desk{orders: map[int]*DeskOrder{}, next: 1001, faults: map[Op][]Fault{}, calls: map[Op]int{}}
}

// Inject queues faults for the next calls of op, one call each.
func (d *Desk) Inject(op Op, faults ...Fault) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults[op] = append(d.faults[op], faults...)
}

// ClearFaults drops every queued fault.
func (d *Desk) ClearFaults() {
	d.mu.Lock()
	defer d.mu.Unlock()
	clear(d.faults)
}

// Calls returns how many times op was called.
func (d *Desk) Calls(op Op) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[op]
}

// SetLocked locks or unlocks an order, as a user opening or leaving it in the
// UI; the desk does not say who holds such a lock.
func (d *Desk) SetLocked(number int, locked bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if o := d.orders[number]; o != nil {
		o.Locked, o.LockedBy = locked, ""
	}
}

// LockBy locks an order as the user holder opening it in the UI: Get reports
// the holder in LockedBy, and Close and Reopen refuse with a
// *[serviceorder.LockedError] naming it. SetLocked(number, false) unlocks it.
func (d *Desk) LockBy(number int, holder string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if o := d.orders[number]; o != nil {
		o.Locked, o.LockedBy = true, holder
	}
}

// CloseByHand closes an order as a technician would.
func (d *Desk) CloseByHand(number int, status string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if o := d.orders[number]; o != nil {
		o.Closed, o.Status, o.ClosedAt = true, status, d.clock()
	}
}

// Add stores an order directly (an order made outside the engine, or a decoy).
func (d *Desk) Add(o serviceorder.NewOrder) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.add(o)
}

func (d *Desk) add(o serviceorder.NewOrder) int {
	n := d.next
	d.next++
	d.orders[n] = &DeskOrder{Number: n, NewOrder: o, Status: o.Status}
	return n
}

// Orders returns copies of all orders, by number.
func (d *Desk) Orders() []DeskOrder {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]DeskOrder, 0, len(d.orders))
	for _, o := range d.orders {
		out = append(out, o.copy())
	}
	slices.SortFunc(out, func(a, b DeskOrder) int { return a.Number - b.Number })
	return out
}

// Open returns copies of the orders not closed, by number.
func (d *Desk) Open() []DeskOrder {
	return slices.DeleteFunc(d.Orders(), func(o DeskOrder) bool { return o.Closed })
}

// Order returns a copy of the order with the number.
func (d *Desk) Order(number int) (DeskOrder, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	o, ok := d.orders[number]
	if !ok {
		return DeskOrder{}, false
	}
	return o.copy(), true
}

func (o *DeskOrder) copy() DeskOrder {
	c := *o
	c.Notes = slices.Clone(o.Notes)
	return c
}

// fault takes the next fault queued for op, counting the call.
func (d *Desk) fault(op Op) (Fault, bool) {
	d.calls[op]++
	q := d.faults[op]
	if len(q) == 0 {
		return Fault{}, false
	}
	d.faults[op] = q[1:]
	f := q[0]
	if f.Err == nil {
		f.Err = ErrInjected
	}
	return f, true
}

// Create implements [serviceorder.Desk].
func (d *Desk) Create(ctx context.Context, o serviceorder.NewOrder) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	f, faulty := d.fault(OpCreate)
	if faulty && !f.Applied {
		return 0, f.Err
	}
	n := d.add(o)
	if faulty {
		return 0, f.Err
	}
	return n, nil
}

// FindByReference implements [serviceorder.Desk] like Tigerpaw may: every order
// whose reference starts with ref, ignoring case.
func (d *Desk) FindByReference(ctx context.Context, ref string) ([]serviceorder.DeskOrder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if f, faulty := d.fault(OpFind); faulty {
		return nil, f.Err
	}
	var out []serviceorder.DeskOrder
	for _, o := range d.orders {
		if len(o.Reference) >= len(ref) && strings.EqualFold(string(o.Reference[:len(ref)]), ref) {
			out = append(out, o.view())
		}
	}
	slices.SortFunc(out, func(a, b serviceorder.DeskOrder) int { return b.Number - a.Number })
	return out, nil
}

func (o *DeskOrder) view() serviceorder.DeskOrder {
	return serviceorder.DeskOrder{Number: o.Number, Reference: string(o.Reference), Status: o.Status, Closed: o.Closed, Locked: o.Locked,
		LockedBy: o.LockedBy, ClosedAt: o.ClosedAt, Work: o.Work}
}

// lockedError is the refusal of a change to the locked order o.
func (o *DeskOrder) lockedError() error {
	if o.LockedBy != "" {
		return &serviceorder.LockedError{Number: o.Number, LockedBy: o.LockedBy}
	}
	return fmt.Errorf("order %d is open in the Tigerpaw UI: %w", o.Number, serviceorder.ErrLocked)
}

// Get implements [serviceorder.Desk].
func (d *Desk) Get(ctx context.Context, number int) (serviceorder.DeskOrder, error) {
	if err := ctx.Err(); err != nil {
		return serviceorder.DeskOrder{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if f, faulty := d.fault(OpGet); faulty {
		return serviceorder.DeskOrder{}, f.Err
	}
	o, ok := d.orders[number]
	if !ok {
		return serviceorder.DeskOrder{}, fmt.Errorf("order %d: %w", number, serviceorder.ErrNotFound)
	}
	return o.view(), nil
}

// Close implements [serviceorder.Desk]: a locked order is refused with
// [serviceorder.ErrLocked] (a *[serviceorder.LockedError] when locked with
// LockBy).
func (d *Desk) Close(ctx context.Context, number int, c serviceorder.CloseRequest) error {
	return d.change(ctx, OpClose, number, func(o *DeskOrder) {
		o.Closed, o.Status, o.WorkPerformed, o.ClosedAt = true, c.Status, c.WorkPerformed, d.clock()
	})
}

// Notes implements [serviceorder.Desk].
func (d *Desk) Notes(ctx context.Context, number int) ([]serviceorder.Note, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if f, faulty := d.fault(OpNotes); faulty {
		return nil, f.Err
	}
	o, ok := d.orders[number]
	if !ok {
		return nil, fmt.Errorf("order %d: %w", number, serviceorder.ErrNotFound)
	}
	return slices.Clone(o.Notes), nil
}

// AddNote implements [serviceorder.Desk]. Like Tigerpaw it is not
// idempotent: every call that takes effect adds a note.
func (d *Desk) AddNote(ctx context.Context, number int, n serviceorder.NewNote) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	f, faulty := d.fault(OpAddNote)
	if faulty && !f.Applied {
		return f.Err
	}
	o, ok := d.orders[number]
	if !ok {
		return fmt.Errorf("order %d: %w", number, serviceorder.ErrNotFound)
	}
	d.notes++
	o.Notes = append(o.Notes, serviceorder.Note{Number: d.notes, Topic: n.Topic, Text: n.Text})
	if faulty {
		return f.Err
	}
	return nil
}

// Reopen implements [serviceorder.Desk]: a locked order is refused with
// [serviceorder.ErrLocked] (a *[serviceorder.LockedError] when locked with
// LockBy).
func (d *Desk) Reopen(ctx context.Context, number int, r serviceorder.ReopenRequest) error {
	return d.change(ctx, OpReopen, number, func(o *DeskOrder) {
		o.Closed, o.Status, o.ClosedAt = false, r.Status, time.Time{}
	})
}

// change applies set to an unlocked order under the desk's lock, with the
// fault injected for op: one not applied refuses before the change, one
// applied fails after it.
func (d *Desk) change(ctx context.Context, op Op, number int, set func(o *DeskOrder)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	f, faulty := d.fault(op)
	if faulty && !f.Applied {
		return f.Err
	}
	o, ok := d.orders[number]
	if !ok {
		return fmt.Errorf("order %d: %w", number, serviceorder.ErrNotFound)
	}
	if o.Locked {
		return o.lockedError()
	}
	set(o)
	if faulty {
		return f.Err
	}
	return nil
}
