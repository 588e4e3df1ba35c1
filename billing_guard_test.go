package kasperskytigerpaw

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/history"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

const chargePath = "/api/agreements/{n}/additionalcharges/{d}"

// setActive makes the tenant's license cover ws of its 90 workstations and srv
// of its 10 servers.
func (w *billingWorld) setActive(t *testing.T, ws, srv int) {
	t.Helper()
	inv, err := w.src.Inventory(t.Context(), "vs-1")
	if err != nil {
		t.Fatal(err)
	}
	var active []string
	for i := range ws {
		active = append(active, fmt.Sprintf("host-%03d", i))
	}
	for i := range srv {
		active = append(active, fmt.Sprintf("host-%03d", 90+i))
	}
	inv.Licenses[0].ActiveDevices = active
	w.src.set(inv)
}

// guarded turns the guard on in the world's configuration and gives the job
// a decision file.
func (w *billingWorld) guarded(t *testing.T, job *BillingJob, decisions string) {
	w.cfg.BillingGuard = &mapping.BillingGuard{Mode: mapping.GuardHold}
	job.Decisions = billing.NewFileDecisions(decisions)
}

func (w *billingWorld) puts() int { return w.srv.Count("PUT", chargePath) }

// TestBillingGuardHoldsADropUntilTheDevicesComeBack: a tenant's devices drop
// by half for one cycle; the drop is held (nothing written for it), shown in
// the cycle's result, and gone when the devices come back.
func TestBillingGuardHoldsADropUntilTheDevicesComeBack(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	job := w.job(t)
	w.guarded(t, job, filepath.Join(t.TempDir(), "decisions.json"))
	var last CycleResult
	job.OnCycle = func(r CycleResult) { last = r }
	if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantSeedCharges, w.charges(), sortCharges()); diff != "" {
		t.Fatalf("first run's charges (-want +got):\n%s", diff)
	}

	w.setActive(t, 45, 5)
	plan, res, err := job.Run(t.Context(), w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Held) != 2 || res.Updated+res.Deleted+res.Created != 0 {
		t.Fatalf("held %d, result %+v; want both drops held, nothing written:\n%s", len(plan.Held), res, plan.Explain())
	}
	if n := w.puts(); n != 0 {
		t.Errorf("%d updates written for held changes", n)
	}
	if diff := cmp.Diff(wantSeedCharges, w.charges(), sortCharges()); diff != "" {
		t.Errorf("charges changed while held (-want +got):\n%s", diff)
	}
	if last.Held != 2 || len(last.Tenants) != 1 || last.Tenants[0].Held != 2 || len(last.Tenants[0].HeldChanges) != 2 {
		t.Errorf("cycle result held %d, tenants %+v; want 2 held for vs-1", last.Held, last.Tenants)
	}
	if last.Outcome() != OutcomeOK {
		t.Errorf("outcome %s: holding is not a failure", last.Outcome())
	}

	w.setActive(t, 90, 10)
	plan, _, err = job.Run(t.Context(), w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Held) != 0 || !plan.Empty() || last.Held != 0 {
		t.Errorf("devices back: held %d (result %d), plan:\n%s", len(plan.Held), last.Held, plan.Explain())
	}
}

// TestBillingGuardOffWritesTheDrop: without a policy (or with "apply") the
// drop is written at once, as before the guard.
func TestBillingGuardOffWritesTheDrop(t *testing.T) {
	t.Parallel()
	for _, g := range []*mapping.BillingGuard{nil, {Mode: mapping.GuardApply}} {
		w := newBillingWorld(t)
		w.cfg.BillingGuard = g
		job := w.job(t)
		if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
			t.Fatal(err)
		}
		w.setActive(t, 45, 5)
		plan, res, err := job.Run(t.Context(), w.cfg)
		if err != nil || res.Updated != 2 || len(plan.Held) != 0 {
			t.Errorf("guard %+v: result %+v, held %d, err %v; want 2 updates", g, res, len(plan.Held), err)
		}
	}
}

// TestBillingGuardDefaultFromTheDaemon: a configuration without a policy
// takes the job's.
func TestBillingGuardDefaultFromTheDaemon(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	job := w.job(t)
	job.Guard = &mapping.BillingGuard{Mode: mapping.GuardHold, DropPercent: 60}
	if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
		t.Fatal(err)
	}
	w.setActive(t, 45, 5) // -50 %: below 60 %
	if plan, res, err := job.Run(t.Context(), w.cfg); err != nil || res.Updated != 2 || len(plan.Held) != 0 {
		t.Fatalf("a drop under the threshold: result %+v, held %d, err %v", res, len(plan.Held), err)
	}
	w.setActive(t, 10, 5) // 45 → 10: -77 %
	plan, res, err := job.Run(t.Context(), w.cfg)
	if err != nil || res.Updated != 0 || len(plan.Held) != 1 || plan.Held[0].ItemID != "KESB-ADV-WS" {
		t.Fatalf("a drop over the threshold: result %+v, held %+v, err %v", res, plan.Held, err)
	}
	w.cfg.BillingGuard = &mapping.BillingGuard{Mode: mapping.GuardApply} // the integration's own policy wins
	if _, res, err := job.Run(t.Context(), w.cfg); err != nil || res.Updated != 1 {
		t.Fatalf("integration policy apply: result %+v, err %v", res, err)
	}
}

