package serviceorder

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// randomInputs generates inputs that exercise every branch of Evaluate:
// duplicate tenants, devices and descriptions, unmapped tenants, unreadable
// inventories, texts needing the brief to be cleaned or cut, events with and
// without ids around their lifetime, Office 365 conditions, and stored orders of
// every kind and phase, some of them stale or inconsistent.
type randomInputs struct {
	rng *rand.Rand
	now time.Time
}

func (g randomInputs) pick(n int) int { return g.rng.IntN(n) }

func (g randomInputs) text(plain string) string {
	switch g.pick(8) {
	case 0:
		return ""
	case 1:
		return "  " + plain + "\twith\nspaces  "
	case 2:
		return strings.Repeat(plain+" é ", 12)
	case 3:
		return plain + " \u00a0"
	case 4:
		return strings.Repeat(plain+"\xff", 30) // not UTF-8
	}
	return plain
}

func (g randomInputs) tenantID() string { return fmt.Sprint("t", g.pick(5)) }

func (g randomInputs) deviceID() string { return fmt.Sprint("d", g.pick(6)) }

var randomCodes = []kaspersky.StatusCode{
	kaspersky.KnownStatuses[0].Code, kaspersky.KnownStatuses[1].Code, kaspersky.KnownStatuses[2].Code,
	kaspersky.KnownStatuses[7].Code, "Unknown_Code",
}

var randomLevels = []kaspersky.StatusLevel{0, kaspersky.StatusOK, kaspersky.StatusWarning, kaspersky.StatusCritical}

var randomO365 = []kaspersky.Office365EventType{kaspersky.O365MailboxesNotProtected, kaspersky.O365LicenseIssue, kaspersky.Office365EventTypes[0].Type, ""}

func (g randomInputs) rules() Rules {
	r := DefaultRules()
	r.General = General{Rep: 7, NewStatus: "New", ClosedStatus: "Closed"}
	for i := range r.Statuses {
		r.Statuses[i].Enabled = g.pick(2) == 0
		r.Statuses[i].Priority = fmt.Sprint("P", i%3)
		r.Statuses[i].Board = i % 4
	}
	for i := range r.Events {
		r.Events[i].Enabled = g.pick(3) > 0
		r.Events[i].LifetimeDays = 1 + g.pick(3)
		r.Events[i].Type = "Security"
	}
	if g.pick(2) == 0 {
		r.CreationDelay = time.Hour
	}
	return r
}

func (g randomInputs) device() kaspersky.Device {
	d := kaspersky.Device{ID: g.deviceID(), Name: g.text("PC"), Status: randomLevels[g.pick(len(randomLevels))]}
	for range g.pick(4) {
		c := randomCodes[g.pick(len(randomCodes))]
		d.Descriptions = append(d.Descriptions, kaspersky.StatusDescription{Code: c, Text: g.text("Problem")})
	}
	return d
}

func (g randomInputs) when() time.Time {
	spans := []time.Duration{time.Minute, time.Hour, 20 * time.Hour, 50 * time.Hour, 100 * time.Hour}
	d := time.Duration(g.rng.Int64N(int64(spans[g.pick(len(spans))])))
	if g.pick(5) == 0 {
		return g.now.Add(d)
	}
	return g.now.Add(-d)
}

func (g randomInputs) event() kaspersky.Event {
	origins := []kaspersky.Origin{kaspersky.OriginKSC, kaspersky.OriginKESCloud, kaspersky.OriginOffice365}
	ev := kaspersky.Event{
		Origin: origins[g.pick(len(origins))], Severity: kaspersky.Severities[g.pick(len(kaspersky.Severities))],
		Type: fmt.Sprint("Type", g.pick(3)), TypeName: g.text("Threat found"), Text: g.text("details"),
		Time: g.when(), Active: g.pick(3) > 0,
	}
	if g.pick(4) > 0 {
		ev.ID = fmt.Sprint("e", g.pick(12))
	}
	if g.pick(2) == 0 {
		ev.DeviceID, ev.DeviceName = g.deviceID(), g.text("PC")
	}
	if ev.Origin == kaspersky.OriginOffice365 {
		ev.Severity = kaspersky.SeverityNone
		ev.O365Type = randomO365[g.pick(len(randomO365))]
	}
	return ev
}

func (g randomInputs) tenants() []TenantInput {
	kinds := []kaspersky.TenantKind{0, kaspersky.KindVirtualServer, kaspersky.KindCompany}
	var out []TenantInput
	for range g.pick(7) {
		ti := TenantInput{
			Tenant:      kaspersky.Tenant{ID: g.tenantID(), Name: g.text("Tenant"), Kind: kinds[g.pick(len(kinds))]},
			InventoryOK: g.pick(6) > 0, ReadAt: g.now,
		}
		for range g.pick(9) {
			ti.Devices = append(ti.Devices, g.device())
		}
		for range g.pick(6) {
			ti.Events = append(ti.Events, g.event())
		}
		if g.pick(2) == 0 {
			ti.Office365 = &kaspersky.Office365Status{MailboxesProtected: g.pick(2) == 0, LicenseOK: g.pick(2) == 0}
		}
		out = append(out, ti)
	}
	return out
}

