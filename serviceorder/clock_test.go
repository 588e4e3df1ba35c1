package serviceorder_test

import (
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	sot "github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

// A creation delay started while the clock ran ahead (a sighting dated in the
// future) does not hold the order back until that date once the clock is put
// right: the delay starts again from now.
func TestCreationDelayAfterClockRanAhead(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.rules.CreationDelay = 30 * time.Minute
	w.enableStatus(kaspersky.StatusDatabasesOutdated, warnSettings, kaspersky.StatusWarning)
	w.devices(tenantA, sot.Device(tenantA, "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated))
	w.clock.Advance(365 * 24 * time.Hour)
	wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 0) // seen, held back
	w.clock.Advance(-365 * 24 * time.Hour)
	wantCounts(t, w.cycle(), 0, 0, 0, 0, 0, 0) // still within the delay
	w.clock.Advance(30 * time.Minute)
	wantCounts(t, w.cycle(), 1, 0, 0, 0, 0, 0)
}