// approveAll approves every held change of the plan.
func approveAll(t *testing.T, s billing.DecisionStore, plan billing.Plan) {
	t.Helper()
	for _, h := range plan.Held {
		if err := s.Decide(t.Context(), billing.Decision{Key: h.Key, Agreement: h.Agreement, Approved: true, At: billingNow, Change: h.Change.String()}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBillingGuardApprovalWrittenOnce: an approved drop is written by the
// next run, once; a rejected one stays held until the usage moves.
func TestBillingGuardApprovalWrittenOnce(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	job := w.job(t)
	file := filepath.Join(t.TempDir(), "decisions.json")
	w.guarded(t, job, file)
	if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
		t.Fatal(err)
	}
	w.setActive(t, 45, 5)
	plan, _, err := job.Run(t.Context(), w.cfg)
	if err != nil || len(plan.Held) != 2 {
		t.Fatalf("held %d, err %v", len(plan.Held), err)
	}
	// Reject the servers' drop, approve the workstations'.
	for _, h := range plan.Held {
		if err := job.Decisions.Decide(t.Context(), billing.Decision{Key: h.Key, Agreement: h.Agreement, Approved: h.ItemID == "KESB-ADV-WS"}); err != nil {
			t.Fatal(err)
		}
	}
	plan, res, err := job.Run(t.Context(), w.cfg)
	if err != nil || res.Updated != 1 || len(plan.Held) != 1 || !plan.Held[0].Rejected || plan.Held[0].ItemID != "KESB-ADV-SRV" {
		t.Fatalf("approving run: result %+v, held %+v, err %v", res, plan.Held, err)
	}
	for range 2 {
		plan, res, err = job.Run(t.Context(), w.cfg)
		if err != nil || res.Updated != 0 || len(plan.Held) != 1 || !plan.Held[0].Rejected {
			t.Fatalf("later run: result %+v, held %+v, err %v", res, plan.Held, err)
		}
	}
	if n := w.puts(); n != 1 {
		t.Errorf("%d updates, want the approved one once", n)
	}
	want := []chargeView{{"KESB-ADV-SRV", true, 10, 1000}, {"KESB-ADV-WS", false, 3, 9900}, {"KESB-ADV-WS", true, 45, 400}}
	if diff := cmp.Diff(want, w.charges(), sortCharges()); diff != "" {
		t.Errorf("charges (-want +got):\n%s", diff)
	}
	d, err := job.Decisions.Decisions(t.Context())
	if err != nil || len(d) != 1 {
		t.Errorf("decisions after the write: %v, %v; want the rejection only (the approval is spent)", d, err)
	}
	// The servers' usage moves again: the rejection no longer applies.
	w.setActive(t, 45, 4)
	plan, _, err = job.Run(t.Context(), w.cfg)
	if err != nil || len(plan.Held) != 1 || plan.Held[0].Rejected {
		t.Fatalf("usage moved: held %+v, err %v; want a new, undecided change", plan.Held, err)
	}
	if d, _ := job.Decisions.Decisions(t.Context()); len(d) != 0 {
		t.Errorf("stale decisions kept: %v", d)
	}
}

// crashWriter is the job's writer in a process that dies during an update:
// once the update's request has ended (applied or not, as the fault says),
// the cycle's context is cancelled and the job is never used again.
type crashWriter struct {
	billing.ChargeWriter
	crash context.CancelFunc
}

func (c *crashWriter) Update(ctx context.Context, agreement int, ch billing.Charge) error {
	err := c.ChargeWriter.Update(ctx, agreement, ch)
	c.crash()
	return errors.Join(err, context.Canceled)
}

// TestBillingGuardApprovalSurvivesACrash: the cycle that carries out an
// approval crashes in the middle of the update, the write applied or not; the
// restarted daemon (a new job on the same decision file) writes the approved
// change exactly once: no second update, no approval lost.
func TestBillingGuardApprovalSurvivesACrash(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		n       int
		fault   tigerpawtest.Fault
		wantPut int // updates the restarted daemon sends
	}{
		// The servers' update was applied: only the workstations' is left.
		{"applied then dropped", 1, tigerpawtest.Fault{Drop: true, AfterApply: true}, 1},
		// No attempt of the servers' update arrived: both are left.
		{"dropped unapplied", 10, tigerpawtest.Fault{Drop: true}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newBillingWorld(t)
			file := filepath.Join(t.TempDir(), "decisions.json")
			job := w.job(t)
			w.guarded(t, job, file)
			if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
				t.Fatal(err)
			}
			w.setActive(t, 45, 5)
			plan, _, err := job.Run(t.Context(), w.cfg)
			if err != nil || len(plan.Held) != 2 {
				t.Fatalf("held %d, err %v", len(plan.Held), err)
			}
			approveAll(t, job.Decisions, plan)

			// The approving cycle crashes during its first update.
			ctx, crash := context.WithCancel(t.Context())
			defer crash()
			crashed := w.job(t)
			w.guarded(t, crashed, file)
			inner, err := NewChargeWriter(w.srv.Client(t))
			if err != nil {
				t.Fatal(err)
			}
			crashed.Writer = &crashWriter{ChargeWriter: inner, crash: crash}
			crashed.ApplyOptions = append(crashed.ApplyOptions, billing.WithAttempts(1))
			w.srv.FailNext("PUT", chargePath, tt.n, tt.fault)
			_, _, _ = crashed.Run(ctx, w.cfg)
			w.srv.ClearFaults()
			before := w.puts()

			// The restart.
			restarted := w.job(t)
			w.guarded(t, restarted, file)
			plan, res, err := restarted.Run(t.Context(), w.cfg)
			if err != nil || len(plan.Held) != 0 {
				t.Fatalf("after the crash: result %+v, held %d, err %v", res, len(plan.Held), err)
			}
			want := []chargeView{{"KESB-ADV-SRV", true, 5, 1000}, {"KESB-ADV-WS", false, 3, 9900}, {"KESB-ADV-WS", true, 45, 400}}
			if diff := cmp.Diff(want, w.charges(), sortCharges()); diff != "" {
				t.Errorf("charges (-want +got):\n%s", diff)
			}
			if n := w.puts() - before; n != tt.wantPut {
				t.Errorf("%d updates sent, want %d", n, tt.wantPut)
			}
			plan, res, err = restarted.Run(t.Context(), w.cfg)
			if err != nil || !plan.Empty() || len(plan.Held) != 0 || res.Updated != 0 {
				t.Errorf("next run: result %+v, err %v, plan:\n%s", res, err, plan.Explain())
			}
			if d, _ := restarted.Decisions.Decisions(t.Context()); len(d) != 0 {
				t.Errorf("spent approvals kept: %v", d)
			}
		})
	}
}

