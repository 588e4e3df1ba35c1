package serviceorder_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	sot "github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

// An event dated absurdly far in the future (a broken console clock or a
// corrupt record) is not turned into an order, and cannot make every later
// write of a FileStore fail (JSON cannot encode years after 9999), which
// would stop every tenant's orders.
func TestFarFutureEventDoesNotJamTheStore(t *testing.T) {
	t.Parallel()
	store, err := serviceorder.OpenFileStore(filepath.Join(t.TempDir(), "so.json"))
	if err != nil {
		t.Fatal(err)
	}
	desk := sot.NewDesk()
	clock := sot.NewClock(t0)
	runner, err := serviceorder.NewRunner(desk, store, serviceorder.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	rules := sot.Rules()
	for i := range rules.Events {
		rules.Events[i].OrderSettings = serviceorder.OrderSettings{Enabled: true, Priority: "High"}
	}
	for i := range rules.Statuses {
		rules.Statuses[i].OrderSettings = serviceorder.OrderSettings{Enabled: true, Priority: "High"}
	}
	c := serviceorder.Cycle{Rules: rules, Accounts: serviceorder.Accounts{tenantA: accountA, tenantB: accountB}, Tenants: []serviceorder.TenantInput{
		{Tenant: kaspersky.Tenant{ID: tenantA}, InventoryOK: true, ReadAt: t0, Events: []kaspersky.Event{
			{ID: "bad", Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical, Time: time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)},
			{ID: "soon", Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical, Time: t0.Add(400 * 24 * time.Hour)},
		}},
		{Tenant: kaspersky.Tenant{ID: tenantB}, InventoryOK: true, ReadAt: t0, Devices: []kaspersky.Device{
			sot.Device(tenantB, "1", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated),
		}},
	}}
	res, err := runner.Run(t.Context(), c)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(res.Created) != 1 || res.Created[0].TenantID != tenantB || len(res.Failed) != 0 {
		t.Fatalf("created %+v failed %v, want only tenant B's status order", res.Created, res.Failed)
	}
	st, err := store.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]time.Time{tenantA: t0, tenantB: t0}, st.TenantReads); d != "" {
		t.Fatalf("read times (-want +got):\n%s", d)
	}
}

// The relevance window of an event is its rule's lifetime on either side of
// now: younger than the lifetime, and dated less than a lifetime ahead.
func TestEventRelevanceWindow(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	for _, tc := range []struct {
		offset time.Duration // event time minus now
		want   int
	}{
		{offset: -day, want: 0},
		{offset: -day + time.Nanosecond, want: 1},
		{offset: 0, want: 1},
		{offset: day - time.Nanosecond, want: 1},
		{offset: day, want: 0},
	} {
		t.Run(tc.offset.String(), func(t *testing.T) {
			t.Parallel()
			in := baseInput()
			in.Tenants = []serviceorder.TenantInput{{Tenant: kaspersky.Tenant{ID: tenantA}, Events: []kaspersky.Event{
				{ID: "1", Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical, Time: t0.Add(tc.offset)},
			}}}
			if got := len(serviceorder.Evaluate(in).Actions); got != tc.want {
				t.Fatalf("actions = %d, want %d", got, tc.want)
			}
		})
	}
}
