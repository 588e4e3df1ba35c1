package serviceorder_test

import (
	"testing"

	sot "github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

// The reusable seed scenarios over the in-memory desk; the root package runs
// them over tigerpawtest through its adapter.
func TestDeskScenariosOverFakeDesk(t *testing.T) {
	t.Parallel()
	sot.RunDeskScenarios(t, func(t *testing.T) sot.DeskEnv {
		d := sot.NewDesk()
		return sot.DeskEnv{
			Desk:           d,
			Orders:         func(*testing.T) []sot.DeskOrder { return d.Orders() },
			SetLocked:      func(_ *testing.T, n int, locked bool) { d.SetLocked(n, locked) },
			LockBy:         func(_ *testing.T, n int, holder string) { d.LockBy(n, holder) },
			DropNextCreate: func(*testing.T) { d.Inject(sot.OpCreate, sot.Fault{Applied: true}) },
		}
	})
}

// Without the optional controls the scenarios that need them are skipped.
func TestDeskScenariosMinimalEnv(t *testing.T) {
	t.Parallel()
	sot.RunDeskScenarios(t, func(t *testing.T) sot.DeskEnv {
		d := sot.NewDesk()
		return sot.DeskEnv{Desk: d, Orders: func(*testing.T) []sot.DeskOrder { return d.Orders() }}
	})
}
