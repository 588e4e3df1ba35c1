package serviceorder_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	sot "github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	tenantA  = "vs-acme"
	tenantB  = "vs-bolt"
	accountA = 5001
	accountB = 5002
)

// world is a scenario: a fake Tigerpaw desk, a store, a clock and what the
// consoles report about two tenants.
type world struct {
	t       *testing.T
	desk    *sot.Desk
	store   serviceorder.Store
	clock   *sot.Clock
	runner  *serviceorder.Runner
	rules   serviceorder.Rules
	inputs  map[string]*serviceorder.TenantInput
	history []serviceorder.Result
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{
		t:     t,
		desk:  sot.NewDesk(),
		store: serviceorder.NewMemoryStore(),
		clock: sot.NewClock(t0),
		rules: sot.Rules(),
		inputs: map[string]*serviceorder.TenantInput{
			tenantA: {Tenant: kaspersky.Tenant{ID: tenantA, Name: "Acme Ltd", Kind: kaspersky.KindVirtualServer}, InventoryOK: true},
			tenantB: {Tenant: kaspersky.Tenant{ID: tenantB, Name: "Bolt GmbH", Kind: kaspersky.KindCompany}, InventoryOK: true},
		},
	}
	w.newRunner()
	return w
}

func (w *world) newRunner() {
	w.t.Helper()
	r, err := serviceorder.NewRunner(w.desk, w.store, serviceorder.WithClock(w.clock.Now))
	if err != nil {
		w.t.Fatal(err)
	}
	w.runner = r
}

// enableStatus turns on the status rules for code at the given levels.
func (w *world) enableStatus(code kaspersky.StatusCode, settings serviceorder.OrderSettings, levels ...kaspersky.StatusLevel) {
	settings.Enabled = true
	for i := range w.rules.Statuses {
		for _, l := range levels {
			if w.rules.Statuses[i].ID == (serviceorder.StatusRuleID{Level: l, Code: code}) {
				w.rules.Statuses[i].OrderSettings = settings
			}
		}
	}
}

// enableEvent turns on an event rule.
func (w *world) enableEvent(id serviceorder.EventRuleID, settings serviceorder.OrderSettings, lifetimeDays int) {
	settings.Enabled = true
	for i := range w.rules.Events {
		if w.rules.Events[i].ID == id {
			w.rules.Events[i].OrderSettings = settings
			if id.Origin != kaspersky.OriginOffice365 {
				w.rules.Events[i].LifetimeDays = lifetimeDays
			}
			return
		}
	}
	w.t.Fatalf("no event rule %v", id)
}

func (w *world) devices(tenant string, ds ...kaspersky.Device) { w.inputs[tenant].Devices = ds }

func (w *world) events(tenant string, evs ...kaspersky.Event) { w.inputs[tenant].Events = evs }

// cycle runs one cycle, then clears the events (they were delivered) and moves
// the clock five minutes on.
func (w *world) cycle() serviceorder.Result {
	w.t.Helper()
	c := serviceorder.Cycle{Rules: w.rules, Accounts: serviceorder.Accounts{tenantA: accountA, tenantB: accountB}}
	for _, id := range []string{tenantA, tenantB} {
		in := *w.inputs[id]
		in.ReadAt = w.clock.Now()
		c.Tenants = append(c.Tenants, in)
	}
	res, err := w.runner.Run(w.t.Context(), c)
	if err != nil {
		w.t.Fatalf("Run: %v", err)
	}
	for _, in := range w.inputs {
		in.Events = nil
	}
	w.clock.Advance(5 * time.Minute)
	w.history = append(w.history, res)
	return res
}

func (w *world) state() serviceorder.State {
	w.t.Helper()
	st, err := w.store.Load(w.t.Context())
	if err != nil {
		w.t.Fatal(err)
	}
	return st
}

