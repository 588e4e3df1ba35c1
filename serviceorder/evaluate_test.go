package serviceorder_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	sot "github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Fatalf("%s (-want +got):\n%s", path, d)
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	keys := []serviceorder.Key{
		serviceorder.StatusKey("t", "d", kaspersky.StatusDatabasesOutdated),
		serviceorder.StatusKey("t", "d", kaspersky.StatusManyViruses),
		serviceorder.StatusKey("t", "d2", kaspersky.StatusDatabasesOutdated),
		serviceorder.StatusKey("t2", "d", kaspersky.StatusDatabasesOutdated),
		serviceorder.StatusKey("ab", "c", "x"),
		serviceorder.StatusKey("a", "bc", "x"),
		serviceorder.EventKey("t", kaspersky.OriginKSC, "1"),
		serviceorder.EventKey("t", kaspersky.OriginKESCloud, "1"),
		serviceorder.EventKey("t", kaspersky.OriginKSC, "2"),
		serviceorder.ConditionKey("t", kaspersky.O365LicenseIssue),
		serviceorder.ConditionKey("t", kaspersky.O365MailboxesNotProtected),
	}
	format := regexp.MustCompile(`^KT[SEC]-[A-Z2-7]{22}$`)
	seen := map[string]bool{}
	for _, k := range keys {
		if len(k) != serviceorder.KeyLen || len(k) > 30 || !format.MatchString(string(k)) {
			t.Errorf("key %q: length %d (KeyLen %d) or format wrong", k, len(k), serviceorder.KeyLen)
		}
		if seen[strings.ToLower(string(k))] {
			t.Errorf("key %q repeats (ignoring case)", k)
		}
		seen[strings.ToLower(string(k))] = true
	}
	if serviceorder.StatusKey("t", "d", kaspersky.StatusDatabasesOutdated) != keys[0] {
		t.Error("StatusKey is not deterministic")
	}
	// Keys are written into Tigerpaw: they must never change between releases.
	if got, want := serviceorder.StatusKey("vs-acme", "42", kaspersky.StatusDatabasesOutdated), serviceorder.Key("KTS-JZIRVSR7735JWWQKHUOFTL"); got != want {
		t.Errorf("StatusKey changed: got %s, want %s", got, want)
	}
}

func baseInput() serviceorder.Input {
	rules := sot.Rules()
	for i := range rules.Statuses {
		rules.Statuses[i].OrderSettings = serviceorder.OrderSettings{Enabled: true, Priority: "High", Board: 1, Type: "Security"}
	}
	for i := range rules.Events {
		rules.Events[i].OrderSettings = serviceorder.OrderSettings{Enabled: true, Priority: "Medium"}
	}
	return serviceorder.Input{
		Now:      t0,
		Rules:    rules,
		Accounts: serviceorder.Accounts{tenantA: accountA, tenantB: accountB},
		State:    serviceorder.State{}.Clone(),
	}
}

func TestOrderTexts(t *testing.T) {
	t.Parallel()
	in := baseInput()
	dev := sot.Device(tenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated)
	dev.Name = "ACME-LAPTOP-042"
	in.Tenants = []serviceorder.TenantInput{
		{Tenant: kaspersky.Tenant{ID: tenantA, Name: "Acme Ltd", Kind: kaspersky.KindVirtualServer}, InventoryOK: true, Devices: []kaspersky.Device{dev},
			Events: []kaspersky.Event{{ID: "9001", DeviceID: "42", DeviceName: "ACME-LAPTOP-042", Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical,
				Type: "GNRL_EV_VIRUS_FOUND", TypeName: "Malicious object detected", Time: t0.Add(-time.Hour), Text: "  Trojan.Win32.Agent found in C:\\Users\\pat\\Downloads\\invoice.exe  "}}},
		{Tenant: kaspersky.Tenant{ID: tenantB, Name: "Bolt GmbH", Kind: kaspersky.KindCompany}, InventoryOK: true,
			Events: []kaspersky.Event{{ID: "o-1", Origin: kaspersky.OriginOffice365, O365Type: kaspersky.O365MailboxesNotProtected, Active: true, Time: t0.Add(-time.Minute), Text: "3 mailboxes are not protected"}}},
	}
	plan := serviceorder.Evaluate(in)
	var out strings.Builder
	for _, a := range plan.Actions {
		fmt.Fprintf(&out, "== %s %s %s\nBrief: %s\n%s\n", a.Type, a.Order.Kind, a.Order.Key, a.Order.Request.Brief, a.Order.Request.Work)
	}
	// Close texts: the description cleared, the device is gone.
	state := serviceorder.State{}.Clone()
	for _, a := range plan.Actions {
		o := a.Order
		o.Phase, o.Number, o.Request = serviceorder.PhaseOpen, 1, nil
		state.Orders[o.Key] = o
	}
	in.State = state
	in.Now = t0.Add(time.Hour)
	in.Tenants[0].Devices = nil
	in.Tenants[0].Events = nil
	in.Tenants[1].Events = nil
	in.Tenants[1].Office365 = &kaspersky.Office365Status{MailboxesProtected: true, LicenseOK: true}
	for _, a := range serviceorder.Evaluate(in).Actions {
		fmt.Fprintf(&out, "== %s %s %s\nStatus: %s\nWorkPerformed: %s\n", a.Type, a.Order.Kind, a.Order.Key, a.Close.Status, a.Close.WorkPerformed)
	}
	golden(t, "order_texts", out.String())
}

