package billing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// ErrNoInventory is wrapped by the reason an agreement is skipped when the
// inventory of a tenant mapped to it was not given (its console could not be
// read, say): billing never deletes charges for lack of data.
var ErrNoInventory = errors.New("no inventory for the tenant")

// Plan computes, without writing anything, the plan of one billing cycle: for
// each agreement of the accounts (with automatic billing on), the usage of the
// tenants mapped to it at now, the desired charges, and the Diff against the
// agreement's charges as r lists them. This is the dry run: print the result
// with Plan.String, or hand it to Apply.
//
// Accounts that share an agreement (several tenants billed to one agreement) are
// billed together: their desired charges are summed per item. An agreement is
// skipped, with the reason in Plan.Skipped and nothing planned for it, when an
// account's settings are invalid, when accounts on it disagree on the price
// level, when a tenant's inventory is missing, given more than once or not
// self-consistent (kaspersky.CheckInventory), when an item has no usable price,
// when its charges cannot be listed or the list is not consistent (see
// CheckCharges; a charge of a price book item with a blank description counts
// too). Once a list fails with ErrUnauthorized, no further agreement is listed:
// they are skipped with that reason, and Plan.Failed reports the plan failed.
// The error is ctx's error when ctx ends; other problems are in Plan.Skipped.
func (b *Biller) Plan(ctx context.Context, r ChargeReader, accounts []Account, inventories []kaspersky.Inventory, now time.Time) (Plan, error) {
	if r == nil {
		return Plan{}, fmt.Errorf("billing: Plan: the ChargeReader is nil: %w", ErrInvalidConfig)
	}
	byTenant := make(map[string]*kaspersky.Inventory, len(inventories))
	for i := range inventories {
		id := inventories[i].Tenant.ID
		if _, twice := byTenant[id]; twice {
			byTenant[id] = nil // two readings of one tenant: billing either is a guess
			continue
		}
		byTenant[id] = &inventories[i]
	}
	listed := make(map[string]int, len(accounts)) // tenant → how many accounts name it
	for _, a := range accounts {
		listed[a.TenantID]++
	}
	sorted := slices.Clone(accounts)
	slices.SortStableFunc(sorted, func(x, y Account) int {
		if r := cmp.Compare(x.AgreementNumber, y.AgreementNumber); r != 0 {
			return r
		}
		return cmp.Compare(x.TenantID, y.TenantID)
	})
	var plan Plan
	var refused error // the first list refused for the credentials
	for start := 0; start < len(sorted); {
		end := start + 1
		for end < len(sorted) && sorted[end].AgreementNumber == sorted[start].AgreementNumber {
			end++
		}
		group := sorted[start:end]
		start = end
		if err := ctx.Err(); err != nil {
			return plan, err
		}
		agreement := group[0].AgreementNumber
		usageStart := len(plan.Usage)
		desired, unbilled, err := b.desiredFor(group, byTenant, listed, now, &plan.Usage)
		if err == nil && refused != nil {
			// One refusal is enough: asking again with the same credentials
			// would only count failed logins against the account.
			err = fmt.Errorf("billing: agreement %d: charges not listed: the server refused the credentials (%w)", agreement, refused)
		}
		if err == nil {
			var existing []Charge
			existing, err = r.List(ctx, agreement)
			switch {
			case err != nil:
				if ctx.Err() != nil {
					return plan, ctx.Err()
				}
				err = fmt.Errorf("billing: listing the charges of agreement %d: %w", agreement, err)
				if errors.Is(err, ErrUnauthorized) {
					refused = err
				}
			default:
				err = b.checkCharges(agreement, existing)
			}
			if err == nil {
				plan.Changes = AppendDiff(plan.Changes, agreement, desired, existing)
				plan.Unbilled = append(plan.Unbilled, unbilled...)
				plan.Planned++
			}
		}
		if err != nil {
			plan.Usage = plan.Usage[:usageStart]
			plan.Skipped = append(plan.Skipped, Skipped{Agreement: agreement, Err: err})
		}
	}
	return plan, nil
}

