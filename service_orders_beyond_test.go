package kasperskytigerpaw

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hubtest"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksctest"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// These tests run the real ServiceOrderJob over the KSC and Business Hub
// fakes against the Tigerpaw fake for what the original integration did not
// do: one order for a repeating problem, the flood guard, license orders.

// enableLicenseRule turns a license rule on with the settings of the other
// rules of the world.
func enableLicenseRule(t *testing.T, r *serviceorder.Rules, sol kaspersky.TenantKind, c serviceorder.LicenseCondition, days int) {
	t.Helper()
	var on serviceorder.OrderSettings
	for _, s := range r.Statuses {
		if s.Enabled {
			on = s.OrderSettings
			break
		}
	}
	for i := range r.Licenses {
		if r.Licenses[i].ID == (serviceorder.LicenseRuleID{Solution: sol, Condition: c}) {
			r.Licenses[i].OrderSettings, r.Licenses[i].Days = on, days
			return
		}
	}
	t.Fatalf("no license rule %v %v", sol, c)
}

// scaleOrders runs one service order cycle of the scale world and moves its
// clock 30 minutes on.
func (w *scaleWorld) scaleOrders(t *testing.T, j *scaleJobs) serviceorder.Result {
	t.Helper()
	j.source.Forget()
	res, err := j.orders.Run(t.Context(), w.cfg, w.rules)
	if err != nil {
		t.Fatalf("service order cycle: %v", err)
	}
	if len(res.Failed) != 0 {
		t.Fatalf("failures: %v", res.Err())
	}
	w.advance(30 * time.Minute)
	return res
}

// ordersWithRef returns the Tigerpaw orders whose reference is k.
func ordersWithRef(tp *tigerpawtest.Server, k serviceorder.Key) []tigerpawtest.ServiceOrder {
	var out []tigerpawtest.ServiceOrder
	for _, so := range tp.Snapshot().ServiceOrders {
		if so.Reference == string(k) {
			out = append(out, so)
		}
	}
	return out
}

// addDetections adds n detections of one type on host d of tenant 0.
func (w *scaleWorld) addDetections(base, n int) {
	now := w.clock()
	for i := range n {
		w.ksc.AddEvent(scaleVS(0), ksctest.Event{ID: int64(500000 + base + i), Type: "GNRL_EV_VIRUS_FOUND", TypeName: "Virus found",
			RiseTime: now.Add(-10*time.Minute + time.Duration(i)*time.Second), Hostname: scaleHost(0, 1), HostDN: "WS-" + scaleHost(0, 1),
			Severity: 4, Description: "EICAR test file detected", ProductName: "KES"})
	}
}

// One device reports the same detection 500 times over 5 cycles: grouped,
// one open order with at most 5 notes; each event, no cycle opens more than
// the flood limit plus one summary.
func TestServiceOrdersRepeatsAndFloodOverKSC(t *testing.T) {
	t.Parallel()
	for _, grouped := range []bool{true, false} {
		t.Run(fmt.Sprintf("grouped=%v", grouped), func(t *testing.T) {
			t.Parallel()
			w := newScaleWorld(t, 1, 4)
			if grouped {
				for i := range w.rules.Events {
					if w.rules.Events[i].Enabled {
						w.rules.Events[i].Grouping = serviceorder.GroupDevice
					}
				}
			}
			j := w.jobs(t, serviceorder.NewMemoryStore(), 1)
			w.scaleOrders(t, j) // the seeded event
			base := len(w.tp.Snapshot().ServiceOrders)
			limit := w.rules.Flood()
			for c := range 5 {
				w.addDetections(c*100, 100)
				res := w.scaleOrders(t, j)
				if len(res.Created) > limit+1 {
					t.Fatalf("cycle %d opened %d orders", c, len(res.Created))
				}
				if !grouped && (len(res.Created) != limit+1 || len(res.Summaries) != 1 || res.Suppressed != 100-limit) {
					t.Fatalf("cycle %d: created %d summaries %d suppressed %d", c, len(res.Created), len(res.Summaries), res.Suppressed)
				}
			}
			orders := w.tp.Snapshot().ServiceOrders[base:]
			if !grouped {
				if len(orders) != 5*(limit+1) {
					t.Fatalf("%d orders, want %d", len(orders), 5*(limit+1))
				}
				return
			}
			key := serviceorder.GroupKey(scaleTenantID(0), kaspersky.OriginKSC, scaleHost(0, 1), "GNRL_EV_VIRUS_FOUND")
			got := ordersWithRef(w.tp, key)
			if len(orders) != 1 || len(got) != 1 || got[0].Status != "New" {
				t.Fatalf("%d new orders, %d with the group key", len(orders), len(got))
			}
			if n := len(got[0].Notes); n == 0 || n > 5 {
				t.Fatalf("%d notes", n)
			}
			if !strings.Contains(got[0].Notes[0].Note, "Repeated 100 times") {
				t.Fatalf("note: %q", got[0].Notes[0].Note)
			}
		})
	}
}