// openByKey returns the open orders with the key; it fails the test if there
// is more than one (a duplicate).
func (w *world) openByKey(k serviceorder.Key) (sot.DeskOrder, bool) {
	w.t.Helper()
	var found []sot.DeskOrder
	for _, o := range w.desk.Open() {
		if o.Reference == k {
			found = append(found, o)
		}
	}
	if len(found) > 1 {
		w.t.Fatalf("%d open orders with key %s", len(found), k)
	}
	if len(found) == 0 {
		return sot.DeskOrder{}, false
	}
	return found[0], true
}

// assertOnePerKey fails if any key has more than one order, open or closed,
// among those listed.
func (w *world) assertOnePerKey(keys ...serviceorder.Key) {
	w.t.Helper()
	count := map[serviceorder.Key]int{}
	for _, o := range w.desk.Orders() {
		count[o.Reference]++
	}
	for _, k := range keys {
		if count[k] != 1 {
			w.t.Errorf("key %s has %d orders in Tigerpaw, want exactly 1", k, count[k])
		}
	}
}

func counts(r serviceorder.Result) string {
	return fmt.Sprintf("created=%d recovered=%d closed=%d pending=%d released=%d failed=%d",
		len(r.Created), len(r.Recovered), len(r.Closed), len(r.Pending), len(r.Released), len(r.Failed))
}

func wantCounts(t *testing.T, r serviceorder.Result, created, recovered, closed, pending, released, failed int) {
	t.Helper()
	want := fmt.Sprintf("created=%d recovered=%d closed=%d pending=%d released=%d failed=%d", created, recovered, closed, pending, released, failed)
	if got := counts(r); got != want {
		t.Fatalf("cycle result: %s, want %s (failures: %v)", got, want, r.Err())
	}
}

var warnSettings = serviceorder.OrderSettings{Board: 3, Priority: "High", Type: "Security"}

// The seed: a device turns Warning because "Databases are out of date"; an order
// is created with the configured rep, status, board, priority and type.
func TestScenarioDatabasesOutOfDateCreatesOrder(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableStatus(kaspersky.StatusDatabasesOutdated, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated))

	wantCounts(t, w.cycle(), 1, 0, 0, 0, 0, 0)
	k := serviceorder.StatusKey(tenantA, "42", kaspersky.StatusDatabasesOutdated)
	got, ok := w.openByKey(k)
	if !ok {
		t.Fatal("no open order with the status key")
	}
	want := serviceorder.NewOrder{
		Account: accountA, Rep: sot.Rep, Status: sot.NewStatus, Priority: "High", Type: "Security", Board: 3,
		Brief: "Kaspersky: Databases are out of date on PC-42", Reference: k,
	}
	got.Work = ""
	if d := cmp.Diff(want, got.NewOrder); d != "" {
		t.Fatalf("created order (-want +got):\n%s", d)
	}
	if st := w.state(); st.Orders[k].Phase != serviceorder.PhaseOpen || st.Orders[k].Number != got.Number {
		t.Fatalf("store after create: %+v", st.Orders[k])
	}

	// Nothing changes: nothing happens.
	wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 0)
	w.assertOnePerKey(k)
	if n := w.desk.Calls(sot.OpFind); n != 1 {
		t.Fatalf("an unchanged world made %d lookups in total, want 1 (before the create)", n)
	}
}

// The seed: databases are updated, "Databases are out of date" no longer holds;
// the device stays Warning for "Many viruses detected". The first order closes
// with the closed status, the second stays open.
func TestScenarioClearedWhileOtherDescriptionRemains(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableStatus(kaspersky.StatusDatabasesOutdated, warnSettings, kaspersky.StatusWarning)
	w.enableStatus(kaspersky.StatusManyViruses, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated, kaspersky.StatusManyViruses))
	wantCounts(t, w.cycle(), 2, 0, 0, 0, 0, 0)

	w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusWarning, kaspersky.StatusManyViruses))
	res := w.cycle()
	wantCounts(t, res, 0, 0, 1, 0, 0, 0)

	dbKey := serviceorder.StatusKey(tenantA, "42", kaspersky.StatusDatabasesOutdated)
	virusKey := serviceorder.StatusKey(tenantA, "42", kaspersky.StatusManyViruses)
	if res.Closed[0].Key != dbKey {
		t.Fatalf("closed %s, want the databases order %s", res.Closed[0].Key, dbKey)
	}
	closed, _ := w.desk.Order(res.Closed[0].Number)
	if !closed.Closed || closed.Status != sot.ClosedStatus || !strings.Contains(closed.WorkPerformed, "Databases are out of date") {
		t.Fatalf("closed order: %+v", closed)
	}
	if _, ok := w.openByKey(virusKey); !ok {
		t.Fatal("the many-viruses order was closed too")
	}
	if st := w.state(); len(st.Orders) != 1 || st.Orders[virusKey].Phase != serviceorder.PhaseOpen {
		t.Fatalf("store should track only the open many-viruses order: %+v", st.Orders)
	}
}

