package serviceorder

// This file keeps the plain implementation of Evaluate (and of the order texts
// and keys it writes) as it was before Evaluate was optimised, so that tests
// can check the optimised engine decides exactly as the plain one on random
// inputs. It is test code only; do not change it to follow the engine.

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

func refEvaluate(in Input) Plan {
	e := refEvaluator{in: &in, plan: Plan{Processed: map[Key]time.Time{}}, handled: map[Key]bool{}}
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

type refEvaluator struct {
	in         *Input
	status     map[StatusRuleID]*StatusRule
	eventRules map[EventRuleID]*EventRule
	byTenant   map[string][]Key
	tenants    map[string]bool
	handled    map[Key]bool
	want       map[Key]refWantStatus // reused by every tenant's status pass
	plan       Plan
}

func (e *refEvaluator) compile() {
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
func (e *refEvaluator) seenTenant(id string) bool {
	if e.tenants[id] {
		return true
	}
	e.tenants[id] = true
	return false
}

func (e *refEvaluator) add(a Action) { e.plan.Actions = append(e.plan.Actions, a) }

func (e *refEvaluator) closeAction(o Order, reason CloseReason) Action {
	o.Request = nil
	return Action{
		Type:   ActionClose,
		Order:  o,
		Reason: reason,
		Close:  CloseRequest{Status: e.in.Rules.General.ClosedStatus, WorkPerformed: refCloseText(&o, reason, e.in.Now)},
	}
}

// refKeepAction cancels the pending close of o.
func refKeepAction(o Order) Action {
	o.Phase, o.Reason, o.Request = PhaseOpen, 0, nil
	return Action{Type: ActionKeep, Order: o}
}

type refWantStatus struct {
	dev  *kaspersky.Device
	desc kaspersky.StatusDescription
	rule *StatusRule
}

func (e *refEvaluator) statuses(ti *TenantInput, acct int) {
	tid := ti.Tenant.ID
	now, delay := e.in.Now, e.in.Rules.CreationDelay
	if e.want == nil {
		e.want = make(map[Key]refWantStatus, 64)
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
			k := refStatusKey(tid, d.ID, desc.Code)
			if _, dup := want[k]; dup {
				continue
			}
			want[k] = refWantStatus{dev: d, desc: desc, rule: r}
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
				e.add(refKeepAction(o))
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

func (e *refEvaluator) createStatus(ti *TenantInput, acct int, k Key, w refWantStatus, since time.Time) Action {
	g := &e.in.Rules.General
	b, work := refStatusOrderText(ti.Tenant, w.dev, w.desc, since, k)
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

func (e *refEvaluator) createEvent(ti *TenantInput, acct int, kind Kind, k Key, ev *kaspersky.Event, r *EventRule) Action {
	g := &e.in.Rules.General
	b, work := refEventOrderText(ti.Tenant, ev, k)
	return Action{Type: ActionCreate, Order: Order{
		Key: k, Kind: kind, Phase: PhaseCreating, TenantID: ti.Tenant.ID,
		DeviceID: ev.DeviceID, DeviceName: ev.DeviceName, O365Type: ev.O365Type,
		EventID: refEventID(ev), EventTime: ev.Time, Since: e.in.Now,
		Request: &NewOrder{
			Account: acct, Rep: g.Rep, Status: g.NewStatus,
			Priority: r.Priority, Type: r.Type, Board: r.Board,
			Brief: b, Work: work, Reference: k,
		},
	}}
}

// refSortedEvents returns pointers to the tenant's events, oldest first.
func refSortedEvents(evs []kaspersky.Event) []*kaspersky.Event {
	out := make([]*kaspersky.Event, len(evs))
	for i := range evs {
		out[i] = &evs[i]
	}
	slices.SortStableFunc(out, refCompareEvents)
	return out
}

// refEventID returns the id that identifies ev: its own, or for an event a source
// gave no id, one made of its type, device and time.
func refEventID(ev *kaspersky.Event) string {
	if ev.ID != "" {
		return ev.ID
	}
	return "~" + ev.Type + "|" + ev.DeviceID + "|" + ev.Time.UTC().Format(time.RFC3339Nano)
}

func refCompareEvents(a, b *kaspersky.Event) int {
	return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.ID, b.ID))
}

// relevant returns the enabled rule of ev if ev is younger than its lifetime
// and not dated a lifetime or more in the future.
func (e *refEvaluator) relevant(ev *kaspersky.Event) *EventRule {
	r := e.eventRules[EventRuleFor(ev)]
	if r == nil {
		return nil
	}
	if age := e.in.Now.Sub(ev.Time); age >= r.Lifetime() || age <= -r.Lifetime() {
		return nil
	}
	return r
}

func (e *refEvaluator) processed(k Key) bool {
	if _, ok := e.in.State.Events[k]; ok {
		return true
	}
	_, ok := e.plan.Processed[k]
	return ok
}

func (e *refEvaluator) events(ti *TenantInput, acct int) {
	if len(ti.Events) == 0 {
		return
	}
	planned := map[Key]bool{}
	for _, ev := range refSortedEvents(ti.Events) {
		if ev.Origin == kaspersky.OriginOffice365 && ev.O365Type.IsCondition() {
			continue
		}
		r := e.relevant(ev)
		if r == nil {
			continue
		}
		k := refEventKey(ti.Tenant.ID, ev.Origin, refEventID(ev))
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
func (e *refEvaluator) conditions(ti *TenantInput, acct int) {
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
	slices.SortStableFunc(evs, refCompareEvents)
	for _, t := range [...]kaspersky.Office365EventType{kaspersky.O365MailboxesNotProtected, kaspersky.O365LicenseIssue} {
		k := refConditionKey(tid, t)
		stored, tracked := e.in.State.Orders[k]
		open := tracked && (stored.Phase == PhaseOpen || stored.Phase == PhaseCreating)
		on := open
		var trigger *kaspersky.Event
		var triggerRule *EventRule
		absorb := func(ev *kaspersky.Event) {
			e.plan.Processed[refEventKey(tid, ev.Origin, refEventID(ev))] = ev.Time
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
			if e.processed(refEventKey(tid, ev.Origin, refEventID(ev))) {
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
			e.add(refKeepAction(stored))
		case tracked:
			// A close is pending and nothing new: it is retried.
		case trigger != nil:
			e.add(e.createEvent(ti, acct, KindCondition, k, trigger, triggerRule))
		}
	}
}

// leftovers plans the pending closes of every tenant and finishes creates whose
// outcome is unknown and that no tenant pass decided about.
func (e *refEvaluator) leftovers() {
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

// refStatusConsole names the console that reports a tenant's device statuses.
func refStatusConsole(k kaspersky.TenantKind) string {
	switch k {
	case kaspersky.KindVirtualServer:
		return kaspersky.OriginKSC.String()
	case kaspersky.KindCompany:
		return kaspersky.OriginKESCloud.String()
	}
	return "Kaspersky console"
}

func refBrief(s string) string {
	if strings.ContainsAny(s, "\t\n\r\v\f") || strings.Contains(s, "  ") || strings.TrimSpace(s) != s {
		s = strings.Join(strings.Fields(s), " ")
	}
	if utf8.RuneCountInString(s) <= MaxBriefLen {
		return s
	}
	r := []rune(s)
	return string(r[:MaxBriefLen-3]) + "..."
}

func refTenantLine(t kaspersky.Tenant) string {
	name := t.Name
	if name == "" {
		name = t.ID
	}
	if t.Kind != 0 {
		return name + " (" + t.Kind.String() + " " + t.ID + ")"
	}
	return name + " (" + t.ID + ")"
}

func refDeviceName(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

func refStatusText(code kaspersky.StatusCode, fallback string) string {
	if fallback != "" {
		return fallback
	}
	if d, ok := kaspersky.LookupStatus(code); ok {
		return d.Text
	}
	return string(code)
}

// refStatusOrderText returns the refBrief and full text of a status order. It is on
// the hot path of refEvaluate, hence plain concatenation rather than fmt.
func refStatusOrderText(t kaspersky.Tenant, d *kaspersky.Device, desc kaspersky.StatusDescription, seen time.Time, key Key) (string, string) {
	dev := refDeviceName(d.Name, d.ID)
	text := refStatusText(desc.Code, desc.Text)
	console := refStatusConsole(t.Kind)
	level := d.Status.String()
	var b strings.Builder
	b.Grow(512)
	for _, s := range [...]string{
		console, " reports ", strconv.Quote(text), " on device ", dev, " (device status ", level, ").\n\n",
		"Tenant: ", refTenantLine(t), "\n",
		"Device: ", dev, " (id ", d.ID, ")\n",
		"Status description: ", text, "\n",
		"Device status: ", level, "\n",
		"Detected: ", seen.UTC().Format(timeLayout), "\n",
		"Console: ", console, "\n\n",
		"This service order closes automatically when the status description no longer applies to the device.\n",
		"Reference: ", string(key), "\n",
	} {
		b.WriteString(s)
	}
	return refBrief("Kaspersky: " + text + " on " + dev), b.String()
}

// refEventOrderText returns the refBrief and full text of an event or condition order.
func refEventOrderText(t kaspersky.Tenant, ev *kaspersky.Event, key Key) (string, string) {
	what := ev.TypeName
	if ev.Origin == kaspersky.OriginOffice365 {
		what = office365Text(ev.O365Type)
	}
	if what == "" {
		what = ev.Type
	}
	var b strings.Builder
	if ev.Origin == kaspersky.OriginOffice365 {
		fmt.Fprintf(&b, "%s reports: %s.\n\n", ev.Origin, what)
	} else {
		fmt.Fprintf(&b, "%s reports a %s event: %s.\n\n", ev.Origin, ev.Severity, what)
	}
	fmt.Fprintf(&b, "Tenant: %s\n", refTenantLine(t))
	if ev.DeviceID != "" || ev.DeviceName != "" {
		fmt.Fprintf(&b, "Device: %s (id %s)\n", refDeviceName(ev.DeviceName, ev.DeviceID), ev.DeviceID)
	}
	fmt.Fprintf(&b, "Event: %s\n", what)
	if ev.Severity != kaspersky.SeverityNone {
		fmt.Fprintf(&b, "Severity: %s\n", ev.Severity)
	}
	if ev.Text != "" {
		fmt.Fprintf(&b, "Details: %s\n", strings.TrimSpace(ev.Text))
	}
	fmt.Fprintf(&b, "Event time: %s\n", ev.Time.UTC().Format(timeLayout))
	fmt.Fprintf(&b, "Event id: %s\n", ev.ID)
	fmt.Fprintf(&b, "Console: %s\n\n", ev.Origin)
	if ev.O365Type.IsCondition() {
		b.WriteString("This service order closes automatically when the condition ends.\n")
	} else {
		b.WriteString("This service order is not closed automatically; close it when the event has been dealt with.\n")
	}
	fmt.Fprintf(&b, "Reference: %s\n", key)
	subject := what
	if dev := refDeviceName(ev.DeviceName, ev.DeviceID); dev != "" {
		subject += " on " + dev
	}
	if ev.Origin != kaspersky.OriginOffice365 {
		subject = ev.Severity.String() + ": " + subject
	}
	return refBrief("Kaspersky: " + subject), b.String()
}

// refCloseText returns the WorkPerformed text of an automatic close.
func refCloseText(o *Order, reason CloseReason, now time.Time) string {
	var what string
	switch o.Kind {
	case KindStatus:
		what = fmt.Sprintf("%q on device %s", refStatusText(o.Code, ""), refDeviceName(o.DeviceName, o.DeviceID))
	default:
		what = fmt.Sprintf("Office 365: %s", office365Text(o.O365Type))
	}
	return fmt.Sprintf("Closed automatically by the Kaspersky integration at %s: %s; %s.", now.UTC().Format(timeLayout), what, reason)
}

func refMakeKey(kind Kind, parts ...string) Key {
	// Length-prefixed parts, so that ("ab", "c") and ("a", "bc") differ.
	var stack [256]byte
	buf := append(stack[:0], kind.letter())
	for _, p := range parts {
		buf = binary.AppendUvarint(buf, uint64(len(p)))
		buf = append(buf, p...)
	}
	sum := sha256.Sum256(buf)
	var out [len(keyPrefix) + 2 + 56]byte
	n := copy(out[:], keyPrefix)
	out[n] = kind.letter()
	out[n+1] = '-'
	keyEncoding.Encode(out[n+2:], sum[:])
	return Key(out[:KeyLen])
}

// refStatusKey returns the key of the order for status description code holding on
// a device of a tenant. The level is not part of the key: one order covers the
// description whether it holds at Warning or Critical.
func refStatusKey(tenantID, deviceID string, code kaspersky.StatusCode) Key {
	return refMakeKey(KindStatus, tenantID, deviceID, string(code))
}

// refEventKey returns the key of the order for an event of a tenant.
func refEventKey(tenantID string, origin kaspersky.Origin, refEventID string) Key {
	return refMakeKey(KindEvent, tenantID, fmt.Sprint(int(origin)), refEventID)
}

// refConditionKey returns the key of the order for an Office 365 condition of a
// tenant.
func refConditionKey(tenantID string, t kaspersky.Office365EventType) Key {
	return refMakeKey(KindCondition, tenantID, string(t))
}
