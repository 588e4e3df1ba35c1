package serviceorder

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// Phase is where an order the engine tracks stands.
type Phase int

// The phases of a tracked order.
const (
	// PhaseDelayed: a status description was seen and the creation delay is
	// running; nothing exists in Tigerpaw yet.
	PhaseDelayed Phase = iota + 1
	// PhaseCreating: the engine decided to create the order and recorded the
	// intent; whether Tigerpaw has it is not known until the key is looked up.
	PhaseCreating
	// PhaseOpen: the order exists in Tigerpaw with Number.
	PhaseOpen
	// PhaseClosing: the engine decided to close the order and Tigerpaw refused
	// because it is locked; the close is retried every cycle, and cancelled
	// (back to PhaseOpen) if the order's problem holds again meanwhile.
	PhaseClosing
)

// String names the phase.
func (p Phase) String() string {
	switch p {
	case PhaseDelayed:
		return "delayed"
	case PhaseCreating:
		return "creating"
	case PhaseOpen:
		return "open"
	case PhaseClosing:
		return "closing"
	}
	return fmt.Sprintf("Phase(%d)", int(p))
}

// Order is an order the engine tracks: what it is about, where it stands, and,
// while it is being created, the request to send.
type Order struct {
	Key      Key    `json:"key"`
	Kind     Kind   `json:"kind"`
	Phase    Phase  `json:"phase"`
	TenantID string `json:"tenantId"`
	// Number is the Tigerpaw service order number; 0 until known.
	Number int `json:"number,omitzero"`
	// DeviceID, DeviceName and Code are set for status orders.
	DeviceID   string               `json:"deviceId,omitzero"`
	DeviceName string               `json:"deviceName,omitzero"`
	Code       kaspersky.StatusCode `json:"code,omitzero"`
	// Level is the level the status description held at when last seen.
	Level kaspersky.StatusLevel `json:"level,omitzero"`
	// O365Type is set for condition orders; EventID for event orders and for the
	// event that opened a condition order.
	O365Type kaspersky.Office365EventType `json:"o365Type,omitzero"`
	EventID  string                       `json:"eventId,omitzero"`
	// EventTime is the time of the event of an event or condition order.
	EventTime time.Time `json:"eventTime,omitzero"`
	// Since is when the engine first saw the status description (PhaseDelayed)
	// or decided to create the order.
	Since time.Time `json:"since,omitzero"`
	// Reason is why a PhaseClosing order is being closed.
	Reason CloseReason `json:"reason,omitzero"`
	// Request is the create request, kept while PhaseCreating so that a later
	// cycle can finish the job even if the event is not read again.
	Request *NewOrder `json:"request,omitempty"`

	// TenantName, Origin and EventType are set for group orders, with
	// DeviceID and DeviceName.
	TenantName string           `json:"tenantName,omitzero"`
	Origin     kaspersky.Origin `json:"origin,omitzero"`
	EventType  string           `json:"eventType,omitzero"`
	// Covered is, for a group order, the time of the latest repeat its text
	// and notes cover; later repeats are noted.
	Covered time.Time `json:"covered,omitzero"`
	// Note is a note a group order is to get, recorded before it is added:
	// while set, whether Tigerpaw has it is not known, and the order's notes
	// are read back for its marker before it is added again.
	Note *PendingNote `json:"note,omitempty"`
	// License and Condition are set for license orders.
	License   string           `json:"license,omitzero"`
	Condition LicenseCondition `json:"condition,omitzero"`
}

// PendingNote is a note about repeats that a group order is to get.
type PendingNote struct {
	// Count repeats between First and Last.
	Count int       `json:"count"`
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// Reopen is set when the note goes with setting a closed order back to
	// the new status.
	Reopen bool `json:"reopen,omitzero"`
}

// State is everything a [Store] holds.
type State struct {
	// Orders are the tracked orders by key: status and condition orders from
	// their first sighting until they are closed, event orders only while being
	// created.
	Orders map[Key]Order `json:"orders"`
	// Events are the keys of processed events with the events' times; an event
	// older than the longest lifetime is dropped, since its age alone keeps it
	// from making an order again.
	Events map[Key]time.Time `json:"events"`
	// TenantReads is the read time of each tenant's last fully applied cycle;
	// a caller reads the tenant's events since then.
	TenantReads map[string]time.Time `json:"tenantReads"`
}