// The seed: an order open in the Tigerpaw UI cannot be closed; it is closed
// shortly after the user leaves it.
func TestScenarioLockedOrderClosedAfterUnlock(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableStatus(kaspersky.StatusDatabasesOutdated, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated))
	res := w.cycle()
	number := res.Created[0].Number
	k := res.Created[0].Key

	w.desk.SetLocked(number, true)
	w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusOK))
	for range 3 {
		wantCounts(t, w.cycle(), 0, 0, 0, 1, 0, 0)
		if o, _ := w.desk.Order(number); o.Closed {
			t.Fatal("a locked order was closed")
		}
		if st := w.state(); st.Orders[k].Phase != serviceorder.PhaseClosing {
			t.Fatalf("pending close not recorded: %+v", st.Orders[k])
		}
	}
	// The status comes back while the close is pending: the close is cancelled
	// and the order kept; no second order.
	w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated))
	wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 0)
	if st := w.state(); st.Orders[k].Phase != serviceorder.PhaseOpen {
		t.Fatalf("pending close not cancelled: %+v", st.Orders[k])
	}
	w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusOK))

	w.desk.SetLocked(number, false)
	res = w.cycle()
	wantCounts(t, res, 0, 0, 1, 0, 0, 0)
	if o, _ := w.desk.Order(number); !o.Closed || o.Status != sot.ClosedStatus {
		t.Fatalf("order after unlock: %+v", o)
	}
	if st := w.state(); len(st.Orders) != 0 {
		t.Fatalf("closed order not released from the store: %+v", st.Orders)
	}
	wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 0)
}

// A lock taken between the read and the close: Tigerpaw refuses the close.
func TestScenarioCloseRefusedAsLocked(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableStatus(kaspersky.StatusDatabasesOutdated, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated))
	w.cycle()
	w.devices(tenantA)
	w.desk.Inject(sot.OpClose, sot.Fault{Err: fmt.Errorf("tigerpaw says: %w", serviceorder.ErrLocked)})
	wantCounts(t, w.cycle(), 0, 0, 0, 1, 0, 0)
	wantCounts(t, w.cycle(), 0, 0, 1, 0, 0, 0)
}

