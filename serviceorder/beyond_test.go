package serviceorder_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	sot "github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

var kscCritical = serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical}

// setEvent sets the grouping and reopen window of an enabled event rule.
func (w *world) setGrouping(id serviceorder.EventRuleID, g serviceorder.Grouping, reopenHours int) {
	for i := range w.rules.Events {
		if w.rules.Events[i].ID == id {
			w.rules.Events[i].Grouping, w.rules.Events[i].ReopenHours = g, reopenHours
			return
		}
	}
	w.t.Fatalf("no event rule %v", id)
}

// detections returns n detections of the same type on device dev of tenant,
// spread over the minute before the clock's time, with ids from base.
func detections(w *world, tenant, dev string, base, n int) []kaspersky.Event {
	now := w.clock.Now()
	out := make([]kaspersky.Event, n)
	for i := range out {
		out[i] = kaspersky.Event{
			ID: fmt.Sprintf("ev-%s-%d", dev, base+i), TenantID: tenant, Origin: kaspersky.OriginKSC,
			Type: "GNRL_EV_VIRUS_FOUND", TypeName: "Virus found", Severity: kaspersky.SeverityCritical,
			DeviceID: dev, DeviceName: "PC-" + dev, Time: now.Add(-time.Minute + time.Duration(i)*time.Millisecond),
		}
	}
	return out
}

func ordersOf(w *world, k serviceorder.Key) []sot.DeskOrder {
	var out []sot.DeskOrder
	for _, o := range w.desk.Orders() {
		if o.Reference == k {
			out = append(out, o)
		}
	}
	return out
}

// One device reports the same detection 500 times over 5 cycles: under a
// grouped rule, one order stays open with a note per later cycle.
func TestGroupedRepeatsOneOrder(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableEvent(kscCritical, warnSettings, 1)
	w.setGrouping(kscCritical, serviceorder.GroupDevice, 0)
	key := serviceorder.GroupKey(tenantA, kaspersky.OriginKSC, "d1", "GNRL_EV_VIRUS_FOUND")
	for c := range 5 {
		w.events(tenantA, detections(w, tenantA, "d1", c*100, 100)...)
		res := w.cycle()
		if len(res.Failed) != 0 {
			t.Fatalf("cycle %d: %v", c, res.Err())
		}
		if c == 0 && len(res.Created) != 1 || c > 0 && (len(res.Created) != 0 || len(res.Noted) != 1) {
			t.Fatalf("cycle %d: created %d, noted %d", c, len(res.Created), len(res.Noted))
		}
	}
	orders := w.desk.Orders()
	if len(orders) != 1 || orders[0].Closed || orders[0].Reference != key {
		t.Fatalf("orders = %+v, want one open order with key %s", orders, key)
	}
	if n := len(orders[0].Notes); n == 0 || n > 5 {
		t.Fatalf("%d notes, want 1 to 5", n)
	}
	if !strings.Contains(orders[0].Work, "Repeats: 100") || !strings.Contains(orders[0].Notes[0].Text, "Repeated 100 times") {
		t.Fatalf("texts do not count the repeats:\n%s\n%s", orders[0].Work, orders[0].Notes[0].Text)
	}
	// Events read again (the next cycle's overlap) add no note.
	w.events(tenantA, detections(w, tenantA, "d1", 400, 100)...)
	w.clock.Advance(-5 * time.Minute)
	res := w.cycle()
	if len(res.Noted)+len(res.Created) != 0 {
		t.Fatalf("events read again: noted %d created %d", len(res.Noted), len(res.Created))
	}
}

