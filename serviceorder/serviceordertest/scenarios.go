package serviceordertest

import (
	"strings"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// DeskEnv is a [serviceorder.Desk] under test with the controls the seed
// scenarios of [RunDeskScenarios] need. Zero settings take the values of this
// package's fixtures ([Rep], [NewStatus], [ClosedStatus], board 3, priority
// "High", type "Security", accounts 5001 and 5002); a desk over a fake Tigerpaw
// server must know them.
type DeskEnv struct {
	Desk serviceorder.Desk
	// Orders lists every order the desk holds, open or closed. Required.
	Orders func(t *testing.T) []DeskOrder
	// SetLocked locks or unlocks an order as a user opening it in the Tigerpaw
	// UI would. Nil skips the lock scenario.
	SetLocked func(t *testing.T, number int, locked bool)
	// LockBy, when set, locks an order as the user holder opening it in the
	// Tigerpaw UI; SetLocked(number, false) unlocks it. The lock scenario
	// then also checks that the pending close names the holder
	// (OrderRef.LockedBy). Nil locks with SetLocked and checks no holder.
	LockBy func(t *testing.T, number int, holder string)
	// DropNextCreate makes the next create take effect and then fail, like a
	// connection dropped after the server committed. Nil skips that scenario.
	DropNextCreate func(t *testing.T)

	Rep          int
	NewStatus    string
	ClosedStatus string
	Board        int
	Priority     string
	Type         string
	// Accounts are the Tigerpaw account numbers of the two tenants.
	Accounts [2]int
}

func (e *DeskEnv) defaults() {
	if e.Rep == 0 {
		e.Rep = Rep
	}
	if e.NewStatus == "" {
		e.NewStatus = NewStatus
	}
	if e.ClosedStatus == "" {
		e.ClosedStatus = ClosedStatus
	}
	if e.Board == 0 {
		e.Board = 3
	}
	if e.Priority == "" {
		e.Priority = "High"
	}
	if e.Type == "" {
		e.Type = "Security"
	}
	if e.Accounts == [2]int{} {
		e.Accounts = [2]int{5001, 5002}
	}
}

// RunDeskScenarios runs the seed's service order scenarios through a Runner over
// the desk newEnv returns (a new, empty desk each call): an order created with
// the configured settings; a cleared description closed while another remains;
// a locked order closed only after unlock; Office 365 condition orders closed
// when the condition ends while other event orders stay open; no order from a
// disabled rule; a creation delay suppressing a flapping status; and exactly one
// order per key after a dropped create or a lost Store.
func RunDeskScenarios(t *testing.T, newEnv func(t *testing.T) DeskEnv) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, *scenario)
	}{
		{"DatabasesOutOfDate", scenarioDatabasesOutOfDate},
		{"ClearedWhileOtherRemains", scenarioClearedWhileOtherRemains},
		{"LockedClosedAfterUnlock", scenarioLocked},
		{"Office365Conditions", scenarioOffice365},
		{"DisabledRuleCreatesNothing", scenarioDisabled},
		{"CreationDelay", scenarioDelay},
		{"CreateDropped", scenarioCreateDropped},
		{"StoreWiped", scenarioStoreWiped},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newEnv(t)
			env.defaults()
			tc.fn(t, newScenario(t, env))
		})
	}
}

const (
	scenarioTenantA = "vs-acme"
	scenarioTenantB = "co-bolt"
)

var scenarioStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// scenario is one run: a desk, a store, a clock, the rules and what the consoles
// report.
type scenario struct {
	t      *testing.T
	env    DeskEnv
	store  serviceorder.Store
	clock  *Clock
	runner *serviceorder.Runner
	rules  serviceorder.Rules
	inputs [2]serviceorder.TenantInput
}

func newScenario(t *testing.T, env DeskEnv) *scenario {
	s := &scenario{t: t, env: env, store: serviceorder.NewMemoryStore(), clock: NewClock(scenarioStart)}
	s.rules = serviceorder.DefaultRules()
	s.rules.General = serviceorder.General{Rep: env.Rep, NewStatus: env.NewStatus, ClosedStatus: env.ClosedStatus}
	s.inputs[0] = serviceorder.TenantInput{Tenant: kaspersky.Tenant{ID: scenarioTenantA, Name: "Acme Ltd", Kind: kaspersky.KindVirtualServer}, InventoryOK: true}
	s.inputs[1] = serviceorder.TenantInput{Tenant: kaspersky.Tenant{ID: scenarioTenantB, Name: "Bolt GmbH", Kind: kaspersky.KindCompany}, InventoryOK: true}
	s.newRunner()
	return s
}

