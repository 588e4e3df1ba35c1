package kasperskytigerpaw

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

var (
	benchKSCLatency = flag.Duration("cycle.ksc-latency", 30*time.Millisecond, "BenchmarkCycleLatency: the KSC fake's fixed latency per request")
	benchTPLatency  = flag.Duration("cycle.tigerpaw-latency", 50*time.Millisecond, "BenchmarkCycleLatency: the Tigerpaw fake's fixed latency per request")
	benchJitter     = flag.Float64("cycle.jitter", 0.2, "BenchmarkCycleLatency: each fake's jitter, as a fraction of its fixed latency (drawn uniformly from [0, jitter])")
	benchLevels     = flag.String("cycle.concurrency", "1,4,16", "BenchmarkCycleLatency: the concurrency levels to run, comma-separated")
)

// benchConcurrencies parses -cycle.concurrency.
func benchConcurrencies(tb testing.TB) []int {
	var out []int
	for _, f := range strings.Split(*benchLevels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			tb.Fatalf("-cycle.concurrency: %q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out
}

// latencyFloor is the shortest a phase can take at the fakes' latencies: for
// each host, its requests × its mean latency ÷ the requests it may have in
// flight; the larger of the two hosts.
func latencyFloor(kscN, tpN int64, kscLat, tpLat time.Duration, kscInFlight, tpInFlight int) time.Duration {
	k := time.Duration(kscN) * kscLat / time.Duration(kscInFlight)
	t := time.Duration(tpN) * tpLat / time.Duration(tpInFlight)
	return max(k, t)
}

// BenchmarkCycleLatency runs the world of BenchmarkCycle1000 (-cycle.tenants
// tenants × 100 devices) against fakes as slow as real servers: every KSC
// request waits -cycle.ksc-latency (30 ms), every Tigerpaw request
// -cycle.tigerpaw-latency (50 ms), each plus a uniform jitter of up to
// -cycle.jitter of it. The world is seeded and its first cycle run without
// latency; then, for each -cycle.concurrency level p (the jobs' Concurrency
// and TigerpawConcurrency, and the Tigerpaw client's requests in flight), one
// steady cycle runs with latency, its billing and its service orders timed
// apart. For each it reports s/steady-cycle, s/latency-floor (see
// latencyFloor: with p tenants read at once at most p KSC requests are in
// flight, with p agreements at once at most p Tigerpaw requests) and their
// ratio floor-ratio; the requests per tenant of the whole steady cycle per
// API; and the peak heap since the world was seeded (fakes included).
func BenchmarkCycleLatency(b *testing.B) {
	levels := benchConcurrencies(b)
	tenants := *benchTenants
	runtime.GC()
	heap := startHeapSampler()
	defer heap.Peak()
	w := newScaleWorld(b, tenants, 100)
	store := serviceorder.NewMemoryStore()
	ctx := context.Background()
	if _, _, err := w.cycle(ctx, w.jobs(b, store, 16)); err != nil {
		b.Fatalf("first cycle: %v", err)
	}
	kscLat, tpLat := *benchKSCLatency, *benchTPLatency
	kscJit := time.Duration(float64(kscLat) * *benchJitter)
	tpJit := time.Duration(float64(tpLat) * *benchJitter)
	kscMean, tpMean := kscLat+kscJit/2, tpLat+tpJit/2
	for _, p := range levels {
		b.Run(fmt.Sprintf("c%d", p), func(b *testing.B) {
			// A daemon's jobs, warmed by one cycle without latency: its
			// sessions are open and its billing-move check has found the
			// accounts clean, as in any cycle after a restart's first.
			j := w.jobs(b, store, p)
			w.advance(10 * time.Minute)
			if _, _, err := w.cycle(ctx, j); err != nil {
				b.Fatalf("warm-up cycle: %v", err)
			}
			w.ksc.SetLatency(kscLat, kscJit)
			w.tp.SetLatency(tpLat, tpJit)
			defer w.ksc.SetLatency(0, 0)
			defer w.tp.SetLatency(0, 0)
			for b.Loop() {
				w.advance(10 * time.Minute)
				j.source.Forget()
				writes := w.writes()
				k0, t0 := w.requests()
				start := time.Now()
				_, bres, err := j.billing.Run(ctx, w.cfg)
				billingTook := time.Since(start)
				if err != nil || len(bres.Failed) != 0 {
					b.Fatalf("steady billing: %v (%d failed)", err, len(bres.Failed))
				}
				k1, t1 := w.requests()
				start = time.Now()
				sres, err := j.orders.Run(ctx, w.cfg, w.rules)
				ordersTook := time.Since(start)
				if err != nil || len(sres.Failed) != 0 {
					b.Fatalf("steady service orders: %v (%d failed)", err, len(sres.Failed))
				}
				k2, t2 := w.requests()
				if n := w.writes() - writes; n != 0 {
					b.Errorf("the steady cycle wrote %d times, want 0", n)
				}
				bFloor := latencyFloor(k1-k0, t1-t0, kscMean, tpMean, p, p)
				oFloor := latencyFloor(k2-k1, t2-t1, kscMean, tpMean, p, p)
				b.ReportMetric(billingTook.Seconds(), "billing-s/steady-cycle")
				b.ReportMetric(bFloor.Seconds(), "billing-s/latency-floor")
				b.ReportMetric(billingTook.Seconds()/bFloor.Seconds(), "billing-floor-ratio")
				b.ReportMetric(ordersTook.Seconds(), "orders-s/steady-cycle")
				b.ReportMetric(oFloor.Seconds(), "orders-s/latency-floor")
				b.ReportMetric(ordersTook.Seconds()/oFloor.Seconds(), "orders-floor-ratio")
				b.ReportMetric(float64(k2-k0)/float64(tenants), "ksc-requests/tenant")
				b.ReportMetric(float64(t2-t0)/float64(tenants), "tigerpaw-requests/tenant")
				b.ReportMetric(float64(k2-k0+t2-t0)/float64(tenants), "requests/tenant")
				b.ReportMetric(heap.SoFar(), "MiB/peak-heap")
				b.Logf("%d tenants, concurrency %d: billing KSC %d + Tigerpaw %d requests, service orders KSC %d + Tigerpaw %d",
					tenants, p, k1-k0, t1-t0, k2-k1, t2-t1)
			}
		})
	}
}
