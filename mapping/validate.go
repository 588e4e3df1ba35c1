package mapping

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// maxNameLen is the longest integration name, in characters.
const maxNameLen = 200

// CheckName reports whether name can name an integration in a store: not empty,
// at most 200 characters, valid UTF-8 without control characters, and without
// leading or trailing space.
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("mapping: integration name: %w", ErrRequired)
	case !utf8.ValidString(name):
		return fmt.Errorf("mapping: integration name is not valid UTF-8: %w", ErrInvalid)
	case utf8.RuneCountInString(name) > maxNameLen:
		return fmt.Errorf("mapping: integration name is longer than %d characters: %w", maxNameLen, ErrInvalid)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("mapping: integration name %q has leading or trailing space: %w", name, ErrInvalid)
	case strings.ContainsFunc(name, unicode.IsControl):
		return fmt.Errorf("mapping: integration name %q has control characters: %w", name, ErrInvalid)
	}
	return nil
}

// Check applies the rules that need no Tigerpaw data and returns a
// *[ValidationError] listing every problem, or nil:
//
//   - the integration has a valid name and solution;
//   - each tenant has an id and a name and is added once;
//   - one tenant maps to one account and one account to one tenant;
//   - billing on requires an agreement and a price level, and the integration
//     needs the External Product and a price book mapping;
//   - each application is known and mapped once; per-user and per-mailbox
//     applications map to a single item; per-device applications map to three
//     items when "bill devices by category" is on and to one when it is off.
func (c Config) Check() error {
	ps := &problems{name: c.Name}
	c.check(ps)
	return ps.err()
}

func (c *Config) check(ps *problems) {
	if err := CheckName(c.Name); err != nil {
		kind := ErrInvalid
		if errors.Is(err, ErrRequired) {
			kind = ErrRequired
		}
		ps.add(Problem{Kind: kind, Field: "name", Reason: strings.TrimPrefix(err.Error(), "mapping: ")})
	}
	switch {
	case c.Solution == "":
		ps.add(Problem{Kind: ErrRequired, Field: "solution", Reason: `the solution is required ("ksc" or "hub")`})
	case !c.Solution.Valid():
		ps.add(Problem{Kind: ErrInvalid, Field: "solution", Reason: fmt.Sprintf(`unknown solution %q (want "ksc" or "hub")`, string(c.Solution))})
	}
	if c.ExternalProductID < 0 {
		ps.add(Problem{Kind: ErrInvalid, Field: "externalProductId", Reason: fmt.Sprintf("external product id %d is negative", c.ExternalProductID)})
	}
	c.checkTenants(ps)
	c.checkPriceBook(ps)
	if c.BillingGuard != nil {
		if err := c.BillingGuard.Check(); err != nil {
			ps.add(Problem{Kind: ErrInvalid, Field: "billingGuard", Reason: strings.TrimPrefix(err.Error(), "mapping: ")})
		}
	}
}

// tenantKey names tenant i in field paths: its id, or #i when it has none.
func tenantKey(t Tenant, i int) string {
	if strings.TrimSpace(t.ID) == "" {
		return fmt.Sprintf("#%d", i)
	}
	return t.ID
}