// The seed: after an outage only events younger than the rule's lifetime become
// orders; each rule has its own lifetime.
func TestScenarioOutageSkipsOldEvents(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	critical := serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical}
	failure := serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityFunctionalFailure}
	w.enableEvent(critical, warnSettings, 1)
	w.enableEvent(failure, serviceorder.OrderSettings{Priority: "Medium"}, 3)
	ev := func(id string, sev kaspersky.Severity, age time.Duration) kaspersky.Event {
		return kaspersky.Event{ID: id, TenantID: tenantA, DeviceID: "42", DeviceName: "PC-42", Origin: kaspersky.OriginKSC,
			Severity: sev, Type: "GNRL_EV_VIRUS_FOUND", TypeName: "Malicious object detected", Time: t0.Add(-age)}
	}
	w.events(tenantA,
		ev("1", kaspersky.SeverityCritical, 50*time.Hour),          // older than 1 day: skipped
		ev("2", kaspersky.SeverityCritical, 2*time.Hour),           // recent
		ev("3", kaspersky.SeverityFunctionalFailure, 50*time.Hour), // within 3 days
		ev("4", kaspersky.SeverityFunctionalFailure, 80*time.Hour), // older than 3 days
		ev("5", kaspersky.SeverityCritical, 24*time.Hour),          // exactly the lifetime: skipped
		ev("6", kaspersky.SeverityWarning, time.Minute),            // rule off
	)
	res := w.cycle()
	wantCounts(t, res, 2, 0, 0, 0, 0, 0)
	var got []serviceorder.Key
	for _, o := range w.desk.Orders() {
		got = append(got, o.Reference)
	}
	want := []serviceorder.Key{serviceorder.EventKey(tenantA, kaspersky.OriginKSC, "2"), serviceorder.EventKey(tenantA, kaspersky.OriginKSC, "3")}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("orders (-want +got):\n%s", d)
	}
	// The same events delivered again make nothing: their ids are remembered.
	w.events(tenantA, ev("2", kaspersky.SeverityCritical, 2*time.Hour), ev("3", kaspersky.SeverityFunctionalFailure, 50*time.Hour))
	wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 0)
	if st := w.state(); len(st.Orders) != 0 || len(st.Events) != 2 {
		t.Fatalf("event orders must not stay tracked; processed ids kept: %+v", st)
	}
	// Event orders are never closed by the engine.
	for _, o := range w.desk.Orders() {
		if o.Closed {
			t.Fatalf("event order %d was closed", o.Number)
		}
	}
	// Once older than the longest lifetime, processed ids are dropped.
	w.clock.Advance(4 * 24 * time.Hour)
	w.cycle()
	if st := w.state(); len(st.Events) != 0 {
		t.Fatalf("processed ids not pruned: %v", st.Events)
	}
}

// The seed: Office 365 "mailboxes protection is not provided" and
// "license-related issue occurred" orders close when the issue is resolved; other
// Office 365 event orders stay open.
func TestScenarioOffice365ConditionOrdersAutoClose(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, typ := range []kaspersky.Office365EventType{kaspersky.O365MailboxesNotProtected, kaspersky.O365LicenseIssue, kaspersky.O365Malware} {
		w.enableEvent(serviceorder.EventRuleID{Origin: kaspersky.OriginOffice365, O365Type: typ}, serviceorder.OrderSettings{Priority: "High"}, 0)
	}
	o365 := func(id string, typ kaspersky.Office365EventType, active bool, age time.Duration) kaspersky.Event {
		return kaspersky.Event{ID: id, TenantID: tenantB, Origin: kaspersky.OriginOffice365, O365Type: typ, Active: active, Time: t0.Add(-age), Text: "details"}
	}
	w.inputs[tenantB].Office365 = &kaspersky.Office365Status{MailboxesProtected: false, LicenseOK: false}
	w.events(tenantB,
		o365("m1", kaspersky.O365MailboxesNotProtected, true, time.Hour),
		o365("m2", kaspersky.O365MailboxesNotProtected, true, 30*time.Minute), // same condition: no second order
		o365("l1", kaspersky.O365LicenseIssue, true, time.Hour),
		o365("x1", kaspersky.O365Malware, true, time.Hour),
	)
	wantCounts(t, w.cycle(), 3, 0, 0, 0, 0, 0)
	mailKey := serviceorder.ConditionKey(tenantB, kaspersky.O365MailboxesNotProtected)
	licKey := serviceorder.ConditionKey(tenantB, kaspersky.O365LicenseIssue)
	malKey := serviceorder.EventKey(tenantB, kaspersky.OriginOffice365, "x1")

	// Mailboxes protected again (the Office 365 state says so).
	w.inputs[tenantB].Office365 = &kaspersky.Office365Status{MailboxesProtected: true, LicenseOK: false}
	res := w.cycle()
	wantCounts(t, res, 0, 0, 1, 0, 0, 0)
	if res.Closed[0].Key != mailKey {
		t.Fatalf("closed %v, want the mailboxes order", res.Closed[0])
	}
	// The license issue ends by an event with Active false (state not reported).
	w.inputs[tenantB].Office365 = nil
	w.events(tenantB, o365("l2", kaspersky.O365LicenseIssue, false, time.Minute))
	res = w.cycle()
	wantCounts(t, res, 0, 0, 1, 0, 0, 0)
	if res.Closed[0].Key != licKey {
		t.Fatalf("closed %v, want the license order", res.Closed[0])
	}
	if _, open := w.openByKey(malKey); !open {
		t.Fatal("the malware order was closed; only condition orders close automatically")
	}
	if _, open := w.openByKey(mailKey); open {
		t.Fatal("the mailboxes order is still open")
	}
	// The condition comes back: a new order with the same key.
	w.inputs[tenantB].Office365 = &kaspersky.Office365Status{MailboxesProtected: false, LicenseOK: true}
	w.events(tenantB, o365("m3", kaspersky.O365MailboxesNotProtected, true, time.Minute))
	wantCounts(t, w.cycle(), 1, 0, 0, 0, 0, 0)
	if _, open := w.openByKey(mailKey); !open {
		t.Fatal("a new occurrence of the condition made no order")
	}
	wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 0)
}

