package kasperskytigerpaw

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
)

// The Tigerpaw side of a billing cycle, agreement by agreement: the charge
// lists it plans from, the check for charges left on former agreements, and
// the writes. Each runs for several agreements at once (at most
// BillingJob.TigerpawConcurrency), and every agreement's writes are made by
// one goroutine in the plan's order, so that the guarantees of billing.Apply
// (a create is never made twice, not even after a fault) hold per agreement
// as before.

// DefaultMoveCheckEvery is the MoveCheckEvery of a BillingJob that sets none.
const DefaultMoveCheckEvery = 24 * time.Hour

// tigerpawConcurrency is the bound on the agreements handled at once.
func (j *BillingJob) tigerpawConcurrency() int {
	if j.TigerpawConcurrency > 0 {
		return j.TigerpawConcurrency
	}
	return defaultConcurrency
}

// chargePrefetch lists the charges of a set of agreements in the background,
// at most n at once, and answers billing's List from what it read: the
// Tigerpaw reads of a plan run while the console is being read, instead of one
// agreement after another once it has been. An agreement it was not asked to
// read is listed by the reader itself. Once Tigerpaw refuses the credentials
// no further agreement is listed: each later one is answered with the refusal,
// as billing.Biller.Plan asks for no further list after one.
type chargePrefetch struct {
	r      billing.ChargeReader
	cancel context.CancelFunc
	done   chan struct{}
	slots  map[int]*prefetched
}

type prefetched struct {
	ready   chan struct{}
	charges []billing.Charge
	err     error
}

// prefetchCharges starts listing the agreements' charges through r; call stop
// when the plan is made.
func prefetchCharges(ctx context.Context, r billing.ChargeReader, agreements []int, n int) *chargePrefetch {
	ctx, cancel := context.WithCancel(ctx)
	p := &chargePrefetch{r: r, cancel: cancel, done: make(chan struct{}), slots: make(map[int]*prefetched, len(agreements))}
	order := make([]int, 0, len(agreements))
	for _, a := range agreements {
		if _, ok := p.slots[a]; !ok {
			p.slots[a] = &prefetched{ready: make(chan struct{})}
			order = append(order, a)
		}
	}
	slices.Sort(order) // billing plans in agreement order: the first ones are needed first
	var refusedMu sync.Mutex
	var refused error
	go func() {
		defer close(p.done)
		one := func(i int) {
			s := p.slots[order[i]]
			defer close(s.ready)
			if err := ctx.Err(); err != nil {
				s.err = err // stopped: asked for after all, it is listed then
				return
			}
			refusedMu.Lock()
			prior := refused
			refusedMu.Unlock()
			if prior != nil {
				s.err = fmt.Errorf("not listed: %w", prior)
				return
			}
			s.charges, s.err = r.List(ctx, order[i])
			if credentialsRefused(s.err) || errors.Is(s.err, billing.ErrUnauthorized) {
				refusedMu.Lock()
				if refused == nil {
					refused = s.err
				}
				refusedMu.Unlock()
			}
		}
		if len(order) == 0 {
			return
		}
		// The first alone: wrong keys cost one refused request, not n.
		one(0)
		forEach(context.WithoutCancel(ctx), len(order)-1, n, func(i int) { one(i + 1) })
	}()
	return p
}

