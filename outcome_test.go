package kasperskytigerpaw

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksc"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// observed wires both jobs' cycles to fresh collectors.
func observed(t *testing.T, j *scaleJobs) (bc, sc *cycles) {
	t.Helper()
	bc, sc = &cycles{}, &cycles{}
	j.billing.OnCycle = bc.observe
	j.orders.OnCycle = sc.observe
	return bc, sc
}

// checkFailed checks the result of a cycle that failed: its outcome (the
// metrics' label, see package metrics) is failed, not ok.
func checkFailed(t *testing.T, r CycleResult, why error) {
	t.Helper()
	if !r.Failed || !errors.Is(r.Err, ErrCycleFailed) || !errors.Is(r.Err, why) {
		t.Errorf("%s cycle: failed %v, err %v; want failed with %v", r.Job, r.Failed, r.Err, why)
	}
	if o := r.Outcome(); o != OutcomeFailed {
		t.Errorf("%s cycle: outcome %q, want %q", r.Job, o, OutcomeFailed)
	}
}

// TestWrongKSCPasswordFailsTheCycle: the console refuses every login. Today
// both cycles count as ok, the last success advances, and the account gets a
// refused login per tenant and per job. Both cycles must fail, say why, the
// dry run too, and the console see at most one login per job.
func TestWrongKSCPasswordFailsTheCycle(t *testing.T) {
	t.Parallel()
	const tenants = 4
	w := newScaleWorld(t, tenants, 10)
	j := w.jobs(t, serviceorder.NewMemoryStore(), 4)
	kc, err := ksc.NewClient(w.ksc.URL,
		ksc.WithHTTPClient(&http.Client{Transport: w.kscCount}),
		ksc.WithCredentials(ksc.Credentials{User: scaleUser, Password: "not-" + scalePassword, Internal: true}),
		ksc.WithRetryPolicy(ksc.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}),
		ksc.WithClock(w.clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kc.Close(context.Background()) })
	j.source = NewCycleSource(ksc.NewSource(kc))
	j.billing.Source, j.orders.Source = j.source, j.source
	bc, sc := observed(t, j)

	plan, err := j.billing.Plan(t.Context(), w.cfg)
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if ferr := plan.Failed(); !errors.Is(ferr, kaspersky.ErrUnauthorized) {
		t.Errorf("dry run: Failed() = %v, want the refusal; plan:\n%s", ferr, plan.Explain())
	}
	logins := w.ksc.Requests("Session.StartSession")

	j.source.Forget()
	_, _, berr := j.billing.Run(t.Context(), w.cfg)
	_, serr := j.orders.Run(t.Context(), w.cfg, w.rules)
	for _, err := range []error{berr, serr} {
		if !errors.Is(err, ErrCycleFailed) || !errors.Is(err, kaspersky.ErrUnauthorized) {
			t.Errorf("run: %v, want ErrCycleFailed for the refused credentials", err)
		}
	}
	checkFailed(t, bc.last(t), kaspersky.ErrUnauthorized)
	checkFailed(t, sc.last(t), kaspersky.ErrUnauthorized)
	for _, r := range []CycleResult{bc.last(t), sc.last(t)} {
		notRead := 0
		for i := range tenants {
			if strings.Contains(tenantErrors(r, scaleTenantID(i)), "not read: the console refused the credentials") {
				notRead++
			}
		}
		if notRead != tenants-1 {
			t.Errorf("%s cycle: %d tenants say they were not read for the refusal, want %d: %+v", r.Job, notRead, tenants-1, r.Tenants)
		}
	}
	if n := w.ksc.Requests("Session.StartSession"); logins > 1 || n-logins > 1 {
		t.Errorf("the console saw %d logins for the dry run and %d for the two cycles of %d tenants; want at most 1 and 1 (the jobs share a CycleSource)",
			logins, n-logins, tenants)
	}
	if n := countedTigerpawWrites(w.tp); n != 0 {
		t.Errorf("%d Tigerpaw writes", n)
	}
}

// TestTigerpawRefusesEveryAgreement: Tigerpaw answers 401 to every charge
// list. Today the agreements are skipped one by one and the cycle counts as
// ok; it must fail, and stop asking after the first refusal.
func TestTigerpawRefusesEveryAgreement(t *testing.T) {
	t.Parallel()
	const tenants = 3
	w := newScaleWorld(t, tenants, 10)
	j := w.jobs(t, serviceorder.NewMemoryStore(), 2)
	bc, _ := observed(t, j)
	const list = "/api/agreements/{n}/additionalcharges"
	w.tp.FailNext("GET", list, 100, tigerpawtest.Fault{Status: http.StatusUnauthorized})

	plan, _, err := j.billing.Run(t.Context(), w.cfg)
	if !errors.Is(err, ErrCycleFailed) {
		t.Errorf("run: %v, want ErrCycleFailed", err)
	}
	if len(plan.Skipped) != tenants {
		t.Errorf("skipped %v, want every agreement", plan.Skipped)
	}
	checkFailed(t, bc.last(t), tigerpaw.ErrUnauthorized)
	if n := w.tp.Count("GET", list); n != 1 {
		t.Errorf("%d charge lists asked for, want 1: no more after the refusal", n)
	}
	if n := countedTigerpawWrites(w.tp); n != 0 {
		t.Errorf("%d Tigerpaw writes", n)
	}
}