// The seed: by default service order creation is off for everything.
func TestScenarioDisabledRuleCreatesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var all []kaspersky.StatusCode
	for _, s := range kaspersky.KnownStatuses {
		all = append(all, s.Code)
	}
	w.devices(tenantA, sot.Device(tenantA, "1", kaspersky.StatusWarning, all...), sot.Device(tenantA, "2", kaspersky.StatusCritical, all...))
	var evs []kaspersky.Event
	for i, sev := range kaspersky.Severities {
		evs = append(evs, kaspersky.Event{ID: fmt.Sprint(i), Origin: kaspersky.OriginKSC, Severity: sev, Time: t0})
	}
	for i, typ := range kaspersky.Office365EventTypes {
		evs = append(evs, kaspersky.Event{ID: fmt.Sprint("o", i), Origin: kaspersky.OriginOffice365, O365Type: typ.Type, Active: true, Time: t0})
	}
	w.events(tenantA, evs...)
	wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 0)
	if n := w.desk.Calls(sot.OpCreate) + w.desk.Calls(sot.OpFind); n != 0 {
		t.Fatalf("disabled rules made %d desk calls", n)
	}
	// Turning a rule on for Critical only: the Warning device still makes nothing.
	w.enableStatus(kaspersky.StatusManyViruses, warnSettings, kaspersky.StatusCritical)
	res := w.cycle()
	wantCounts(t, res, 1, 0, 0, 0, 0, 0)
	if res.Created[0].Key != serviceorder.StatusKey(tenantA, "2", kaspersky.StatusManyViruses) {
		t.Fatalf("created %v", res.Created[0])
	}
}

// A creation delay (from the Autotask edition) suppresses a status that clears
// within the delay.
func TestScenarioCreationDelaySuppressesFlapping(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.rules.CreationDelay = 10 * time.Minute
	w.enableStatus(kaspersky.StatusRTPNotRunning, warnSettings, kaspersky.StatusWarning, kaspersky.StatusCritical)
	on := sot.Device(tenantA, "7", kaspersky.StatusCritical, kaspersky.StatusRTPNotRunning)
	off := sot.Device(tenantA, "7", kaspersky.StatusOK)
	// Cycles every 5 minutes: on, off, on, off, ... never 10 minutes in a row.
	for i := range 6 {
		if i%2 == 0 {
			w.devices(tenantA, on)
		} else {
			w.devices(tenantA, off)
		}
		w.cycle()
	}
	if n := len(w.desk.Orders()); n != 0 {
		t.Fatalf("a flapping status made %d orders", n)
	}
	// It stays: created once it has held for the delay (third cycle: 0, 5, 10 min).
	w.devices(tenantA, on)
	wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 0)
	wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 0)
	res := w.cycle()
	wantCounts(t, res, 1, 0, 0, 0, 0, 0)
	if o, _ := w.desk.Order(res.Created[0].Number); !strings.Contains(o.Work, "Detected: 2026-03-02 09:30:00 UTC") {
		t.Fatalf("order should name the first sighting:\n%s", o.Work)
	}
}

