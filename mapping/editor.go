package mapping

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// ErrSyncFailed is wrapped by the error of [Editor.Save] when the configuration
// was saved but the custom fields in Tigerpaw could not all be written. Nothing
// is lost: the saved configuration is the truth, and [Editor.SyncCustomFields]
// or the next Save writes the fields again.
var ErrSyncFailed = errors.New("custom fields not synced")

// Section is a part of the configuration that [Editor.ResetToDefaults] resets.
type Section int

// The sections, as the tabs of the product's window.
const (
	// SectionTenants is the Companies tab: the tenants added to the integration.
	// Its default is no tenant, and so no account mapping either.
	SectionTenants Section = iota + 1
	// SectionAccounts is the Accounts tab: the tenant ↔ account mapping and the
	// billing settings. Its default is every tenant unmapped.
	SectionAccounts
	// SectionPriceBook is the Price book items tab. Its default is "bill devices
	// by category" off and no application mapped.
	SectionPriceBook
)

// String names the section.
func (s Section) String() string {
	switch s {
	case SectionTenants:
		return "tenants"
	case SectionAccounts:
		return "accounts"
	case SectionPriceBook:
		return "price book"
	}
	return fmt.Sprintf("Section(%d)", int(s))
}

// Option configures an [Editor].
type Option func(*Editor)

// WithLogger sets the logger of the editor (saves, custom field writes). The
// default discards.
func WithLogger(l *slog.Logger) Option {
	return func(e *Editor) {
		if l != nil {
			e.log = l
		}
	}
}

// Editor edits the configuration of one integration as the product's window
// does: changes are staged in a draft; [Editor.Save] validates the draft against
// the rules and Tigerpaw and persists it all or nothing; [Editor.Cancel] restores
// the last saved configuration; [Editor.ResetToDefaults] resets one section of
// the draft. An Editor is safe for concurrent use; its methods are serialised.
type Editor struct {
	store Store
	dir   Directory
	log   *slog.Logger
	name  string

	mu          sync.Mutex
	saved       Config
	exists      bool
	draft       Config
	syncPending bool
}

// Open returns an editor of the integration named name in store, validating
// against Tigerpaw through dir. When the store has no such integration the
// editor starts from an empty configuration: set its solution, then Save creates
// it.
func Open(ctx context.Context, store Store, dir Directory, name string, opts ...Option) (*Editor, error) {
	if store == nil || dir == nil {
		return nil, fmt.Errorf("mapping: open %q: store and directory are required: %w", name, ErrRequired)
	}
	if err := CheckName(name); err != nil {
		return nil, err
	}
	e := &Editor{store: store, dir: dir, log: slog.New(slog.DiscardHandler), name: name}
	for _, o := range opts {
		o(e)
	}
	cfg, err := store.Load(ctx, name)
	switch {
	case err == nil:
		e.exists = true
	case errors.Is(err, ErrNotFound):
		cfg = Config{Name: name}
	default:
		return nil, fmt.Errorf("mapping: open %q: %w", name, err)
	}
	e.saved = cfg
	e.draft = cfg.Clone()
	return e, nil
}

// Name returns the name of the integration.
func (e *Editor) Name() string { return e.name }

// Draft returns a copy of the staged configuration.
func (e *Editor) Draft() Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.draft.Clone()
}

// Saved returns a copy of the last saved configuration (an empty one, Revision
// 0, if the integration was never saved).
func (e *Editor) Saved() Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.saved.Clone()
}

// Dirty reports whether the draft differs from the saved configuration.
func (e *Editor) Dirty() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return !sameConfig(e.draft, e.saved)
}

// SyncPending reports whether the last Save could not write the custom fields.
func (e *Editor) SyncPending() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.syncPending
}

// sameConfig compares two configurations by their canonical JSON form.
func sameConfig(a, b Config) bool {
	x, errA := Marshal(a)
	y, errB := Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(x, y)
}

// edit runs f on the draft under the lock.
func (e *Editor) edit(f func(d *Config) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return f(&e.draft)
}

// SetSolution sets the console of the integration. The solution can change only
// while no tenant is added (tenants belong to one console).
func (e *Editor) SetSolution(s Solution) error {
	return e.edit(func(d *Config) error {
		if !s.Valid() {
			return fmt.Errorf("mapping: solution %q: %w", string(s), ErrInvalid)
		}
		if s != d.Solution && len(d.Tenants) > 0 {
			return fmt.Errorf("mapping: cannot switch %q to %s while it has tenants of %s: %w", d.Name, s, d.Solution, ErrWrongKind)
		}
		d.Solution = s
		return nil
	})
}

