package serviceorder_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	sot "github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

// TestStatusOrdersMirrorDevices drives random device states, rule changes,
// locks (some lasting several steps), desk faults and Store losses, and checks
// after every calm cycle (no fault) that the open status orders in Tigerpaw are
// exactly the (device, description) pairs holding at an enabled level, one
// order each, apart from orders orphaned by a lost Store and locked orders
// waiting for their close; and that no cycle closes an order whose description
// holds.
func TestStatusOrdersMirrorDevices(t *testing.T) {
	t.Parallel()
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 42))
			w := newWorld(t)
			codes := []kaspersky.StatusCode{kaspersky.StatusDatabasesOutdated, kaspersky.StatusManyViruses, kaspersky.StatusRTPNotRunning}
			levels := []kaspersky.StatusLevel{kaspersky.StatusOK, kaspersky.StatusWarning, kaspersky.StatusCritical}
			randomRules := func() {
				w.rules = sot.Rules()
				for _, c := range codes {
					for _, l := range levels[1:] {
						if rng.IntN(2) == 0 {
							w.enableStatus(c, warnSettings, l)
						}
					}
				}
			}
			randomDevices := func(tid string) []kaspersky.Device {
				var ds []kaspersky.Device
				for i := range 6 {
					if rng.IntN(8) == 0 {
						continue // gone
					}
					var cs []kaspersky.StatusCode
					for _, c := range codes {
						if rng.IntN(3) == 0 {
							cs = append(cs, c)
						}
					}
					ds = append(ds, sot.Device(tid, fmt.Sprint(i), levels[rng.IntN(3)], cs...))
				}
				return ds
			}
			desired := func() []serviceorder.Key {
				var keys []serviceorder.Key
				for _, tid := range []string{tenantA, tenantB} {
					for _, d := range w.inputs[tid].Devices {
						for _, desc := range d.Descriptions {
							if r, _ := w.rules.Status(serviceorder.StatusRuleID{Level: d.Status, Code: desc.Code}); r.Enabled {
								keys = append(keys, serviceorder.StatusKey(tid, d.ID, desc.Code))
							}
						}
					}
				}
				slices.Sort(keys)
				return keys
			}
			openKeys := func() []serviceorder.Key {
				var keys []serviceorder.Key
				for _, o := range w.desk.Open() {
					keys = append(keys, o.Reference)
				}
				slices.Sort(keys)
				return keys
			}
			// Orders open when the Store is lost and not desired again before
			// their status clears cannot be known any more: they stay open for
			// a person (orphans). Every other order must mirror the devices.
			orphans := map[serviceorder.Key]bool{}
			randomRules()
			for step := range 60 {
				switch rng.IntN(10) {
				case 0:
					randomRules()
				case 1:
					for _, k := range openKeys() {
						orphans[k] = true
					}
					w.store = serviceorder.NewMemoryStore() // the Store is lost
					w.newRunner()
				case 2:
					w.desk.Inject(sot.OpCreate, sot.Fault{Applied: rng.IntN(2) == 0})
				case 3:
					if open := w.desk.Open(); len(open) > 0 {
						w.desk.SetLocked(open[rng.IntN(len(open))].Number, true)
					}
				case 4:
					w.desk.Inject(sot.OpClose, sot.Fault{Applied: rng.IntN(2) == 0})
				}
				for _, tid := range []string{tenantA, tenantB} {
					if rng.IntN(3) == 0 {
						w.devices(tid, randomDevices(tid)...)
					}
				}
				// No cycle closes an order whose description holds under an
				// enabled rule (a close pending while it came back included).
				noWantedClosed := func(res serviceorder.Result) {
					t.Helper()
					for _, c := range res.Closed {
						if slices.Contains(desired(), c.Key) {
							t.Fatalf("step %d: closed order %d (%s) whose description holds", step, c.Number, c.Key)
						}
					}
				}
				noWantedClosed(w.cycle())
				// Calm down: clear faults and run until a cycle has nothing
				// left to do. Some locks stay, for later steps: their closes
				// must wait, and stay right if the description comes back.
				for _, o := range w.desk.Orders() {
					if rng.IntN(2) == 0 {
						w.desk.SetLocked(o.Number, false)
					}
				}
				w.desk.ClearFaults()
				for range 3 {
					res := w.cycle()
					if len(res.Failed) != 0 {
						t.Fatalf("step %d: failures in a calm cycle: %v", step, errors.Join(res.Err()))
					}
					noWantedClosed(res)
				}
				tracked := w.state().Orders
				open := openKeys()
				for k := range orphans {
					if _, ok := tracked[k]; ok || !slices.Contains(open, k) {
						delete(orphans, k)
					}
				}
				open = slices.DeleteFunc(open, func(k serviceorder.Key) bool { return orphans[k] })
				// A locked order not desired any more waits for its close.
				want := desired()
				for _, o := range w.desk.Open() {
					if o.Locked && !slices.Contains(want, o.Reference) {
						open = slices.DeleteFunc(open, func(k serviceorder.Key) bool { return k == o.Reference })
					}
				}
				if d := cmp.Diff(want, open, cmpopts.EquateEmpty()); d != "" {
					t.Fatalf("step %d: open orders differ from the desired ones (-want +got):\n%s", step, d)
				}
			}
		})
	}
}