// The same world under "each event" opens at most the flood limit plus one
// summary per cycle; the summary's events never open orders later.
func TestFloodGuardEachEvent(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableEvent(kscCritical, warnSettings, 1)
	limit := w.rules.Flood()
	var all []kaspersky.Event
	for c := range 5 {
		evs := detections(w, tenantA, "d1", c*100, 100)
		all = append(all, evs...)
		w.events(tenantA, evs...)
		res := w.cycle()
		if len(res.Created) > limit+1 {
			t.Fatalf("cycle %d opened %d orders, limit %d", c, len(res.Created), limit)
		}
		if len(res.Created) != limit+1 || len(res.Summaries) != 1 || res.Suppressed != 100-limit {
			t.Fatalf("cycle %d: created %d, summaries %d, suppressed %d", c, len(res.Created), len(res.Summaries), res.Suppressed)
		}
	}
	if n := len(w.desk.Orders()); n != 5*(limit+1) {
		t.Fatalf("%d orders, want %d", n, 5*(limit+1))
	}
	// Everything read again opens nothing.
	w.events(tenantA, all...)
	w.clock.Advance(-5 * time.Minute)
	if res := w.cycle(); len(res.Created)+len(res.Summaries) != 0 {
		t.Fatalf("events read again: created %d", len(res.Created))
	}
	sum := w.desk.Orders()[limit]
	if !strings.Contains(sum.Work, fmt.Sprintf("%d x Virus found on PC-d1", 100-limit)) {
		t.Fatalf("summary text:\n%s", sum.Work)
	}
}

// A crash after the flood guard's intent was recorded: the retry finds the
// same summary, and nothing is opened twice.
func TestFloodGuardRetry(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableEvent(kscCritical, warnSettings, 1)
	w.rules.FloodLimit = 3
	evs := detections(w, tenantA, "d1", 0, 10)
	w.events(tenantA, evs...)
	w.desk.Inject(sot.OpCreate, sot.Fault{}, sot.Fault{Applied: true}, sot.Fault{}, sot.Fault{Applied: true})
	res := w.cycle()
	if len(res.Failed) == 0 {
		t.Fatal("no failure injected")
	}
	w.events(tenantA, evs...)
	res = w.cycle()
	if len(res.Failed) != 0 {
		t.Fatal(res.Err())
	}
	if n := len(w.desk.Orders()); n != 4 {
		t.Fatalf("%d orders, want 3 + 1 summary", n)
	}
	for _, o := range w.desk.Orders() {
		if len(ordersOf(w, o.Reference)) != 1 {
			t.Fatalf("duplicate %s", o.Reference)
		}
	}
}

// A closed grouped order is set back to New with a note when a repeat comes
// within the reopen window, and replaced by a new order after it.
func TestGroupedReopenWindow(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.desk.SetClock(w.clock.Now)
	w.enableEvent(kscCritical, warnSettings, 1)
	w.setGrouping(kscCritical, serviceorder.GroupDevice, 2)
	key := serviceorder.GroupKey(tenantA, kaspersky.OriginKSC, "d1", "GNRL_EV_VIRUS_FOUND")
	w.events(tenantA, detections(w, tenantA, "d1", 0, 3)...)
	w.cycle()
	first := ordersOf(w, key)[0]
	w.desk.CloseByHand(first.Number, sot.ClosedStatus)
	w.clock.Advance(time.Hour)
	w.events(tenantA, detections(w, tenantA, "d1", 10, 2)...)
	res := w.cycle()
	if len(res.Reopened) != 1 || len(res.Created) != 0 {
		t.Fatalf("within the window: reopened %d created %d (%v)", len(res.Reopened), len(res.Created), res.Err())
	}
	o, _ := w.desk.Order(first.Number)
	if o.Closed || o.Status != sot.NewStatus || len(o.Notes) != 1 || !strings.Contains(o.Notes[0].Text, "set back") {
		t.Fatalf("reopened order: %+v", o)
	}
	w.desk.CloseByHand(first.Number, sot.ClosedStatus)
	w.clock.Advance(3 * time.Hour)
	w.events(tenantA, detections(w, tenantA, "d1", 20, 1)...)
	res = w.cycle()
	if len(res.Reopened) != 0 || len(res.Created) != 1 {
		t.Fatalf("after the window: reopened %d created %d", len(res.Reopened), len(res.Created))
	}
	if all := ordersOf(w, key); len(all) != 2 || !all[0].Closed || all[1].Closed {
		t.Fatalf("orders with the key: %+v", all)
	}
}