// Crash: Tigerpaw created the order, then the connection dropped before the
// answer. The next cycle finds it by reference and creates no duplicate.
func TestCrashCreatedThenConnectionDropped(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableStatus(kaspersky.StatusDatabasesOutdated, warnSettings, kaspersky.StatusWarning)
	w.enableEvent(serviceorder.EventRuleID{Origin: kaspersky.OriginKESCloud, Severity: kaspersky.SeverityCritical}, warnSettings, 1)
	w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated))
	w.events(tenantB, kaspersky.Event{ID: "e1", Origin: kaspersky.OriginKESCloud, Severity: kaspersky.SeverityCritical, Time: t0, TypeName: "Threat detected"})
	dropped := sot.Fault{Applied: true, Err: errors.New("read tcp: connection reset by peer")}
	w.desk.Inject(sot.OpCreate, dropped, dropped)

	res := w.cycle()
	wantCounts(t, res, 0, 0, 0, 0, 0, 2)
	statusKey := serviceorder.StatusKey(tenantA, "42", kaspersky.StatusDatabasesOutdated)
	eventKey := serviceorder.EventKey(tenantB, kaspersky.OriginKESCloud, "e1")
	st := w.state()
	if st.Orders[statusKey].Phase != serviceorder.PhaseCreating || st.Orders[eventKey].Phase != serviceorder.PhaseCreating {
		t.Fatalf("intent not kept after the failed creates: %+v", st.Orders)
	}
	if _, ok := st.TenantReads[tenantA]; ok {
		t.Fatal("a failed tenant's read time advanced")
	}

	// The event is not delivered again (events were read); the stored intent
	// finishes the job.
	res = w.cycle()
	wantCounts(t, res, 0, 2, 0, 0, 0, 0)
	w.assertOnePerKey(statusKey, eventKey)
	st = w.state()
	if st.Orders[statusKey].Phase != serviceorder.PhaseOpen || st.Orders[statusKey].Number == 0 {
		t.Fatalf("recovered status order not open in the store: %+v", st.Orders[statusKey])
	}
	if _, tracked := st.Orders[eventKey]; tracked {
		t.Fatal("recovered event order still tracked")
	}
	if _, processed := st.Events[eventKey]; !processed {
		t.Fatal("recovered event not remembered as processed")
	}
	wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 0)
	w.assertOnePerKey(statusKey, eventKey)
}

// Crash: the Store is lost between cycles (a new empty file). Orders are found
// by reference; none is duplicated and status orders still close.
func TestCrashStoreWipedBetweenCycles(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := t.TempDir()
	open := func(name string) serviceorder.Store {
		s, err := serviceorder.OpenFileStore(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	w.store = open("first.json")
	w.newRunner()
	w.enableStatus(kaspersky.StatusDatabasesOutdated, warnSettings, kaspersky.StatusWarning)
	w.enableStatus(kaspersky.StatusManyViruses, warnSettings, kaspersky.StatusWarning)
	o365 := serviceorder.EventRuleID{Origin: kaspersky.OriginOffice365, O365Type: kaspersky.O365MailboxesNotProtected}
	w.enableEvent(o365, warnSettings, 0)
	ksc := serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical}
	w.enableEvent(ksc, warnSettings, 1)
	w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated, kaspersky.StatusManyViruses))
	evs := []kaspersky.Event{
		{ID: "k1", Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical, Time: t0},
		{ID: "m1", Origin: kaspersky.OriginOffice365, O365Type: kaspersky.O365MailboxesNotProtected, Active: true, Time: t0},
	}
	w.events(tenantA, evs...)
	wantCounts(t, w.cycle(), 4, 0, 0, 0, 0, 0)

	// The Store is lost; the consoles deliver the same events again.
	w.store = open("second.json")
	w.newRunner()
	w.events(tenantA, evs...)
	res := w.cycle()
	wantCounts(t, res, 0, 4, 0, 0, 0, 0)
	keys := []serviceorder.Key{
		serviceorder.StatusKey(tenantA, "42", kaspersky.StatusDatabasesOutdated),
		serviceorder.StatusKey(tenantA, "42", kaspersky.StatusManyViruses),
		serviceorder.EventKey(tenantA, kaspersky.OriginKSC, "k1"),
		serviceorder.ConditionKey(tenantA, kaspersky.O365MailboxesNotProtected),
	}
	w.assertOnePerKey(keys...)

	// The recovered status order still closes when its description clears.
	w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusWarning, kaspersky.StatusManyViruses))
	res = w.cycle()
	wantCounts(t, res, 0, 0, 1, 0, 0, 0)
	if res.Closed[0].Key != keys[0] {
		t.Fatalf("closed %v, want %s", res.Closed[0], keys[0])
	}
	w.assertOnePerKey(keys...)
}