// List returns the agreement's charges as prefetched, or lists them.
func (p *chargePrefetch) List(ctx context.Context, agreement int) ([]billing.Charge, error) {
	s, ok := p.slots[agreement]
	if !ok {
		return p.r.List(ctx, agreement)
	}
	select {
	case <-s.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if s.err != nil && ctx.Err() == nil && errors.Is(s.err, context.Canceled) {
		// Stopped early (the plan no longer needed it) but asked for after
		// all: list it now.
		return p.r.List(ctx, agreement)
	}
	return s.charges, s.err
}

// stop cancels the reads not made yet and waits for those in flight.
func (p *chargePrefetch) stop() {
	p.cancel()
	<-p.done
}

// moveChecks remembers the accounts whose former agreements were found free
// of the integration's charges, and under which set of billed agreements: an
// agreement gets the integration's charges only while some account bills to
// it, so while that set is unchanged the check would find nothing new. It is
// kept in memory only: a restarted daemon checks every account again.
type moveChecks struct {
	mu     sync.Mutex
	billed string            // the billed agreements the entries were made under
	clean  map[int]time.Time // account → when its former agreements were found clean
}

// billedKey names a set of billed agreements.
func billedKey(chosen map[int]bool) string {
	list := make([]int, 0, len(chosen))
	for a := range chosen {
		list = append(list, a)
	}
	slices.Sort(list)
	var b strings.Builder
	for _, a := range list {
		b.WriteString(strconv.Itoa(a))
		b.WriteByte(',')
	}
	return b.String()
}

// due returns whether the account's former agreements must be checked, under
// the billed set key at now; a changed set forgets every account.
func (m *moveChecks) due(key string, account int, now time.Time, every time.Duration) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.billed != key || m.clean == nil {
		m.billed, m.clean = key, map[int]time.Time{}
	}
	at, ok := m.clean[account]
	return !ok || every < 0 || now.Sub(at) >= every || now.Before(at)
}

// checked records that the account's former agreements hold none of the
// integration's charges.
func (m *moveChecks) checked(key string, account int, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.billed == key {
		m.clean[account] = now
	}
}

// retire adds to plan the deletion of the integration's charges on the other
// agreements of the billed accounts: when an MSP moves an account's billing to
// another agreement, the old agreement's charges would otherwise go on billing
// the customer a second time. Charges a person added are not touched (billing
// deletes only owned charges). An account whose agreements cannot be listed is
// logged and left for the next cycle; the rest of the plan stands. An account
// whose billed agreement the plan skipped is not checked: its former
// agreements bill until the new one can be planned.
//
// Accounts are checked at most TigerpawConcurrency at once (the first alone).
// An account found clean is not checked again while the set of billed
// agreements stays the same, for MoveCheckEvery (see moveChecks).
func (j *BillingJob) retire(ctx context.Context, plan billing.Plan, accounts []billing.Account, r billing.ChargeReader) (billing.Plan, error) {
	chosen := make(map[int]bool, len(accounts))
	for _, a := range accounts {
		chosen[a.AgreementNumber] = true
	}
	key := billedKey(chosen)
	now := j.now()
	every := j.MoveCheckEvery
	if every == 0 {
		every = DefaultMoveCheckEvery
	}
	// An account whose billed agreement the plan skipped keeps its former
	// agreements' charges: deleting them while the new agreement bills
	// nothing would bill the customer nothing until it can be planned.
	skipped := map[int]bool{}
	for _, s := range plan.Skipped {
		skipped[s.Agreement] = true
	}
	held := map[int]bool{}
	for _, a := range accounts {
		if skipped[a.AgreementNumber] {
			held[a.AccountNumber] = true
		}
	}
	var due []billing.Account
	seen := map[int]bool{}
	for _, a := range accounts {
		if seen[a.AccountNumber] || held[a.AccountNumber] {
			continue
		}
		seen[a.AccountNumber] = true
		if j.moves.due(key, a.AccountNumber, now, every) {
			due = append(due, a)
		}
	}
	outs := make([]moveCheck, len(due))
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	one := func(i int) {
		outs[i] = j.checkAccount(rctx, due[i], chosen, r)
		if outs[i].refused {
			cancel() // asking again would be refused again
		}
	}
	if len(due) > 0 {
		one(0)
		forEach(rctx, len(due)-1, j.tigerpawConcurrency(), func(i int) { one(i + 1) })
	}
	if err := ctx.Err(); err != nil {
		return plan, err
	}
	added := false
	for i, o := range outs {
		plan.Changes = append(plan.Changes, o.changes...)
		added = added || len(o.changes) > 0
		if o.clean {
			j.moves.checked(key, due[i].AccountNumber, now)
		}
	}
	if added {
		slices.SortStableFunc(plan.Changes, func(x, y billing.Change) int { return cmp.Compare(x.Agreement, y.Agreement) })
	}
	return plan, nil
}

// moveCheck is what checking one account's former agreements found.
type moveCheck struct {
	changes []billing.Change
	// clean: every agreement was listed and none holds the integration's
	// charges.
	clean bool
	// refused: Tigerpaw refused the credentials.
	refused bool
}