// Without a reopen window a repeat after the close opens a new order.
func TestGroupedClosedNoWindow(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableEvent(kscCritical, warnSettings, 1)
	w.setGrouping(kscCritical, serviceorder.GroupDevice, 0)
	w.events(tenantA, detections(w, tenantA, "d1", 0, 1)...)
	first := w.cycle().Created[0]
	w.desk.CloseByHand(first.Number, sot.ClosedStatus)
	w.events(tenantA, detections(w, tenantA, "d1", 1, 1)...)
	if res := w.cycle(); len(res.Created) != 1 || len(res.Reopened) != 0 {
		t.Fatalf("created %d reopened %d", len(res.Created), len(res.Reopened))
	}
}

// A note whose outcome is unknown (applied, then the connection dropped) is
// not added again: the next cycle reads the notes back.
func TestGroupedNoteAppliedThenDropped(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableEvent(kscCritical, warnSettings, 1)
	w.setGrouping(kscCritical, serviceorder.GroupDevice, 0)
	w.events(tenantA, detections(w, tenantA, "d1", 0, 2)...)
	n := w.cycle().Created[0].Number
	repeat := detections(w, tenantA, "d1", 10, 4)
	w.events(tenantA, repeat...)
	w.desk.Inject(sot.OpAddNote, sot.Fault{Applied: true})
	if res := w.cycle(); len(res.Failed) != 1 {
		t.Fatalf("failures %v", res.Failed)
	}
	// The tenant's events are read again from its last read time.
	w.events(tenantA, repeat...)
	if res := w.cycle(); len(res.Noted) != 0 || len(res.Failed) != 0 {
		t.Fatalf("retry: noted %d, failed %v", len(res.Noted), res.Failed)
	}
	if o, _ := w.desk.Order(n); len(o.Notes) != 1 {
		t.Fatalf("%d notes, want 1", len(o.Notes))
	}
	if w.desk.Calls(sot.OpNotes) == 0 {
		t.Fatal("the notes were not read back")
	}
}

// With the Store lost, events read again find the order by reference and
// its notes' markers: no note twice, no second order.
func TestGroupedLostStore(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableEvent(kscCritical, warnSettings, 1)
	w.setGrouping(kscCritical, serviceorder.GroupDevice, 0)
	var seen []kaspersky.Event
	for c := range 3 {
		evs := detections(w, tenantA, "d1", c*10, 10)
		seen = append(seen, evs...)
		w.events(tenantA, evs...)
		w.cycle()
	}
	w.store = serviceorder.NewMemoryStore()
	w.newRunner()
	w.events(tenantA, seen...)
	res := w.cycle()
	if len(res.Created)+len(res.Noted) != 0 {
		t.Fatalf("after a lost store: created %d noted %d", len(res.Created), len(res.Noted))
	}
	more := detections(w, tenantA, "d1", 100, 5)
	w.events(tenantA, append(seen, more...)...)
	res = w.cycle()
	o := w.desk.Orders()
	if len(o) != 1 || len(res.Noted) != 1 || len(o[0].Notes) != 3 || !strings.Contains(o[0].Notes[2].Text, "Repeated 5 times") {
		t.Fatalf("orders %d, noted %d, notes %+v", len(o), len(res.Noted), o[0].Notes)
	}
}

func (w *world) licenses(tenant string, ls ...kaspersky.License) { w.inputs[tenant].Licenses = ls }

func (w *world) enableLicense(sol kaspersky.TenantKind, c serviceorder.LicenseCondition, days int) {
	for i := range w.rules.Licenses {
		if w.rules.Licenses[i].ID == (serviceorder.LicenseRuleID{Solution: sol, Condition: c}) {
			w.rules.Licenses[i].OrderSettings = warnSettings
			w.rules.Licenses[i].Enabled = true
			w.rules.Licenses[i].Days = days
			return
		}
	}
	w.t.Fatalf("no license rule %v %v", sol, c)
}

