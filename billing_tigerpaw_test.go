package kasperskytigerpaw

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// TestBillingJobMoveCheckWhileBilledAgreementsStay: the check for charges on
// former agreements lists an account's agreements until it finds them clean,
// then not again while the billed agreements stay the same; a change of them
// checks at once, and MoveCheckEvery bounds how long a clean account goes
// unchecked (a charge another replica left there is deleted then).
func TestBillingJobMoveCheckWhileBilledAgreementsStay(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	now := billingNow
	job := w.job(t)
	job.Now = func() time.Time { return now }
	const listing = "/api/agreements/account/{n}"
	run := func(what string) {
		t.Helper()
		if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	run("first cycle")
	if n := w.srv.Count("GET", listing); n != 1 {
		t.Fatalf("first cycle listed the account's agreements %d times, want 1", n)
	}
	for i := range 3 {
		now = now.Add(time.Hour)
		run(fmt.Sprintf("steady cycle %d", i))
	}
	if n := w.srv.Count("GET", listing); n != 1 {
		t.Errorf("three steady cycles listed the account's agreements %d times in all, want still 1", n)
	}

	// A charge of the integration's on another agreement of the account, as
	// a replica that billed there under another mapping would leave it.
	acct := w.cfg.Tenants[0].Account.Number
	other := w.srv.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct, BillingPeriod: 1, StartDate: billingNow}).Number
	w.srv.AddCharge(tigerpawtest.Charge{AgreementNumber: other, SpecialItemID: "KESB-ADV-WS", ItemDescription: billing.OwnerMarker + " 90 workstations",
		Quantity: 90, Price: 400, PriceLevel: w.cfg.Tenants[0].Account.Billing.PriceLevel})
	now = now.Add(time.Hour)
	run("cycle within MoveCheckEvery")
	if n := len(w.srv.Charges(other)); n != 1 {
		t.Errorf("within MoveCheckEvery the other agreement has %d charges, want the 1 left unchecked", n)
	}
	now = now.Add(DefaultMoveCheckEvery)
	run("cycle after MoveCheckEvery")
	if n := len(w.srv.Charges(other)); n != 0 {
		t.Errorf("after MoveCheckEvery the other agreement still has %d charges, want 0", n)
	}
	if n := w.srv.Count("GET", listing); n != 2 {
		t.Errorf("agreements listed %d times, want 2 (first cycle, after MoveCheckEvery)", n)
	}

	// Billing moved: checked in the same cycle, whatever MoveCheckEvery says.
	before := w.srv.Count("GET", listing)
	w.cfg.Tenants[0].Account.Billing.Agreement = other
	now = now.Add(time.Minute)
	run("cycle after the move")
	if n := w.srv.Count("GET", listing) - before; n != 1 {
		t.Errorf("the move's cycle listed the agreements %d times, want 1", n)
	}
	for _, c := range w.charges() {
		if c.Owned {
			t.Errorf("the former agreement kept the integration's charge %+v", c)
		}
	}

	// MoveCheckEvery < 0 checks every cycle.
	job.MoveCheckEvery = -1
	before = w.srv.Count("GET", listing)
	run("cycle with MoveCheckEvery < 0")
	run("second cycle with MoveCheckEvery < 0")
	if n := w.srv.Count("GET", listing) - before; n != 2 {
		t.Errorf("two cycles with MoveCheckEvery < 0 listed the agreements %d times, want 2", n)
	}
}

// TestBillingJobMoveCheckFailureChecksAgain: an account whose agreements
// could not be listed is not taken as clean: the next cycle checks it again.
func TestBillingJobMoveCheckFailureChecksAgain(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	const listing = "/api/agreements/account/{n}"
	w.srv.FailNext("GET", listing, 1, tigerpawtest.Fault{Status: 400})
	job := w.job(t)
	for i := range 3 {
		if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
	}
	// The failed listing, the one that found the account clean, nothing after.
	if n := w.srv.Count("GET", listing); n != 2 {
		t.Errorf("three cycles listed the account's agreements %d times, want 2", n)
	}
}

