package kasperskytigerpaw

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// Job names, as in CycleResult.Job and the metrics' job label.
const (
	JobBilling       = "billing"
	JobServiceOrders = "service_orders"
)

// CycleResult is what one cycle of a job did, for a status page, metrics or a
// log: a BillingJob or ServiceOrderJob gives one to its OnCycle func after
// every Run.
type CycleResult struct {
	// Job is JobBilling or JobServiceOrders.
	Job string `json:"job"`
	// Start is when the cycle started; Duration how long it ran.
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration"`
	// Tenants are the outcomes of the tenants the cycle handled, ordered by id.
	Tenants []TenantOutcome `json:"tenants"`
	// Err is the cycle's error: nil when every change was made and no tenant
	// or agreement was skipped. A cycle with Err but not Failed is partial.
	Err error `json:"-"`
	// Failed says the cycle failed as a whole (Err wraps ErrCycleFailed and
	// says why): it could not start, every tenant's read failed or every
	// agreement was skipped, a server refused the credentials, or it achieved
	// nothing (every change or order action failed and none was made; for
	// billing, no agreement was found up to date either). A service
	// that runs the cycle once should exit with a failure, and one that keeps
	// running should report itself not ready, until a cycle does not fail.
	Failed bool `json:"failed"`
	// PendingCloses are service order closes refused because the order is
	// locked, retried on later cycles.
	PendingCloses int `json:"pendingCloses"`
	// Held is how many billing changes the guard holds for approval
	// (TenantOutcome.Held says which); they were not written.
	Held int `json:"held"`
	// NotConfigured, when not empty, says in words what the integration still
	// misses for the job to run (e.g. "no tenant mapped"): the cycle read and
	// wrote nothing, and it is neither failed nor partial. The jobs never set
	// it; a runtime that checks the configuration before a cycle does (see
	// package service).
	NotConfigured []string `json:"notConfigured,omitempty"`
	// FloodLimit is the flood guard's limit of a service order cycle: how
	// many orders it could open per tenant (serviceorder.Rules.Flood).
	// Summaries, Suppressed and Deferred are what the guard did: summary
	// orders opened (or found by reference), events listed in them instead
	// of opened, and status, condition and license orders left for a later
	// cycle. All are 0 for billing.
	FloodLimit int `json:"floodLimit,omitempty"`
	Summaries  int `json:"summaries,omitempty"`
	Suppressed int `json:"suppressed,omitempty"`
	Deferred   int `json:"deferred,omitempty"`
}

// Outcomes of a cycle, as CycleResult.Outcome returns them and the metrics
// label them.
const (
	OutcomeOK            = "ok"             // every planned change was made
	OutcomePartial       = "partial"        // some changes failed or were skipped
	OutcomeFailed        = "failed"         // the cycle failed as a whole
	OutcomeNotConfigured = "not_configured" // the integration is not configured yet; nothing was done
)

// Outcome classifies the cycle: OutcomeNotConfigured, OutcomeFailed,
// OutcomePartial or OutcomeOK.
func (r CycleResult) Outcome() string {
	switch {
	case len(r.NotConfigured) > 0:
		return OutcomeNotConfigured
	case r.Failed:
		return OutcomeFailed
	case r.Err != nil:
		return OutcomePartial
	}
	return OutcomeOK
}