func (s *scenario) newRunner() {
	s.t.Helper()
	r, err := serviceorder.NewRunner(s.env.Desk, s.store, serviceorder.WithClock(s.clock.Now))
	if err != nil {
		s.t.Fatal(err)
	}
	s.runner = r
}

func (s *scenario) settings() serviceorder.OrderSettings {
	return serviceorder.OrderSettings{Enabled: true, Board: s.env.Board, Priority: s.env.Priority, Type: s.env.Type}
}

func (s *scenario) enableStatus(code kaspersky.StatusCode, levels ...kaspersky.StatusLevel) {
	for i := range s.rules.Statuses {
		for _, l := range levels {
			if s.rules.Statuses[i].ID == (serviceorder.StatusRuleID{Level: l, Code: code}) {
				s.rules.Statuses[i].OrderSettings = s.settings()
			}
		}
	}
}

func (s *scenario) enableEvent(id serviceorder.EventRuleID) {
	for i := range s.rules.Events {
		if s.rules.Events[i].ID == id {
			s.rules.Events[i].OrderSettings = s.settings()
		}
	}
}

func (s *scenario) cycle() serviceorder.Result {
	s.t.Helper()
	c := serviceorder.Cycle{Rules: s.rules, Accounts: serviceorder.Accounts{scenarioTenantA: s.env.Accounts[0], scenarioTenantB: s.env.Accounts[1]}}
	for i := range s.inputs {
		in := s.inputs[i]
		in.ReadAt = s.clock.Now()
		c.Tenants = append(c.Tenants, in)
		s.inputs[i].Events = nil
	}
	res, err := s.runner.Run(s.t.Context(), c)
	if err != nil {
		s.t.Fatalf("Run: %v", err)
	}
	s.clock.Advance(5 * time.Minute)
	return res
}

func (s *scenario) want(res serviceorder.Result, created, recovered, closed, pending int) {
	s.t.Helper()
	if len(res.Created) != created || len(res.Recovered) != recovered || len(res.Closed) != closed || len(res.Pending) != pending || len(res.Failed) != 0 {
		s.t.Fatalf("cycle: created %d recovered %d closed %d pending %d failed %v; want %d %d %d %d and no failure",
			len(res.Created), len(res.Recovered), len(res.Closed), len(res.Pending), res.Failed, created, recovered, closed, pending)
	}
}

// byKey returns the desk's orders with the key, open and closed.
func (s *scenario) byKey(k serviceorder.Key) (open, closed []DeskOrder) {
	for _, o := range s.env.Orders(s.t) {
		if strings.EqualFold(string(o.Reference), string(k)) {
			if o.Closed || strings.EqualFold(o.Status, s.env.ClosedStatus) {
				closed = append(closed, o)
			} else {
				open = append(open, o)
			}
		}
	}
	return open, closed
}

func (s *scenario) onePerKey(keys ...serviceorder.Key) {
	s.t.Helper()
	for _, k := range keys {
		open, closed := s.byKey(k)
		if len(open)+len(closed) != 1 {
			s.t.Errorf("key %s: %d open and %d closed orders, want exactly one", k, len(open), len(closed))
		}
	}
}

func scenarioDatabasesOutOfDate(t *testing.T, s *scenario) {
	s.enableStatus(kaspersky.StatusDatabasesOutdated, kaspersky.StatusWarning)
	s.inputs[0].Devices = []kaspersky.Device{Device(scenarioTenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated)}
	s.want(s.cycle(), 1, 0, 0, 0)
	k := serviceorder.StatusKey(scenarioTenantA, "42", kaspersky.StatusDatabasesOutdated)
	open, _ := s.byKey(k)
	if len(open) != 1 {
		t.Fatalf("%d open orders with key %s, want 1", len(open), k)
	}
	o := open[0]
	if o.Account != s.env.Accounts[0] || o.Rep != s.env.Rep || !strings.EqualFold(o.Status, s.env.NewStatus) || o.Board != s.env.Board ||
		!strings.EqualFold(o.Priority, s.env.Priority) || !strings.EqualFold(o.Type, s.env.Type) || !strings.Contains(o.Brief, "Databases are out of date") {
		t.Fatalf("created order %+v does not carry the configured settings", o)
	}
	s.want(s.cycle(), 0, 0, 0, 0)
	s.onePerKey(k)
}