func (c *Config) checkTenants(ps *problems) {
	seen := make(map[string]bool, len(c.Tenants))
	accounts := make(map[int]string, len(c.Tenants))
	billing := false
	for i, t := range c.Tenants {
		key := tenantKey(t, i)
		switch {
		case strings.TrimSpace(t.ID) == "":
			ps.add(Problem{Kind: ErrRequired, Field: tenantField(key, "id"), Reason: fmt.Sprintf("tenant %d (%q) has no id", i, t.Name)})
		case seen[t.ID]:
			ps.add(Problem{Kind: ErrDuplicateTenant, Field: tenantField(key, ""), Tenant: t.ID, Reason: fmt.Sprintf("tenant %q is added twice", t.ID)})
		}
		seen[t.ID] = true
		if strings.TrimSpace(t.Name) == "" {
			ps.add(Problem{Kind: ErrRequired, Field: tenantField(key, "name"), Tenant: t.ID, Reason: fmt.Sprintf("tenant %q has no name", t.ID)})
		}
		a := t.Account
		if a == nil {
			continue
		}
		if a.Number <= 0 {
			kind := ErrRequired
			if a.Number < 0 {
				kind = ErrInvalid
			}
			ps.add(Problem{Kind: kind, Field: tenantField(key, "account.number"), Tenant: t.ID, Account: a.Number,
				Reason: fmt.Sprintf("tenant %q: account number %d is not a Tigerpaw account number", t.ID, a.Number)})
		} else if other, ok := accounts[a.Number]; ok {
			ps.add(Problem{Kind: ErrAccountTaken, Field: tenantField(key, "account.number"), Tenant: t.ID, Account: a.Number,
				Reason: fmt.Sprintf("account %d is already mapped to tenant %q", a.Number, other)})
		} else {
			accounts[a.Number] = t.ID
		}
		b := a.Billing
		for _, f := range []struct {
			name  string
			value int
			what  string
		}{{"agreement", b.Agreement, "an agreement"}, {"priceLevel", b.PriceLevel, "a price level"}} {
			switch {
			case f.value < 0:
				ps.add(Problem{Kind: ErrInvalid, Field: tenantField(key, "account.billing."+f.name), Tenant: t.ID, Account: a.Number,
					Reason: fmt.Sprintf("%s %d is negative", f.name, f.value)})
			case b.Enabled && f.value == 0:
				ps.add(Problem{Kind: ErrRequired, Field: tenantField(key, "account.billing."+f.name), Tenant: t.ID, Account: a.Number,
					Reason: fmt.Sprintf("automatic billing of account %d needs %s", a.Number, f.what)})
			}
		}
		billing = billing || b.Enabled
	}
	if !billing {
		return
	}
	if c.ExternalProductID == 0 {
		ps.add(Problem{Kind: ErrRequired, Field: "externalProductId",
			Reason: "automatic billing is on for some accounts: the external product they must be cross-referenced to is required"})
	}
	if len(c.PriceBook.Apps) == 0 {
		ps.add(Problem{Kind: ErrRequired, Field: "priceBook.apps",
			Reason: "automatic billing is on for some accounts: map applications to price book items"})
	}
}

// knownApp reports whether app is in the catalog or derived from an unknown
// product name.
func knownApp(app kaspersky.AppID) bool {
	if _, ok := kaspersky.LookupApplication(app); ok {
		return true
	}
	return strings.HasPrefix(string(app), "x-") && len(app) > 2
}

func (c *Config) checkPriceBook(ps *problems) {
	seen := make(map[kaspersky.AppID]bool, len(c.PriceBook.Apps))
	for i, a := range c.PriceBook.Apps {
		key := a.App
		if key == "" {
			key = kaspersky.AppID(fmt.Sprintf("#%d", i))
		}
		switch {
		case a.App == "":
			ps.add(Problem{Kind: ErrRequired, Field: appField(key, "app"), Reason: fmt.Sprintf("price book mapping %d has no application", i)})
			continue
		case !knownApp(a.App):
			ps.add(Problem{Kind: ErrUnknownApplication, Field: appField(key, "app"), App: a.App,
				Reason: fmt.Sprintf("application %q is not in the catalog", a.App)})
			continue
		case seen[a.App]:
			ps.add(Problem{Kind: ErrDuplicateApplication, Field: appField(key, ""), App: a.App,
				Reason: fmt.Sprintf("application %q is mapped twice", a.App)})
			continue
		}
		seen[a.App] = true
		name := appName(a.App)
		for _, f := range []struct{ name, value string }{
			{"item", a.Item}, {"workstations", a.Workstations}, {"servers", a.Servers}, {"nonWindows", a.NonWindows},
		} {
			if f.value != "" && billing.TrimItemID(f.value) != f.value {
				ps.add(Problem{Kind: ErrInvalid, Field: appField(key, f.name), App: a.App,
					Reason: fmt.Sprintf("price book item id %q has leading or trailing space", f.value)})
			}
		}
		switch {
		case kaspersky.SingleItemOnly(a.App):
			if a.byCategory() {
				ps.add(Problem{Kind: ErrSingleItemOnly, Field: appField(key, ""), App: a.App,
					Reason: fmt.Sprintf("%s is licensed %s: it maps to a single price book item, not one per device category", name, kaspersky.LicensingOf(a.App))})
			}
			if a.Item == "" {
				ps.add(Problem{Kind: ErrRequired, Field: appField(key, "item"), App: a.App,
					Reason: fmt.Sprintf("%s has no price book item", name)})
			}
		case kaspersky.BilledByCategory(a.App, c.PriceBook.BillByCategory):
			if a.Item != "" {
				ps.add(Problem{Kind: ErrItemCount, Field: appField(key, "item"), App: a.App,
					Reason: fmt.Sprintf("bill devices by category is on: map %s to three items (Windows workstations, Windows servers, non-Windows devices), not one", name)})
			}
			for _, cat := range kaspersky.Categories {
				if a.categoryItem(cat) == "" {
					ps.add(Problem{Kind: ErrRequired, Field: appField(key, categoryField(cat)), App: a.App,
						Reason: fmt.Sprintf("bill devices by category is on: %s has no item for %s", name, cat)})
				}
			}
		default:
			if a.byCategory() {
				ps.add(Problem{Kind: ErrItemCount, Field: appField(key, ""), App: a.App,
					Reason: fmt.Sprintf("bill devices by category is off: map %s to one item, not one per device category", name)})
			}
			if a.Item == "" {
				ps.add(Problem{Kind: ErrRequired, Field: appField(key, "item"), App: a.App,
					Reason: fmt.Sprintf("%s has no price book item", name)})
			}
		}
	}
}