// Tigerpaw's reference search matches prefixes and ignores case: a longer
// reference is not the order, an exact one in another case is.
func TestScenarioReferenceSearchIsFiltered(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableStatus(kaspersky.StatusDatabasesOutdated, warnSettings, kaspersky.StatusWarning)
	w.enableStatus(kaspersky.StatusManyViruses, warnSettings, kaspersky.StatusWarning)
	dbKey := serviceorder.StatusKey(tenantA, "42", kaspersky.StatusDatabasesOutdated)
	virusKey := serviceorder.StatusKey(tenantA, "42", kaspersky.StatusManyViruses)
	decoy := w.desk.Add(serviceorder.NewOrder{Reference: dbKey + "X"})
	lower := w.desk.Add(serviceorder.NewOrder{Reference: serviceorder.Key(strings.ToLower(string(virusKey)))})
	old := w.desk.Add(serviceorder.NewOrder{Reference: virusKey})
	w.desk.CloseByHand(old, "Closed")
	w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated, kaspersky.StatusManyViruses))
	res := w.cycle()
	wantCounts(t, res, 1, 1, 0, 0, 0, 0)
	if res.Created[0].Key != dbKey || res.Recovered[0].Number != lower {
		t.Fatalf("created %v recovered %v; want the databases order created and order %d (decoy %d) recovered", res.Created, res.Recovered, lower, decoy)
	}
}

// An order a technician closed by hand, or deleted, is released without a close.
func TestScenarioOrderClosedOrDeletedByHand(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableStatus(kaspersky.StatusDatabasesOutdated, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated))
	res := w.cycle()
	w.desk.CloseByHand(res.Created[0].Number, "Done")
	w.devices(tenantA)
	res = w.cycle()
	wantCounts(t, res, 0, 0, 0, 0, 1, 0)
	if o, _ := w.desk.Order(res.Released[0].Number); o.Status != "Done" {
		t.Fatalf("an order closed by hand was changed: %+v", o)
	}
	if n := w.desk.Calls(sot.OpClose); n != 0 {
		t.Fatalf("%d close calls for an order already closed", n)
	}
}

// A close whose answer is lost (applied, then the connection dropped) is not
// repeated: the next cycle sees the order closed.
func TestScenarioCloseAppliedThenDropped(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableStatus(kaspersky.StatusDatabasesOutdated, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated))
	w.cycle()
	w.devices(tenantA)
	w.desk.Inject(sot.OpClose, sot.Fault{Applied: true})
	wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 1)
	wantCounts(t, w.cycle(), 0, 0, 0, 0, 1, 0)
	if n := w.desk.Calls(sot.OpClose); n != 1 {
		t.Fatalf("%d close calls, want 1", n)
	}
}