// recordingWriter is a ChargeWriter that records, per agreement, the order of
// the writes and whether two ran at once, and holds the first write until a
// second agreement's write is in flight (or a while has passed), so that a
// writer that never overlaps agreements shows.
type recordingWriter struct {
	mu        sync.Mutex
	inflight  map[int]int
	maxAll    int
	all       int
	overlap   []int // agreements written by two goroutines at once
	order     map[int][]string
	second    chan struct{}
	secondSet bool
	fail      map[string]error // "agreement/item" → error of its create
}

func newRecordingWriter() *recordingWriter {
	return &recordingWriter{inflight: map[int]int{}, order: map[int][]string{}, second: make(chan struct{}), fail: map[string]error{}}
}

func (r *recordingWriter) enter(agreement int, what string) {
	r.mu.Lock()
	r.inflight[agreement]++
	if r.inflight[agreement] > 1 {
		r.overlap = append(r.overlap, agreement)
	}
	r.all++
	r.maxAll = max(r.maxAll, r.all)
	r.order[agreement] = append(r.order[agreement], what)
	first := r.all == 1 && !r.secondSet
	if r.all >= 2 && !r.secondSet {
		r.secondSet = true
		close(r.second)
	}
	r.mu.Unlock()
	if first {
		select {
		case <-r.second:
		case <-time.After(2 * time.Second):
		}
	}
}

func (r *recordingWriter) leave(agreement int) {
	r.mu.Lock()
	r.inflight[agreement]--
	r.all--
	r.mu.Unlock()
}

func (r *recordingWriter) List(context.Context, int) ([]billing.Charge, error) { return nil, nil }

func (r *recordingWriter) Create(_ context.Context, agreement int, c billing.Charge) (int64, error) {
	r.enter(agreement, "+"+c.ItemID)
	defer r.leave(agreement)
	if err := r.fail[fmt.Sprintf("%d/%s", agreement, c.ItemID)]; err != nil {
		return 0, err
	}
	return 1, nil
}

func (r *recordingWriter) Update(_ context.Context, agreement int, c billing.Charge) error {
	r.enter(agreement, "~"+c.ItemID)
	defer r.leave(agreement)
	return nil
}

func (r *recordingWriter) Delete(_ context.Context, agreement int, id int64) error {
	r.enter(agreement, fmt.Sprintf("-%d", id))
	defer r.leave(agreement)
	return nil
}

// TestApplyByAgreementOneWriterPerAgreement: the agreements of a plan are
// written at once, each by one writer in the plan's order, and the result is
// that of one Apply of the whole plan.
func TestApplyByAgreementOneWriterPerAgreement(t *testing.T) {
	t.Parallel()
	var plan billing.Plan
	want := map[int][]string{}
	for agr := 1; agr <= 6; agr++ {
		for _, item := range []string{"A", "B", "C"} {
			plan.Changes = append(plan.Changes, billing.Change{Action: billing.Create, Agreement: agr, ItemID: item,
				Desired: billing.Charge{ItemID: item, Quantity: 1}})
			want[agr] = append(want[agr], "+"+item)
		}
		plan.Changes = append(plan.Changes, billing.Change{Action: billing.Delete, Agreement: agr, ItemID: "D", Current: billing.Charge{ItemID: "D", DetailID: int64(agr)}})
		want[agr] = append(want[agr], fmt.Sprintf("-%d", agr))
		plan.Changes = append(plan.Changes, billing.Change{Action: billing.NoOp, Agreement: agr, ItemID: "E"})
	}
	w := newRecordingWriter()
	rejected := fmt.Errorf("no such item: %w", billing.ErrRejected)
	w.fail["2/B"], w.fail["5/A"] = rejected, rejected
	res, err := applyByAgreement(t.Context(), plan, w, 3, []billing.ApplyOption{billing.WithBackoff(0)})
	if len(w.overlap) > 0 {
		t.Errorf("agreements %v were written by two goroutines at once", w.overlap)
	}
	if w.maxAll < 2 {
		t.Errorf("at most %d writes were in flight at once, want agreements written concurrently", w.maxAll)
	}
	if diff := cmp.Diff(want, w.order); diff != "" {
		t.Errorf("writes per agreement (-want +got):\n%s", diff)
	}
	if res.Created != 16 || res.Deleted != 6 || res.Unchanged != 6 || res.Updated != 0 {
		t.Errorf("result %+v, want 16 created, 6 deleted, 6 unchanged", res)
	}
	var failed []string
	for _, f := range res.Failed {
		failed = append(failed, fmt.Sprintf("%d/%s", f.Agreement, f.ItemID))
	}
	if !slices.Equal(failed, []string{"2/B", "5/A"}) {
		t.Errorf("failed changes %v, want [2/B 5/A] in the plan's order", failed)
	}
	if !errors.Is(err, billing.ErrRejected) {
		t.Errorf("error %v does not wrap the rejection", err)
	}
}