// categoryField returns the JSON name of the item field of category c.
func categoryField(c kaspersky.Category) string {
	switch c {
	case kaspersky.WindowsWorkstation:
		return "workstations"
	case kaspersky.WindowsServer:
		return "servers"
	default:
		return "nonWindows"
	}
}

// appName returns the application's name for messages.
func appName(app kaspersky.AppID) string {
	if a, ok := kaspersky.LookupApplication(app); ok {
		return fmt.Sprintf("%s (%s)", a.Name, app)
	}
	return fmt.Sprintf("application %q", app)
}

// CrossCheck applies the rules that span the integrations of a store: a tenant
// can be in one integration only (integrations of the same solution in a store
// read the same console, so a tenant is known by its id there), and an account
// maps to one tenant only (they share one Tigerpaw). others
// are the other saved configurations of the store (a configuration with the same
// name as cfg is ignored). It returns a *[ValidationError] whose problems are of
// kind [ErrTenantTaken] or [ErrAccountTaken], or nil. Store implementations call
// it under their write lock so that the rule holds even for concurrent saves.
func CrossCheck(cfg Config, others []Config) error {
	ps := &problems{name: cfg.Name}
	crossCheck(&cfg, others, ps)
	return ps.err()
}

func crossCheck(cfg *Config, others []Config, ps *problems) {
	tenants := map[string]string{}
	accounts := map[int][2]string{}
	for _, o := range others {
		if o.Name == cfg.Name {
			continue
		}
		for _, t := range o.Tenants {
			// Tenant ids are ids in a console: a virtual server and a Business
			// Hub company never are the same tenant.
			if o.Solution == cfg.Solution {
				tenants[t.ID] = o.Name
			}
			if t.Account != nil {
				accounts[t.Account.Number] = [2]string{o.Name, t.ID}
			}
		}
	}
	for i, t := range cfg.Tenants {
		key := tenantKey(t, i)
		if other, ok := tenants[t.ID]; ok && t.ID != "" {
			ps.add(Problem{Kind: ErrTenantTaken, Field: tenantField(key, ""), Tenant: t.ID, Integration: other,
				Reason: fmt.Sprintf("tenant %q (%s) is already in integration %q; a tenant can be in one integration only", t.ID, t.Name, other)})
		}
		if t.Account == nil {
			continue
		}
		if other, ok := accounts[t.Account.Number]; ok && t.Account.Number > 0 {
			ps.add(Problem{Kind: ErrAccountTaken, Field: tenantField(key, "account.number"), Tenant: t.ID,
				Account: t.Account.Number, Integration: other[0],
				Reason: fmt.Sprintf("account %d is already mapped to tenant %q of integration %q", t.Account.Number, other[1], other[0])})
		}
	}
}

// Validate applies every rule to cfg: those of [Config.Check], those of
// [CrossCheck] against the other saved configurations others, and those that
// need Tigerpaw data, read through dir:
//
//   - mapped accounts exist;
//   - an account with billing on is cross-referenced to the External Product,
//     its agreement is one of the account's agreements and is recurring, and its
//     price level exists;
//   - the price book items the mapping refers to exist.
//
// It returns a *[ValidationError] listing every problem, or nil. When dir fails,
// the error also wraps that failure (errors.Join): the configuration could not
// be validated.
func Validate(ctx context.Context, cfg Config, dir Directory, others []Config) error {
	ps := &problems{name: cfg.Name}
	cfg.check(ps)
	crossCheck(&cfg, others, ps)
	fault := checkDirectory(ctx, &cfg, dir, ps)
	return errors.Join(ps.err(), fault)
}