// Warning ↔ Critical: the order is kept while the new level's rule is on, and
// closed when it is off.
func TestScenarioLevelChange(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableStatus(kaspersky.StatusRTPNotRunning, warnSettings, kaspersky.StatusWarning, kaspersky.StatusCritical)
	w.enableStatus(kaspersky.StatusLicenseExpired, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "1", kaspersky.StatusWarning, kaspersky.StatusRTPNotRunning, kaspersky.StatusLicenseExpired))
	wantCounts(t, w.cycle(), 2, 0, 0, 0, 0, 0)
	w.devices(tenantA, sot.Device(tenantA, "1", kaspersky.StatusCritical, kaspersky.StatusRTPNotRunning, kaspersky.StatusLicenseExpired))
	res := w.cycle()
	wantCounts(t, res, 0, 0, 1, 0, 0, 0)
	if res.Closed[0].Key != serviceorder.StatusKey(tenantA, "1", kaspersky.StatusLicenseExpired) {
		t.Fatalf("closed %v, want the license order (Critical rule off)", res.Closed[0])
	}
	o, _ := w.desk.Order(res.Closed[0].Number)
	if !strings.Contains(o.WorkPerformed, serviceorder.ReasonRuleOff.String()) {
		t.Fatalf("close text does not give the reason: %q", o.WorkPerformed)
	}
}

// A device that disappears, and a rule turned off, close their orders; a tenant
// that could not be read closes nothing.
func TestScenarioDeviceGoneRuleOffUnreadTenant(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableStatus(kaspersky.StatusDatabasesOutdated, warnSettings, kaspersky.StatusWarning)
	w.enableStatus(kaspersky.StatusManyViruses, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "1", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated))
	w.devices(tenantB, sot.Device(tenantB, "2", kaspersky.StatusWarning, kaspersky.StatusManyViruses))
	wantCounts(t, w.cycle(), 2, 0, 0, 0, 0, 0)

	// Tenant A fails to read: its device list is empty but nothing closes.
	w.inputs[tenantA].InventoryOK = false
	w.devices(tenantA)
	wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 0)

	// Read again: the device is gone.
	w.inputs[tenantA].InventoryOK = true
	res := w.cycle()
	wantCounts(t, res, 0, 0, 1, 0, 0, 0)
	o, _ := w.desk.Order(res.Closed[0].Number)
	if !strings.Contains(o.WorkPerformed, serviceorder.ReasonDeviceGone.String()) {
		t.Fatalf("close text: %q", o.WorkPerformed)
	}

	// The many-viruses rule is turned off.
	w.rules = sot.Rules()
	w.enableStatus(kaspersky.StatusDatabasesOutdated, warnSettings, kaspersky.StatusWarning)
	res = w.cycle()
	wantCounts(t, res, 0, 0, 1, 0, 0, 0)
	if res.Closed[0].TenantID != tenantB {
		t.Fatalf("closed %v", res.Closed[0])
	}
}

// One tenant's failure does not stop the others, and its read time does not
// advance.
func TestScenarioTenantFailureIsolated(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableStatus(kaspersky.StatusDatabasesOutdated, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "1", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated))
	w.devices(tenantB, sot.Device(tenantB, "2", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated))
	w.desk.Inject(sot.OpFind, sot.Fault{Err: errors.New("503 Service Unavailable")})
	res := w.cycle()
	wantCounts(t, res, 1, 0, 0, 0, 0, 1)
	if res.Failed[0].TenantID != tenantA || res.Created[0].TenantID != tenantB {
		t.Fatalf("failed %v created %v", res.Failed, res.Created)
	}
	if err := res.Err(); err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), tenantA) {
		t.Fatalf("Result.Err() = %v", err)
	}
	st := w.state()
	if _, ok := st.TenantReads[tenantA]; ok {
		t.Fatal("the failed tenant's read time advanced")
	}
	if !st.TenantReads[tenantB].Equal(t0) {
		t.Fatalf("tenant B read time = %v, want %v", st.TenantReads[tenantB], t0)
	}
	wantCounts(t, w.cycle(), 1, 0, 0, 0, 0, 0)
}
