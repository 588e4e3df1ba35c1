package serviceorder_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// TestConditionOrdersFollowTheCondition drives an Office 365 condition through
// random ends and returns, locks that last several cycles, and older events
// delivered again. It checks that there is never more than one open order for
// the condition and, after each step's calm cycles (the state reported), that
// an order is open exactly while the condition holds and was announced by an
// event, apart from a locked order whose close must wait.
func TestConditionOrdersFollowTheCondition(t *testing.T) {
	t.Parallel()
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 7))
			w := newWorld(t)
			w.enableEvent(serviceorder.EventRuleID{Origin: kaspersky.OriginOffice365, O365Type: kaspersky.O365MailboxesNotProtected}, serviceorder.OrderSettings{Priority: "High"}, 0)
			k := serviceorder.ConditionKey(tenantB, kaspersky.O365MailboxesNotProtected)
			var delivered []kaspersky.Event
			holds, announced := false, false
			n := 0
			event := func(active bool, ago time.Duration) kaspersky.Event {
				n++
				return kaspersky.Event{ID: fmt.Sprint("e", n), TenantID: tenantB, Origin: kaspersky.OriginOffice365,
					O365Type: kaspersky.O365MailboxesNotProtected, Active: active, Time: w.clock.Now().Add(-ago)}
			}
			state := func() *kaspersky.Office365Status {
				return &kaspersky.Office365Status{MailboxesProtected: !holds, LicenseOK: true}
			}
			open := func() (count int, locked bool) {
				for _, o := range w.desk.Open() {
					if o.Reference == k {
						count++
						locked = locked || o.Locked
					}
				}
				return count, locked
			}
			for step := range 120 {
				if rng.IntN(3) == 0 {
					holds, announced = !holds, false
				}
				var evs []kaspersky.Event
				if rng.IntN(2) == 0 {
					evs = append(evs, event(holds, time.Duration(rng.IntN(10))*time.Minute))
					announced = announced || holds
				}
				if len(delivered) > 0 && rng.IntN(3) == 0 { // an older event again
					evs = append(evs, delivered[rng.IntN(len(delivered))])
				}
				delivered = append(delivered, evs...)
				w.events(tenantB, evs...)
				w.inputs[tenantB].Office365 = nil
				if rng.IntN(2) == 0 {
					w.inputs[tenantB].Office365 = state()
				}
				switch orders := w.desk.Orders(); {
				case len(orders) > 0 && rng.IntN(3) == 0:
					w.desk.SetLocked(orders[len(orders)-1].Number, true)
				case len(orders) > 0 && rng.IntN(2) == 0:
					w.desk.SetLocked(orders[len(orders)-1].Number, false)
				}
				w.cycle()
				if c, _ := open(); c > 1 {
					t.Fatalf("step %d: %d open orders for the condition", step, c)
				}
				// Calm: the state reported, no new event.
				w.inputs[tenantB].Office365 = state()
				w.cycle()
				w.cycle()
				c, locked := open()
				want := 0
				if holds && announced {
					want = 1
				}
				if c != want && !(locked && c == 1) {
					t.Fatalf("step %d: condition holds=%v announced=%v, %d open orders (locked %v; store %+v)", step, holds, announced, c, locked, w.state().Orders)
				}
			}
		})
	}
}
