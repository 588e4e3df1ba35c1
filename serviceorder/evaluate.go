package serviceorder

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// Accounts maps a tenant id (a KSC virtual server or Business Hub company) to its
// Tigerpaw account number. Tenants missing from it (or mapped to a number below
// 1) are not in the integration: no orders are created for them, and their open
// orders are left as they are (pending closes are still retried).
type Accounts map[string]int

// TenantInput is what one cycle read about one tenant.
type TenantInput struct {
	Tenant kaspersky.Tenant
	// InventoryOK tells whether the tenant's devices and Office 365 state were
	// read successfully this cycle. When false, Devices and Office365 are
	// ignored and no status or condition order of the tenant is closed.
	InventoryOK bool
	// ReadAt is when the tenant's events were read; the Runner stores it as the
	// tenant's last read time once all the tenant's actions succeeded. Leave it
	// zero when the events could not be read, so the next cycle reads them again.
	ReadAt  time.Time
	Devices []kaspersky.Device
	// Office365 is the state of Office 365 protection; nil when not reported.
	Office365 *kaspersky.Office365Status
	// Events are the tenant's new events. Events seen before are recognised by
	// their ids and skipped; an event without id is identified by its type,
	// device and time.
	Events []kaspersky.Event
}

// Input is everything Evaluate decides from.
type Input struct {
	Now      time.Time
	Rules    Rules
	Accounts Accounts
	Tenants  []TenantInput
	State    State
}

// ActionType is what an [Action] does.
type ActionType int

// The action types, in the order a plan lists them within a tenant.
const (
	// ActionClose closes an order in Tigerpaw (after looking it up when its
	// number is not known) and releases it from the Store.
	ActionClose ActionType = iota + 1
	// ActionCreate records the intent, looks the key up in Tigerpaw and creates
	// the order unless it already exists.
	ActionCreate
	// ActionWatch records a status description's first sighting while the
	// creation delay runs. Store only.
	ActionWatch
	// ActionForget drops a sighting whose description cleared within the
	// creation delay. Store only.
	ActionForget
	// ActionKeep cancels a pending close (the order was locked in Tigerpaw):
	// the order's status description or condition holds again, so the order
	// stays open. Store only.
	ActionKeep
)

// String names the action type.
func (t ActionType) String() string {
	switch t {
	case ActionClose:
		return "close"
	case ActionCreate:
		return "create"
	case ActionWatch:
		return "watch"
	case ActionForget:
		return "forget"
	case ActionKeep:
		return "keep"
	}
	return fmt.Sprintf("ActionType(%d)", int(t))
}

// Action is one decision of [Evaluate].
type Action struct {
	Type ActionType
	// Order is the tracked order the action is about. For ActionCreate it is in
	// PhaseCreating with Request set; for ActionWatch in PhaseDelayed.
	Order Order
	// Close is the close request of an ActionClose.
	Close CloseRequest
	// Reason is why an ActionClose closes the order.
	Reason CloseReason
}

// Plan is the result of [Evaluate].
type Plan struct {
	// Actions are sorted by tenant id, then type, then key.
	Actions []Action
	// Processed are events that made no order of their own (they fell under an
	// open condition order or their condition already ended) and must not be
	// considered again.
	Processed map[Key]time.Time
}

// Evaluate decides which orders to create and close. It is pure: the same input
// gives the same plan. The rules are assumed valid ([Rules.Validate]).
//
// Status orders mirror the devices: an order exists exactly while its status
// description holds on its device at a level (Warning or Critical) whose rule for
// that description is on. The key does not contain the level: when a
// description moves between Warning and Critical, its order is kept if the rule
// of the new level is on, and closed otherwise. An order closes when the
// description no longer holds (whatever the device's level), when the device is
// no longer reported, or when the rule is turned off; but nothing of a tenant
// whose inventory could not be read is closed. With a creation delay, an order is
// created only once the description has held for the delay.
//
// A close refused because the order was locked stays pending and is retried,
// unless the description holds again at a level whose rule is on: then the
// close is cancelled and the order stays open.
//
// An event makes at most one order, only if its rule is on and it is younger
// than the rule's lifetime; an event dated a lifetime or more in the future (a
// broken clock or record) is ignored too. Office 365 condition events
// ("mailboxes protection is not provided", "license-related issue occurred")
// share one order per tenant and condition, which closes when the condition
// ends: the tenant's [kaspersky.Office365Status] says so, or the latest event
// of the same type has Active false (an end older than the event that opened
// the order does not count). A condition that comes back while the close of
// its locked order is pending keeps that order. Other event orders are never
// closed by the engine.
//
// Closes refused earlier because the order was locked are planned again every
// cycle, as are creates whose outcome is unknown.
func Evaluate(in Input) Plan {
	e := evaluator{in: &in, plan: Plan{Processed: map[Key]time.Time{}}, handled: map[Key]bool{}}
	e.compile()
	for i := range in.Tenants {
		ti := &in.Tenants[i]
		acct, ok := in.Accounts[ti.Tenant.ID]
		if !ok || acct <= 0 || e.seenTenant(ti.Tenant.ID) {
			continue
		}
		if ti.InventoryOK {
			e.statuses(ti, acct)
		}
		e.events(ti, acct)
		e.conditions(ti, acct)
	}
	e.leftovers()
	slices.SortFunc(e.plan.Actions, func(a, b Action) int {
		return cmp.Or(
			cmp.Compare(a.Order.TenantID, b.Order.TenantID),
			cmp.Compare(a.Type, b.Type),
			cmp.Compare(a.Order.Key, b.Order.Key),
		)
	})
	return e.plan
}

