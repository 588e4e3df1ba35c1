package kasperskytigerpaw

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/history"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// GuardOf returns the billing guard of an integration: its configuration's
// policy when it has one, else def (the daemon's); nil when the policy
// applies everything.
func GuardOf(cfg mapping.Config, def *mapping.BillingGuard) *billing.Guard {
	p := cfg.BillingGuard
	if p == nil {
		p = def
	}
	if !p.Holds() {
		return nil
	}
	return &billing.Guard{DropPercent: int64(p.DropPercent), DropUnits: int64(p.DropUnits)}
}

// guard holds the plan's suspicious changes (see BillingJob.Guard), letting
// through those a person approved. Decisions that cannot be read approve
// nothing: the changes stay held.
func (j *BillingJob) guard(ctx context.Context, cfg mapping.Config, plan billing.Plan) billing.Plan {
	g := GuardOf(cfg, j.Guard)
	if g == nil {
		return plan
	}
	decisions := j.decisions(ctx)
	plan = g.Filter(plan, decisions)
	for _, h := range plan.Held {
		j.logger().InfoContext(ctx, "billing holds a change for approval", "change", h.Change.String(),
			"why", strings.Join(h.Why, "; "), "rejected", h.Rejected, "key", h.Key)
	}
	return plan
}

func (j *BillingJob) decisions(ctx context.Context) map[string]billing.Decision {
	if j.Decisions == nil {
		return nil
	}
	d, err := j.Decisions.Decisions(ctx)
	if err != nil {
		j.logger().WarnContext(ctx, "cannot read the decisions on held changes; the changes stay held", "err", err)
		return nil
	}
	return d
}

// forgetStale removes the decisions that no longer apply to a change of the
// plan (written, or moved on with the usage).
func (j *BillingJob) forgetStale(ctx context.Context, plan billing.Plan) {
	if j.Decisions == nil {
		return
	}
	d, err := j.Decisions.Decisions(ctx)
	if err != nil || len(d) == 0 {
		return
	}
	if stale := billing.Stale(plan, d); len(stale) > 0 {
		if err := j.Decisions.Forget(ctx, stale); err != nil {
			j.logger().WarnContext(ctx, "cannot forget the decisions on changes that no longer exist", "err", err)
		}
	}
}

// recordHistory stores the day's usage snapshot of every billed tenant, and
// prunes what the retention no longer keeps. A failure is logged: the
// history never fails billing.
func (j *BillingJob) recordHistory(ctx context.Context, plan billing.Plan, res billing.Result, at time.Time) {
	if j.History == nil {
		return
	}
	snaps := Snapshots(plan, res, at)
	if err := j.History.Record(ctx, snaps); err != nil {
		j.logger().WarnContext(ctx, "cannot store the usage history", "err", err)
		return
	}
	keep := j.HistoryRetention
	if keep <= 0 {
		keep = history.DefaultRetention
	}
	if _, err := j.History.Prune(ctx, at.Add(-keep)); err != nil {
		j.logger().WarnContext(ctx, "cannot prune the usage history", "err", err)
	}
}

// Snapshots builds the usage snapshots of an applied plan at a time: per
// tenant of a planned agreement, its counted usage per item, and the billed
// quantity after the cycle. An item whose change was held or failed is billed
// what its charge had (shared among the agreement's tenants in proportion to
// their usage); the others bill their usage.
func Snapshots(plan billing.Plan, res billing.Result, at time.Time) []history.Snapshot {
	type itemKey struct {
		agreement int
		item      string
	}
	kept := map[itemKey]int64{} // what the charge still bills, when not brought up to date
	for _, h := range plan.Held {
		if h.Action == billing.Update {
			kept[itemKey{h.Agreement, billing.ItemKey(h.ItemID)}] = h.Current.Quantity
		}
	}
	for _, f := range res.Failed {
		k := itemKey{f.Agreement, billing.ItemKey(f.ItemID)}
		for _, c := range plan.Changes {
			if c.Agreement == f.Agreement && billing.SameItem(c.ItemID, f.ItemID) && c.Action == f.Action {
				switch c.Action {
				case billing.Create:
					kept[k] = 0
				case billing.Update:
					kept[k] = c.Current.Quantity
				}
			}
		}
	}
	sum := map[itemKey]int64{}
	count := map[itemKey]int{}
	for _, u := range plan.Usage {
		k := itemKey{u.Agreement, billing.ItemKey(u.ItemID)}
		sum[k] += u.Quantity
		count[k]++
	}
	given := map[itemKey]int64{}
	seen := map[itemKey]int{}
	day := history.Day(at)
	var out []history.Snapshot
	idx := map[string]int{}
	for _, u := range plan.Usage {
		k := itemKey{u.Agreement, billing.ItemKey(u.ItemID)}
		billed := u.Quantity
		if total, ok := kept[k]; ok {
			seen[k]++
			if seen[k] == count[k] {
				billed = total - given[k] // the last one takes the rest
			} else if sum[k] > 0 {
				billed = total * u.Quantity / sum[k]
			}
			given[k] += billed
		}
		i, ok := idx[u.TenantID]
		if !ok {
			i = len(out)
			idx[u.TenantID] = i
			out = append(out, history.Snapshot{TenantID: u.TenantID, Day: day, At: at})
		}
		out[i].Items = append(out[i].Items, history.Item{Agreement: u.Agreement, App: u.App, Category: u.Category,
			ItemID: u.ItemID, Usage: u.Quantity, Billed: billed, Price: u.Price, PriceLevel: u.PriceLevel})
	}
	return out
}

// heldLines describes the held changes, for a cycle's result.
func heldLines(plan billing.Plan) map[int][]string {
	out := map[int][]string{}
	for _, h := range plan.Held {
		line := fmt.Sprintf("%s held: %s", h.Change.String(), strings.Join(h.Why, "; "))
		if h.Rejected {
			line += " (rejected)"
		}
		out[h.Agreement] = append(out[h.Agreement], line)
	}
	return out
}