func scenarioClearedWhileOtherRemains(t *testing.T, s *scenario) {
	s.enableStatus(kaspersky.StatusDatabasesOutdated, kaspersky.StatusWarning)
	s.enableStatus(kaspersky.StatusManyViruses, kaspersky.StatusWarning)
	s.inputs[0].Devices = []kaspersky.Device{Device(scenarioTenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated, kaspersky.StatusManyViruses)}
	s.want(s.cycle(), 2, 0, 0, 0)
	s.inputs[0].Devices = []kaspersky.Device{Device(scenarioTenantA, "42", kaspersky.StatusWarning, kaspersky.StatusManyViruses)}
	s.want(s.cycle(), 0, 0, 1, 0)
	db := serviceorder.StatusKey(scenarioTenantA, "42", kaspersky.StatusDatabasesOutdated)
	virus := serviceorder.StatusKey(scenarioTenantA, "42", kaspersky.StatusManyViruses)
	if open, closed := s.byKey(db); len(open) != 0 || len(closed) != 1 || !strings.EqualFold(closed[0].Status, s.env.ClosedStatus) {
		t.Fatalf("databases order: open %+v closed %+v; want it closed with status %q", open, closed, s.env.ClosedStatus)
	}
	if open, _ := s.byKey(virus); len(open) != 1 {
		t.Fatalf("many-viruses order: %d open, want 1", len(open))
	}
}

func scenarioLocked(t *testing.T, s *scenario) {
	if s.env.SetLocked == nil {
		t.Skip("the desk offers no lock control")
	}
	s.enableStatus(kaspersky.StatusDatabasesOutdated, kaspersky.StatusWarning)
	s.inputs[0].Devices = []kaspersky.Device{Device(scenarioTenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated)}
	res := s.cycle()
	s.want(res, 1, 0, 0, 0)
	number := res.Created[0].Number
	const holder = "Pat Scenario"
	if s.env.LockBy != nil {
		s.env.LockBy(t, number, holder)
	} else {
		s.env.SetLocked(t, number, true)
	}
	s.inputs[0].Devices = nil
	for range 2 {
		res := s.cycle()
		s.want(res, 0, 0, 0, 1)
		if s.env.LockBy != nil && res.Pending[0].LockedBy != holder {
			t.Errorf("the pending close names the lock holder %q, want %q", res.Pending[0].LockedBy, holder)
		}
	}
	k := res.Created[0].Key
	if open, _ := s.byKey(k); len(open) != 1 {
		t.Fatal("a locked order was closed")
	}
	s.env.SetLocked(t, number, false)
	s.want(s.cycle(), 0, 0, 1, 0)
	if open, closed := s.byKey(k); len(open) != 0 || len(closed) != 1 {
		t.Fatalf("after unlock: open %+v closed %+v", open, closed)
	}
}

func scenarioOffice365(t *testing.T, s *scenario) {
	for _, typ := range []kaspersky.Office365EventType{kaspersky.O365MailboxesNotProtected, kaspersky.O365LicenseIssue, kaspersky.O365Malware} {
		s.enableEvent(serviceorder.EventRuleID{Origin: kaspersky.OriginOffice365, O365Type: typ})
	}
	ev := func(id string, typ kaspersky.Office365EventType, active bool) kaspersky.Event {
		return kaspersky.Event{ID: id, Origin: kaspersky.OriginOffice365, O365Type: typ, Active: active, Time: s.clock.Now().Add(-time.Minute)}
	}
	s.inputs[1].Office365 = &kaspersky.Office365Status{MailboxesProtected: false, LicenseOK: false}
	s.inputs[1].Events = []kaspersky.Event{ev("m1", kaspersky.O365MailboxesNotProtected, true), ev("l1", kaspersky.O365LicenseIssue, true), ev("x1", kaspersky.O365Malware, true)}
	s.want(s.cycle(), 3, 0, 0, 0)
	s.inputs[1].Office365 = &kaspersky.Office365Status{MailboxesProtected: true, LicenseOK: false}
	s.want(s.cycle(), 0, 0, 1, 0)
	s.inputs[1].Office365 = nil
	s.inputs[1].Events = []kaspersky.Event{ev("l2", kaspersky.O365LicenseIssue, false)}
	s.want(s.cycle(), 0, 0, 1, 0)
	for _, k := range []serviceorder.Key{serviceorder.ConditionKey(scenarioTenantB, kaspersky.O365MailboxesNotProtected), serviceorder.ConditionKey(scenarioTenantB, kaspersky.O365LicenseIssue)} {
		if open, closed := s.byKey(k); len(open) != 0 || len(closed) != 1 {
			t.Fatalf("condition order %s: open %d closed %d, want it closed", k, len(open), len(closed))
		}
	}
	if open, _ := s.byKey(serviceorder.EventKey(scenarioTenantB, kaspersky.OriginOffice365, "x1")); len(open) != 1 {
		t.Fatal("the malware order was closed; only condition orders close automatically")
	}
}