// TenantOutcome is what a cycle did for one tenant.
type TenantOutcome struct {
	Tenant string `json:"tenant"`
	// Charges created, updated, deleted and left unchanged (billing).
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Deleted   int `json:"deleted"`
	Unchanged int `json:"unchanged"`
	// Orders created (or recovered), closed and pending a close (service
	// orders).
	OrdersCreated int `json:"ordersCreated"`
	OrdersClosed  int `json:"ordersClosed"`
	OrdersPending int `json:"ordersPending"`
	// Held is how many of the tenant's billing changes the guard holds for
	// approval, HeldChanges what they are and why.
	Held        int      `json:"held,omitempty"`
	HeldChanges []string `json:"heldChanges,omitempty"`
	// OrdersNoted are grouped orders that got a note about repeats,
	// OrdersReopened closed ones set back to new within their reopen window,
	// and Summaries the flood guard's summary orders of the tenant (counted
	// in OrdersCreated too).
	OrdersNoted    int `json:"ordersNoted,omitempty"`
	OrdersReopened int `json:"ordersReopened,omitempty"`
	Summaries      int `json:"summaries,omitempty"`
	// Errors are the tenant's failed changes and skipped agreements.
	Errors []string `json:"errors,omitempty"`
	// Errs are the errors of Errors, in the same order, for errors.Is (a
	// status page matches them to a fix in words).
	Errs []error `json:"-"`
	// PendingOrders are the numbers of the service orders whose close is
	// pending because the order is locked (0 when the number is unknown).
	PendingOrders []int `json:"pendingOrders,omitempty"`
	// PendingCloses are the same closes, in the same order, with who holds
	// each order's lock when Tigerpaw said.
	PendingCloses []PendingClose `json:"pendingCloses,omitempty"`
}

// PendingClose is a service order whose close is pending because the order is
// locked (open in the Tigerpaw UI).
type PendingClose struct {
	// Number is the order number; 0 when unknown.
	Number int `json:"number"`
	// LockedBy names the rep holding the lock (ServiceOrderLock's
	// LockingRepName, or "rep <number>" without a name); "" when Tigerpaw
	// did not say.
	LockedBy string `json:"lockedBy,omitempty"`
}

// addError records err as one of the tenant's errors.
func (t *TenantOutcome) addError(err error) {
	t.Errors = append(t.Errors, err.Error())
	t.Errs = append(t.Errs, err)
}

// ErrCycleFailed is wrapped by the error of a cycle that failed as a whole
// (see CycleResult.Failed): the errors of BillingJob.Run and ServiceOrderJob.Run
// and CycleResult.Err of such a cycle.
var ErrCycleFailed = errors.New("kasperskytigerpaw: the cycle failed")

// OK reports whether the cycle made every change it planned.
func (r CycleResult) OK() bool { return r.Err == nil }

// outcomes collects tenant outcomes by tenant id.
type outcomes map[string]*TenantOutcome

func (o outcomes) of(tenant string) *TenantOutcome {
	t := o[tenant]
	if t == nil {
		t = &TenantOutcome{Tenant: tenant}
		o[tenant] = t
	}
	return t
}

func (o outcomes) sorted() []TenantOutcome {
	out := make([]TenantOutcome, 0, len(o))
	for _, t := range o {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b TenantOutcome) int {
		switch {
		case a.Tenant < b.Tenant:
			return -1
		case a.Tenant > b.Tenant:
			return 1
		}
		return 0
	})
	return out
}

// billingCycleResult describes a billing cycle: the plan's changes minus the
// failed ones, per tenant of the agreement.
func billingCycleResult(start time.Time, d time.Duration, cfg mapping.Config, plan billing.Plan, res billing.Result, err error, applied bool) CycleResult {
	tenantOf := map[int]string{}
	o := outcomes{}
	for _, ba := range cfg.BillingAccounts() {
		tenantOf[ba.Agreement] = ba.TenantID
		o.of(ba.TenantID)
	}
	failed := map[[2]any]int{}
	for _, f := range res.Failed {
		failed[[2]any{f.Agreement, f.ItemID}]++
		o.of(tenantOf[f.Agreement]).addError(f)
	}
	if applied {
		for _, c := range plan.Changes {
			k := [2]any{c.Agreement, c.ItemID}
			if failed[k] > 0 && c.Action != billing.NoOp {
				failed[k]--
				continue
			}
			t := o.of(tenantOf[c.Agreement])
			switch c.Action {
			case billing.Create:
				t.Created++
			case billing.Update:
				t.Updated++
			case billing.Delete:
				t.Deleted++
			case billing.NoOp:
				t.Unchanged++
			}
		}
	}
	held := heldLines(plan)
	for _, agr := range slices.Sorted(maps.Keys(held)) {
		lines := held[agr]
		t := o.of(tenantOf[agr])
		t.Held += len(lines)
		t.HeldChanges = append(t.HeldChanges, lines...)
	}
	for _, s := range plan.Skipped {
		o.of(tenantOf[s.Agreement]).addError(s.Err)
	}
	whole := err != nil && !applied || errors.Is(err, ErrCycleFailed)
	if whole && !errors.Is(err, ErrCycleFailed) {
		err = fmt.Errorf("%w: %w", ErrCycleFailed, err)
	}
	if !whole && len(plan.Skipped) > 0 {
		// Partial: the skipped agreements' charges were not brought up to date.
		skipped := make([]error, len(plan.Skipped))
		for i, s := range plan.Skipped {
			skipped[i] = fmt.Errorf("agreement %d skipped: %w", s.Agreement, s.Err)
		}
		err = errors.Join(append([]error{err}, skipped...)...)
	}
	return CycleResult{Job: JobBilling, Start: start, Duration: d, Tenants: o.sorted(), Err: err, Failed: whole, Held: len(plan.Held)}
}