// A key expiring in 20 days opens one order under a 30-day rule; renewing it
// closes the order. Trials and expired keys not in use open nothing.
func TestLicenseExpiring(t *testing.T) {
	t.Parallel()
	for _, kind := range []kaspersky.TenantKind{kaspersky.KindVirtualServer, kaspersky.KindCompany} {
		t.Run(kind.String(), func(t *testing.T) {
			w := newWorld(t)
			tenant := tenantA
			if kind == kaspersky.KindCompany {
				tenant = tenantB
			}
			w.enableLicense(kind, serviceorder.LicenseExpiring, 30)
			now := w.clock.Now()
			key := kaspersky.License{ID: "K-1", Type: kaspersky.KeyCommercial, Expires: now.AddDate(0, 0, 20), Capacity: 10, ActiveDevices: []string{"a", "b"}}
			trial := kaspersky.License{ID: "T-1", Type: kaspersky.KeyTrial, Expires: now.AddDate(0, 0, 5), ActiveDevices: []string{"a"}}
			unused := kaspersky.License{ID: "X-1", Type: kaspersky.KeyCommercial, Expires: now.AddDate(0, 0, -5), ReserveDevices: []string{"a"}}
			w.licenses(tenant, key, trial, unused)
			res := w.cycle()
			if len(res.Created) != 1 || res.Created[0].Key != serviceorder.LicenseKey(tenant, "K-1", serviceorder.LicenseExpiring) {
				t.Fatalf("created %+v", res.Created)
			}
			if res := w.cycle(); len(res.Created)+len(res.Closed) != 0 {
				t.Fatalf("second cycle: created %d closed %d", len(res.Created), len(res.Closed))
			}
			// An unread inventory closes nothing.
			w.inputs[tenant].InventoryOK = false
			w.licenses(tenant)
			if res := w.cycle(); len(res.Closed) != 0 {
				t.Fatal("closed on an unread inventory")
			}
			w.inputs[tenant].InventoryOK = true
			key.Expires = now.AddDate(1, 0, 0)
			w.licenses(tenant, key, trial, unused)
			res = w.cycle()
			if len(res.Closed) != 1 || len(w.desk.Open()) != 0 {
				t.Fatalf("after renewal: closed %d, open %d", len(res.Closed), len(w.desk.Open()))
			}
			if !strings.Contains(w.desk.Orders()[0].WorkPerformed, "renewed") {
				t.Fatalf("close text: %q", w.desk.Orders()[0].WorkPerformed)
			}
		})
	}
}

// A license used by more devices than it allows opens one order, closed when
// usage falls back.
func TestLicenseOverused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.enableLicense(kaspersky.KindCompany, serviceorder.LicenseOverused, 0)
	l := kaspersky.License{ID: "L-9", Type: kaspersky.KeySubscription, Capacity: 2, Users: []string{"u1", "u2", "u3"}}
	w.licenses(tenantB, l)
	if res := w.cycle(); len(res.Created) != 1 {
		t.Fatalf("created %d", len(res.Created))
	}
	w.cycle()
	l.Users = l.Users[:2]
	w.licenses(tenantB, l)
	if res := w.cycle(); len(res.Closed) != 1 {
		t.Fatalf("closed %d", len(res.Closed))
	}
	if n := len(w.desk.Orders()); n != 1 {
		t.Fatalf("%d orders", n)
	}
}

