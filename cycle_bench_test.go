package kasperskytigerpaw

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// heapSampler records the peak of the live heap while it runs.
type heapSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	peak atomic.Uint64
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{stop: make(chan struct{})}
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > h.peak.Load() {
				h.peak.Store(v)
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// Peak stops the sampler and returns the peak heap in MiB.
func (h *heapSampler) Peak() float64 {
	close(h.stop)
	h.done.Wait()
	return float64(h.peak.Load()) / (1 << 20)
}

// SoFar returns the peak heap in MiB up to now; the sampler goes on.
func (h *heapSampler) SoFar() float64 { return float64(h.peak.Load()) / (1 << 20) }

// cycleFigures are what one run of the scale scenario measured.
type cycleFigures struct {
	first, steady     time.Duration
	steadyWrites      int
	kscReqs, tpReqs   float64 // per tenant, per steady cycle
	firstCreated      int
	firstOrders       int
	steadyCycles      int
	steadyFailures    int
	firstCycleFailure error
}

// runScale seeds a world, runs a first cycle and then steady cycles, each
// advancing the clock by ten minutes.
func runScale(tb testing.TB, tenants, devices, steadyCycles, concurrency int) cycleFigures {
	tb.Helper()
	w := newScaleWorld(tb, tenants, devices)
	j := w.jobs(tb, serviceorder.NewMemoryStore(), concurrency)
	ctx := context.Background()
	var f cycleFigures
	start := time.Now()
	bres, sres, err := w.cycle(ctx, j)
	f.first = time.Since(start)
	f.firstCycleFailure = err
	f.firstCreated = bres.Created
	f.firstOrders = len(sres.Created)
	writes := w.writes()
	k0, t0 := w.requests()
	start = time.Now()
	for range steadyCycles {
		w.advance(10 * time.Minute)
		bres, sres, err := w.cycle(ctx, j)
		if err != nil || len(bres.Failed) != 0 || len(sres.Failed) != 0 {
			f.steadyFailures++
		}
	}
	f.steady = time.Since(start) / time.Duration(max(steadyCycles, 1))
	f.steadyWrites = (w.writes() - writes) / max(steadyCycles, 1)
	k1, t1 := w.requests()
	per := float64(tenants * max(steadyCycles, 1))
	f.kscReqs, f.tpReqs = float64(k1-k0)/per, float64(t1-t0)/per
	f.steadyCycles = steadyCycles
	return f
}

// BenchmarkCycle1000 runs billing and service orders over loopback HTTP (TLS
// for KSC) on 1,000 tenants × 100 devices: a first cycle, then steady cycles of
// an unchanged world.
func BenchmarkCycle1000(b *testing.B) {
	for b.Loop() {
		runtime.GC()
		heap := startHeapSampler()
		f := runScale(b, 1000, 100, 2, 0)
		peak := heap.Peak()
		if f.firstCycleFailure != nil || f.steadyFailures != 0 {
			b.Fatalf("first cycle: %v; steady cycles failed: %d", f.firstCycleFailure, f.steadyFailures)
		}
		b.ReportMetric(f.first.Seconds(), "s/first-cycle")
		b.ReportMetric(f.steady.Seconds(), "s/steady-cycle")
		b.ReportMetric(float64(f.steadyWrites), "writes/steady-cycle")
		b.ReportMetric(f.kscReqs+f.tpReqs, "requests/tenant")
		b.ReportMetric(peak, "MiB/peak-heap")
		b.Logf("per tenant and steady cycle: KSC %.2f requests, Tigerpaw %.2f requests", f.kscReqs, f.tpReqs)
	}
}

var (
	benchKSCRate = flag.Float64("cycle.ksc-rate", 5000, "BenchmarkCycleParallelism: the limited runs' KSC requests per second")
	benchTPRate  = flag.Float64("cycle.tigerpaw-rate", 1000, "BenchmarkCycleParallelism: the limited runs' Tigerpaw requests per second")
	benchTenants = flag.Int("cycle.tenants", 1000, "BenchmarkCycleParallelism and BenchmarkCycleLatency: the number of tenants (of 100 devices)")
)

// benchBurst is 20 ms worth of requests at r per second, at least 1.
func benchBurst(r float64) int { return max(1, int(r/50)) }

// BenchmarkCycleParallelism measures the steady cycle of 1,000 tenants × 100
// devices (-cycle.tenants) with 1, 4 and 16 tenants read at once (the jobs' Concurrency), each
// without a rate limit and with one limiter per host (-cycle.ksc-rate and
// -cycle.tigerpaw-rate requests per second, a burst of 20 ms of requests so
// that timer overshoot does not lower the rate). One world is seeded and its
// first cycle run once; every setting then runs steady cycles on it with its
// own clients over the same order store. Besides s/steady-cycle it reports
// s/limiter-floor, the time the cycle's requests need at the limiters' rates
// (the sum of both APIs': each job reads the console before it reads or
// writes Tigerpaw): where s/steady-cycle meets it, the limiter binds.
func BenchmarkCycleParallelism(b *testing.B) {
	w := newScaleWorld(b, *benchTenants, 100)
	store := serviceorder.NewMemoryStore()
	if _, _, err := w.cycle(context.Background(), w.jobs(b, store, 0)); err != nil {
		b.Fatalf("first cycle: %v", err)
	}
	for _, p := range []int{1, 4, 16} {
		for _, limited := range []bool{false, true} {
			name := fmt.Sprintf("p%d/unlimited", p)
			if limited {
				name = fmt.Sprintf("p%d/ksc%.0f-tigerpaw%.0f", p, *benchKSCRate, *benchTPRate)
			}
			b.Run(name, func(b *testing.B) {
				w.kscLimiter, w.tpLimiter = nil, nil
				if limited {
					w.kscLimiter = rate.NewLimiter(rate.Limit(*benchKSCRate), benchBurst(*benchKSCRate))
					w.tpLimiter = rate.NewLimiter(rate.Limit(*benchTPRate), benchBurst(*benchTPRate))
				}
				j := w.jobs(b, store, p)
				writes := w.writes()
				k0, t0 := w.requests()
				cycles := 0
				start := time.Now()
				for b.Loop() {
					w.advance(10 * time.Minute)
					bres, sres, err := w.cycle(context.Background(), j)
					if err != nil || len(bres.Failed) != 0 || len(sres.Failed) != 0 {
						b.Fatalf("steady cycle: %v (billing failures %d, order failures %d)", err, len(bres.Failed), len(sres.Failed))
					}
					cycles++
				}
				elapsed := time.Since(start)
				k1, t1 := w.requests()
				kscPer, tpPer := float64(k1-k0)/float64(cycles), float64(t1-t0)/float64(cycles)
				b.ReportMetric(elapsed.Seconds()/float64(cycles), "s/steady-cycle")
				b.ReportMetric(float64(w.writes()-writes)/float64(cycles), "writes/steady-cycle")
				b.ReportMetric(kscPer / *benchKSCRate + tpPer / *benchTPRate, "s/limiter-floor")
				b.Logf("per steady cycle: KSC %.0f requests, Tigerpaw %.0f requests", kscPer, tpPer)
			})
		}
	}
	w.kscLimiter, w.tpLimiter = nil, nil
}

// TestCycleSmallScaleSteadyWritesNothing is the benchmark's world at 20 tenants:
// the first cycle bills every tenant and opens its orders, the steady cycles
// after it write nothing at all.
func TestCycleSmallScaleSteadyWritesNothing(t *testing.T) {
	t.Parallel()
	const tenants, devices = 20, 100
	f := runScale(t, tenants, devices, 2, 0)
	if f.firstCycleFailure != nil || f.steadyFailures != 0 {
		t.Fatalf("first cycle: %v; steady cycles failed: %d", f.firstCycleFailure, f.steadyFailures)
	}
	// Every tenant has KESB Advanced on three categories; every third one KESB
	// Select on its non-Windows devices.
	wantCharges := tenants*3 + (tenants+2)/3
	if f.firstCreated != wantCharges {
		t.Errorf("first cycle created %d charges, want %d", f.firstCreated, wantCharges)
	}
	// Two devices per tenant with a status problem, one critical event per tenant.
	if want := tenants * 3; f.firstOrders != want {
		t.Errorf("first cycle opened %d orders, want %d", f.firstOrders, want)
	}
	if f.steadyWrites != 0 {
		t.Errorf("steady cycle wrote %d times, want 0", f.steadyWrites)
	}
	t.Logf("per tenant and steady cycle: KSC %.2f requests, Tigerpaw %.2f requests", f.kscReqs, f.tpReqs)
}