func TestBriefIsShort(t *testing.T) {
	t.Parallel()
	in := baseInput()
	dev := sot.Device(tenantA, "42", kaspersky.StatusCritical, kaspersky.StatusRTPLevelChanged)
	dev.Name = strings.Repeat("Ä", 50)
	in.Tenants = []serviceorder.TenantInput{{Tenant: kaspersky.Tenant{ID: tenantA}, InventoryOK: true, Devices: []kaspersky.Device{dev}}}
	plan := serviceorder.Evaluate(in)
	b := plan.Actions[0].Order.Request.Brief
	if n := len([]rune(b)); n != serviceorder.MaxBriefLen || !strings.HasSuffix(b, "...") {
		t.Fatalf("brief has %d characters: %q", n, b)
	}
	if w := plan.Actions[0].Order.Request.Work; !strings.Contains(w, "Tenant: vs-acme (vs-acme)") || !strings.Contains(w, "Console: Kaspersky console") {
		t.Fatalf("work text for a tenant without name and kind:\n%s", w)
	}
}

func actionsSummary(p serviceorder.Plan) []string {
	var out []string
	for _, a := range p.Actions {
		s := fmt.Sprintf("%s %s %s %s", a.Order.TenantID, a.Type, a.Order.Kind, a.Order.Key)
		if a.Type == serviceorder.ActionClose {
			s += " (" + a.Reason.String() + ")"
		}
		out = append(out, s)
	}
	return out
}

