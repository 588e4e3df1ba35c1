package history

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
)

// Change is a move of one tenant's billing from one snapshot to the next: an
// item billed more or less, a new item, an item gone, a new price, or usage
// that the billed quantity does not follow (a change held for approval).
type Change struct {
	Day      string
	TenantID string
	ItemID   string
	Label    string
	// From and To are the billed quantities before and after; Delta is To -
	// From.
	From, To, Delta int64
	// Text says it in a few words: "+5 Windows workstations".
	Text string
	// Reason says why.
	Reason string
}

// Changes lists the changes between consecutive snapshots of each tenant,
// ordered by tenant, then day and item. The first snapshot of a tenant has no
// change: there is nothing before it to compare with.
func Changes(snaps []Snapshot) []Change {
	byTenant := map[string][]Snapshot{}
	var tenants []string
	for _, s := range snaps {
		if _, ok := byTenant[s.TenantID]; !ok {
			tenants = append(tenants, s.TenantID)
		}
		byTenant[s.TenantID] = append(byTenant[s.TenantID], s)
	}
	slices.Sort(tenants)
	var out []Change
	for _, t := range tenants {
		list := byTenant[t]
		slices.SortStableFunc(list, func(a, b Snapshot) int { return strings.Compare(a.Day, b.Day) })
		for i := 1; i < len(list); i++ {
			out = append(out, diff(list[i-1], list[i])...)
		}
	}
	return out
}

// diff compares two snapshots of one tenant.
func diff(prev, cur Snapshot) []Change {
	before := map[string]Item{}
	for _, it := range prev.Items {
		before[billing.ItemKey(it.ItemID)] = it
	}
	var out []Change
	seen := map[string]bool{}
	add := func(it Item, from, to int64, reason string) {
		c := Change{Day: cur.Day, TenantID: cur.TenantID, ItemID: it.ItemID, Label: it.Label(), From: from, To: to, Delta: to - from, Reason: reason}
		if c.Delta != 0 {
			c.Text = fmt.Sprintf("%+d %s", c.Delta, shortLabel(it))
		} else {
			c.Text = shortLabel(it)
		}
		out = append(out, c)
	}
	for _, it := range cur.Items {
		k := billing.ItemKey(it.ItemID)
		seen[k] = true
		old, had := before[k]
		switch {
		case !had:
			add(it, 0, it.Billed, "billing of the item starts")
		case old.Billed != it.Billed:
			add(it, old.Billed, it.Billed, fmt.Sprintf("the usage changed from %d to %d", old.Usage, it.Usage))
		case old.Price != it.Price:
			add(it, old.Billed, it.Billed, fmt.Sprintf("the unit price changed from %s to %s", old.Price, it.Price))
		}
		if it.Usage != it.Billed && (!had || old.Usage != it.Usage) {
			add(it, it.Billed, it.Billed, fmt.Sprintf("the usage is %d but %d stays billed: the change is held for approval or was not written", it.Usage, it.Billed))
		}
	}
	for _, it := range prev.Items {
		if !seen[billing.ItemKey(it.ItemID)] {
			add(it, it.Billed, 0, "no billable usage of the item any more")
		}
	}
	slices.SortStableFunc(out, func(a, b Change) int { return strings.Compare(a.ItemID, b.ItemID) })
	return out
}

// shortLabel names an item briefly: its category, or its application.
func shortLabel(it Item) string {
	if it.Category != 0 {
		return it.Category.String()
	}
	return it.Label()
}
