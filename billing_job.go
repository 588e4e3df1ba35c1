package kasperskytigerpaw

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/history"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

// BillingJob runs the automatic billing of one integration: it reads the
// inventory of every tenant whose account has automatic billing on, counts
// usage, prices it from Tigerpaw's price book and brings the agreements'
// Additional Charges to the desired state.
//
// Plan is the dry run: it reads Kaspersky and Tigerpaw and writes nothing. Run
// plans and applies.
//
// When an account's billing moves to another of its agreements, the
// integration's charges on the former agreements are deleted in the same plan,
// so the customer is never billed twice. Only agreements the listing of the
// account's agreements shows to be the account's are touched: a listing that
// names an agreement of another account, or one without its account
// (AccountNumber absent, null or 0), deletes nothing and the account is
// checked again next cycle. Turning an account's automatic billing off, or
// removing its tenant from the integration, leaves the charges as they are:
// from then on they are the MSP's to keep or delete.
type BillingJob struct {
	// Source reads the Kaspersky console. Required.
	Source kaspersky.Source
	// Tigerpaw is the Tigerpaw client. Required.
	Tigerpaw *tigerpaw.Client
	// Writer writes the charges; nil means a ChargeWriter over Tigerpaw. Set it to
	// plug in another way of writing charges.
	Writer billing.ChargeWriter
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives the job's logs; nil discards them.
	Logger *slog.Logger
	// Concurrency bounds the inventories read at once; 0 means 4.
	Concurrency int
	// TigerpawConcurrency bounds the agreements whose charges are read or
	// written at once; 0 means 4. Each agreement's writes are made one after
	// the other, in the plan's order. The Tigerpaw client's own bounds (its
	// rate limit and tigerpaw.WithMaxConcurrency) apply on top.
	TigerpawConcurrency int
	// MoveCheckEvery is how long an account whose former agreements were found
	// free of the integration's charges is not checked again, while the set of
	// agreements billed to stays the same (its change rechecks every account
	// at once, and so does a restart); 0 means DefaultMoveCheckEvery, a
	// negative value checks every cycle. The check costs a listing of the
	// account's agreements and of the charges of each one not billed to.
	MoveCheckEvery time.Duration
	// ApplyOptions are passed to billing.Apply.
	ApplyOptions []billing.ApplyOption
	// BillEmptyInventories bills a tenant whose console reports no device, no
	// license and no protected mailbox as a usage of zero, deleting its charges.
	// By default such a tenant's agreement is skipped (Plan.Skipped says why,
	// with ErrEmptyInventory) and its charges are kept: an empty answer is more
	// often a console or permission problem than a customer who left, and a
	// wrong delete costs an invoice. Turn automatic billing off for a customer
	// who really left.
	BillEmptyInventories bool
	// OnCycle, when set, receives what each Run did (see CycleResult), e.g.
	// metrics.Metrics.Observe (package metrics).
	OnCycle func(CycleResult)
	// Guard is the billing guard policy of integrations whose configuration
	// has none (mapping.Config.BillingGuard); nil applies everything.
	Guard *mapping.BillingGuard
	// Decisions keeps the decisions on the changes the guard holds; nil
	// approves none.
	Decisions billing.DecisionStore
	// History, when set, receives each cycle's usage snapshots; snapshots
	// older than HistoryRetention (history.DefaultRetention when 0) are pruned.
	History          history.Store
	HistoryRetention time.Duration

	// moves remembers the accounts found without charges on former
	// agreements (see retire).
	moves moveChecks
}

// ErrEmptyInventory is why a BillingJob skips the agreement of a tenant whose
// console reported nothing at all (see BillingJob.BillEmptyInventories). It
// wraps billing.ErrNoInventory.
var ErrEmptyInventory = fmt.Errorf("%w: the console reported no device, license or mailbox; the charges are kept", billing.ErrNoInventory)