// Rules saved before this release (no grouping, reopen window, flood limit or
// license rows) keep today's behaviour; DefaultRules has the license rows.
func TestRulesNewFieldsDefaults(t *testing.T) {
	t.Parallel()
	old := []byte(`{"general":{"rep":7,"newStatus":"New","closedStatus":"Closed"},"events":[{"id":{"origin":1,"severity":4},"enabled":true,"priority":"High","lifetimeDays":1}],"statuses":[]}`)
	var r serviceorder.Rules
	if err := json.Unmarshal(old, &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if r.Flood() != serviceorder.DefaultFloodLimit || r.Events[0].Grouped() || r.Events[0].ReopenWindow() != 0 || len(r.Licenses) != 0 {
		t.Fatalf("defaults of an old rules file: %+v", r)
	}
	d := serviceorder.DefaultRules()
	if len(d.Licenses) != 4 || d.FloodLimit != serviceorder.DefaultFloodLimit {
		t.Fatalf("DefaultRules: %+v", d.Licenses)
	}
	for _, l := range d.Licenses {
		if l.Enabled {
			t.Fatalf("license rule %v on by default", l.ID)
		}
	}
	b, _ := json.Marshal(d.Licenses[0])
	if !strings.Contains(string(b), `"solution":1`) || !strings.Contains(string(b), `"condition":"expiring"`) || !strings.Contains(string(b), `"days":30`) {
		t.Fatalf("license rule JSON: %s", b)
	}
}

func TestRulesValidateNewFields(t *testing.T) {
	t.Parallel()
	r := sot.Rules()
	r.FloodLimit = -1
	r.Events[0].ReopenHours = 5 // without grouping
	r.Events[1].Grouping = "sometimes"
	r.Events[2].Grouping, r.Events[2].ReopenHours = serviceorder.GroupDevice, serviceorder.MaxReopenHours+1
	r.Licenses[0].Days = serviceorder.MaxLicenseDays + 1
	r.Licenses[1].Days = 3
	r.Licenses = append(r.Licenses, serviceorder.LicenseRule{ID: serviceorder.LicenseRuleID{Solution: 9, Condition: "never"}})
	err := r.Validate()
	var ve *serviceorder.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate: %v", err)
	}
	fields := map[string]int{}
	for _, p := range ve.Problems {
		fields[p.Field]++
	}
	want := map[string]int{"flood limit": 1, "reopen window": 2, "grouping": 1, "days": 2, "rule": 1}
	for f, n := range want {
		if fields[f] != n {
			t.Errorf("field %q: %d problems, want %d (%v)", f, fields[f], n, err)
		}
	}
}

// The editor edits the new fields in bulk and resets the license sections.
func TestEditorNewFields(t *testing.T) {
	t.Parallel()
	e := serviceorder.NewEditor(sot.Rules(), sot.Lookups(), nil)
	g, h := serviceorder.GroupDevice, 4
	if err := e.EditEvents([]serviceorder.EventRuleID{kscCritical}, serviceorder.EventEdit{Grouping: &g, ReopenHours: &h}); err != nil {
		t.Fatal(err)
	}
	on, days, prio := true, 14, "High"
	ids := []serviceorder.LicenseRuleID{{Solution: kaspersky.KindVirtualServer, Condition: serviceorder.LicenseExpiring}, {Solution: kaspersky.KindVirtualServer, Condition: serviceorder.LicenseOverused}}
	if err := e.EditLicenses(ids, serviceorder.LicenseEdit{Enabled: &on, Days: &days, Priority: &prio}); err != nil {
		t.Fatal(err)
	}
	e.SetFloodLimit(40)
	saved, err := e.Save(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := saved.Event(kscCritical)
	exp, _ := saved.License(ids[0])
	over, _ := saved.License(ids[1])
	if !ev.Grouped() || ev.ReopenHours != 4 || !exp.Enabled || exp.Days != 14 || over.Days != 0 || saved.FloodLimit != 40 {
		t.Fatalf("saved: %+v %+v %+v %d", ev, exp, over, saved.FloodLimit)
	}
	e.ResetToDefaults(serviceorder.SectionKSCLicenses)
	if l, _ := e.Draft().License(ids[0]); l.Enabled || l.Days != serviceorder.DefaultLicenseDays {
		t.Fatalf("reset: %+v", l)
	}
	if !e.Dirty() {
		t.Fatal("reset license section not dirty")
	}
}
