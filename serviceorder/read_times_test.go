package serviceorder_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	sot "github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

// Only tenants in the integration (mapped to an account number of at least 1)
// and only the input Evaluate used for a tenant given twice set read times.
func TestReadTimesOnlyForEvaluatedInputs(t *testing.T) {
	t.Parallel()
	runner, err := serviceorder.NewRunner(sot.NewDesk(), serviceorder.NewMemoryStore(), serviceorder.WithClock(func() time.Time { return t0 }))
	if err != nil {
		t.Fatal(err)
	}
	c := serviceorder.Cycle{Rules: sot.Rules(), Accounts: serviceorder.Accounts{tenantA: accountA, tenantB: 0}, Tenants: []serviceorder.TenantInput{
		{Tenant: kaspersky.Tenant{ID: tenantA}, ReadAt: t0},
		{Tenant: kaspersky.Tenant{ID: tenantB}, ReadAt: t0},
		{Tenant: kaspersky.Tenant{ID: tenantA}, ReadAt: t0.Add(time.Hour)},
	}}
	if _, err := runner.Run(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	reads, err := runner.LastReads(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]time.Time{tenantA: t0}, reads); d != "" {
		t.Fatalf("read times (-want +got):\n%s", d)
	}
}