// checkDirectory checks cfg against Tigerpaw. It returns a fault of dir.
func checkDirectory(ctx context.Context, cfg *Config, dir Directory, ps *problems) error {
	if dir == nil {
		return fmt.Errorf("mapping: validate: no Tigerpaw directory: %w", ErrRequired)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mapping: validate: %w", err)
	}
	mapped := slices.ContainsFunc(cfg.Tenants, func(t Tenant) bool { return t.Account != nil })
	if mapped {
		if err := checkAccounts(ctx, cfg, dir, ps); err != nil {
			return err
		}
	}
	// Each referenced item is looked up once (ids that differ in letter case
	// only name one item); every reference to a missing one is a problem.
	exists := map[string]bool{} // billing.ItemKey → exists
	for _, a := range cfg.PriceBook.Apps {
		for _, f := range []struct{ name, id string }{
			{"item", a.Item}, {"workstations", a.Workstations}, {"servers", a.Servers}, {"nonWindows", a.NonWindows},
		} {
			if f.id == "" {
				continue
			}
			ok, looked := exists[billing.ItemKey(f.id)]
			if !looked {
				_, err := dir.PriceBookItem(ctx, f.id)
				switch {
				case err == nil:
					ok = true
				case errors.Is(err, ErrNotFound):
					ok = false
				default:
					return fmt.Errorf("mapping: looking up price book item %q: %w", f.id, err)
				}
				exists[billing.ItemKey(f.id)] = ok
			}
			if !ok {
				ps.add(Problem{Kind: ErrNotFound, Field: appField(a.App, f.name), App: a.App,
					Reason: fmt.Sprintf("price book item %q does not exist in Tigerpaw", f.id)})
			}
		}
	}
	return nil
}

func checkAccounts(ctx context.Context, cfg *Config, dir Directory, ps *problems) error {
	list, err := dir.Accounts(ctx)
	if err != nil {
		return fmt.Errorf("mapping: listing Tigerpaw accounts: %w", err)
	}
	exists := make(map[int]bool, len(list))
	for _, a := range list {
		exists[a.Number] = true
	}
	var levels map[int]bool
	for i, t := range cfg.Tenants {
		a := t.Account
		if a == nil || a.Number <= 0 {
			continue
		}
		key := tenantKey(t, i)
		if !exists[a.Number] {
			ps.add(Problem{Kind: ErrNotFound, Field: tenantField(key, "account.number"), Tenant: t.ID, Account: a.Number,
				Reason: fmt.Sprintf("Tigerpaw account %d does not exist", a.Number)})
			continue
		}
		if !a.Billing.Enabled {
			continue
		}
		if cfg.ExternalProductID > 0 {
			ok, err := dir.CrossReferenced(ctx, a.Number, cfg.ExternalProductID)
			if err != nil {
				return fmt.Errorf("mapping: reading external products of account %d: %w", a.Number, err)
			}
			if !ok {
				ps.add(Problem{Kind: ErrNotCrossReferenced, Field: tenantField(key, "account.billing.enabled"), Tenant: t.ID, Account: a.Number,
					Reason: fmt.Sprintf("automatic billing is on, but account %d is not cross-referenced to external product %d", a.Number, cfg.ExternalProductID)})
			}
		}
		if n := a.Billing.Agreement; n > 0 {
			agreements, err := dir.Agreements(ctx, a.Number)
			if err != nil {
				return fmt.Errorf("mapping: listing agreements of account %d: %w", a.Number, err)
			}
			i := slices.IndexFunc(agreements, func(g Agreement) bool { return g.Number == n })
			field := tenantField(key, "account.billing.agreement")
			switch {
			case i < 0 || agreements[i].Account != a.Number:
				ps.add(Problem{Kind: ErrAgreementAccount, Field: field, Tenant: t.ID, Account: a.Number,
					Reason: fmt.Sprintf("agreement %d is not an agreement of account %d", n, a.Number)})
			case !agreements[i].Recurring:
				ps.add(Problem{Kind: ErrNotRecurring, Field: field, Tenant: t.ID, Account: a.Number,
					Reason: fmt.Sprintf("agreement %d of account %d is not recurring; automatic billing needs a recurring agreement", n, a.Number)})
			}
		}
		if id := a.Billing.PriceLevel; id > 0 {
			if levels == nil {
				list, err := dir.PriceLevels(ctx)
				if err != nil {
					return fmt.Errorf("mapping: listing price levels: %w", err)
				}
				levels = make(map[int]bool, len(list))
				for _, l := range list {
					levels[l.ID] = true
				}
			}
			if !levels[id] {
				ps.add(Problem{Kind: ErrNotFound, Field: tenantField(key, "account.billing.priceLevel"), Tenant: t.ID, Account: a.Number,
					Reason: fmt.Sprintf("price level %d does not exist in Tigerpaw", id)})
			}
		}
	}
	return nil
}