// A KSC key expiring in 20 days opens one order under a 30-day rule; renewing
// it closes the order. A key used by more hosts than it allows opens one,
// closed when usage falls back.
func TestServiceOrdersLicensesOverKSC(t *testing.T) {
	t.Parallel()
	w := newScaleWorld(t, 1, 4)
	enableLicenseRule(t, &w.rules, kaspersky.KindVirtualServer, serviceorder.LicenseExpiring, 30)
	enableLicenseRule(t, &w.rules, kaspersky.KindVirtualServer, serviceorder.LicenseOverused, 0)
	now := w.clock()
	exp := ksctest.Key{Serial: "EXP-1", ProductName: productSelect, AppID: 1103, KeyType: 1, LimitDate: now.AddDate(0, 0, 20), LicCount: 10, HostsAsCurrent: 2}
	w.ksc.AddKey(scaleVS(0), exp)
	w.ksc.SetKeyHosts("EXP-1", []ksctest.KeyHost{{Hostname: scaleHost(0, 0), Current: true, Product: productSelect}, {Hostname: scaleHost(0, 1), Current: true, Product: productSelect}})
	over := ksctest.Key{Serial: "OVR-1", ProductName: productSelect, AppID: 1103, KeyType: 1, LimitDate: now.AddDate(1, 0, 0), LicCount: 1, HostsAsCurrent: 2}
	w.ksc.AddKey(scaleVS(0), over)
	w.ksc.SetKeyHosts("OVR-1", []ksctest.KeyHost{{Hostname: scaleHost(0, 2), Current: true, Product: productSelect}, {Hostname: scaleHost(0, 3), Current: true, Product: productSelect}})
	trial := ksctest.Key{Serial: "TRY-1", ProductName: productSelect, AppID: 1103, KeyType: 3, LimitDate: now.AddDate(0, 0, 3), LicCount: 1, HostsAsCurrent: 2}
	w.ksc.AddKey(scaleVS(0), trial)

	j := w.jobs(t, serviceorder.NewMemoryStore(), 1)
	w.scaleOrders(t, j)
	expKey := serviceorder.LicenseKey(scaleTenantID(0), "EXP-1", serviceorder.LicenseExpiring)
	ovrKey := serviceorder.LicenseKey(scaleTenantID(0), "OVR-1", serviceorder.LicenseOverused)
	if len(ordersWithRef(w.tp, expKey)) != 1 || len(ordersWithRef(w.tp, ovrKey)) != 1 {
		t.Fatalf("orders: %+v", w.tp.Snapshot().ServiceOrders)
	}
	for _, serial := range []string{"TRY-1", "OVR-1"} {
		if len(ordersWithRef(w.tp, serviceorder.LicenseKey(scaleTenantID(0), serial, serviceorder.LicenseExpiring))) != 0 {
			t.Fatalf("an expiry order for %s", serial)
		}
	}
	if res := w.scaleOrders(t, j); len(res.Created)+len(res.Closed) != 0 {
		t.Fatalf("steady cycle: %+v", res)
	}
	exp.LimitDate = now.AddDate(1, 0, 20)
	w.ksc.UpdateKey(scaleVS(0), exp)
	over.HostsAsCurrent = 1
	w.ksc.UpdateKey(scaleVS(0), over)
	w.ksc.SetKeyHosts("OVR-1", []ksctest.KeyHost{{Hostname: scaleHost(0, 2), Current: true, Product: productSelect}})
	res := w.scaleOrders(t, j)
	if len(res.Closed) != 2 {
		t.Fatalf("after renewal and usage back: closed %d", len(res.Closed))
	}
	for _, k := range []serviceorder.Key{expKey, ovrKey} {
		if o := ordersWithRef(w.tp, k); len(o) != 1 || o[0].Status != "Closed" {
			t.Fatalf("%s: %+v", k, o)
		}
	}
}