// checkAccount lists the account's agreements and the charges of each it does
// not bill to, and returns the deletions of the integration's charges there.
// A listing with an entry not shown to be the account's (another account's
// number, or none) returns nothing, not clean.
func (j *BillingJob) checkAccount(ctx context.Context, a billing.Account, chosen map[int]bool, r billing.ChargeReader) moveCheck {
	var out moveCheck
	complete := true
	for agr, err := range j.Tigerpaw.Agreements.ForAccount(ctx, a.AccountNumber) {
		if err != nil {
			if ctx.Err() == nil {
				j.logger().WarnContext(ctx, "cannot list the account's agreements; charges on its former agreements are checked next cycle",
					"account", a.AccountNumber, "err", err)
			}
			out.refused = credentialsRefused(err)
			return out
		}
		if chosen[agr.AgreementNumber] {
			continue
		}
		if n := agr.Agreement.AccountNumber; n != a.AccountNumber {
			// Not shown to be this account's: another account's agreement
			// keeps the integration's charges once its billing is off, and
			// an entry without its account (absent, null or 0) may be one.
			// A listing holding such an entry is not trusted for any
			// deletion.
			msg := "the listing of the account's agreements names another account's agreement; charges on its former agreements are checked next cycle"
			if n <= 0 {
				msg = "the listing of the account's agreements holds an agreement without its account; charges on its former agreements are checked next cycle"
			}
			j.logger().WarnContext(ctx, msg, "account", a.AccountNumber, "agreement", agr.AgreementNumber, "agreement_account", n)
			return moveCheck{}
		}
		existing, err := r.List(ctx, agr.AgreementNumber)
		if err == nil {
			err = billing.CheckCharges(agr.AgreementNumber, existing)
		}
		if err != nil {
			if ctx.Err() != nil {
				return out
			}
			j.logger().WarnContext(ctx, "cannot list the charges of a former agreement; checked next cycle",
				"account", a.AccountNumber, "agreement", agr.AgreementNumber, "err", err)
			if credentialsRefused(err) || errors.Is(err, billing.ErrUnauthorized) {
				out.refused = true
				return out
			}
			complete = false
			continue
		}
		n := len(out.changes)
		out.changes = billing.AppendDiff(out.changes, agr.AgreementNumber, nil, existing)
		for i := n; i < len(out.changes); i++ {
			out.changes[i].Reason = fmt.Sprintf("account %d bills to agreement %d now", a.AccountNumber, a.AgreementNumber)
		}
	}
	out.clean = complete && ctx.Err() == nil && len(out.changes) == 0
	return out
}

// applyByAgreement applies the plan with billing.Apply, each agreement's
// changes in their order by one goroutine, at most n agreements at once. The
// result and error are those one Apply of the whole plan would return: the
// counts summed, the failures in the plan's order.
func applyByAgreement(ctx context.Context, plan billing.Plan, w billing.ChargeWriter, n int, opts []billing.ApplyOption) (billing.Result, error) {
	// One group per agreement, its changes in the plan's order (a plan from
	// Plan has them together already).
	var groups []billing.Plan
	index := map[int]int{}
	for _, c := range plan.Changes {
		g, ok := index[c.Agreement]
		if !ok {
			g = len(groups)
			index[c.Agreement] = g
			groups = append(groups, billing.Plan{})
		}
		groups[g].Changes = append(groups[g].Changes, c)
	}
	if len(groups) <= 1 {
		return billing.Apply(ctx, plan, w, opts...)
	}
	results := make([]billing.Result, len(groups))
	// Every group runs even once ctx has ended: Apply then reports each of
	// its changes as failed with ctx's error, as it would for the whole plan.
	forEach(context.WithoutCancel(ctx), len(groups), n, func(i int) {
		results[i], _ = billing.Apply(ctx, groups[i], w, opts...)
	})
	var res billing.Result
	for _, r := range results {
		res.Created += r.Created
		res.Updated += r.Updated
		res.Deleted += r.Deleted
		res.Unchanged += r.Unchanged
		res.Failed = append(res.Failed, r.Failed...)
	}
	if len(res.Failed) == 0 {
		return res, nil
	}
	errs := make([]error, len(res.Failed))
	for i, f := range res.Failed {
		errs[i] = f
	}
	return res, errors.Join(errs...)
}
