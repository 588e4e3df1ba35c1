package winsvc

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// recorder collects the statuses a machine reports.
type recorder chan Status

func (r recorder) next(t *testing.T, skipCheckpoints bool) Status {
	t.Helper()
	for {
		select {
		case st := <-r:
			if skipCheckpoints && st.CheckPoint > 1 {
				continue
			}
			return st
		case <-time.After(time.Minute):
			t.Fatal("no status reported in a minute")
		}
	}
}

// startMachine serves run under reqs, with progress every pendingEvery.
func startMachine(pendingEvery time.Duration, run Runner) (recorder, chan Request, chan Status) {
	rec := make(recorder, 1000)
	reqs := make(chan Request)
	final := make(chan Status, 1)
	m := machine{pendingEvery: pendingEvery, report: func(st Status) { rec <- st }}
	go func() { final <- m.serve(reqs, run) }()
	return rec, reqs, final
}

// TestStopFinishesTheCycleInFlight: start pending, running once the runner
// says so, stop pending on Stop while the cycle in flight finishes, then
// stopped with the runner's exit code.
func TestStopFinishesTheCycleInFlight(t *testing.T) {
	release := make(chan struct{})
	var cycleDone atomic.Bool
	rec, reqs, final := startMachine(time.Hour, func(ctx context.Context, running func()) int {
		<-release // the stores open, the server starts
		running()
		<-ctx.Done()
		time.Sleep(10 * time.Millisecond) // the cycle in flight writes and saves
		cycleDone.Store(true)
		return 0
	})
	if st := rec.next(t, false); st.State != StartPending || st.AcceptStop || st.CheckPoint != 1 || st.WaitHint != 2*time.Hour {
		t.Fatalf("first status = %+v, want start pending, not accepting stop", st)
	}
	reqs <- Interrogate
	if st := rec.next(t, false); st.State != StartPending {
		t.Fatalf("interrogated while starting: %+v", st)
	}
	close(release)
	if st := rec.next(t, false); st.State != Running || !st.AcceptStop {
		t.Fatalf("after start-up: %+v, want running accepting stop", st)
	}
	reqs <- Interrogate
	if st := rec.next(t, false); st.State != Running || !st.AcceptStop {
		t.Fatalf("interrogated while running: %+v", st)
	}
	reqs <- Stop
	if st := rec.next(t, false); st.State != StopPending || st.AcceptStop {
		t.Fatalf("after Stop: %+v, want stop pending", st)
	}
	reqs <- Shutdown // a second request while stopping changes nothing
	st := <-final
	if st.State != Stopped || st.ExitCode != 0 {
		t.Errorf("final status = %+v, want stopped, exit 0", st)
	}
	if !cycleDone.Load() {
		t.Error("stopped before the runner finished its cycle")
	}
	close(rec)
	for st := range rec {
		t.Errorf("status reported after stop pending: %+v", st)
	}
}

// TestShutdownStops: Shutdown and PreShutdown stop the service like Stop.
func TestShutdownStops(t *testing.T) {
	for _, req := range []Request{Shutdown, PreShutdown} {
		var stopped atomic.Bool
		rec, reqs, final := startMachine(time.Hour, func(ctx context.Context, running func()) int {
			running()
			<-ctx.Done()
			stopped.Store(true)
			return 0
		})
		rec.next(t, false)
		if st := rec.next(t, false); st.State != Running {
			t.Fatalf("%v: %+v, want running", req, st)
		}
		reqs <- Other // not accepted: ignored
		reqs <- req
		if st := rec.next(t, false); st.State != StopPending {
			t.Fatalf("after %v: %+v, want stop pending", req, st)
		}
		if st := <-final; st.State != Stopped || !stopped.Load() {
			t.Errorf("after %v: %+v", req, st)
		}
	}
}

// TestFailedStart: a runner that fails before it starts (a configuration
// error) never reports running, and its exit code is the service's.
func TestFailedStart(t *testing.T) {
	rec, _, final := startMachine(time.Hour, func(context.Context, func()) int { return 2 })
	if st := rec.next(t, false); st.State != StartPending {
		t.Fatalf("first status = %+v", st)
	}
	if st := <-final; st.State != Stopped || st.ExitCode != 2 {
		t.Errorf("final status = %+v, want stopped, exit 2", st)
	}
	close(rec)
	for st := range rec {
		t.Errorf("reported %+v after start pending", st)
	}
}

// TestPendingShowsProgress: while a start or a stop is pending, the check
// point grows so that the service control manager waits on.
func TestPendingShowsProgress(t *testing.T) {
	release, finish := make(chan struct{}), make(chan struct{})
	rec, reqs, final := startMachine(time.Millisecond, func(ctx context.Context, running func()) int {
		<-release
		running()
		<-ctx.Done()
		<-finish
		return 0
	})
	progress := func(state State) {
		t.Helper()
		last := uint32(0)
		for range 3 {
			st := rec.next(t, false)
			if st.State != state || st.CheckPoint <= last {
				t.Fatalf("%+v after check point %d, want %v with a greater one", st, last, state)
			}
			last = st.CheckPoint
		}
	}
	progress(StartPending)
	close(release)
	for st := rec.next(t, false); st.State != Running; st = rec.next(t, false) {
		if st.State != StartPending {
			t.Fatalf("%+v between start pending and running", st)
		}
	}
	reqs <- Stop
	progress(StopPending)
	close(finish)
	if st := <-final; st.State != Stopped {
		t.Errorf("final status = %+v", st)
	}
}