// The same for Business Hub: the contract's expiresAt, capacity and usage.
func TestServiceOrdersLicensesOverHub(t *testing.T) {
	t.Parallel()
	w := newHubWorld(t)
	enableLicenseRule(t, &w.rules, kaspersky.KindCompany, serviceorder.LicenseExpiring, 30)
	enableLicenseRule(t, &w.rules, kaspersky.KindCompany, serviceorder.LicenseOverused, 0)
	src := w.source(t, trustHubPassword)
	users := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("co-2-x%d", i))
		}
		return out
	}
	soon := hubtest.License{ID: "l-co-1", Product: "kes-cloud-plus", Type: "commercial", State: "active",
		ExpiresAt: w.clock().AddDate(0, 0, 20), Capacity: 20, Users: []string{"co-1-u0", "co-1-u1"}}
	mustHub(t, w.hub.SetLicenses("co-1", soon))
	over := hubtest.License{ID: "l-co-2", Product: "kes-cloud-plus", Type: "commercial", State: "active",
		ExpiresAt: w.clock().AddDate(1, 0, 0), Capacity: 3, Users: users(3), Used: 5}
	mustHub(t, w.hub.SetLicenses("co-2", over))
	mustHub(t, w.hub.SetLicenses("co-3", hubtest.License{ID: "l-co-3", Product: "kes-cloud-plus", Type: "trial", State: "active",
		ExpiresAt: w.clock().AddDate(0, 0, 2), Capacity: 1, Users: users(4)}))

	res := w.orders(t, src)
	expKey := serviceorder.LicenseKey("co-1", "l-co-1", serviceorder.LicenseExpiring)
	ovrKey := serviceorder.LicenseKey("co-2", "l-co-2", serviceorder.LicenseOverused)
	if len(res.Failed) != 0 || len(ordersWithRef(w.tp, expKey)) != 1 || len(ordersWithRef(w.tp, ovrKey)) != 1 {
		t.Fatalf("first cycle: %+v; orders %+v", res, w.tp.Snapshot().ServiceOrders)
	}
	for _, so := range w.tp.Snapshot().ServiceOrders {
		if strings.Contains(so.BriefDescription, "l-co-3") {
			t.Fatalf("a trial opened %q", so.BriefDescription)
		}
	}
	w.advance(time.Hour)
	soon.ExpiresAt = w.clock().AddDate(1, 0, 0)
	mustHub(t, w.hub.SetLicenses("co-1", soon))
	over.Used = 3
	mustHub(t, w.hub.SetLicenses("co-2", over))
	res = w.orders(t, src)
	if len(res.Closed) != 2 || len(res.Failed) != 0 {
		t.Fatalf("after renewal and usage back: %+v", res)
	}
}

// A grouped order closed in Tigerpaw is set back to New with a note when the
// detection comes back within the reopen window, over the real Desk.
func TestServiceOrdersReopenOverTigerpaw(t *testing.T) {
	t.Parallel()
	w := newScaleWorld(t, 1, 4)
	for i := range w.rules.Events {
		if w.rules.Events[i].Enabled {
			w.rules.Events[i].Grouping, w.rules.Events[i].ReopenHours = serviceorder.GroupDevice, 4
		}
	}
	j := w.jobs(t, serviceorder.NewMemoryStore(), 1)
	w.addDetections(0, 2)
	w.scaleOrders(t, j)
	key := serviceorder.GroupKey(scaleTenantID(0), kaspersky.OriginKSC, scaleHost(0, 1), "GNRL_EV_VIRUS_FOUND")
	got := ordersWithRef(w.tp, key)
	if len(got) != 1 {
		t.Fatalf("%d group orders", len(got))
	}
	tp := w.tp.Client(t)
	if _, err := tp.ServiceOrders.Close(t.Context(), got[0].Number, tigerpaw.CloseServiceOrder{Status: "Closed"}); err != nil {
		t.Fatal(err)
	}
	w.advance(time.Hour)
	w.addDetections(10, 1)
	res := w.scaleOrders(t, j)
	if len(res.Reopened) != 1 || len(res.Created) != 0 {
		t.Fatalf("reopened %d created %d", len(res.Reopened), len(res.Created))
	}
	got = ordersWithRef(w.tp, key)
	if len(got) != 1 || got[0].Status != "New" || len(got[0].Notes) != 1 || !strings.Contains(got[0].Notes[0].Note, "set back") {
		t.Fatalf("after the repeat: %+v", got)
	}
}