// desiredFor sums the desired charges of the accounts of one agreement, and
// collects their unbilled usage; the billed usage per tenant and item is
// appended to usage.
func (b *Biller) desiredFor(group []Account, byTenant map[string]*kaspersky.Inventory, listed map[string]int, now time.Time, usage *[]ItemUsage) ([]Charge, []Unbilled, error) {
	var all []Charge
	var unbilled []Unbilled
	for _, acct := range group {
		if err := acct.validate(); err != nil {
			return nil, nil, err
		}
		if n := listed[acct.TenantID]; n > 1 {
			// Counting a tenant twice would bill it twice.
			return nil, nil, fmt.Errorf("billing: agreement %d: tenant %q has billing settings in %d accounts; a tenant is billed once: %w",
				acct.AgreementNumber, acct.TenantID, n, ErrInvalidConfig)
		}
		if acct.PriceLevel != group[0].PriceLevel {
			return nil, nil, fmt.Errorf("billing: agreement %d: accounts disagree on the price level (%d for tenant %q, %d for tenant %q): %w",
				acct.AgreementNumber, group[0].PriceLevel, group[0].TenantID, acct.PriceLevel, acct.TenantID, ErrInvalidConfig)
		}
		inv, ok := byTenant[acct.TenantID]
		switch {
		case !ok:
			return nil, nil, fmt.Errorf("billing: agreement %d: tenant %q: %w", acct.AgreementNumber, acct.TenantID, ErrNoInventory)
		case inv == nil:
			return nil, nil, fmt.Errorf("billing: agreement %d: tenant %q has several inventories; billing needs one: %w", acct.AgreementNumber, acct.TenantID, ErrNoInventory)
		}
		if err := kaspersky.CheckInventory(inv); err != nil {
			// Counting an inventory that contradicts itself would bill what a
			// short read left, and delete the rest.
			return nil, nil, fmt.Errorf("billing: agreement %d: %w", acct.AgreementNumber, err)
		}
		counted := b.Count(inv, now)
		charges, rest, err := b.Desired(acct, counted)
		if err != nil {
			return nil, nil, err
		}
		b.appendUsage(usage, acct, counted, charges)
		for _, u := range rest {
			unbilled = append(unbilled, Unbilled{Agreement: acct.AgreementNumber, TenantID: acct.TenantID, Usage: u})
		}
		for _, c := range charges {
			i := slices.IndexFunc(all, func(x Charge) bool { return x.ItemID == c.ItemID })
			if i < 0 {
				all = append(all, c)
			} else {
				all[i].Quantity += c.Quantity
			}
		}
	}
	slices.SortFunc(all, func(x, y Charge) int { return cmp.Compare(x.ItemID, y.ItemID) })
	return all, unbilled, nil
}

// checkCharges is CheckCharges, and for the items of the price book also that
// no charge has a blank description: whether the integration wrote such a
// charge cannot be told, and taking it for a person's would bill the item twice.
func (b *Biller) checkCharges(agreement int, existing []Charge) error {
	if err := CheckCharges(agreement, existing); err != nil {
		return err
	}
	for i := range existing {
		c := &existing[i]
		if strings.TrimSpace(c.Description) != "" {
			continue
		}
		for j := range b.book.items {
			if SameItem(b.book.items[j].id, c.ItemID) {
				return fmt.Errorf("billing: agreement %d: charge %d of item %q has no description, so whether the integration wrote it cannot be told: %w",
					agreement, c.DetailID, c.ItemID, ErrInconsistentCharges)
			}
		}
	}
	return nil
}

// appendUsage appends the tenant's counted usage per billed item, priced as
// its desired charges.
func (b *Biller) appendUsage(dst *[]ItemUsage, acct Account, counted []Usage, charges []Charge) {
	start := len(*dst)
	for _, u := range counted {
		s := b.book.slotFor(u)
		if s < 0 || u.Quantity <= 0 {
			continue
		}
		id := b.book.items[s].id
		cat := kaspersky.Category(0)
		if ca := b.book.apps[u.App]; ca.byCategory {
			cat = u.Category
		}
		if i := slices.IndexFunc((*dst)[start:], func(x ItemUsage) bool { return x.ItemID == id }); i >= 0 {
			(*dst)[start+i].Quantity += u.Quantity
			continue
		}
		iu := ItemUsage{Agreement: acct.AgreementNumber, TenantID: acct.TenantID, App: u.App, Category: cat,
			ItemID: id, Quantity: u.Quantity, PriceLevel: acct.PriceLevel}
		if i := slices.IndexFunc(charges, func(c Charge) bool { return c.ItemID == id }); i >= 0 {
			iu.Price = charges[i].Price
		}
		*dst = append(*dst, iu)
	}
	slices.SortFunc((*dst)[start:], func(x, y ItemUsage) int { return strings.Compare(x.ItemID, y.ItemID) })
}