// SetExternalProduct sets the Tigerpaw External Product that accounts with
// billing on must be cross-referenced to.
func (e *Editor) SetExternalProduct(id int) error {
	return e.edit(func(d *Config) error {
		if id < 0 {
			return fmt.Errorf("mapping: external product id %d: %w", id, ErrInvalid)
		}
		d.ExternalProductID = id
		return nil
	})
}

// AddTenant adds a virtual server or company to the integration, unmapped. Its
// kind must match the solution. Whether another integration holds it is checked
// by Save (and [AvailableTenants] lists the ones that are free).
func (e *Editor) AddTenant(t kaspersky.Tenant) error {
	return e.edit(func(d *Config) error {
		switch {
		case t.ID == "":
			return fmt.Errorf("mapping: add tenant %q: id: %w", t.Name, ErrRequired)
		case !d.Solution.Valid():
			return fmt.Errorf("mapping: add tenant %q: set the solution first: %w", t.ID, ErrRequired)
		case t.Kind != d.Solution.TenantKind():
			return fmt.Errorf("mapping: add tenant %q: a %s cannot join a %s integration: %w", t.ID, t.Kind, d.Solution, ErrWrongKind)
		case d.tenantIndex(t.ID) >= 0:
			return fmt.Errorf("mapping: add tenant %q: %w", t.ID, ErrDuplicateTenant)
		}
		d.Tenants = append(d.Tenants, Tenant{ID: t.ID, Name: t.Name})
		return nil
	})
}

// RemoveTenant removes a tenant from the integration, and with it its account
// mapping and billing settings. Nothing is deleted in Tigerpaw or in the
// console; after Save the account's custom field is cleared.
func (e *Editor) RemoveTenant(id string) error {
	return e.edit(func(d *Config) error {
		i := d.tenantIndex(id)
		if i < 0 {
			return fmt.Errorf("mapping: remove tenant %q: %w", id, ErrNotFound)
		}
		d.Tenants = slices.Delete(d.Tenants, i, i+1)
		return nil
	})
}

// MapAccount maps a tenant to a Tigerpaw account. Mapping it to another account
// than before resets its billing settings (the agreement belonged to the old
// account). The account must not be mapped to another tenant of the draft: unmap
// it there first.
func (e *Editor) MapAccount(tenantID string, account int) error {
	return e.edit(func(d *Config) error {
		i := d.tenantIndex(tenantID)
		switch {
		case i < 0:
			return fmt.Errorf("mapping: map tenant %q: %w", tenantID, ErrNotFound)
		case account <= 0:
			return fmt.Errorf("mapping: map tenant %q to account %d: %w", tenantID, account, ErrInvalid)
		}
		if other, ok := d.TenantOf(account); ok && other.ID != tenantID {
			return fmt.Errorf("mapping: map tenant %q to account %d: it is mapped to tenant %q: %w", tenantID, account, other.ID, ErrAccountTaken)
		}
		t := &d.Tenants[i]
		if t.Account == nil || t.Account.Number != account {
			t.Account = &AccountMapping{Number: account}
		}
		return nil
	})
}

// UnmapAccount breaks the mapping of a tenant to its account (the tenant stays
// in the integration) and drops its billing settings.
func (e *Editor) UnmapAccount(tenantID string) error {
	return e.edit(func(d *Config) error {
		i := d.tenantIndex(tenantID)
		if i < 0 {
			return fmt.Errorf("mapping: unmap tenant %q: %w", tenantID, ErrNotFound)
		}
		d.Tenants[i].Account = nil
		return nil
	})
}

// SetBilling sets the billing settings of a mapped tenant's account.
func (e *Editor) SetBilling(tenantID string, b Billing) error {
	return e.edit(func(d *Config) error {
		i := d.tenantIndex(tenantID)
		switch {
		case i < 0:
			return fmt.Errorf("mapping: billing of tenant %q: %w", tenantID, ErrNotFound)
		case d.Tenants[i].Account == nil:
			return fmt.Errorf("mapping: billing of tenant %q: %w", tenantID, ErrNotMapped)
		case b.Agreement < 0 || b.PriceLevel < 0:
			return fmt.Errorf("mapping: billing of tenant %q: negative agreement or price level: %w", tenantID, ErrInvalid)
		}
		d.Tenants[i].Account.Billing = b
		return nil
	})
}