// serviceOrderCycleResult describes a service order cycle per tenant; unread
// says why tenants were not (wholly) read, flood is the flood limit in force.
func serviceOrderCycleResult(start time.Time, d time.Duration, cfg mapping.Config, res serviceorder.Result, err error, unread map[string]error, flood int) CycleResult {
	o := outcomes{}
	for _, t := range cfg.Tenants {
		if t.Account != nil && t.Account.Number > 0 {
			o.of(t.ID)
		}
	}
	for _, r := range res.Created {
		o.of(r.TenantID).OrdersCreated++
	}
	for _, r := range res.Recovered {
		o.of(r.TenantID).OrdersCreated++
	}
	for _, r := range res.Closed {
		o.of(r.TenantID).OrdersClosed++
	}
	for _, r := range res.Pending {
		t := o.of(r.TenantID)
		t.OrdersPending++
		t.PendingOrders = append(t.PendingOrders, r.Number)
		t.PendingCloses = append(t.PendingCloses, PendingClose{Number: r.Number, LockedBy: r.LockedBy})
	}
	for _, r := range res.Noted {
		o.of(r.TenantID).OrdersNoted++
	}
	for _, r := range res.Reopened {
		o.of(r.TenantID).OrdersReopened++
	}
	for _, r := range res.Summaries {
		o.of(r.TenantID).Summaries++
	}
	for _, f := range res.Failed {
		if f.TenantID == "" {
			continue // a failure to record the cycle: in Err
		}
		o.of(f.TenantID).addError(f)
	}
	ids := slices.Sorted(maps.Keys(unread))
	for _, id := range ids {
		o.of(id).addError(unread[id])
	}
	if err == nil {
		err = res.Err()
	}
	failed := err != nil && len(res.Failed) == 0 || errors.Is(err, ErrCycleFailed)
	for _, f := range res.Failed {
		if credentialsRefused(f) {
			failed = true // Tigerpaw refused the credentials
			err = fmt.Errorf("%w: service orders: %w", ErrCycleFailed, err)
			break
		}
	}
	switch {
	case failed && !errors.Is(err, ErrCycleFailed):
		err = fmt.Errorf("%w: %w", ErrCycleFailed, err)
	case !failed && len(ids) > 0:
		// Partial: the unread tenants' orders were left as they are.
		notRead := make([]error, len(ids))
		for i, id := range ids {
			notRead[i] = fmt.Errorf("tenant %q: %w", id, unread[id])
		}
		err = errors.Join(append([]error{err}, notRead...)...)
	}
	return CycleResult{Job: JobServiceOrders, Start: start, Duration: d, Tenants: o.sorted(), Err: err,
		Failed: failed, PendingCloses: len(res.Pending),
		FloodLimit: flood, Summaries: len(res.Summaries), Suppressed: res.Suppressed, Deferred: res.Deferred}
}
