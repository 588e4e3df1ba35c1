package console

import (
	"context"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/history"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// hubGuardWorld is the Business Hub world with company co-1 billed on
// agreement 501, a guard that holds the drop of its KES Cloud Plus users by
// half, and 30 days of usage history.
func hubGuardWorld(t testing.TB) *world {
	t.Helper()
	w := hubWorld(t)
	ctx := context.Background()
	cfg := w.saved(t)
	cfg.Tenants[0].Account = &mapping.AccountMapping{Number: 101, Billing: mapping.Billing{Enabled: true, Agreement: 501, PriceLevel: 1}}
	if _, err := w.store.Save(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	cur := billing.Charge{DetailID: 21, ItemID: "KESC-PLUS", Description: billing.Describe("plus"), Quantity: 40, Price: 300, PriceLevel: 1}
	half := cur
	half.Quantity = 20
	plan := &billing.Plan{Planned: 1, Changes: []billing.Change{
		{Action: billing.Update, Agreement: 501, ItemID: "KESC-PLUS", Current: cur, Desired: half, Reason: "the usage changed"},
	}, Usage: []billing.ItemUsage{
		{Agreement: 501, TenantID: "co-1", App: kaspersky.AppKESCloudPlus, ItemID: "KESC-PLUS", Quantity: 20, Price: 300, PriceLevel: 1},
	}}
	dec := billing.NewFileDecisions(t.TempDir() + "/decisions.json")
	w.opts.Decisions = dec
	w.opts.Planner = guardPlanner{plan: plan, decisions: dec}
	h, err := history.OpenFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var snaps []history.Snapshot
	today := time.Now().UTC()
	for d := range 30 {
		at := today.AddDate(0, 0, d-29)
		n := int64(40 - d/15*20)
		snaps = append(snaps, history.Snapshot{TenantID: "co-1", Day: history.Day(at), At: at, Items: []history.Item{
			{Agreement: 501, App: kaspersky.AppKESCloudPlus, ItemID: "KESC-PLUS", Usage: n, Billed: min(n, 40), Price: 300, PriceLevel: 1},
		}})
	}
	if err := h.Record(ctx, snaps); err != nil {
		t.Fatal(err)
	}
	w.opts.History = h
	return w
}

// TestBrowserHubPlanAndUsageA11y: for a Business Hub integration, the Billing
// plan tab with a held change and the Usage tab with a company's chart render
// in the solution's wording and pass axe-core (no serious or critical
// violation), as the KSC world's do.
func TestBrowserHubPlanAndUsageA11y(t *testing.T) {
	axe := axeSource(t)
	w := hubGuardWorld(t)
	w.opts.Runtime = statusRuntime()
	b := openBrowser(t, w)
	b.open("plan")
	b.wantText("#held-title", "Held for approval: 1 change(s)")
	b.wantText("#held tbody tr:nth-child(1)", "the quantity drops from 40 to 20")
	b.wantText("#held tbody tr:nth-child(1)", "company \u201cContoso\u201d counts 20 (Kaspersky Endpoint Security Cloud Plus)")
	b.wantText("#usage-link", "Usage history of the companies")
	b.checkA11ySerious("Business Hub /plan with a held change", axe)
	b.open("usage?tenant=co-1&days=30")
	if n := eval[int](b, `document.querySelectorAll("svg#usage-chart g.series polyline").length`); n != 1 {
		t.Errorf("%d series lines, want 1 (KES Cloud Plus)", n)
	}
	b.checkA11ySerious("Business Hub /usage with a chart", axe)
	b.open("")
	b.checkA11ySerious("Business Hub status page with a held change", axe)
}