type evaluator struct {
	in         *Input
	status     map[StatusRuleID]*StatusRule
	eventRules map[EventRuleID]*EventRule
	byTenant   map[string][]Key
	tenants    map[string]bool
	handled    map[Key]bool
	want       map[Key]wantStatus // reused by every tenant's status pass
	plan       Plan
}

func (e *evaluator) compile() {
	r := &e.in.Rules
	e.status = make(map[StatusRuleID]*StatusRule, len(r.Statuses))
	for i := range r.Statuses {
		if r.Statuses[i].Enabled {
			e.status[r.Statuses[i].ID] = &r.Statuses[i]
		}
	}
	e.eventRules = make(map[EventRuleID]*EventRule, len(r.Events))
	for i := range r.Events {
		if r.Events[i].Enabled {
			e.eventRules[r.Events[i].ID] = &r.Events[i]
		}
	}
	e.byTenant = make(map[string][]Key)
	for k, o := range e.in.State.Orders {
		if o.Kind != KindEvent {
			e.byTenant[o.TenantID] = append(e.byTenant[o.TenantID], k)
		}
	}
	e.tenants = make(map[string]bool, len(e.in.Tenants))
}

// seenTenant reports whether the tenant was already evaluated (a duplicate
// input is ignored) and marks it.
func (e *evaluator) seenTenant(id string) bool {
	if e.tenants[id] {
		return true
	}
	e.tenants[id] = true
	return false
}

func (e *evaluator) add(a Action) { e.plan.Actions = append(e.plan.Actions, a) }

func (e *evaluator) closeAction(o Order, reason CloseReason) Action {
	o.Request = nil
	return Action{
		Type:   ActionClose,
		Order:  o,
		Reason: reason,
		Close:  CloseRequest{Status: e.in.Rules.General.ClosedStatus, WorkPerformed: closeText(&o, reason, e.in.Now)},
	}
}

// keepAction cancels the pending close of o.
func keepAction(o Order) Action {
	o.Phase, o.Reason, o.Request = PhaseOpen, 0, nil
	return Action{Type: ActionKeep, Order: o}
}

type wantStatus struct {
	dev  *kaspersky.Device
	desc kaspersky.StatusDescription
	rule *StatusRule
}