// TestBillingJobListsChargesOnceAfterARefusal: Tigerpaw refusing the
// credentials on a charge list costs one request, not one per agreement.
func TestBillingJobListsChargesOnceAfterARefusal(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	// Four more tenants of their own accounts, each with its inventory.
	inv, _ := w.src.Inventory(t.Context(), "vs-1")
	for i := 2; i <= 5; i++ {
		acct := w.srv.AddAccount(tigerpawtest.Account{Name: fmt.Sprintf("Customer %d", i), Type: "Customer"}).Number
		agr := w.srv.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct, BillingPeriod: 1, StartDate: billingNow.AddDate(-1, 0, 0)}).Number
		tenant := w.cfg.Tenants[0]
		tenant.ID = fmt.Sprintf("vs-%d", i)
		acc := *tenant.Account
		acc.Number, acc.Billing.Agreement = acct, agr
		tenant.Account = &acc
		w.cfg.Tenants = append(w.cfg.Tenants, tenant)
		other := inv
		other.Tenant.ID = tenant.ID
		w.src.set(other)
	}
	w.srv.FailNext("GET", "/api/agreements/{n}/additionalcharges", 100, tigerpawtest.Fault{Status: 401})
	job := w.job(t)
	job.TigerpawConcurrency = 4
	_, _, err := job.Run(t.Context(), w.cfg)
	if err == nil {
		t.Fatal("a cycle whose charge lists were refused succeeded")
	}
	if n := w.srv.Count("GET", "/api/agreements/{n}/additionalcharges"); n != 1 {
		t.Errorf("%d charge lists asked for after the refusal of the first, want 1", n)
	}
}

// countingReader lists one charge per agreement and counts the lists.
type countingReader struct {
	mu    sync.Mutex
	calls map[int]int
	gate  chan struct{} // when set, each list waits for it
}

func (r *countingReader) List(ctx context.Context, agreement int) ([]billing.Charge, error) {
	if r.gate != nil {
		select {
		case <-r.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	r.mu.Lock()
	r.calls[agreement]++
	r.mu.Unlock()
	return []billing.Charge{{ItemID: fmt.Sprint(agreement), DetailID: int64(agreement)}}, nil
}

// TestChargePrefetchListsEachAgreementOnce: billing's lists are answered from
// the prefetch, each agreement listed once; an agreement it was not given, or
// one it was stopped before reading, is listed when asked for.
func TestChargePrefetchListsEachAgreementOnce(t *testing.T) {
	t.Parallel()
	r := &countingReader{calls: map[int]int{}}
	p := prefetchCharges(t.Context(), r, []int{5, 3, 3, 9, 1}, 2)
	for _, a := range []int{1, 3, 5, 9, 7} {
		got, err := p.List(t.Context(), a)
		if err != nil || len(got) != 1 || got[0].DetailID != int64(a) {
			t.Errorf("agreement %d: %v, %v", a, got, err)
		}
	}
	p.stop()
	if want := map[int]int{1: 1, 3: 1, 5: 1, 9: 1, 7: 1}; !cmp.Equal(r.calls, want) {
		t.Errorf("lists per agreement %v, want %v", r.calls, want)
	}

	gated := &countingReader{calls: map[int]int{}, gate: make(chan struct{})}
	p = prefetchCharges(t.Context(), gated, []int{1, 2}, 2)
	p.stop() // before any list could finish
	close(gated.gate)
	if got, err := p.List(t.Context(), 2); err != nil || len(got) != 1 {
		t.Errorf("after stop: %v, %v", got, err)
	}
	if gated.calls[2] != 1 {
		t.Errorf("agreement 2 listed %d times after the stop, want 1", gated.calls[2])
	}
}
