package billing

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// listBoundDevices adds to the inventory's devices, without a category, the
// devices its licenses bind that it does not list, so that Biller.Plan takes it
// as consistent (see kaspersky.CheckInventory); Count alone is tested with such
// devices missing.
func listBoundDevices(inv kaspersky.Inventory) kaspersky.Inventory {
	listed := map[string]bool{}
	for _, d := range inv.Devices {
		listed[d.ID] = true
	}
	for _, l := range inv.Licenses {
		for _, id := range append(slices.Clone(l.ActiveDevices), l.ReserveDevices...) {
			if !listed[id] {
				listed[id] = true
				inv.Devices = append(inv.Devices, kaspersky.Device{ID: id, TenantID: inv.Tenant.ID})
			}
		}
	}
	return inv
}

// randomInventory makes a tenant with random devices and licenses of the
// per-device, per-user and per-mailbox applications.
func randomInventory(r *rand.Rand, tenant string) kaspersky.Inventory {
	inv := kaspersky.Inventory{Tenant: kaspersky.Tenant{ID: tenant}}
	users := []string{"", "ann", "bob", "carl", "dora"}
	for i := range r.IntN(30) {
		inv.Devices = append(inv.Devices, kaspersky.Device{
			ID:       fmt.Sprintf("%s-d%d", tenant, i),
			Category: kaspersky.Category(r.IntN(4)), // 0 is an invalid category
			Mobile:   r.IntN(4) == 0,
			UserID:   users[r.IntN(len(users))],
		})
	}
	pick := func() []string {
		var out []string
		for range r.IntN(len(inv.Devices) + 2) {
			if r.IntN(10) == 0 || len(inv.Devices) == 0 {
				out = append(out, fmt.Sprintf("%s-ghost%d", tenant, r.IntN(3)))
				continue
			}
			out = append(out, inv.Devices[r.IntN(len(inv.Devices))].ID)
		}
		return out
	}
	apps := []kaspersky.AppID{kaspersky.AppKESBAdvanced, kaspersky.AppKESBSelect, kaspersky.AppTotalSecurity, kaspersky.AppKESCloudPlus, kaspersky.AppOffice365, "x-new-product"}
	for i := range r.IntN(5) {
		l := kaspersky.License{
			ID:             fmt.Sprintf("%s-k%d", tenant, i),
			Application:    apps[r.IntN(len(apps))],
			Type:           kaspersky.KeyType(r.IntN(7)),
			State:          kaspersky.LicenseState(r.IntN(5)),
			ActiveDevices:  pick(),
			ReserveDevices: pick(),
			Mailboxes:      r.IntN(20),
		}
		if r.IntN(2) == 0 {
			l.Type = kaspersky.KeyCommercial // make billable keys common
		}
		if r.IntN(3) == 0 {
			l.State = kaspersky.StateActive
		}
		switch r.IntN(3) {
		case 0:
			l.Expires = now.Add(time.Duration(r.IntN(48)-24) * time.Hour)
		case 1:
			l.Expires = now.AddDate(1, 0, 0)
		}
		for range r.IntN(3) {
			l.Users = append(l.Users, users[r.IntN(len(users))])
		}
		inv.Licenses = append(inv.Licenses, l)
	}
	if r.IntN(2) == 0 {
		inv.Office365 = &kaspersky.Office365Status{ProtectedMailboxes: r.IntN(60)}
	}
	return inv
}

// referenceCount counts per-device usage the plain way, as an oracle for the
// Counter.
func referenceCount(inv *kaspersky.Inventory) map[Usage]bool {
	cat := map[string]kaspersky.Category{}
	for _, d := range inv.Devices {
		cat[d.ID] = d.Category
	}
	seen := map[kaspersky.AppID]map[string]bool{}
	for i := range inv.Licenses {
		l := &inv.Licenses[i]
		if !Billable(l, now) || kaspersky.LicensingOf(l.Application) != kaspersky.PerDevice {
			continue
		}
		if seen[l.Application] == nil {
			seen[l.Application] = map[string]bool{}
		}
		for _, id := range l.ActiveDevices {
			seen[l.Application][id] = true
		}
	}
	counts := map[[2]any]int64{}
	for app, ids := range seen {
		for id := range ids {
			c := cat[id]
			if !c.Valid() {
				c = 0
			}
			counts[[2]any{app, c}]++
		}
	}
	out := map[Usage]bool{}
	for k, q := range counts {
		out[Usage{App: k[0].(kaspersky.AppID), Category: k[1].(kaspersky.Category), Quantity: q}] = true
	}
	return out
}

func TestPropertyCountMatchesReference(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	var c Counter
	for i := range 2000 {
		inv := randomInventory(r, fmt.Sprintf("t%d", i))
		got := map[Usage]bool{}
		for _, u := range c.Count(&inv, now) {
			if kaspersky.LicensingOf(u.App) == kaspersky.PerDevice {
				got[u] = true
			}
		}
		if d := cmp.Diff(referenceCount(&inv), got); d != "" {
			t.Fatalf("inventory %d: per-device usage (-reference +counter):\n%s", i, d)
		}
	}
}