func TestEvaluateOrderAndFiltering(t *testing.T) {
	t.Parallel()
	in := baseInput()
	in.Accounts = serviceorder.Accounts{tenantA: accountA, tenantB: accountB}
	mk := func(id string) serviceorder.TenantInput {
		return serviceorder.TenantInput{Tenant: kaspersky.Tenant{ID: id}, InventoryOK: true, Devices: []kaspersky.Device{
			sot.Device(id, "2", kaspersky.StatusWarning, kaspersky.StatusManyViruses),
			sot.Device(id, "1", kaspersky.StatusOK, kaspersky.StatusManyViruses), // OK level: nothing holds at an enabled level
			sot.Device(id, "3", kaspersky.StatusCritical, kaspersky.StatusLicenseExpired, kaspersky.StatusLicenseExpired),
		}}
	}
	dup := mk(tenantB)
	dup.Devices = nil
	in.Tenants = []serviceorder.TenantInput{mk(tenantB), mk("unmapped"), mk(tenantA), dup}
	got := actionsSummary(serviceorder.Evaluate(in))
	want := []string{}
	for _, tid := range []string{tenantA, tenantB} {
		keys := []serviceorder.Key{serviceorder.StatusKey(tid, "2", kaspersky.StatusManyViruses), serviceorder.StatusKey(tid, "3", kaspersky.StatusLicenseExpired)}
		if keys[1] < keys[0] {
			keys[0], keys[1] = keys[1], keys[0]
		}
		for _, k := range keys {
			want = append(want, fmt.Sprintf("%s create status %s", tid, k))
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("actions (-want +got):\n%s", d)
	}
	// Pure: the same input gives the same plan.
	if d := cmp.Diff(got, actionsSummary(serviceorder.Evaluate(in))); d != "" {
		t.Fatalf("second evaluation differs:\n%s", d)
	}
}

func TestEvaluateConditionEdges(t *testing.T) {
	t.Parallel()
	o365 := func(id string, typ kaspersky.Office365EventType, active bool, at time.Time) kaspersky.Event {
		return kaspersky.Event{ID: id, Origin: kaspersky.OriginOffice365, O365Type: typ, Active: active, Time: at}
	}
	mailKey := serviceorder.ConditionKey(tenantA, kaspersky.O365MailboxesNotProtected)
	open := serviceorder.Order{Key: mailKey, Kind: serviceorder.KindCondition, Phase: serviceorder.PhaseOpen, TenantID: tenantA, Number: 5, O365Type: kaspersky.O365MailboxesNotProtected}
	tests := []struct {
		name      string
		stored    *serviceorder.Order
		events    []kaspersky.Event
		o365      *kaspersky.Office365Status
		readOK    bool
		want      []string
		processed int
	}{
		{name: "active then ended in one batch: nothing", events: []kaspersky.Event{o365("1", kaspersky.O365MailboxesNotProtected, true, t0.Add(-2*time.Minute)), o365("2", kaspersky.O365MailboxesNotProtected, false, t0.Add(-time.Minute))}, processed: 1},
		{name: "ended then active again: one order", events: []kaspersky.Event{o365("2", kaspersky.O365MailboxesNotProtected, true, t0.Add(-time.Minute)), o365("1", kaspersky.O365MailboxesNotProtected, false, t0.Add(-2*time.Minute))},
			want: []string{tenantA + " create condition " + string(mailKey)}},
		{name: "open order, ended and back in one batch: kept", stored: &open, events: []kaspersky.Event{o365("1", kaspersky.O365MailboxesNotProtected, false, t0.Add(-2*time.Minute)), o365("2", kaspersky.O365MailboxesNotProtected, true, t0.Add(-time.Minute))}, processed: 1},
		{name: "active event but the state says protected: nothing", readOK: true, o365: &kaspersky.Office365Status{MailboxesProtected: true, LicenseOK: true}, events: []kaspersky.Event{o365("1", kaspersky.O365MailboxesNotProtected, true, t0)}, processed: 1},
		{name: "state says protected but the read failed: kept", stored: &open, o365: &kaspersky.Office365Status{MailboxesProtected: true, LicenseOK: true}},
		{name: "license state alone does not close the mailboxes order", stored: &open, readOK: true, o365: &kaspersky.Office365Status{MailboxesProtected: false, LicenseOK: true}},
		{name: "old active event: nothing", events: []kaspersky.Event{o365("1", kaspersky.O365MailboxesNotProtected, true, t0.Add(-serviceorder.Office365Lifetime))}},
		{name: "close pending: a new occurrence keeps the order", stored: func() *serviceorder.Order {
			o := open
			o.Phase = serviceorder.PhaseClosing
			o.Reason = serviceorder.ReasonConditionEnded
			return &o
		}(),
			events: []kaspersky.Event{o365("1", kaspersky.O365MailboxesNotProtected, true, t0)},
			want:   []string{tenantA + " keep condition " + string(mailKey)}, processed: 1},
		{name: "close pending, nothing new: retried", stored: func() *serviceorder.Order {
			o := open
			o.Phase = serviceorder.PhaseClosing
			o.Reason = serviceorder.ReasonConditionEnded
			return &o
		}(),
			want: []string{tenantA + " close condition " + string(mailKey) + " (the condition has ended)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := baseInput()
			if tc.stored != nil {
				in.State.Orders[tc.stored.Key] = *tc.stored
			}
			in.Tenants = []serviceorder.TenantInput{{Tenant: kaspersky.Tenant{ID: tenantA}, InventoryOK: tc.readOK, Office365: tc.o365, Events: tc.events}}
			plan := serviceorder.Evaluate(in)
			if d := cmp.Diff(tc.want, actionsSummary(plan)); d != "" {
				t.Fatalf("actions (-want +got):\n%s", d)
			}
			if len(plan.Processed) != tc.processed {
				t.Fatalf("processed %v, want %d", plan.Processed, tc.processed)
			}
		})
	}
}

func TestEvaluateStoredCreatingOrders(t *testing.T) {
	t.Parallel()
	in := baseInput()
	sk := serviceorder.StatusKey(tenantA, "1", kaspersky.StatusManyViruses)
	lost := serviceorder.StatusKey(tenantB, "9", kaspersky.StatusManyViruses)
	ek := serviceorder.EventKey(tenantB, kaspersky.OriginKSC, "7")
	req := &serviceorder.NewOrder{Account: accountA, Reference: sk}
	in.State.Orders[sk] = serviceorder.Order{Key: sk, Kind: serviceorder.KindStatus, Phase: serviceorder.PhaseCreating, TenantID: tenantA, DeviceID: "1", Code: kaspersky.StatusManyViruses, Request: req}
	in.State.Orders[lost] = serviceorder.Order{Key: lost, Kind: serviceorder.KindStatus, Phase: serviceorder.PhaseCreating, TenantID: tenantB}
	in.State.Orders[ek] = serviceorder.Order{Key: ek, Kind: serviceorder.KindEvent, Phase: serviceorder.PhaseCreating, TenantID: tenantB, Request: req}
	// Tenant A's device no longer has the description; tenant B was not read.
	in.Tenants = []serviceorder.TenantInput{{Tenant: kaspersky.Tenant{ID: tenantA}, InventoryOK: true, Devices: []kaspersky.Device{sot.Device(tenantA, "1", kaspersky.StatusOK)}}}
	want := []string{
		tenantA + " close status " + string(sk) + " (the status description no longer applies)",
		tenantB + " create event " + string(ek),
		tenantB + " forget status " + string(lost),
	}
	if d := cmp.Diff(want, actionsSummary(serviceorder.Evaluate(in))); d != "" {
		t.Fatalf("actions (-want +got):\n%s", d)
	}
}