func (e *evaluator) statuses(ti *TenantInput, acct int) {
	tid := ti.Tenant.ID
	now, delay := e.in.Now, e.in.Rules.CreationDelay
	if e.want == nil {
		e.want = make(map[Key]wantStatus, 64)
	}
	want := e.want
	clear(want)
	for i := range ti.Devices {
		d := &ti.Devices[i]
		if d.Status != kaspersky.StatusWarning && d.Status != kaspersky.StatusCritical {
			continue
		}
		for _, desc := range d.Descriptions {
			r := e.status[StatusRuleID{Level: d.Status, Code: desc.Code}]
			if r == nil {
				continue
			}
			k := StatusKey(tid, d.ID, desc.Code)
			if _, dup := want[k]; dup {
				continue
			}
			want[k] = wantStatus{dev: d, desc: desc, rule: r}
			o, tracked := e.in.State.Orders[k]
			switch {
			case !tracked && delay > 0:
				e.add(Action{Type: ActionWatch, Order: Order{
					Key: k, Kind: KindStatus, Phase: PhaseDelayed, TenantID: tid,
					DeviceID: d.ID, DeviceName: d.Name, Code: desc.Code, Level: d.Status, Since: now,
				}})
			case !tracked:
				e.add(e.createStatus(ti, acct, k, want[k], now))
			case o.Phase == PhaseDelayed && o.Since.After(now):
				// Seen while the clock ran ahead: the delay starts again
				// now rather than at that date.
				o.Since = now
				e.add(Action{Type: ActionWatch, Order: o})
			case o.Phase == PhaseDelayed && now.Sub(o.Since) >= delay:
				e.add(e.createStatus(ti, acct, k, want[k], o.Since))
			case o.Phase == PhaseCreating:
				e.handled[k] = true
				e.add(e.createStatus(ti, acct, k, want[k], o.Since))
			case o.Phase == PhaseClosing:
				// Back before the locked order could be closed: keep it.
				e.handled[k] = true
				o.Level, o.DeviceName = d.Status, d.Name
				e.add(keepAction(o))
			}
		}
	}
	var devs map[string]*kaspersky.Device
	for _, k := range e.byTenant[tid] {
		o := e.in.State.Orders[k]
		if o.Kind != KindStatus {
			continue
		}
		if _, ok := want[k]; ok {
			continue
		}
		if devs == nil {
			devs = make(map[string]*kaspersky.Device, len(ti.Devices))
			for i := range ti.Devices {
				devs[ti.Devices[i].ID] = &ti.Devices[i]
			}
		}
		reason := ReasonCleared
		if d := devs[o.DeviceID]; d == nil {
			reason = ReasonDeviceGone
		} else if d.HasDescription(o.Code) && (d.Status == kaspersky.StatusWarning || d.Status == kaspersky.StatusCritical) {
			reason = ReasonRuleOff
		}
		switch o.Phase {
		case PhaseDelayed:
			e.add(Action{Type: ActionForget, Order: o})
		case PhaseCreating:
			e.handled[k] = true
			e.add(e.closeAction(o, reason))
		case PhaseOpen:
			e.add(e.closeAction(o, reason))
		}
	}
}

func (e *evaluator) createStatus(ti *TenantInput, acct int, k Key, w wantStatus, since time.Time) Action {
	g := &e.in.Rules.General
	b, work := statusOrderText(ti.Tenant, w.dev, w.desc, since, k)
	return Action{Type: ActionCreate, Order: Order{
		Key: k, Kind: KindStatus, Phase: PhaseCreating, TenantID: ti.Tenant.ID,
		DeviceID: w.dev.ID, DeviceName: w.dev.Name, Code: w.desc.Code, Level: w.dev.Status, Since: since,
		Request: &NewOrder{
			Account: acct, Rep: g.Rep, Status: g.NewStatus,
			Priority: w.rule.Priority, Type: w.rule.Type, Board: w.rule.Board,
			Brief: b, Work: work, Reference: k,
		},
	}}
}

func (e *evaluator) createEvent(ti *TenantInput, acct int, kind Kind, k Key, ev *kaspersky.Event, r *EventRule) Action {
	g := &e.in.Rules.General
	b, work := eventOrderText(ti.Tenant, ev, k)
	return Action{Type: ActionCreate, Order: Order{
		Key: k, Kind: kind, Phase: PhaseCreating, TenantID: ti.Tenant.ID,
		DeviceID: ev.DeviceID, DeviceName: ev.DeviceName, O365Type: ev.O365Type,
		EventID: eventID(ev), EventTime: ev.Time, Since: e.in.Now,
		Request: &NewOrder{
			Account: acct, Rep: g.Rep, Status: g.NewStatus,
			Priority: r.Priority, Type: r.Type, Board: r.Board,
			Brief: b, Work: work, Reference: k,
		},
	}}
}

// sortedEvents returns pointers to the tenant's events, oldest first.
func sortedEvents(evs []kaspersky.Event) []*kaspersky.Event {
	out := make([]*kaspersky.Event, len(evs))
	for i := range evs {
		out[i] = &evs[i]
	}
	slices.SortStableFunc(out, compareEvents)
	return out
}

// eventID returns the id that identifies ev: its own, or for an event a source
// gave no id, one made of its type, device and time.
func eventID(ev *kaspersky.Event) string {
	if ev.ID != "" {
		return ev.ID
	}
	return "~" + ev.Type + "|" + ev.DeviceID + "|" + ev.Time.UTC().Format(time.RFC3339Nano)
}

func compareEvents(a, b *kaspersky.Event) int {
	return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.ID, b.ID))
}

// relevant returns the enabled rule of ev if ev is younger than its lifetime
// and not dated a lifetime or more in the future.
func (e *evaluator) relevant(ev *kaspersky.Event) *EventRule {
	r := e.eventRules[EventRuleFor(ev)]
	if r == nil {
		return nil
	}
	if age := e.in.Now.Sub(ev.Time); age >= r.Lifetime() || age <= -r.Lifetime() {
		return nil
	}
	return r
}