// SetBillByCategory turns "bill devices by category" on or off. Per-device
// applications then need three items (on) or one (off); Save says which.
func (e *Editor) SetBillByCategory(on bool) {
	_ = e.edit(func(d *Config) error {
		d.PriceBook.BillByCategory = on
		return nil
	})
}

// MapApplication maps an application to price book items (see [SingleItem],
// [ItemsByCategory]), replacing its previous mapping.
func (e *Editor) MapApplication(items AppItems) error {
	return e.edit(func(d *Config) error {
		if items.App == "" {
			return fmt.Errorf("mapping: map application: %w", ErrRequired)
		}
		if !knownApp(items.App) {
			return fmt.Errorf("mapping: map application %q: %w", items.App, ErrUnknownApplication)
		}
		i := slices.IndexFunc(d.PriceBook.Apps, func(a AppItems) bool { return a.App == items.App })
		if i >= 0 {
			d.PriceBook.Apps[i] = items
		} else {
			d.PriceBook.Apps = append(d.PriceBook.Apps, items)
		}
		return nil
	})
}

// UnmapApplication removes the price book mapping of an application: it is no
// longer billed.
func (e *Editor) UnmapApplication(app kaspersky.AppID) error {
	return e.edit(func(d *Config) error {
		i := slices.IndexFunc(d.PriceBook.Apps, func(a AppItems) bool { return a.App == app })
		if i < 0 {
			return fmt.Errorf("mapping: unmap application %q: %w", app, ErrNotFound)
		}
		d.PriceBook.Apps = slices.Delete(d.PriceBook.Apps, i, i+1)
		return nil
	})
}

// ResetToDefaults resets one section of the draft to its defaults (see
// [Section]). Like every change it is staged until Save.
func (e *Editor) ResetToDefaults(s Section) error {
	return e.edit(func(d *Config) error {
		switch s {
		case SectionTenants:
			d.Tenants = nil
		case SectionAccounts:
			for i := range d.Tenants {
				d.Tenants[i].Account = nil
			}
		case SectionPriceBook:
			d.PriceBook = PriceBook{}
		default:
			return fmt.Errorf("mapping: reset %s: %w", s, ErrInvalid)
		}
		return nil
	})
}

// Cancel drops the staged changes: the draft becomes the last saved
// configuration again.
func (e *Editor) Cancel() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.draft = e.saved.Clone()
}

// Reload reads the saved configuration from the store again and drops the
// staged changes: the way on after Save fails with [ErrConflict] because another
// editor saved first.
func (e *Editor) Reload(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	cfg, err := e.store.Load(ctx, e.name)
	switch {
	case err == nil:
		e.exists = true
	case errors.Is(err, ErrNotFound):
		cfg, e.exists = Config{Name: e.name}, false
	default:
		return fmt.Errorf("mapping: reload %q: %w", e.name, err)
	}
	e.saved = cfg
	e.draft = cfg.Clone()
	return nil
}

// Replace stages cfg as a whole as the new draft (for instance one read from a
// file with [Unmarshal]); its Name and Revision are ignored.
func (e *Editor) Replace(cfg Config) {
	e.mu.Lock()
	defer e.mu.Unlock()
	cfg = cfg.Clone()
	cfg.Name, cfg.Revision = e.name, e.saved.Revision
	e.draft = cfg
}

// SearchTenants returns the tenants of the draft whose names contain query (see
// [SearchTenants]).
func (e *Editor) SearchTenants(query string) []Tenant {
	e.mu.Lock()
	defer e.mu.Unlock()
	return SearchTenants(e.draft.Tenants, query)
}

// others returns the saved configurations of the other integrations.
func (e *Editor) others(ctx context.Context) ([]Config, error) {
	all, err := e.store.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("mapping: reading the other integrations: %w", err)
	}
	return slices.DeleteFunc(all, func(c Config) bool { return c.Name == e.name }), nil
}

// Validate validates the draft as Save would, without saving.
func (e *Editor) Validate(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	others, err := e.others(ctx)
	if err != nil {
		return err
	}
	return Validate(ctx, e.draft, e.dir, others)
}

