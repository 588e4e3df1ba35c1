package service

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	kt "github.com/mspkit/kaspersky-tigerpaw"
)

// TestScheduleNeverOverlaps runs a job whose cycles last longer than its
// interval: no cycle starts while another runs, and the next run time is in
// the status.
func TestScheduleNeverOverlaps(t *testing.T) {
	t.Parallel()
	d := &Service{status: newStatusBoard(), log: slog.New(slog.DiscardHandler), st: alwaysLeading()}
	ctx, cancel := context.WithCancel(t.Context())
	var active, most, calls atomic.Int32
	var once sync.Once
	run := func(context.Context) error {
		n := active.Add(1)
		defer active.Add(-1)
		if n > most.Load() {
			most.Store(n)
		}
		time.Sleep(5 * time.Millisecond)
		if calls.Add(1) == 5 {
			once.Do(cancel)
		}
		return nil
	}
	d.schedule(ctx, context.Background(), &job{name: kt.JobBilling, every: time.Microsecond, cycle: run, now: make(chan struct{}, 1)})
	if m := most.Load(); m != 1 {
		t.Errorf("%d cycles ran at once", m)
	}
	if c := calls.Load(); c != 5 {
		t.Errorf("%d cycles ran after the context ended at the 5th", c)
	}
	if d.status.jobs[kt.JobBilling].NextRun == nil {
		t.Error("no next run time in the status")
	}
}

func TestListenAddr(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"9464": "127.0.0.1:9464", ":9464": "127.0.0.1:9464", "0.0.0.0:9464": "0.0.0.0:9464",
		"127.0.0.1:0": "127.0.0.1:0", "[::1]:9464": "[::1]:9464",
	} {
		if got := listenAddr(in); got != want {
			t.Errorf("listenAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestReadyAgainAfterASuccessfulCycle: a failed cycle makes the daemon not
// ready, with its reason; a later cycle of the job that does not fail makes
// it ready again; a partial cycle (Err without Failed) leaves it ready.
func TestReadyAgainAfterASuccessfulCycle(t *testing.T) {
	t.Parallel()
	b := newStatusBoard()
	b.record(kt.CycleResult{Job: kt.JobBilling, Start: time.Now(), Failed: true, Err: errString("ksc: login refused")})
	if err := b.ready(); err == nil || !strings.Contains(err.Error(), "the last billing cycle failed: ksc: login refused") {
		t.Fatalf("ready after a failed cycle = %v", err)
	}
	b.record(kt.CycleResult{Job: kt.JobBilling, Start: time.Now(), Err: errString("agreement 7 skipped")})
	if err := b.ready(); err != nil {
		t.Errorf("ready after a partial cycle = %v, want nil", err)
	}
	b.record(kt.CycleResult{Job: kt.JobServiceOrders, Start: time.Now(), Failed: true})
	if err := b.ready(); err == nil || !strings.Contains(err.Error(), "service_orders") {
		t.Errorf("ready after a failed service order cycle = %v", err)
	}
	b.record(kt.CycleResult{Job: kt.JobServiceOrders, Start: time.Now()})
	if err := b.ready(); err != nil {
		t.Errorf("ready after a successful cycle = %v, want nil", err)
	}
}

// TestCycleOutcomeHonoursTheResult: a cycle whose Run returned nil but whose
// CycleResult has Err or Failed fails -once.
func TestCycleOutcomeHonoursTheResult(t *testing.T) {
	t.Parallel()
	d := &Service{status: newStatusBoard()}
	for _, tt := range []struct {
		r    kt.CycleResult
		fail bool
	}{
		{kt.CycleResult{Job: kt.JobBilling}, false},
		{kt.CycleResult{Job: kt.JobBilling, Err: errString("agreement 7 skipped")}, true},
		{kt.CycleResult{Job: kt.JobBilling, Failed: true}, true},
	} {
		d.startCycle(kt.JobBilling)
		d.observe(tt.r)
		if err := d.cycleOutcome(kt.JobBilling, nil); (err != nil) != tt.fail {
			t.Errorf("outcome of %+v = %v, want failure %v", tt.r, err, tt.fail)
		}
	}
	d.startCycle(kt.JobBilling)
	if err := d.cycleOutcome(kt.JobBilling, nil); err != nil {
		t.Errorf("outcome of a cycle that reported nothing = %v", err)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// TestStatusShowsTheFloodGuard: /status shows the flood limit in force, the
// summary orders and suppressed events since the start, and each cycle's and
// tenant's own counts.
func TestStatusShowsTheFloodGuard(t *testing.T) {
	t.Parallel()
	b := newStatusBoard()
	for range 2 {
		b.record(kt.CycleResult{Job: kt.JobServiceOrders, Start: time.Now(), FloodLimit: 25, Summaries: 1, Suppressed: 30, Deferred: 2,
			Tenants: []kt.TenantOutcome{{Tenant: "vs-1", OrdersCreated: 26, Summaries: 1}}})
	}
	body, err := b.statusJSON()
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Jobs map[string]struct {
			FloodLimit, Summaries, Suppressed int
			Cycles                            []struct {
				Summaries, Suppressed, Deferred int
				Tenants                         []struct {
					Tenant    string
					Summaries int
				}
			}
		}
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	j := got.Jobs[kt.JobServiceOrders]
	if j.FloodLimit != 25 || j.Summaries != 2 || j.Suppressed != 60 {
		t.Errorf("job: flood limit %d, summaries %d, suppressed %d; want 25, 2, 60\n%s", j.FloodLimit, j.Summaries, j.Suppressed, body)
	}
	if len(j.Cycles) != 2 || j.Cycles[0].Summaries != 1 || j.Cycles[0].Suppressed != 30 || j.Cycles[0].Deferred != 2 ||
		len(j.Cycles[0].Tenants) != 1 || j.Cycles[0].Tenants[0].Summaries != 1 {
		t.Errorf("cycles: %+v\n%s", j.Cycles, body)
	}
	if bj := got.Jobs[kt.JobBilling]; bj.FloodLimit != 0 || bj.Summaries != 0 {
		t.Errorf("billing shows flood figures: %+v", bj)
	}
}