// TestUsageHistoryThirtyDays: thirty daily cycles give thirty snapshots of the
// tenant, which a reopened store still has, and the retention prunes.
func TestUsageHistoryThirtyDays(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	dir := t.TempDir()
	store, err := history.OpenFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	job := w.job(t)
	job.History = store
	start := billingNow
	for day := range 30 {
		ws := 88 + day%3 // a few devices come and go
		w.setActive(t, ws, 10)
		for _, hour := range []int{0, 6} { // two cycles a day: the last one is kept
			now := start.AddDate(0, 0, day).Add(time.Duration(hour) * time.Hour)
			job.Now = func() time.Time { return now }
			if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
				t.Fatal(err)
			}
		}
	}
	reopened, err := history.OpenFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := reopened.Query(t.Context(), "vs-1", start, start.AddDate(0, 0, 40))
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 30 {
		t.Fatalf("%d snapshots, want 30", len(snaps))
	}
	for day, s := range snaps {
		ws := int64(88 + day%3)
		at := start.AddDate(0, 0, day).Add(6 * time.Hour)
		want := history.Snapshot{TenantID: "vs-1", Day: history.Day(at), At: at, Items: []history.Item{
			{Agreement: w.agreement, App: "kesb-advanced", Category: 2, ItemID: "KESB-ADV-SRV", Usage: 10, Billed: 10, Price: 1000, PriceLevel: w.cfg.Tenants[0].Account.Billing.PriceLevel},
			{Agreement: w.agreement, App: "kesb-advanced", Category: 1, ItemID: "KESB-ADV-WS", Usage: ws, Billed: ws, Price: 400, PriceLevel: w.cfg.Tenants[0].Account.Billing.PriceLevel},
		}}
		if diff := cmp.Diff(want, s); diff != "" {
			t.Fatalf("day %d (-want +got):\n%s", day, diff)
		}
	}
	// A short retention prunes at the next cycle.
	job.HistoryRetention = 10 * 24 * time.Hour
	now := start.AddDate(0, 0, 30)
	job.Now = func() time.Time { return now }
	if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
		t.Fatal(err)
	}
	snaps, err = reopened.Query(t.Context(), "", start, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 11 || snaps[0].Day != history.Day(now.AddDate(0, 0, -10)) {
		t.Errorf("after pruning: %d snapshots from %s; want 11 from %s", len(snaps), snaps[0].Day, history.Day(now.AddDate(0, 0, -10)))
	}
}