func (g randomInputs) state(tenants []TenantInput) State {
	st := State{Orders: map[Key]Order{}, Events: map[Key]time.Time{}}
	phases := []Phase{PhaseDelayed, PhaseCreating, PhaseOpen, PhaseClosing}
	put := func(o Order) {
		o.Phase = phases[g.pick(len(phases))]
		o.Since = g.when()
		o.Number = g.pick(3)
		if o.Phase == PhaseClosing {
			o.Reason = CloseReason(1 + g.pick(4))
		}
		if o.Phase == PhaseCreating && g.pick(3) > 0 {
			o.Request = &NewOrder{Account: 1, Brief: "stored", Reference: o.Key}
		}
		if g.pick(10) == 0 {
			o.TenantID = g.tenantID() // inconsistent with the key
		}
		st.Orders[o.Key] = o
	}
	for range g.pick(12) {
		tid, dev, code := g.tenantID(), g.deviceID(), randomCodes[g.pick(len(randomCodes))]
		put(Order{Key: StatusKey(tid, dev, code), Kind: KindStatus, TenantID: tid, DeviceID: dev, DeviceName: g.text("PC"), Code: code, Level: randomLevels[g.pick(len(randomLevels))]})
	}
	for range g.pick(4) {
		tid, t := g.tenantID(), randomO365[g.pick(2)]
		put(Order{Key: ConditionKey(tid, t), Kind: KindCondition, TenantID: tid, O365Type: t, EventTime: g.when(), EventID: fmt.Sprint("e", g.pick(12))})
	}
	for range g.pick(3) {
		tid, id := g.tenantID(), fmt.Sprint("e", g.pick(12))
		put(Order{Key: EventKey(tid, kaspersky.OriginKSC, id), Kind: KindEvent, TenantID: tid, EventID: id})
	}
	if g.pick(4) == 0 {
		put(Order{Key: "ODD", Kind: KindStatus, TenantID: g.tenantID(), DeviceID: g.deviceID(), Code: randomCodes[0]})
	}
	// Orders for much of what the input reports, and some of the input's
	// events processed before.
	for _, ti := range tenants {
		for _, d := range ti.Devices {
			for _, desc := range d.Descriptions {
				if g.pick(2) == 0 {
					put(Order{Key: StatusKey(ti.Tenant.ID, d.ID, desc.Code), Kind: KindStatus, TenantID: ti.Tenant.ID, DeviceID: d.ID, DeviceName: d.Name, Code: desc.Code, Level: d.Status})
				}
			}
		}
		if g.pick(2) == 0 {
			t := randomO365[g.pick(2)]
			put(Order{Key: ConditionKey(ti.Tenant.ID, t), Kind: KindCondition, TenantID: ti.Tenant.ID, O365Type: t, EventTime: g.when()})
		}
		for i := range ti.Events {
			if ev := &ti.Events[i]; g.pick(3) == 0 {
				st.Events[EventKey(ti.Tenant.ID, ev.Origin, eventID(ev))] = ev.Time
			}
		}
	}
	return st
}

func (g randomInputs) input() Input {
	tenants := g.tenants()
	accounts := Accounts{}
	for i := range 5 {
		if n := g.pick(4); n > 0 {
			accounts[fmt.Sprint("t", i)] = n - 1 // 0 is not in the integration
		}
	}
	return Input{Now: g.now, Rules: g.rules(), Accounts: accounts, Tenants: tenants, State: g.state(tenants)}
}

// TestEvaluateMatchesPlainEngine checks on random inputs that Evaluate, and an
// Evaluator reused from one input to the next, plan exactly what the plain
// engine (refEvaluate) plans: same actions, order, texts and processed events.
func TestEvaluateMatchesPlainEngine(t *testing.T) {
	t.Parallel()
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			g := randomInputs{rng: rand.New(rand.NewPCG(seed, 7)), now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
			var reused Evaluator
			for i := range 400 {
				in := g.input()
				want := refEvaluate(in)
				if d := cmp.Diff(want, Evaluate(in)); d != "" {
					t.Fatalf("input %d: Evaluate differs from the plain engine (-plain +Evaluate):\n%s", i, d)
				}
				if d := cmp.Diff(want, reused.Evaluate(in)); d != "" {
					t.Fatalf("input %d: a reused Evaluator differs from the plain engine (-plain +Evaluator):\n%s", i, d)
				}
			}
		})
	}
}
