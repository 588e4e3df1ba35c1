package serviceorder

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
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
		k := o.Key
		if g.pick(10) == 0 {
			o.TenantID = g.tenantID() // inconsistent with the key
		}
		if g.pick(20) == 0 {
			// Not the key it is stored under (but as unique, for the plan's
			// order to be defined).
			o.Key += "-STALE"
		}
		st.Orders[k] = o
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

// coldEvaluate evaluates in with a new Evaluator: nothing remembered from an
// earlier call, no buffer reused. It is the oracle of the tests below, which
// check that what an Evaluator keeps between calls never changes a plan.
func coldEvaluate(in Input) Plan {
	var v Evaluator
	return v.Evaluate(in)
}

// TestEvaluateMatchesPlainEngine checks on random inputs that Evaluate, and an
// Evaluator reused from one input to the next, plan exactly what a cold
// Evaluator plans: same actions, order, texts and processed events.
func TestEvaluateMatchesPlainEngine(t *testing.T) {
	t.Parallel()
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			g := randomInputs{rng: rand.New(rand.NewPCG(seed, 7)), now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
			var reused Evaluator
			for i := range 400 {
				in := g.input()
				want := coldEvaluate(in)
				if d := cmp.Diff(want, Evaluate(in)); d != "" {
					t.Fatalf("input %d: Evaluate differs from a cold Evaluator (-cold +Evaluate):\n%s", i, d)
				}
				if d := cmp.Diff(want, reused.Evaluate(in)); d != "" {
					t.Fatalf("input %d: a reused Evaluator differs from a cold Evaluator (-cold +Evaluator):\n%s", i, d)
				}
			}
		})
	}
}

// evolve changes a few of the devices of in's tenants, as a cycle's changes
// do: a device's level or descriptions change, a device goes or comes.
func (g randomInputs) evolve(in Input) Input {
	tenants := slices.Clone(in.Tenants)
	for i := range tenants {
		devs := slices.Clone(tenants[i].Devices)
		for range g.pick(3) {
			switch j := g.pick(len(devs) + 1); {
			case j == len(devs):
				devs = slices.Insert(devs, g.pick(len(devs)+1), g.device())
			case g.pick(3) == 0:
				devs = slices.Delete(devs, j, j+1)
			default:
				id := devs[j].ID
				devs[j] = g.device()
				devs[j].ID = id
			}
		}
		tenants[i].Devices = devs
	}
	in.Tenants = tenants
	if g.pick(4) == 0 {
		in.Rules = g.rules()
	}
	in.State = g.state(tenants)
	return in
}

// TestEvaluatorFollowsEvolvingInputs checks an Evaluator reused over inputs
// that change a little from one call to the next (so that it finds most
// status keys where it left them, and some not) against a cold Evaluator.
func TestEvaluatorFollowsEvolvingInputs(t *testing.T) {
	t.Parallel()
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			g := randomInputs{rng: rand.New(rand.NewPCG(seed, 11)), now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
			var v Evaluator
			in := g.input()
			for i := range 300 {
				if i%50 == 0 {
					in = g.input() // other tenants, devices and rules
				}
				in = g.evolve(in)
				if d := cmp.Diff(coldEvaluate(in), v.Evaluate(in)); d != "" {
					t.Fatalf("call %d: the Evaluator differs from a cold Evaluator (-cold +Evaluator):\n%s", i, d)
				}
			}
		})
	}
}

// TestEvaluateConcurrently calls Evaluate from several goroutines at once:
// each plan is still a cold Evaluator's.
func TestEvaluateConcurrently(t *testing.T) {
	t.Parallel()
	g := randomInputs{rng: rand.New(rand.NewPCG(3, 5)), now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	inputs := make([]Input, 64)
	wants := make([]Plan, len(inputs))
	for i := range inputs {
		inputs[i] = g.input()
		wants[i] = coldEvaluate(inputs[i])
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4*len(inputs))
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range inputs {
				i := (i + w*16) % len(inputs)
				if d := cmp.Diff(wants[i], Evaluate(inputs[i])); d != "" {
					errs <- fmt.Sprintf("input %d: %s", i, d)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestEvaluatorForgetsTenants checks that an Evaluator keeps the status keys
// of a tenant through keyCacheSpan calls that do not evaluate it, drops them
// at the next, and keeps those of the tenants evaluated meanwhile.
func TestEvaluatorForgetsTenants(t *testing.T) {
	t.Parallel()
	rules := DefaultRules()
	rules.General = General{Rep: 7, NewStatus: "New", ClosedStatus: "Closed"}
	for i := range rules.Statuses {
		rules.Statuses[i].Enabled = true
	}
	code := rules.Statuses[0].ID.Code
	tenant := func(id string) TenantInput {
		return TenantInput{Tenant: kaspersky.Tenant{ID: id}, InventoryOK: true, Devices: []kaspersky.Device{{
			ID: "d1", Status: rules.Statuses[0].ID.Level, Descriptions: []kaspersky.StatusDescription{{Code: code}},
		}}}
	}
	accounts := Accounts{"a": 1, "b": 2}
	var v Evaluator
	v.Evaluate(Input{Rules: rules, Accounts: accounts, Tenants: []TenantInput{tenant("a"), tenant("b")}})
	remembered := func() []string { return slices.Sorted(maps.Keys(v.e.keys.tenants)) }
	if d := cmp.Diff([]string{"a", "b"}, remembered()); d != "" {
		t.Fatalf("after the first call (-want +got):\n%s", d)
	}
	for i := range keyCacheSpan + 1 {
		if i == keyCacheSpan {
			if d := cmp.Diff([]string{"a", "b"}, remembered()); d != "" {
				t.Fatalf("after %d calls without tenant a (-want +got):\n%s", i, d)
			}
		}
		plan := v.Evaluate(Input{Rules: rules, Accounts: accounts, Tenants: []TenantInput{tenant("b")}})
		if len(plan.Actions) != 1 || plan.Actions[0].Order.Key != StatusKey("b", "d1", code) {
			t.Fatalf("call %d: plan %+v, want one create of b's order", i, plan.Actions)
		}
	}
	if d := cmp.Diff([]string{"b"}, remembered()); d != "" {
		t.Fatalf("after %d calls without tenant a (-want +got):\n%s", keyCacheSpan+1, d)
	}
}
