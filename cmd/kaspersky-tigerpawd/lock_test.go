package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/service/demo"
)

// exitCode is the exit code of a finished command's Wait error.
func exitCode(err error) int {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// wantOneRun checks that the fakes hold what one run of the daemon writes,
// each charge and order once.
func (w *e2eWorld) wantOneRun(t *testing.T) {
	t.Helper()
	if n := demo.FakeWrites(w.tp.Srv); n != 4+3 {
		t.Errorf("the fake Tigerpaw received %d writes, want 7 (4 charges, 3 orders, once each)", n)
	}
	wantContoso := []chargeLine{{"KESB-ADV-NW", 2, 300}, {"KESB-ADV-SRV", 10, 1100}, {"KESB-ADV-WS", 90, 420}}
	if got := w.charges(w.tp.Agreement[0]); !slices.Equal(got, wantContoso) {
		t.Errorf("Contoso's charges = %v, want %v", got, wantContoso)
	}
	if got := w.orderTitles(); len(got) != 3 {
		t.Errorf("orders = %q, want 3", got)
	}
}

// TestBinaryTwoServicesOneStore starts two daemons at once on one file
// store: one runs, the other refuses at once (exit 2) naming the lock file and
// the pid of the one that runs; nothing is written twice.
func TestBinaryTwoServicesOneStore(t *testing.T) {
	t.Parallel()
	w := newE2EWorld(t)
	lockFile := filepath.Join(filepath.Dir(w.config), "mapping", ".lock")
	a, outA := w.start(t)
	b, outB := w.start(t)
	exited := make(chan int, 2) // 0: a, 1: b
	errs := make([]error, 2)
	for i, cmd := range []*exec.Cmd{a, b} {
		go func() {
			errs[i] = cmd.Wait()
			exited <- i
		}()
	}
	cmds, outs := []*exec.Cmd{a, b}, []*syncBuffer{outA, outB}
	ran := func(i int) bool {
		return strings.Contains(outs[i].String(), "billing cycle") && strings.Contains(outs[i].String(), "service order cycle")
	}
	loser := -1
	waitFor(t, "one daemon to refuse", func() bool {
		select {
		case loser = <-exited:
			return true
		default:
		}
		if ran(0) && ran(1) {
			t.Fatalf("both daemons ran their cycles on one store:\n%s\n---\n%s", outA.String(), outB.String())
		}
		return false
	})
	winner := 1 - loser
	if code := exitCode(errs[loser]); code != exitConfig {
		t.Fatalf("the second daemon exited with %d, want %d:\n%s", code, exitConfig, outs[loser].String())
	}
	out := outs[loser].String()
	for _, want := range []string{lockFile, "pid " + strconv.Itoa(cmds[winner].Process.Pid), "refusing to start"} {
		if !strings.Contains(out, want) {
			t.Errorf("the refusal does not name %q:\n%s", want, out)
		}
	}
	// The daemon that runs makes its first cycles, once.
	waitFor(t, "the first cycles", func() bool { return ran(winner) })
	cmds[winner].Process.Signal(syscall.SIGTERM)
	<-exited
	if code := exitCode(errs[winner]); code != exitOK {
		t.Errorf("the running daemon exited with %d after SIGTERM:\n%s", code, outs[winner].String())
	}
	w.wantOneRun(t)
}

// TestBinaryTwoOnceRunsOneStore starts two daemon -once at once on one file
// store (a cron job next to another): the second waits for the first to end
// (when they overlap), then runs and finds everything written; nothing is
// written twice.
func TestBinaryTwoOnceRunsOneStore(t *testing.T) {
	t.Parallel()
	w := newE2EWorld(t)
	a, outA := w.start(t, "-once", "-lock-wait", "2m")
	b, outB := w.start(t, "-once", "-lock-wait", "2m")
	errA, errB := a.Wait(), b.Wait()
	if exitCode(errA) != exitOK || exitCode(errB) != exitOK {
		t.Fatalf("exit codes %d and %d, want 0 and 0:\n%s\n---\n%s", exitCode(errA), exitCode(errB), outA.String(), outB.String())
	}
	// Whether the second one had to wait depends on how the two were
	// scheduled; either way nothing is written twice.
	if strings.Contains(outA.String()+outB.String(), "another process holds the store; waiting") {
		t.Log("one run waited for the other")
	}
	w.wantOneRun(t)
}

// TestBinaryOnceGivesUpWaiting: a -once beside a running service waits
// -lock-wait, then refuses (exit 2) naming the holder, and writes nothing.
func TestBinaryOnceGivesUpWaiting(t *testing.T) {
	t.Parallel()
	w := newE2EWorld(t)
	svc, svcOut := w.start(t)
	waitFor(t, "the service's first cycles", func() bool {
		return strings.Contains(svcOut.String(), "billing cycle") && strings.Contains(svcOut.String(), "service order cycle")
	})
	once, out := w.start(t, "-once", "-lock-wait", "300ms")
	err := once.Wait()
	if code := exitCode(err); code != exitConfig {
		t.Fatalf("-once beside a service exited with %d, want %d:\n%s", code, exitConfig, out.String())
	}
	for _, want := range []string{"pid " + strconv.Itoa(svc.Process.Pid), "waited 300ms"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the refusal does not name %q:\n%s", want, out.String())
		}
	}
	svc.Process.Signal(syscall.SIGTERM)
	svc.Wait()
	w.wantOneRun(t)
}