func (e *evaluator) processed(k Key) bool {
	if _, ok := e.in.State.Events[k]; ok {
		return true
	}
	_, ok := e.plan.Processed[k]
	return ok
}

func (e *evaluator) events(ti *TenantInput, acct int) {
	if len(ti.Events) == 0 {
		return
	}
	planned := map[Key]bool{}
	for _, ev := range sortedEvents(ti.Events) {
		if ev.Origin == kaspersky.OriginOffice365 && ev.O365Type.IsCondition() {
			continue
		}
		r := e.relevant(ev)
		if r == nil {
			continue
		}
		k := EventKey(ti.Tenant.ID, ev.Origin, eventID(ev))
		if planned[k] || e.processed(k) {
			continue
		}
		if _, tracked := e.in.State.Orders[k]; tracked {
			continue // being created: finished by leftovers
		}
		planned[k] = true
		e.add(e.createEvent(ti, acct, KindEvent, k, ev, r))
	}
}

// conditions handles the Office 365 condition orders of a tenant: one order per
// condition, opened by an active event, closed when the condition ends.
func (e *evaluator) conditions(ti *TenantInput, acct int) {
	tid := ti.Tenant.ID
	var evs []*kaspersky.Event
	for i := range ti.Events {
		if ti.Events[i].Origin == kaspersky.OriginOffice365 && ti.Events[i].O365Type.IsCondition() {
			evs = append(evs, &ti.Events[i])
		}
	}
	if len(evs) == 0 && (!ti.InventoryOK || ti.Office365 == nil) && len(e.byTenant[tid]) == 0 {
		return
	}
	slices.SortStableFunc(evs, compareEvents)
	for _, t := range [...]kaspersky.Office365EventType{kaspersky.O365MailboxesNotProtected, kaspersky.O365LicenseIssue} {
		k := ConditionKey(tid, t)
		stored, tracked := e.in.State.Orders[k]
		open := tracked && (stored.Phase == PhaseOpen || stored.Phase == PhaseCreating)
		on := open
		var trigger *kaspersky.Event
		var triggerRule *EventRule
		absorb := func(ev *kaspersky.Event) {
			e.plan.Processed[EventKey(tid, ev.Origin, eventID(ev))] = ev.Time
		}
		for _, ev := range evs {
			if ev.O365Type != t {
				continue
			}
			if !ev.Active {
				if open && ev.Time.Before(stored.EventTime) {
					continue // ended before the open order's occurrence began
				}
				if trigger != nil {
					absorb(trigger)
				}
				on, trigger = false, nil
				continue
			}
			if e.processed(EventKey(tid, ev.Origin, eventID(ev))) {
				// Seen before and still active: for an open order it
				// undoes an earlier end, as a new event would.
				if open {
					on = true
				}
				continue
			}
			if on || open {
				// The order exists: the event, however old, says the
				// condition holds.
				on = true
				absorb(ev)
				continue
			}
			if r := e.relevant(ev); r != nil {
				on, trigger, triggerRule = true, ev, r
			}
		}
		if ti.InventoryOK && ti.Office365 != nil {
			ok := ti.Office365.MailboxesProtected
			if t == kaspersky.O365LicenseIssue {
				ok = ti.Office365.LicenseOK
			}
			if ok {
				if trigger != nil {
					absorb(trigger)
				}
				on, trigger = false, nil
			}
		}
		switch {
		case open:
			if trigger != nil {
				absorb(trigger)
			}
			if !on {
				e.handled[k] = true
				e.add(e.closeAction(stored, ReasonConditionEnded))
			}
		case tracked && trigger != nil:
			// A new occurrence before the locked order could be closed:
			// keep the order open for it.
			absorb(trigger)
			e.handled[k] = true
			e.add(keepAction(stored))
		case tracked:
			// A close is pending and nothing new: it is retried.
		case trigger != nil:
			e.add(e.createEvent(ti, acct, KindCondition, k, trigger, triggerRule))
		}
	}
}

// leftovers plans the pending closes of every tenant and finishes creates whose
// outcome is unknown and that no tenant pass decided about.
func (e *evaluator) leftovers() {
	for k, o := range e.in.State.Orders {
		switch {
		case o.Phase == PhaseClosing && !e.handled[k]:
			e.add(e.closeAction(o, o.Reason))
		case o.Phase == PhaseCreating && !e.handled[k]:
			if o.Request == nil {
				e.add(Action{Type: ActionForget, Order: o})
				continue
			}
			e.add(Action{Type: ActionCreate, Order: o})
		}
	}
}

// Evaluator evaluates like [Evaluate].
type Evaluator struct{}

// Evaluate is [Evaluate].
func (*Evaluator) Evaluate(in Input) Plan { return Evaluate(in) }
