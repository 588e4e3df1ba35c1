package serviceorder

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
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
	// Licenses are the tenant's licenses, for the license rules; ignored when
	// InventoryOK is false. The rules of the tenant's kind (Tenant.Kind)
	// apply.
	Licenses []kaspersky.License
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
	// ActionGroup brings repeats under a grouped rule to their order: a note
	// on the open order with the key (found in the Store or by reference),
	// else the closed order set back to the new status with a note when it
	// was closed within the rule's reopen window, else a new order.
	ActionGroup
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
	case ActionGroup:
		return "group"
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
	// Repeats are the times of the repeats an ActionGroup brings to its order,
	// oldest first; none when it finishes a note or create of an earlier
	// cycle (Order.Note, Order.Request).
	Repeats []time.Time
	// Covers are events an ActionGroup or a summary's ActionCreate covers,
	// with their times: they are recorded as processed once the action
	// succeeded (a summary's with its intent).
	Covers map[Key]time.Time
	// ReopenWindow is the reopen window of an ActionGroup's rule.
	ReopenWindow time.Duration
	// Verify tells an ActionGroup that an earlier note's outcome is unknown:
	// the order's notes are read for its marker before a note is added.
	Verify bool
}

// Plan is the result of [Evaluate].
type Plan struct {
	// Actions are sorted by tenant id, then type, then key.
	Actions []Action
	// Processed are events that made no order of their own (they fell under an
	// open condition order or their condition already ended) and must not be
	// considered again.
	Processed map[Key]time.Time
	// Suppressed counts the events the flood guard left to summary orders.
	Suppressed int
	// Deferred counts the status, condition and license orders the flood
	// guard left for a later cycle.
	Deferred int
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
//
// Evaluate is safe for concurrent use. It works in an [Evaluator] kept for the
// next call (a second one for calls made while another runs), so that a
// program calling it every cycle reuses its memory, much as a [Runner] does
// with its own Evaluator.
func Evaluate(in Input) Plan {
	if shared.mu.TryLock() {
		defer shared.mu.Unlock()
		return shared.v.Evaluate(in)
	}
	v := evaluatorPool.Get().(*Evaluator)
	defer evaluatorPool.Put(v)
	return v.Evaluate(in)
}

// shared is the Evaluator of [Evaluate] when no other call uses it, which for
// a program evaluating in one goroutine is every call: its memory, including
// the status keys of recent calls, is kept however long the program waits
// between calls. Calls made meanwhile take an Evaluator from evaluatorPool,
// whose memory a garbage collection may free.
var shared struct {
	mu sync.Mutex
	v  Evaluator
}

var evaluatorPool = sync.Pool{New: func() any { return new(Evaluator) }}

// Evaluator is [Evaluate] with memory kept from one call to the next: its maps
// and buffers, sized by the previous calls, and for each tenant evaluated in
// its last 8 calls the status keys of the tenant's last evaluation (with
// copies of their tenant and device ids), which spares computing a SHA-256 for
// every status description every cycle. A program evaluating every cycle, as
// [Runner] does, thus allocates little more than the plans it gets. Its plans
// are exactly those of Evaluate, and share no memory with it or with each
// other; it keeps no reference to an input or a plan between calls.
//
// The zero value is ready to use. An Evaluator is not safe for concurrent use:
// give each goroutine its own, or call Evaluate, which does so.
type Evaluator struct {
	e evaluator
}

// Evaluate decides which orders to create and close, as [Evaluate] does.
func (v *Evaluator) Evaluate(in Input) Plan {
	e := &v.e
	defer e.release()
	e.in = in
	e.plan = Plan{Processed: map[Key]time.Time{}}
	e.compile()
	for i := range in.Tenants {
		ti := &in.Tenants[i]
		if first, ok := e.first[ti.Tenant.ID]; !ok || first != i {
			continue // not in the integration, or given twice
		}
		acct := in.Accounts[ti.Tenant.ID]
		start := len(e.actions)
		if ti.InventoryOK {
			e.statuses(i, ti, acct)
		}
		e.events(ti, acct)
		e.conditions(i, ti, acct)
		if ti.InventoryOK {
			e.licenses(i, ti, acct)
		}
		e.flood(start, ti, acct)
	}
	e.leftovers()
	return e.finish()
}

// evaluator is the working memory of an [Evaluator]: the state of one call,
// in maps and slices emptied (not freed) by release.
type evaluator struct {
	in         Input
	status     map[StatusRuleID]*StatusRule
	eventRules map[EventRuleID]*EventRule
	licRules   map[LicenseRuleID]*LicenseRule
	// what names the event of each event order planned in this call, for a
	// summary's text: "type on device".
	what map[Key]string
	// first maps the id of each tenant in the integration to the index of
	// its input that is evaluated (the first: a duplicate is ignored).
	first map[string]int
	// tenantOrders are the stored status and condition orders of the
	// evaluated tenants, grouped by tenant: those of the tenant with input
	// index i are tenantOrders[orderStart[i]:orderStart[i+1]].
	tenantOrders []orderRef
	orderStart   []int
	unsorted     []orderRef
	// pending are the keys of the stored orders being created or closed,
	// which leftovers finishes unless a tenant pass handled them.
	pending []Key
	handled map[Key]bool
	// want and stored are reused by every tenant's status pass: the keys of
	// the descriptions that hold at an enabled level and are not the
	// tenant's stored orders, and the index of each of the tenant's stored
	// orders in ordersOf.
	want    map[rawKey]struct{}
	stored  map[rawKey]int
	devs    map[string]*kaspersky.Device
	planned map[rawKey]bool
	evs     []*kaspersky.Event
	// actions are the plan's actions in the order decided; finish sorts them
	// (through order) into the plan.
	actions []Action
	order   []int32
	// requests is the block the create requests of this call are cut from.
	requests []NewOrder
	plan     Plan
	times    timeText
	// keys outlives the call: it remembers the status keys of recent calls.
	keys statusKeyCache
}

// orderRef is a stored order of an evaluated tenant.
type orderRef struct {
	tenant int // input index
	key    Key
	phase  Phase
	kind   Kind
	status bool // a status order (else a condition or license order)
	wanted bool // its key is that of a description holding at an enabled level
}

// release empties e for the next call, keeping the memory but no reference to
// the input or the plan.
func (e *evaluator) release() {
	e.in, e.plan, e.requests = Input{}, Plan{}, nil
	e.times.reset()
	clear(e.status)
	clear(e.eventRules)
	clear(e.licRules)
	clear(e.what)
	clear(e.first)
	clear(e.tenantOrders)
	clear(e.unsorted)
	clear(e.pending)
	clear(e.handled)
	clear(e.want)
	clear(e.stored)
	clear(e.devs)
	clear(e.planned)
	clear(e.evs[:cap(e.evs)])
	clear(e.actions)
	e.tenantOrders, e.unsorted, e.pending = e.tenantOrders[:0], e.unsorted[:0], e.pending[:0]
	e.evs, e.actions, e.order = e.evs[:0], e.actions[:0], e.order[:0]
}

func (e *evaluator) compile() {
	r := &e.in.Rules
	e.keys.start()
	if e.status == nil {
		e.status = make(map[StatusRuleID]*StatusRule, len(r.Statuses))
		e.eventRules = make(map[EventRuleID]*EventRule, len(r.Events))
		e.first = make(map[string]int, len(e.in.Tenants))
		e.handled = map[Key]bool{}
		e.want = make(map[rawKey]struct{}, 64)
		e.stored = make(map[rawKey]int, 64)
		e.devs = map[string]*kaspersky.Device{}
		e.planned = map[rawKey]bool{}
		e.licRules = map[LicenseRuleID]*LicenseRule{}
		e.what = map[Key]string{}
	}
	for i := range r.Licenses {
		if r.Licenses[i].Enabled {
			e.licRules[r.Licenses[i].ID] = &r.Licenses[i]
		}
	}
	for i := range r.Statuses {
		if r.Statuses[i].Enabled {
			e.status[r.Statuses[i].ID] = &r.Statuses[i]
		}
	}
	for i := range r.Events {
		if r.Events[i].Enabled {
			e.eventRules[r.Events[i].ID] = &r.Events[i]
		}
	}
	for i := range e.in.Tenants {
		id := e.in.Tenants[i].Tenant.ID
		if acct, ok := e.in.Accounts[id]; !ok || acct <= 0 {
			continue
		}
		if _, dup := e.first[id]; !dup {
			e.first[id] = i
		}
	}
	// Group the stored orders of the evaluated tenants by tenant (a counting
	// sort by input index), and note those a tenant pass may leave over.
	start := slices.Grow(e.orderStart[:0], len(e.in.Tenants)+1)[:len(e.in.Tenants)+1]
	clear(start)
	for k, o := range e.in.State.Orders {
		if o.Phase == PhaseClosing || o.Phase == PhaseCreating || o.Kind == KindGroup {
			e.pending = append(e.pending, k)
		}
		if o.Kind == KindEvent || o.Kind == KindGroup || o.Kind == KindSummary {
			continue
		}
		if i, ok := e.first[o.TenantID]; ok {
			e.unsorted = append(e.unsorted, orderRef{tenant: i, key: k, phase: o.Phase, kind: o.Kind, status: o.Kind == KindStatus})
			start[i+1]++
		}
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	grouped := slices.Grow(e.tenantOrders[:0], len(e.unsorted))[:len(e.unsorted)]
	next := start[:len(start)-1] // next[i] is where tenant i's next order goes
	for _, ref := range e.unsorted {
		grouped[next[ref.tenant]] = ref
		next[ref.tenant]++
	}
	// next has moved each tenant's start to its end, which is the next
	// tenant's start: shift back.
	copy(start[1:], start[:len(start)-1])
	start[0] = 0
	e.tenantOrders, e.orderStart = grouped, start
}

// ordersOf returns the stored status and condition orders of the tenant
// evaluated from input index i.
func (e *evaluator) ordersOf(i int) []orderRef {
	return e.tenantOrders[e.orderStart[i]:e.orderStart[i+1]]
}

func (e *evaluator) add(a Action) { e.actions = append(e.actions, a) }

// newRequest returns a zero request, cut from a block shared by the call's
// requests to spare an allocation each.
func (e *evaluator) newRequest() *NewOrder {
	if len(e.requests) == cap(e.requests) {
		e.requests = make([]NewOrder, 0, min(max(2*cap(e.requests), 16), 1024))
	}
	e.requests = e.requests[:len(e.requests)+1]
	return &e.requests[len(e.requests)-1]
}

// keyOf returns k as a Key, using the key of its stored order o when it is the
// same, to spare an allocation.
func keyOf(k *rawKey, o *Order) Key {
	if string(o.Key) == string(k[:]) {
		return o.Key
	}
	return k.key()
}

// finish returns the plan with its actions sorted by tenant id, then type, then
// key, then the order decided.
func (e *evaluator) finish() Plan {
	if len(e.actions) == 0 {
		return e.plan
	}
	acts := e.actions
	for i := range acts {
		e.order = append(e.order, int32(i))
	}
	slices.SortFunc(e.order, func(x, y int32) int {
		a, b := &acts[x], &acts[y]
		if c := cmp.Compare(a.Order.TenantID, b.Order.TenantID); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Order.Key, b.Order.Key); c != 0 {
			return c
		}
		return cmp.Compare(x, y) // as decided (two such only from a corrupt state)
	})
	out := make([]Action, len(acts))
	for i, j := range e.order {
		out[i] = acts[j]
	}
	e.plan.Actions = out
	return e.plan
}

func (e *evaluator) closeAction(o Order, reason CloseReason) Action {
	o.Request = nil
	return Action{
		Type:   ActionClose,
		Order:  o,
		Reason: reason,
		Close:  CloseRequest{Status: e.in.Rules.General.ClosedStatus, WorkPerformed: closeText(&o, reason, e.in.Now, &e.times)},
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

// statuses handles the status orders of the tenant evaluated from input index
// ix.
func (e *evaluator) statuses(ix int, ti *TenantInput, acct int) {
	tid := ti.Tenant.ID
	now, delay := e.in.Now, e.in.Rules.CreationDelay
	want, stored, refs := e.want, e.stored, e.ordersOf(ix)
	clear(want)
	clear(stored)
	for j := range refs {
		if len(refs[j].key) == KeyLen {
			stored[rawKey([]byte(refs[j].key))] = j
		}
	}
	e.keys.begin(tid)
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
			ki := e.keys.get(tid, d.ID, desc.Code)
			k := e.keys.raw(ki)
			// A description seen again on the tenant is skipped: a key of
			// the tenant's stored orders is marked wanted, the others are
			// kept in want.
			var o Order
			var tracked bool
			if j, ok := stored[k]; ok {
				if refs[j].wanted {
					continue
				}
				// The tenant's own order, as is usual: its phase tells
				// whether there is something to do.
				refs[j].wanted, tracked = true, true
				if refs[j].phase == PhaseOpen {
					continue
				}
				o = e.in.State.Orders[refs[j].key]
			} else {
				n := len(want)
				want[k] = struct{}{}
				if len(want) == n {
					continue
				}
				o, tracked = e.in.State.Orders[Key(k[:])]
			}
			w := wantStatus{dev: d, desc: desc, rule: r}
			switch {
			case !tracked && delay > 0:
				e.add(Action{Type: ActionWatch, Order: Order{
					Key: e.keys.key(ki), Kind: KindStatus, Phase: PhaseDelayed, TenantID: tid,
					DeviceID: d.ID, DeviceName: d.Name, Code: desc.Code, Level: d.Status, Since: now,
				}})
			case !tracked:
				e.add(e.createStatus(ti, acct, e.keys.key(ki), w, now))
			case o.Phase == PhaseDelayed && o.Since.After(now):
				// Seen while the clock ran ahead: the delay starts again
				// now rather than at that date.
				o.Since = now
				e.add(Action{Type: ActionWatch, Order: o})
			case o.Phase == PhaseDelayed && now.Sub(o.Since) >= delay:
				e.add(e.createStatus(ti, acct, keyOf(&k, &o), w, o.Since))
			case o.Phase == PhaseCreating:
				key := keyOf(&k, &o)
				e.handled[key] = true
				e.add(e.createStatus(ti, acct, key, w, o.Since))
			case o.Phase == PhaseClosing:
				// Back before the locked order could be closed: keep it.
				e.handled[keyOf(&k, &o)] = true
				o.Level, o.DeviceName = d.Status, d.Name
				e.add(keepAction(o))
			}
		}
	}
	e.keys.end()
	devs := e.devs
	clear(devs)
	for _, ref := range refs {
		if !ref.status || ref.wanted {
			continue
		}
		o := e.in.State.Orders[ref.key]
		if len(devs) == 0 {
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
			e.handled[ref.key] = true
			e.add(e.closeAction(o, reason))
		case PhaseOpen:
			e.add(e.closeAction(o, reason))
		}
	}
}

func (e *evaluator) createStatus(ti *TenantInput, acct int, k Key, w wantStatus, since time.Time) Action {
	g := &e.in.Rules.General
	b, work := statusOrderText(ti.Tenant, w.dev, w.desc, since, k, &e.times)
	req := e.newRequest()
	*req = NewOrder{
		Account: acct, Rep: g.Rep, Status: g.NewStatus,
		Priority: w.rule.Priority, Type: w.rule.Type, Board: w.rule.Board,
		Brief: b, Work: work, Reference: k,
	}
	return Action{Type: ActionCreate, Order: Order{
		Key: k, Kind: KindStatus, Phase: PhaseCreating, TenantID: ti.Tenant.ID,
		DeviceID: w.dev.ID, DeviceName: w.dev.Name, Code: w.desc.Code, Level: w.dev.Status, Since: since,
		Request: req,
	}}
}

func (e *evaluator) createEvent(ti *TenantInput, acct int, kind Kind, k Key, ev *kaspersky.Event, r *EventRule) Action {
	g := &e.in.Rules.General
	b, work := eventOrderText(ti.Tenant, ev, k)
	req := e.newRequest()
	*req = NewOrder{
		Account: acct, Rep: g.Rep, Status: g.NewStatus,
		Priority: r.Priority, Type: r.Type, Board: r.Board,
		Brief: b, Work: work, Reference: k,
	}
	return Action{Type: ActionCreate, Order: Order{
		Key: k, Kind: kind, Phase: PhaseCreating, TenantID: ti.Tenant.ID,
		DeviceID: ev.DeviceID, DeviceName: ev.DeviceName, O365Type: ev.O365Type,
		EventID: eventID(ev), EventTime: ev.Time, Since: e.in.Now,
		Request: req,
	}}
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
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
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

// processed reports whether the event with key k was processed before or in
// this call.
func (e *evaluator) processed(k *rawKey) bool {
	if _, ok := e.in.State.Events[Key(k[:])]; ok {
		return true
	}
	_, ok := e.plan.Processed[Key(k[:])]
	return ok
}

// absorb records ev of tenant tid as processed.
func (e *evaluator) absorb(tid string, ev *kaspersky.Event) {
	e.plan.Processed[EventKey(tid, ev.Origin, eventID(ev))] = ev.Time
}

func (e *evaluator) events(ti *TenantInput, acct int) {
	if len(ti.Events) == 0 {
		return
	}
	evs := e.evs[:0]
	for i := range ti.Events {
		evs = append(evs, &ti.Events[i])
	}
	slices.SortStableFunc(evs, compareEvents)
	e.evs = evs
	planned := e.planned
	clear(planned)
	var groups map[Key]*group
	var order []Key
	if e.grouping() {
		groups = map[Key]*group{}
	}
	for _, ev := range evs {
		if ev.Origin == kaspersky.OriginOffice365 && ev.O365Type.IsCondition() {
			continue
		}
		r := e.relevant(ev)
		if r == nil {
			continue
		}
		id := eventID(ev)
		var k rawKey
		eventRawKey(&k, ti.Tenant.ID, ev.Origin, id)
		if planned[k] || e.processed(&k) {
			continue
		}
		if _, tracked := e.in.State.Orders[Key(k[:])]; tracked {
			continue // being created: finished by leftovers
		}
		planned[k] = true
		if r.Grouped() {
			gk := GroupKey(ti.Tenant.ID, ev.Origin, ev.DeviceID, ev.Type)
			g := groups[gk]
			if g == nil {
				g = &group{rule: r}
				groups[gk] = g
				order = append(order, gk)
			}
			g.evs = append(g.evs, ev)
			continue
		}
		a := e.createEvent(ti, acct, KindEvent, k.key(), ev, r)
		e.what[a.Order.Key] = eventWhat(ev)
		e.add(a)
	}
	for _, gk := range order {
		e.group(ti, acct, gk, groups[gk])
	}
}

// group is the repeats of one group key in a tenant's events.
type group struct {
	rule *EventRule
	evs  []*kaspersky.Event // oldest first
}

// eventWhat names an event for a summary: its type on its device.
func eventWhat(ev *kaspersky.Event) string {
	what := ev.TypeName
	if ev.Origin == kaspersky.OriginOffice365 {
		what = office365Text(ev.O365Type)
	}
	if what == "" {
		what = ev.Type
	}
	if dev := deviceName(ev.DeviceName, ev.DeviceID); dev != "" {
		what += " on " + dev
	}
	return what
}

// group plans the ActionGroup of the repeats g of key gk.
func (e *evaluator) group(ti *TenantInput, acct int, gk Key, g *group) {
	tid := ti.Tenant.ID
	stored, tracked := e.in.State.Orders[gk]
	latest := g.evs[len(g.evs)-1]
	o := Order{
		Key: gk, Kind: KindGroup, Phase: PhaseCreating, TenantID: tid, TenantName: ti.Tenant.Name,
		DeviceID: latest.DeviceID, DeviceName: latest.DeviceName, Origin: latest.Origin, EventType: latest.Type,
		EventID: eventID(latest), EventTime: latest.Time, Since: e.in.Now,
	}
	verify := false
	if tracked {
		e.handled[gk] = true
		o.Number, o.Covered, o.Since = stored.Number, stored.Covered, stored.Since
		if stored.Phase == PhaseOpen {
			o.Phase = PhaseOpen
		}
		verify = stored.Note != nil
	}
	a := Action{Type: ActionGroup, ReopenWindow: g.rule.ReopenWindow(), Verify: verify, Covers: make(map[Key]time.Time, len(g.evs))}
	for _, ev := range g.evs {
		a.Covers[EventKey(tid, ev.Origin, eventID(ev))] = ev.Time
		if ev.Time.After(o.Covered) {
			a.Repeats = append(a.Repeats, ev.Time)
		}
	}
	if len(a.Repeats) == 0 {
		// Covered already (by the order's text or notes): only recorded.
		for k, t := range a.Covers {
			e.plan.Processed[k] = t
		}
		if tracked && stored.Note != nil {
			e.handled[gk] = false // leftovers finishes the earlier note
		}
		return
	}
	first, last := a.Repeats[0], a.Repeats[len(a.Repeats)-1]
	gr := e.in.Rules.General
	b, work := groupOrderText(ti.Tenant, latest, len(a.Repeats), first, last, gk)
	req := e.newRequest()
	*req = NewOrder{
		Account: acct, Rep: gr.Rep, Status: gr.NewStatus,
		Priority: g.rule.Priority, Type: g.rule.Type, Board: g.rule.Board,
		Brief: b, Work: work, Reference: gk,
	}
	o.Request = req
	o.Note = &PendingNote{Count: len(a.Repeats), First: first, Last: last}
	e.what[gk] = eventWhat(latest)
	a.Order = o
	e.add(a)
}

// conditions handles the Office 365 condition orders of the tenant evaluated
// from input index ix: one order per condition, opened by an active event,
// closed when the condition ends.
func (e *evaluator) conditions(ix int, ti *TenantInput, acct int) {
	tid := ti.Tenant.ID
	evs := e.evs[:0]
	for i := range ti.Events {
		if ti.Events[i].Origin == kaspersky.OriginOffice365 && ti.Events[i].O365Type.IsCondition() {
			evs = append(evs, &ti.Events[i])
		}
	}
	e.evs = evs
	if len(evs) == 0 && (!ti.InventoryOK || ti.Office365 == nil) && len(e.ordersOf(ix)) == 0 {
		return
	}
	slices.SortStableFunc(evs, compareEvents)
	for _, t := range [...]kaspersky.Office365EventType{kaspersky.O365MailboxesNotProtected, kaspersky.O365LicenseIssue} {
		var k rawKey
		conditionRawKey(&k, tid, t)
		stored, tracked := e.in.State.Orders[Key(k[:])]
		open := tracked && (stored.Phase == PhaseOpen || stored.Phase == PhaseCreating)
		on := open
		var trigger *kaspersky.Event
		var triggerRule *EventRule
		for _, ev := range evs {
			if ev.O365Type != t {
				continue
			}
			if !ev.Active {
				if open && ev.Time.Before(stored.EventTime) {
					continue // ended before the open order's occurrence began
				}
				if trigger != nil {
					e.absorb(tid, trigger)
				}
				on, trigger = false, nil
				continue
			}
			var ek rawKey
			eventRawKey(&ek, tid, ev.Origin, eventID(ev))
			if e.processed(&ek) {
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
				e.absorb(tid, ev)
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
					e.absorb(tid, trigger)
				}
				on, trigger = false, nil
			}
		}
		switch {
		case open:
			if trigger != nil {
				e.absorb(tid, trigger)
			}
			if !on {
				e.handled[keyOf(&k, &stored)] = true
				e.add(e.closeAction(stored, ReasonConditionEnded))
			}
		case tracked && trigger != nil:
			// A new occurrence before the locked order could be closed:
			// keep the order open for it.
			e.absorb(tid, trigger)
			e.handled[keyOf(&k, &stored)] = true
			e.add(keepAction(stored))
		case tracked:
			// A close is pending and nothing new: it is retried.
		case trigger != nil:
			e.add(e.createEvent(ti, acct, KindCondition, k.key(), trigger, triggerRule))
		}
	}
}

// leftovers plans the pending closes of every tenant and finishes creates whose
// outcome is unknown and that no tenant pass decided about.
func (e *evaluator) leftovers() {
	for _, k := range e.pending {
		if e.handled[k] {
			continue
		}
		o := e.in.State.Orders[k]
		if o.Kind == KindGroup {
			e.groupLeftover(o)
			continue
		}
		switch {
		case o.Phase == PhaseClosing:
			e.add(e.closeAction(o, o.Reason))
		case o.Request == nil:
			e.add(Action{Type: ActionForget, Order: o})
		default:
			e.add(Action{Type: ActionCreate, Order: o})
		}
	}
}

// grouping reports whether any enabled event rule groups repeats.
func (e *evaluator) grouping() bool {
	for _, r := range e.eventRules {
		if r.Grouped() {
			return true
		}
	}
	return false
}

// groupLeftover finishes what an earlier cycle began for a group order no
// repeat of this cycle brought up: a note or a create whose outcome is not
// known. An open order with nothing pending is forgotten once its repeats are
// older than any event can be: a later repeat finds it again by reference.
func (e *evaluator) groupLeftover(o Order) {
	switch {
	case o.Note != nil || o.Phase == PhaseCreating:
		if _, ok := e.first[o.TenantID]; !ok {
			return // not in the integration now: kept for when it is
		}
		e.add(Action{Type: ActionGroup, Order: o, Verify: true, ReopenWindow: e.maxReopen()})
	case o.Covered.Before(e.in.Now.Add(-e.in.Rules.LongestLifetime() - e.maxReopen())):
		e.add(Action{Type: ActionForget, Order: o})
	}
}

// maxReopen is the longest reopen window of the enabled rules.
func (e *evaluator) maxReopen() time.Duration {
	var w time.Duration
	for _, r := range e.eventRules {
		w = max(w, r.ReopenWindow())
	}
	return w
}

// licenseHolds reports whether condition c holds for l at now under rule r.
// Trial, beta and test keys open nothing; an expiry matters only for a key in
// use.
func licenseHolds(l *kaspersky.License, c LicenseCondition, r *LicenseRule, now time.Time) bool {
	switch l.Type {
	case kaspersky.KeyTrial, kaspersky.KeyBeta, kaspersky.KeyTest:
		return false
	}
	used := l.Usage()
	switch c {
	case LicenseExpiring:
		return used > 0 && !l.Expires.IsZero() && l.Expires.Before(now.Add(r.Window()))
	case LicenseOverused:
		return l.Capacity > 0 && used > l.Capacity
	}
	return false
}

// licenses handles the license orders of the tenant evaluated from input
// index ix, whose inventory was read: an order exists exactly while its
// license condition holds under an enabled rule of the tenant's kind.
func (e *evaluator) licenses(ix int, ti *TenantInput, acct int) {
	refs := e.ordersOf(ix)
	hasStored := slices.ContainsFunc(refs, func(r orderRef) bool { return r.kind == KindLicense })
	if len(e.licRules) == 0 && !hasStored {
		return
	}
	tid, now := ti.Tenant.ID, e.in.Now
	want := map[Key]bool{}
	byID := make(map[string]*kaspersky.License, len(ti.Licenses))
	for i := range ti.Licenses {
		l := &ti.Licenses[i]
		if l.ID == "" {
			continue
		}
		byID[l.ID] = l
		for _, c := range LicenseConditions {
			r := e.licRules[LicenseRuleID{Solution: ti.Tenant.Kind, Condition: c}]
			if r == nil || !licenseHolds(l, c, r, now) {
				continue
			}
			k := LicenseKey(tid, l.ID, c)
			if want[k] {
				continue
			}
			want[k] = true
			stored, tracked := e.in.State.Orders[k]
			switch {
			case !tracked:
				e.add(e.createLicense(ti, acct, k, l, c, r))
			case stored.Phase == PhaseCreating:
				e.handled[k] = true
				e.add(e.createLicense(ti, acct, k, l, c, r))
			case stored.Phase == PhaseClosing:
				e.handled[k] = true
				e.add(keepAction(stored))
			}
		}
	}
	for _, ref := range refs {
		if ref.kind != KindLicense || want[ref.key] {
			continue
		}
		o := e.in.State.Orders[ref.key]
		reason := ReasonLicenseGone
		l := byID[o.License]
		r := e.licRules[LicenseRuleID{Solution: ti.Tenant.Kind, Condition: o.Condition}]
		switch {
		case l == nil:
		case r == nil:
			reason = ReasonRuleOff
		case o.Condition == LicenseOverused:
			reason = ReasonUsageBack
		case l.Usage() == 0:
			reason = ReasonLicenseUnused
		default:
			reason = ReasonLicenseRenewed
		}
		switch o.Phase {
		case PhaseCreating:
			e.handled[ref.key] = true
			e.add(e.closeAction(o, reason))
		case PhaseOpen:
			e.add(e.closeAction(o, reason))
		}
	}
}

func (e *evaluator) createLicense(ti *TenantInput, acct int, k Key, l *kaspersky.License, c LicenseCondition, r *LicenseRule) Action {
	g := &e.in.Rules.General
	b, work := licenseOrderText(ti.Tenant, l, c, r, e.in.Now, k)
	req := e.newRequest()
	*req = NewOrder{
		Account: acct, Rep: g.Rep, Status: g.NewStatus,
		Priority: r.Priority, Type: r.Type, Board: r.Board,
		Brief: b, Work: work, Reference: k,
	}
	return Action{Type: ActionCreate, Order: Order{
		Key: k, Kind: KindLicense, Phase: PhaseCreating, TenantID: ti.Tenant.ID, TenantName: ti.Tenant.Name,
		License: l.ID, Condition: c, Since: e.in.Now, Request: req,
	}}
}

// newCreate reports whether a opens an order this cycle decided on (not one
// an earlier cycle decided and left unfinished), which the flood guard counts.
func (e *evaluator) newCreate(a *Action) bool {
	stored, tracked := e.in.State.Orders[a.Order.Key]
	switch a.Type {
	case ActionCreate:
		return !tracked || stored.Phase != PhaseCreating
	case ActionGroup:
		return !tracked || (stored.Phase != PhaseCreating && stored.Number == 0)
	}
	return false
}

// flood applies the flood guard to the actions the tenant's passes added
// from index start: beyond the flood limit of new orders, events go to one
// summary order (and are recorded as processed with its intent), and status,
// condition and license orders wait for a later cycle. The orders kept are
// the level ones first (their problems hold until dealt with), then events
// oldest first.
func (e *evaluator) flood(start int, ti *TenantInput, acct int) {
	limit := e.in.Rules.Flood()
	acts := e.actions[start:]
	var news []int
	for i := range acts {
		if e.newCreate(&acts[i]) {
			news = append(news, i)
		}
	}
	if len(news) <= limit {
		return
	}
	rank := func(a *Action) int {
		if a.Order.Kind == KindEvent || a.Order.Kind == KindGroup {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(news, func(x, y int) int {
		a, b := &acts[x], &acts[y]
		if c := cmp.Compare(rank(a), rank(b)); c != 0 {
			return c
		}
		if c := a.Order.EventTime.Compare(b.Order.EventTime); c != 0 {
			return c
		}
		return cmp.Compare(a.Order.Key, b.Order.Key)
	})
	drop := map[int]bool{}
	covers := map[Key]time.Time{}
	counts := map[string]int{}
	var firstKey Key
	var firstTime time.Time
	var settings *NewOrder
	for _, i := range news[limit:] {
		a := &acts[i]
		drop[i] = true
		if rank(a) == 0 {
			e.plan.Deferred++
			continue
		}
		n := 1
		if a.Order.Kind == KindGroup {
			n = len(a.Repeats)
			for k, t := range a.Covers {
				covers[k] = t
			}
		} else {
			covers[a.Order.Key] = a.Order.EventTime
		}
		e.plan.Suppressed += n
		counts[e.what[a.Order.Key]] += n
		if settings == nil || a.Order.EventTime.Before(firstTime) || a.Order.EventTime.Equal(firstTime) && a.Order.Key < firstKey {
			firstKey, firstTime, settings = a.Order.Key, a.Order.EventTime, a.Order.Request
		}
	}
	kept := acts[:0]
	for i := range acts {
		if !drop[i] {
			kept = append(kept, acts[i])
		}
	}
	clear(acts[len(kept):])
	e.actions = e.actions[:start+len(kept)]
	if len(covers) == 0 {
		return
	}
	k := SummaryKey(ti.Tenant.ID, firstKey)
	if _, tracked := e.in.State.Orders[k]; tracked {
		return // decided before (and its events recorded): leftovers finishes it
	}
	g := &e.in.Rules.General
	b, work := summaryOrderText(ti.Tenant, counts, limit, e.in.Now, k)
	req := e.newRequest()
	*req = NewOrder{
		Account: acct, Rep: g.Rep, Status: g.NewStatus,
		Priority: settings.Priority, Type: settings.Type, Board: settings.Board,
		Brief: b, Work: work, Reference: k,
	}
	e.add(Action{Type: ActionCreate, Covers: covers, Order: Order{
		Key: k, Kind: KindSummary, Phase: PhaseCreating, TenantID: ti.Tenant.ID, TenantName: ti.Tenant.Name,
		EventTime: firstTime, Since: e.in.Now, Request: req,
	}})
}