func scenarioDisabled(t *testing.T, s *scenario) {
	var all []kaspersky.StatusCode
	for _, d := range kaspersky.KnownStatuses {
		all = append(all, d.Code)
	}
	s.inputs[0].Devices = []kaspersky.Device{Device(scenarioTenantA, "1", kaspersky.StatusCritical, all...)}
	s.inputs[0].Events = []kaspersky.Event{{ID: "e1", Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical, Time: s.clock.Now()}}
	s.want(s.cycle(), 0, 0, 0, 0)
	if n := len(s.env.Orders(t)); n != 0 {
		t.Fatalf("disabled rules made %d orders", n)
	}
}

func scenarioDelay(t *testing.T, s *scenario) {
	s.rules.CreationDelay = 10 * time.Minute
	s.enableStatus(kaspersky.StatusRTPNotRunning, kaspersky.StatusCritical)
	on := []kaspersky.Device{Device(scenarioTenantA, "7", kaspersky.StatusCritical, kaspersky.StatusRTPNotRunning)}
	for i := range 4 {
		s.inputs[0].Devices = nil
		if i%2 == 0 {
			s.inputs[0].Devices = on
		}
		s.want(s.cycle(), 0, 0, 0, 0)
	}
	s.inputs[0].Devices = on
	s.want(s.cycle(), 0, 0, 0, 0)
	s.want(s.cycle(), 0, 0, 0, 0)
	s.want(s.cycle(), 1, 0, 0, 0)
}

func scenarioCreateDropped(t *testing.T, s *scenario) {
	if s.env.DropNextCreate == nil {
		t.Skip("the desk cannot drop a create")
	}
	s.enableStatus(kaspersky.StatusDatabasesOutdated, kaspersky.StatusWarning)
	s.inputs[0].Devices = []kaspersky.Device{Device(scenarioTenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated)}
	s.env.DropNextCreate(t)
	if res := s.cycle(); len(res.Failed) != 1 {
		t.Fatalf("the dropped create was not reported: %+v", res)
	}
	s.want(s.cycle(), 0, 1, 0, 0)
	s.want(s.cycle(), 0, 0, 0, 0)
	s.onePerKey(serviceorder.StatusKey(scenarioTenantA, "42", kaspersky.StatusDatabasesOutdated))
}

func scenarioStoreWiped(t *testing.T, s *scenario) {
	s.enableStatus(kaspersky.StatusDatabasesOutdated, kaspersky.StatusWarning)
	s.enableEvent(serviceorder.EventRuleID{Origin: kaspersky.OriginKESCloud, Severity: kaspersky.SeverityCritical})
	s.inputs[0].Devices = []kaspersky.Device{Device(scenarioTenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated)}
	evs := []kaspersky.Event{{ID: "k1", Origin: kaspersky.OriginKESCloud, Severity: kaspersky.SeverityCritical, Time: s.clock.Now(), TypeName: "Threat detected"}}
	s.inputs[1].Events = evs
	s.want(s.cycle(), 2, 0, 0, 0)
	s.store = serviceorder.NewMemoryStore()
	s.newRunner()
	s.inputs[1].Events = evs
	s.want(s.cycle(), 0, 2, 0, 0)
	keys := []serviceorder.Key{
		serviceorder.StatusKey(scenarioTenantA, "42", kaspersky.StatusDatabasesOutdated),
		serviceorder.EventKey(scenarioTenantB, kaspersky.OriginKESCloud, "k1"),
	}
	s.onePerKey(keys...)
	s.inputs[0].Devices = nil
	s.want(s.cycle(), 0, 0, 1, 0)
	s.onePerKey(keys...)
}