// randomExisting makes the charges an agreement may hold: owned ones (some right,
// some stale, some duplicated, some in another spelling of the item id) and
// manual ones.
func randomExisting(r *rand.Rand, id *int64, desired []Charge) []Charge {
	var out []Charge
	items := []string{"KESB-ADV-WS", "KESB-ADV-SRV", "KSO365", "STALE-ITEM"}
	for _, d := range desired {
		items = append(items, d.ItemID)
	}
	for range r.IntN(8) {
		*id++
		item := items[r.IntN(len(items))]
		if r.IntN(5) == 0 {
			item = " " + item
		}
		c := Charge{DetailID: *id, ItemID: item, Quantity: int64(r.IntN(5)), Price: Money(r.IntN(3) * 150), PriceLevel: 1 + r.IntN(2)}
		if i := slices.IndexFunc(desired, func(x Charge) bool { return x.ItemID == item }); i >= 0 && r.IntN(2) == 0 {
			c.Quantity, c.Price, c.PriceLevel = desired[i].Quantity, desired[i].Price, desired[i].PriceLevel
		}
		if r.IntN(3) == 0 {
			c.Description = "typed by a person"
		} else {
			c.Description = Describe("earlier run")
		}
		out = append(out, c)
	}
	return out
}

// TestPropertyApplyThenDiffIsEmpty: over random worlds, applying a plan and
// diffing again yields an empty plan, manual charges are untouched, and no item
// has two owned charges; also when writes fail after the server acted.
func TestPropertyApplyThenDiffIsEmpty(t *testing.T) {
	t.Parallel()
	for _, faults := range []bool{false, true} {
		r := rand.New(rand.NewPCG(42, 7))
		for iter := range 300 {
			book := testBook()
			if r.IntN(2) == 0 {
				book = PriceBook{Items: map[kaspersky.AppID]ItemMapping{
					kaspersky.AppKESBAdvanced: {Item: "KESB-ADV"}, kaspersky.AppKESBSelect: {Item: "KESB-ADV"},
					"x-new-product": {Item: "KESB-ADV-NW"}, kaspersky.AppOffice365: {Item: "KSO365"},
				}}
			}
			b := newTestBiller(t, book)
			var accounts []Account
			var inventories []kaspersky.Inventory
			existing := map[int][]Charge{}
			var id int64
			for a := range 1 + r.IntN(4) {
				ag := 100 + a
				for k := range 1 + r.IntN(2) {
					tenant := fmt.Sprintf("t%d-%d", ag, k)
					accounts = append(accounts, Account{TenantID: tenant, AccountNumber: ag, AgreementNumber: ag, PriceLevel: 1 + ag%2})
					inventories = append(inventories, listBoundDevices(randomInventory(r, tenant)))
				}
				existing[ag] = randomExisting(r, &id, nil)
			}
			w := newFakeWriter(existing)
			plan, err := b.Plan(t.Context(), w, accounts, inventories, now)
			if err != nil || len(plan.Skipped) > 0 {
				t.Fatalf("iteration %d: Plan: %v, skipped %v", iter, err, plan.Skipped)
			}
			if faults {
				for range r.IntN(6) {
					op := []string{"create", "update", "delete", "list"}[r.IntN(4)]
					w.inject(fault{op: op, applied: op != "list", err: errDropped})
				}
			}
			w.calls = nil
			if _, err := Apply(t.Context(), plan, w, WithBackoff(0)); err != nil {
				if !faults {
					t.Fatalf("iteration %d: Apply: %v\nplan:\n%s", iter, err, plan.Explain())
				}
				// More faults than attempts: nothing may be duplicated (checked
				// below), and the next cycle finishes the work.
				checkAgreements(t, iter, w, existing, false)
				w.faults = nil
				next, err := b.Plan(t.Context(), w, accounts, inventories, now)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := Apply(t.Context(), next, w, WithBackoff(0)); err != nil {
					t.Fatalf("iteration %d: second Apply: %v", iter, err)
				}
			}
			again, err := b.Plan(t.Context(), w, accounts, inventories, now)
			if err != nil {
				t.Fatal(err)
			}
			if !again.Empty() {
				t.Fatalf("iteration %d (faults %v): the plan after Apply is not empty:\n%s\nfirst plan:\n%s", iter, faults, again, plan.Explain())
			}
			checkAgreements(t, iter, w, existing, true)
		}
	}
}

// checkAgreements fails the test when a manual charge changed, or when an item
// has more owned charges than allowed: one when strict, else no more than before
// Apply (a duplicate from an earlier fault may wait for a later cycle, but Apply
// never adds one).
func checkAgreements(t *testing.T, iter int, w *fakeWriter, existing map[int][]Charge, strict bool) {
	t.Helper()
	for ag, before := range existing {
		limit := map[string]int{}
		for _, c := range before {
			if c.Owned() && !strict {
				limit[normalizeItem(c.ItemID)]++
			}
		}
		after := w.snapshot(ag)
		count := map[string]int{}
		for _, c := range after {
			if !c.Owned() {
				continue
			}
			key := normalizeItem(c.ItemID)
			count[key]++
			if count[key] > max(1, limit[key]) {
				t.Fatalf("iteration %d: agreement %d has %d owned charges for %s: %+v", iter, ag, count[key], c.ItemID, after)
			}
		}
		for _, c := range before {
			if !c.Owned() && !slices.Contains(after, c) {
				t.Fatalf("iteration %d: manual charge %+v of agreement %d changed", iter, c, ag)
			}
		}
	}
}

// normalizeItem is the item id as Tigerpaw compares it.
func normalizeItem(s string) string {
	return strings.ToUpper(strings.TrimSpace(s))
}