// Save validates the draft (every rule, against the other integrations of the
// store and against Tigerpaw) and, when it is valid, persists it in one write.
// On a validation error (a *[ValidationError]) or a fault of the store or
// Tigerpaw, nothing is persisted and the draft is kept for correction.
//
// Once the configuration is persisted, Save makes the integration's custom fields
// in Tigerpaw agree with it ([SyncCustomFields], over every integration of the
// store). The configuration is the truth and the fields are derived from it, so
// they are written after it: if that fails, Save returns an error wrapping
// [ErrSyncFailed], the configuration stays saved, [Editor.SyncPending] reports
// true, and [Editor.SyncCustomFields] or the next Save (even without changes)
// writes the fields again. A Save with no change persists nothing and only
// syncs.
func (e *Editor) Save(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	draft := e.draft.Clone()
	draft.Name = e.name
	draft.Revision = e.saved.Revision
	others, err := e.others(ctx)
	if err != nil {
		return err
	}
	if err := Validate(ctx, draft, e.dir, others); err != nil {
		return err
	}
	if !e.exists || !sameConfig(draft, e.saved) {
		rev, err := e.store.Save(ctx, draft)
		if err != nil {
			return fmt.Errorf("mapping: saving %q: %w", e.name, err)
		}
		draft.Revision = rev
		e.saved, e.exists = draft, true
		e.draft = draft.Clone()
		e.log.InfoContext(ctx, "mapping: configuration saved", "integration", e.name, "revision", rev,
			"tenants", len(draft.Tenants), "billing_accounts", len(draft.BillingAccounts()))
	}
	e.syncPending = true
	if err := e.sync(ctx, others); err != nil {
		return fmt.Errorf("mapping: %q saved at revision %d, but %w: %w", e.name, e.saved.Revision, ErrSyncFailed, err)
	}
	e.syncPending = false
	return nil
}

// SyncCustomFields writes the integration's custom fields in Tigerpaw from the
// saved configurations of the store, as Save does after persisting. Use it to
// retry after a Save that returned [ErrSyncFailed].
func (e *Editor) SyncCustomFields(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	others, err := e.others(ctx)
	if err != nil {
		return err
	}
	if err := e.sync(ctx, others); err != nil {
		return fmt.Errorf("mapping: %w: %w", ErrSyncFailed, err)
	}
	e.syncPending = false
	return nil
}

func (e *Editor) sync(ctx context.Context, others []Config) error {
	all := others
	if e.exists {
		all = append(slices.Clone(others), e.saved)
	}
	res, err := SyncCustomFields(ctx, e.dir, all)
	if res.Changed() {
		e.log.InfoContext(ctx, "mapping: custom fields synced", "integration", e.name,
			"category_created", res.CategoryCreated, "fields_created", res.FieldsCreated,
			"written", len(res.Written), "cleared", len(res.Cleared))
	}
	if err != nil {
		e.log.WarnContext(ctx, "mapping: custom fields not synced", "integration", e.name, "error", err)
	}
	return err
}

// AccountsView is the product's view of what is not integrated yet.
type AccountsView struct {
	// UnmappedAccounts are the Tigerpaw accounts no integration of the store
	// maps to a tenant.
	UnmappedAccounts []Account
	// TenantsWithoutAccount are the tenants of the draft with no account.
	TenantsWithoutAccount []Tenant
}

// AccountsView returns the unmapped accounts (optionally of one account type,
// e.g. "Customer"; "" for all) and the draft's tenants with no account. The
// draft stands for this integration, the saved configurations for the others.
func (e *Editor) AccountsView(ctx context.Context, accountType string) (AccountsView, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	others, err := e.others(ctx)
	if err != nil {
		return AccountsView{}, err
	}
	accts, err := UnmappedAccounts(ctx, e.dir, accountType, append(others, e.draft)...)
	if err != nil {
		return AccountsView{}, err
	}
	return AccountsView{UnmappedAccounts: accts, TenantsWithoutAccount: e.draft.TenantsWithoutAccount()}, nil
}

// AvailableTenants returns the tenants of the console (all, as
// kaspersky.Source.Tenants lists them) that this integration may hold: of its
// solution's kind and in no other integration of the store.
func (e *Editor) AvailableTenants(ctx context.Context, all []kaspersky.Tenant) ([]kaspersky.Tenant, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	others, err := e.others(ctx)
	if err != nil {
		return nil, err
	}
	return AvailableTenants(e.name, e.draft.Solution, all, others...), nil
}