// Clone returns a deep copy of s.
func (s State) Clone() State {
	out := State{
		Orders:      make(map[Key]Order, len(s.Orders)),
		Events:      maps.Clone(s.Events),
		TenantReads: maps.Clone(s.TenantReads),
	}
	for k, o := range s.Orders {
		if o.Request != nil {
			r := *o.Request
			o.Request = &r
		}
		if o.Note != nil {
			n := *o.Note
			o.Note = &n
		}
		out.Orders[k] = o
	}
	if out.Events == nil {
		out.Events = map[Key]time.Time{}
	}
	if out.TenantReads == nil {
		out.TenantReads = map[string]time.Time{}
	}
	return out
}

// Change is one atomic update of a [Store]: applied entirely or not at all, in
// this order: Delete, Put, Events, PruneEventsBefore, TenantReads.
type Change struct {
	// Delete removes orders; a missing key is not an error.
	Delete []Key
	// Put adds or replaces orders by key.
	Put []Order
	// Events records processed events with their times.
	Events map[Key]time.Time
	// PruneEventsBefore, when not zero, drops processed events whose time is
	// before it.
	PruneEventsBefore time.Time
	// TenantReads sets the last read time of tenants.
	TenantReads map[string]time.Time
}

// Empty reports whether c changes nothing.
func (c *Change) Empty() bool {
	return len(c.Delete) == 0 && len(c.Put) == 0 && len(c.Events) == 0 && c.PruneEventsBefore.IsZero() && len(c.TenantReads) == 0
}

// ErrBadChange is wrapped by the error a Store returns for a malformed Change.
var ErrBadChange = errors.New("serviceorder: malformed store change")

// Check reports a malformed change: an order without key or with an unknown
// phase or kind. Stores call it before applying anything.
func (c *Change) Check() error {
	for i, o := range c.Put {
		switch {
		case o.Key == "":
			return fmt.Errorf("%w: Put[%d]: empty key", ErrBadChange, i)
		case o.Phase < PhaseDelayed || o.Phase > PhaseClosing:
			return fmt.Errorf("%w: Put[%d] (%s): unknown phase %d", ErrBadChange, i, o.Key, int(o.Phase))
		case o.Kind < KindStatus || o.Kind > KindLicense:
			return fmt.Errorf("%w: Put[%d] (%s): unknown kind %d", ErrBadChange, i, o.Key, int(o.Kind))
		}
	}
	for k := range c.Events {
		if k == "" {
			return fmt.Errorf("%w: Events: empty key", ErrBadChange)
		}
	}
	return nil
}

// apply applies c to s in place.
func (c *Change) apply(s *State) {
	for _, k := range c.Delete {
		delete(s.Orders, k)
	}
	for _, o := range c.Put {
		if o.Request != nil {
			r := *o.Request
			o.Request = &r
		}
		if o.Note != nil {
			n := *o.Note
			o.Note = &n
		}
		s.Orders[o.Key] = o
	}
	maps.Copy(s.Events, c.Events)
	if !c.PruneEventsBefore.IsZero() {
		maps.DeleteFunc(s.Events, func(_ Key, t time.Time) bool { return t.Before(c.PruneEventsBefore) })
	}
	maps.Copy(s.TenantReads, c.TenantReads)
}

// Store keeps the engine's state between cycles. Implementations must be safe for
// concurrent use, honour ctx, return copies from Load (the caller may modify
// them), and apply each Change atomically. Package serviceordertest has a
// conformance suite for implementations.
type Store interface {
	// Load returns the whole state; empty maps (not nil) when nothing is stored.
	Load(ctx context.Context) (State, error)
	// Apply applies c entirely or not at all.
	Apply(ctx context.Context, c Change) error
}

// MemoryStore is a [Store] in memory. The zero value is ready to use.
type MemoryStore struct {
	mu    sync.Mutex
	state State
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Load returns a copy of the state.
func (m *MemoryStore) Load(ctx context.Context) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state.Clone(), nil
}

// Apply applies c.
func (m *MemoryStore) Apply(ctx context.Context, c Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state.Orders == nil {
		m.state = m.state.Clone()
	}
	if err := c.Check(); err != nil {
		return err
	}
	c.apply(&m.state)
	return nil
}
