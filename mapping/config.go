package mapping

import (
	"fmt"
	"slices"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// Solution is the Kaspersky console an integration connects to Tigerpaw.
type Solution string

// The solutions.
const (
	// SolutionKSC is Kaspersky Security Center; its tenants are virtual servers.
	SolutionKSC Solution = "ksc"
	// SolutionHub is Kaspersky Business Hub; its tenants are companies.
	SolutionHub Solution = "hub"
)

// Valid reports whether s is one of the solutions.
func (s Solution) Valid() bool { return s == SolutionKSC || s == SolutionHub }

// TenantKind returns the kind of tenant the solution manages: virtual servers for
// KSC, companies for Business Hub. It returns 0 for an invalid solution.
func (s Solution) TenantKind() kaspersky.TenantKind {
	switch s {
	case SolutionKSC:
		return kaspersky.KindVirtualServer
	case SolutionHub:
		return kaspersky.KindCompany
	}
	return 0
}

// String names the solution as the product does.
func (s Solution) String() string {
	switch s {
	case SolutionKSC:
		return "Kaspersky Security Center"
	case SolutionHub:
		return "Kaspersky Business Hub"
	}
	return fmt.Sprintf("Solution(%q)", string(s))
}

// Config is the configuration of one integration between a Kaspersky console and
// Tigerpaw: the Companies, Accounts and Price book items tabs of the product's
// configuration window. It is a plain value: build it directly, or edit a saved
// one through an [Editor]. [Config.Check] applies the rules that need no Tigerpaw
// data, [Validate] applies all of them.
//
// Tigerpaw numbers (accounts, agreements, price levels, external products) are
// positive; 0 means "not set".
type Config struct {
	// Name identifies the integration in a [Store]. Several integrations may share
	// a store.
	Name string `json:"name"`
	// Revision is the store's revision of the saved configuration: 0 for one that
	// was never saved. Stores use it for optimistic concurrency.
	Revision int64 `json:"revision,omitzero"`
	// Solution is the console the integration connects to.
	Solution Solution `json:"solution"`
	// ExternalProductID is the Tigerpaw External Product associated with the API
	// user of the integration. Every account with automatic billing on must be
	// cross-referenced to it.
	ExternalProductID int `json:"externalProductId,omitzero"`
	// Tenants are the virtual servers or companies added to the integration, in
	// display order, each with its Tigerpaw account when mapped.
	Tenants []Tenant `json:"tenants,omitempty"`
	// PriceBook maps applications to Tigerpaw price book items.
	PriceBook PriceBook `json:"priceBook,omitzero"`
	// BillingGuard is the integration's billing guard policy; nil leaves it
	// to the daemon's configuration (see BillingGuard).
	BillingGuard *BillingGuard `json:"billingGuard,omitempty"`
}

// Tenant is a virtual server or company added to an integration.
type Tenant struct {
	// ID is the console's stable id of the tenant (kaspersky.Tenant.ID).
	ID string `json:"id"`
	// Name is the tenant's name in its console. It is written to the account's
	// custom field in Tigerpaw and searched by [SearchTenants].
	Name string `json:"name"`
	// Account is the Tigerpaw account the tenant is mapped to; nil when unmapped.
	Account *AccountMapping `json:"account,omitempty"`
}

// AccountMapping is the Tigerpaw account of a tenant, with its billing settings.
type AccountMapping struct {
	// Number is the Tigerpaw account number.
	Number int `json:"number"`
	// Billing holds the automatic billing settings of the account.
	Billing Billing `json:"billing,omitzero"`
}

// Billing is the automatic billing settings of a mapped account.
type Billing struct {
	// Enabled turns automatic billing on for the account.
	Enabled bool `json:"enabled,omitzero"`
	// Agreement is the number of the account's recurring Tigerpaw agreement that
	// receives the Additional Charges. Required when Enabled.
	Agreement int `json:"agreement,omitzero"`
	// PriceLevel is the id of the Tigerpaw price level used to price the charges.
	// Required when Enabled.
	PriceLevel int `json:"priceLevel,omitzero"`
}

// PriceBook is the mapping of applications to Tigerpaw price book items.
type PriceBook struct {
	// BillByCategory is the "Bill devices by category" option: per-device
	// applications map to three items, one per device category. Per-user and
	// per-mailbox applications map to one item whatever this option says.
	BillByCategory bool `json:"billByCategory,omitzero"`
	// Apps lists the mapped applications, each at most once.
	Apps []AppItems `json:"apps,omitempty"`
}

// AppItems is the price book items of one application: either Item alone, or
// the three category items (when BillByCategory is on and the application is
// licensed per device). Item ids are Tigerpaw price book ItemIds.
type AppItems struct {
	App          kaspersky.AppID `json:"app"`
	Item         string          `json:"item,omitempty"`
	Workstations string          `json:"workstations,omitempty"`
	Servers      string          `json:"servers,omitempty"`
	NonWindows   string          `json:"nonWindows,omitempty"`
}

// SingleItem returns the mapping of app to one price book item.
func SingleItem(app kaspersky.AppID, itemID string) AppItems {
	return AppItems{App: app, Item: itemID}
}

// ItemsByCategory returns the mapping of app to three price book items: Windows
// workstations, Windows servers and non-Windows devices.
func ItemsByCategory(app kaspersky.AppID, workstations, servers, nonWindows string) AppItems {
	return AppItems{App: app, Workstations: workstations, Servers: servers, NonWindows: nonWindows}
}

// byCategory reports whether any category item is set.
func (a AppItems) byCategory() bool {
	return a.Workstations != "" || a.Servers != "" || a.NonWindows != ""
}

// categoryItem returns the item of category c.
func (a AppItems) categoryItem(c kaspersky.Category) string {
	switch c {
	case kaspersky.WindowsWorkstation:
		return a.Workstations
	case kaspersky.WindowsServer:
		return a.Servers
	case kaspersky.NonWindows:
		return a.NonWindows
	}
	return ""
}

// ItemIDs returns the item ids the mapping refers to, without empty ones.
func (a AppItems) ItemIDs() []string {
	var ids []string
	for _, id := range []string{a.Item, a.Workstations, a.Servers, a.NonWindows} {
		if id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// Lookup returns the mapping of app.
func (p PriceBook) Lookup(app kaspersky.AppID) (AppItems, bool) {
	for _, a := range p.Apps {
		if a.App == app {
			return a, true
		}
	}
	return AppItems{}, false
}

// BillingAccount is what billing needs to know about one account with automatic
// billing on.
type BillingAccount struct {
	TenantID      string
	TenantName    string
	AccountNumber int
	Agreement     int
	PriceLevel    int
}

// BillingAccounts returns the mapped accounts with automatic billing on, in
// tenant order.
func (c Config) BillingAccounts() []BillingAccount {
	var out []BillingAccount
	for _, t := range c.Tenants {
		if t.Account == nil || !t.Account.Billing.Enabled {
			continue
		}
		out = append(out, BillingAccount{
			TenantID:      t.ID,
			TenantName:    t.Name,
			AccountNumber: t.Account.Number,
			Agreement:     t.Account.Billing.Agreement,
			PriceLevel:    t.Account.Billing.PriceLevel,
		})
	}
	return out
}

// Tenant returns the tenant with the given id.
func (c Config) Tenant(id string) (Tenant, bool) {
	if i := c.tenantIndex(id); i >= 0 {
		return c.Tenants[i].clone(), true
	}
	return Tenant{}, false
}

// AccountOf returns the account number mapped to tenant id.
func (c Config) AccountOf(tenantID string) (int, bool) {
	if i := c.tenantIndex(tenantID); i >= 0 && c.Tenants[i].Account != nil {
		return c.Tenants[i].Account.Number, true
	}
	return 0, false
}

// TenantOf returns the tenant mapped to account number.
func (c Config) TenantOf(account int) (Tenant, bool) {
	for _, t := range c.Tenants {
		if t.Account != nil && t.Account.Number == account {
			return t.clone(), true
		}
	}
	return Tenant{}, false
}

// TenantsWithoutAccount returns the tenants of the integration that are not
// mapped to an account, in display order.
func (c Config) TenantsWithoutAccount() []Tenant {
	var out []Tenant
	for _, t := range c.Tenants {
		if t.Account == nil {
			out = append(out, t.clone())
		}
	}
	return out
}

func (c *Config) tenantIndex(id string) int {
	return slices.IndexFunc(c.Tenants, func(t Tenant) bool { return t.ID == id })
}

// Clone returns a deep copy of c.
func (c Config) Clone() Config {
	out := c
	out.Tenants = nil
	if len(c.Tenants) > 0 {
		out.Tenants = make([]Tenant, len(c.Tenants))
		for i, t := range c.Tenants {
			out.Tenants[i] = t.clone()
		}
	}
	out.PriceBook.Apps = nil
	if len(c.PriceBook.Apps) > 0 {
		out.PriceBook.Apps = slices.Clone(c.PriceBook.Apps)
	}
	return out
}

func (t Tenant) clone() Tenant {
	if t.Account != nil {
		a := *t.Account
		t.Account = &a
	}
	return t
}
