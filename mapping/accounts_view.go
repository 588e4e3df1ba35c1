package mapping

import (
	"context"
	"fmt"
	"strings"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// UnmappedAccounts returns the Tigerpaw accounts that no tenant of cfgs is mapped
// to, in the directory's order, optionally only those of one account type
// (compared without regard to case; "" means every type). Pass every
// configuration of the store: an account mapped in any integration has a tenant.
// This is the report the product builds with a Tigerpaw Accounts Matrix view.
func UnmappedAccounts(ctx context.Context, dir Directory, accountType string, cfgs ...Config) ([]Account, error) {
	if dir == nil {
		return nil, fmt.Errorf("mapping: unmapped accounts: no Tigerpaw directory: %w", ErrRequired)
	}
	list, err := dir.Accounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("mapping: listing Tigerpaw accounts: %w", err)
	}
	mapped := map[int]bool{}
	for _, c := range cfgs {
		for _, t := range c.Tenants {
			if t.Account != nil {
				mapped[t.Account.Number] = true
			}
		}
	}
	var out []Account
	for _, a := range list {
		if mapped[a.Number] || (accountType != "" && !strings.EqualFold(a.Type, accountType)) {
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// AvailableTenants returns the tenants of the console (all) that can be added to
// the integration named name: those of the solution's kind that no other
// integration of cfgs holds. Tenants already in the integration are included, as
// the product's check list shows them checked.
func AvailableTenants(name string, solution Solution, all []kaspersky.Tenant, cfgs ...Config) []kaspersky.Tenant {
	taken := map[string]bool{}
	for _, c := range cfgs {
		if c.Name == name || c.Solution != solution {
			continue
		}
		for _, t := range c.Tenants {
			taken[t.ID] = true
		}
	}
	var out []kaspersky.Tenant
	for _, t := range all {
		if t.Kind == solution.TenantKind() && !taken[t.ID] {
			out = append(out, t)
		}
	}
	return out
}
