package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	kt "github.com/mspkit/kaspersky-tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

var fakeCounted = regexp.MustCompile(`requests counted by the fake: (\d+), of which writes: (\d+)`)

// TestDemoListen runs -demo -listen 127.0.0.1:0: /metrics counts what the
// fake Tigerpaw counted, /status holds per-tenant outcomes, and the demo
// serves until its context ends, then exits 0.
func TestDemoListen(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, []string{"-demo", "-listen", "127.0.0.1:0", "-log-format", "json"}, &stdout, &stderr)
	}()
	waitFor(t, "the demo to serve", func() bool {
		select {
		case code := <-done:
			t.Fatalf("the demo exited with %d:\n%s\n%s", code, stdout.String(), stderr.String())
		default:
		}
		return fakeCounted.MatchString(stdout.String()) && listeningAddr.MatchString(stderr.String())
	})
	base := "http://" + listeningAddr.FindStringSubmatch(stderr.String())[1]
	counted := fakeCounted.FindStringSubmatch(stdout.String())
	requests, _ := strconv.Atoi(counted[1])
	writes, _ := strconv.Atoi(counted[2])
	if requests == 0 || writes == 0 {
		t.Fatalf("the fake counted %d requests, %d writes", requests, writes)
	}
	_, metrics := httpGet(t, base+"/metrics")
	if got := metricSum(t, metrics, "kt_requests_total", `api="tigerpaw"`); got != float64(requests) {
		t.Errorf("kt_requests_total{api=tigerpaw} = %v, the fake counted %d", got, requests)
	}
	if got := metricSum(t, metrics, "kt_writes_total", `api="tigerpaw"`); got != float64(writes) {
		t.Errorf("kt_writes_total = %v, the fake counted %d", got, writes)
	}
	for _, job := range []string{"billing", "service_orders"} {
		if got := metricSum(t, metrics, "kt_cycles_total", `job="`+job+`"`, `outcome="ok"`); got != 3 {
			t.Errorf("kt_cycles_total{job=%s,outcome=ok} = %v, want 3", job, got)
		}
	}
	if got := metricSum(t, metrics, "kt_service_orders_total", `action="created"`); got != 3 {
		t.Errorf("kt_service_orders_total{created} = %v, want 3", got)
	}
	code, body := httpGet(t, base+"/status")
	var status struct {
		Jobs map[string]struct {
			Cycles []struct {
				Tenants []kt.TenantOutcome `json:"tenants"`
			} `json:"cycles"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(body), &status); code != http.StatusOK || err != nil {
		t.Fatalf("/status: %d, %v\n%s", code, err, body)
	}
	so := status.Jobs["service_orders"].Cycles
	if len(so) != 3 {
		t.Fatalf("/status has %d service order cycles, want 3", len(so))
	}
	// The latest first: round 3 closed FAB-WS-03's databases order.
	if ts := so[0].Tenants; len(ts) != 2 || ts[1].Tenant != "vs-fabrikam" || ts[1].OrdersClosed != 1 || ts[0].OrdersClosed != 0 {
		t.Errorf("round 3's tenants = %+v", ts)
	}
	if ts := so[2].Tenants; len(ts) != 2 || ts[0].OrdersCreated+ts[1].OrdersCreated != 3 {
		t.Errorf("round 1's tenants = %+v", ts)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("exit code %d after the end of the context", code)
	}
}

// TestBinarySecondSignal: a second SIGTERM while the first waits for a write
// exits at once, with code 1.
func TestBinarySecondSignal(t *testing.T) {
	t.Parallel()
	w := newE2EWorld(t)
	const create = "/api/agreements/{n}/additionalcharges"
	w.tp.Srv.FailNext("POST", create, 1, tigerpawtest.Fault{Delay: 3 * time.Second})
	cmd, out := w.start(t, "-once")
	waitFor(t, "the charge's create to reach Tigerpaw", func() bool { return w.tp.Srv.Count("POST", create) > 0 })
	cmd.Process.Signal(syscall.SIGTERM)
	waitFor(t, "the first signal to be seen", func() bool { return regexp.MustCompile("stopping").MatchString(out.String()) })
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != exitFailed {
		t.Errorf("after a second signal: %v, want exit code %d\n%s", err, exitFailed, out.String())
	}
}