// BillingInput converts a saved configuration into billing's inputs: its price
// book, and the accounts with automatic billing on.
func BillingInput(cfg mapping.Config) (billing.PriceBook, []billing.Account) {
	book := billing.PriceBook{
		BillByCategory: cfg.PriceBook.BillByCategory,
		Items:          make(map[kaspersky.AppID]billing.ItemMapping, len(cfg.PriceBook.Apps)),
	}
	for _, a := range cfg.PriceBook.Apps {
		book.Items[a.App] = billing.ItemMapping{
			Item:       a.Item,
			ByCategory: [3]string{a.Workstations, a.Servers, a.NonWindows},
		}
	}
	var accounts []billing.Account
	for _, ba := range cfg.BillingAccounts() {
		accounts = append(accounts, billing.Account{
			TenantID:        ba.TenantID,
			AccountNumber:   ba.AccountNumber,
			AgreementNumber: ba.Agreement,
			PriceLevel:      ba.PriceLevel,
		})
	}
	return book, accounts
}

// LoadPrices reads from Tigerpaw the selling price of every mapped price book
// item at every price level that accounts with automatic billing on use. An item
// Tigerpaw does not have, or a level the item has no price at, is left out of
// the list: billing then skips the agreements that need it, and says why. Item
// ids match Tigerpaw's regardless of letter case and surrounding spaces, as
// Tigerpaw and billing match them, and the list holds the price under each
// spelling the mapping uses.
func LoadPrices(ctx context.Context, c *tigerpaw.Client, cfg mapping.Config) (*billing.Prices, error) {
	if c == nil {
		return nil, errors.New("kasperskytigerpaw: LoadPrices: nil tigerpaw client")
	}
	var levels []int
	for _, ba := range cfg.BillingAccounts() {
		if !slices.Contains(levels, ba.PriceLevel) {
			levels = append(levels, ba.PriceLevel)
		}
	}
	prices := &billing.Prices{}
	if len(levels) == 0 {
		return prices, nil
	}
	// Item ids are compared as Tigerpaw compares them, regardless of letter case;
	// each spelling the mapping uses gets the price, since billing may name an
	// item by any of them.
	spellings := map[string][]string{} // billing.ItemKey → the mapping's spellings
	var order []string
	for _, app := range cfg.PriceBook.Apps {
		for _, id := range app.ItemIDs() {
			id = billing.TrimItemID(id) // as billing reads item ids
			key := billing.ItemKey(id)
			if _, ok := spellings[key]; !ok {
				order = append(order, key)
			}
			if !slices.Contains(spellings[key], id) {
				spellings[key] = append(spellings[key], id)
			}
		}
	}
	for _, key := range order {
		id := spellings[key][0]
		item, err := c.PriceBook.ByItemID(ctx, id)
		if errors.Is(err, tigerpaw.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("price book item %q: %w", id, err)
		}
		detail, err := c.PriceBook.Details(ctx, item.PriceBookItemNumber)
		if err == nil && !billing.SameItem(detail.ItemID, item.ItemID) {
			// The answer is another item's (it need not carry its number):
			// its prices are not this item's.
			err = fmt.Errorf("price book item %d: the details are those of item %q, not %q: %w",
				item.PriceBookItemNumber, detail.ItemID, item.ItemID, tigerpaw.ErrMalformedResponse)
		}
		if errors.Is(err, tigerpaw.ErrMalformedResponse) {
			// A malformed price list (a negative price, a level listed twice,
			// another item's details) makes the item's prices untrusted: the
			// agreements that need them are skipped, the others billed.
			for _, level := range levels {
				for _, spelling := range spellings[key] {
					prices.Refuse(spelling, level, fmt.Errorf("price book item %q: details: %w", id, err))
				}
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("price book item %q: details: %w", id, err)
		}
		// Every entry of a level in use goes to the list, which refuses a
		// negative price and a level listed twice.
		for _, p := range detail.Pricing {
			if !slices.Contains(levels, p.PriceLevel) {
				continue
			}
			for _, spelling := range spellings[key] {
				prices.Add(spelling, p.PriceLevel, billing.Money(p.SellingPrice))
			}
		}
	}
	return prices, nil
}

// Plan computes the billing plan of cfg without writing anything. Tenants whose
// inventory cannot be read are logged and their agreements skipped (the plan
// says so); the error is for what stops the whole job (a bad price book, prices
// that cannot be read, ctx ending).
func (j *BillingJob) Plan(ctx context.Context, cfg mapping.Config) (billing.Plan, error) {
	if j.Source == nil || j.Tigerpaw == nil {
		return billing.Plan{}, errors.New("kasperskytigerpaw: BillingJob needs a Source and a Tigerpaw client")
	}
	book, accounts := BillingInput(cfg)
	if len(accounts) == 0 {
		return billing.Plan{}, nil
	}
	prices, err := LoadPrices(ctx, j.Tigerpaw, cfg)
	if err != nil {
		return billing.Plan{}, fmt.Errorf("kasperskytigerpaw: billing: %w", err)
	}
	biller, err := billing.NewBiller(book, prices)
	if err != nil {
		return billing.Plan{}, fmt.Errorf("kasperskytigerpaw: billing: %w", err)
	}
	tenants := make([]string, 0, len(accounts))
	for _, a := range accounts {
		tenants = append(tenants, a.TenantID)
	}
	w, err := j.writer()
	if err != nil {
		return billing.Plan{}, err
	}
	// Tigerpaw's charge lists are read while the console is.
	agreements := make([]int, 0, len(accounts))
	for _, a := range accounts {
		agreements = append(agreements, a.AgreementNumber)
	}
	charges := prefetchCharges(ctx, w, agreements, j.tigerpawConcurrency())
	defer charges.stop()
	inventories, unread := readInventories(ctx, j.Source, tenants, j.Concurrency, j.logger())
	if err := ctx.Err(); err != nil {
		return billing.Plan{}, err
	}
	if len(inventories) == 0 {
		charges.stop() // no agreement will be planned: nothing more to list
	}
	empty := map[string]bool{}
	if !j.BillEmptyInventories {
		inventories = slices.DeleteFunc(inventories, func(inv kaspersky.Inventory) bool {
			if emptyInventory(&inv) {
				empty[inv.Tenant.ID] = true
				return true
			}
			return false
		})
	}
	plan, err := biller.Plan(ctx, charges, accounts, inventories, j.now())
	if err != nil {
		return plan, err
	}
	// Say why a tenant's inventory is missing: billing only knows it is.
	why := map[int]error{}
	for _, a := range accounts {
		if _, ok := why[a.AgreementNumber]; ok {
			continue
		}
		switch {
		case unread[a.TenantID] != nil:
			why[a.AgreementNumber] = fmt.Errorf("tenant %q: %w: %w", a.TenantID, billing.ErrNoInventory, unread[a.TenantID])
		case empty[a.TenantID]:
			why[a.AgreementNumber] = fmt.Errorf("tenant %s: %w", a.TenantID, ErrEmptyInventory)
		}
	}
	for i, sk := range plan.Skipped {
		if reason, ok := why[sk.Agreement]; ok && errors.Is(sk.Err, billing.ErrNoInventory) {
			plan.Skipped[i].Err = reason
		}
	}
	for _, sk := range plan.Skipped {
		j.logger().WarnContext(ctx, "billing skips the agreement; its charges are left as they are", "agreement", sk.Agreement, "err", sk.Err)
	}
	if plan.Failed() != nil {
		// Not applied (see Run): listing former agreements would only ask
		// again with credentials that were refused.
		return plan, nil
	}
	plan, err = j.retire(ctx, plan, accounts, w)
	if err != nil {
		return plan, err
	}
	return j.guard(ctx, cfg, plan), nil
}

// emptyInventory reports whether a console reported nothing at all for a
// tenant.
func emptyInventory(inv *kaspersky.Inventory) bool {
	return len(inv.Devices) == 0 && len(inv.Licenses) == 0 && (inv.Office365 == nil || inv.Office365.ProtectedMailboxes == 0)
}

// Run plans the billing of cfg and applies the plan. The plan is returned with
// the result, for a report; a failure of some changes does not stop the others
// and is in the result and the error. When the plan cannot be made, or fails
// as a whole (billing.Plan.Failed: every agreement skipped, or credentials
// refused), nothing is applied and the error wraps ErrCycleFailed; so does
// the error of an applied plan whose every change failed while no agreement
// was up to date (the cycle achieved nothing). Agreements skipped while others
// were planned make the cycle partial: the error is nil, OnCycle's
// CycleResult says which.
func (j *BillingJob) Run(ctx context.Context, cfg mapping.Config) (plan billing.Plan, res billing.Result, err error) {
	applied := false // whether Apply ran, for OnCycle
	if j.OnCycle != nil {
		start := j.now()
		defer func() { j.OnCycle(billingCycleResult(start, j.now().Sub(start), cfg, plan, res, err, applied)) }()
	}
	plan, err = j.Plan(ctx, cfg)
	if err != nil {
		return plan, billing.Result{}, fmt.Errorf("%w: %w", ErrCycleFailed, err)
	}
	if ferr := plan.Failed(); ferr != nil {
		// Nothing of a plan whose every agreement was skipped, or that met
		// refused credentials, is applied: the cycle failed.
		return plan, billing.Result{}, fmt.Errorf("%w: %w", ErrCycleFailed, ferr)
	}
	w, err := j.writer()
	if err != nil {
		return plan, billing.Result{}, err
	}
	j.forgetStale(ctx, plan)
	opts := append([]billing.ApplyOption{billing.WithLogger(j.logger())}, j.ApplyOptions...)
	applied = true
	res, err = applyByAgreement(ctx, plan, w, j.tigerpawConcurrency(), opts)
	j.recordHistory(ctx, plan, res, j.now())
	if nothingAchieved(res) {
		// Every change failed and no agreement was found up to date: the
		// cycle achieved nothing.
		cause := err
		if cause == nil {
			cause = res.Failed[0]
		}
		err = fmt.Errorf("%w: every change failed (%d) and no agreement was up to date: %w", ErrCycleFailed, len(res.Failed), cause)
	}
	return plan, res, err
}

// nothingAchieved reports whether an applied plan changed nothing and found
// nothing up to date while some of its changes failed.
func nothingAchieved(res billing.Result) bool {
	return len(res.Failed) > 0 && res.Created+res.Updated+res.Deleted+res.Unchanged == 0
}

func (j *BillingJob) writer() (billing.ChargeWriter, error) {
	if j.Writer != nil {
		return j.Writer, nil
	}
	return NewChargeWriter(j.Tigerpaw)
}

func (j *BillingJob) now() time.Time { return clockOr(j.Now)() }

func (j *BillingJob) logger() *slog.Logger { return loggerOr(j.Logger) }

// readInventories reads the inventories of the tenants, at most concurrency at
// once (see readTenants: once the console refuses the credentials, no further
// tenant is read). A tenant that cannot be read, or whose inventory names
// another tenant, is logged and left out; unread says why.
func readInventories(ctx context.Context, src kaspersky.Source, tenants []string, concurrency int, log *slog.Logger) (_ []kaspersky.Inventory, unread map[string]error) {
	// The same tenant billed twice is billing's to report: read it once.
	unique := make([]string, 0, len(tenants))
	seen := make(map[string]bool, len(tenants))
	for _, id := range tenants {
		if !seen[id] {
			seen[id] = true
			unique = append(unique, id)
		}
	}
	results := make([]*kaspersky.Inventory, len(unique))
	errs := readTenants(ctx, len(unique), concurrency, func(ctx context.Context, i int) error {
		id := unique[i]
		inv, err := src.Inventory(ctx, id)
		if err != nil {
			return err
		}
		switch inv.Tenant.ID {
		case "":
			inv.Tenant.ID = id
		case id:
		default:
			// Billing keys inventories by tenant: taking this one would bill
			// one tenant's devices to another tenant's account.
			return fmt.Errorf("the console answered with the inventory of tenant %q", inv.Tenant.ID)
		}
		results[i] = &inv
		return nil
	})
	unread = map[string]error{}
	out := make([]kaspersky.Inventory, 0, len(unique))
	for i, inv := range results {
		if errs[i] != nil {
			unread[unique[i]] = errs[i]
			if ctx.Err() == nil {
				log.WarnContext(ctx, "cannot read the tenant's inventory; its billing is skipped", "tenant", unique[i], "err", errs[i])
			}
			continue
		}
		out = append(out, *inv)
	}
	return out, unread
}
