package serviceorder_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	sot "github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

const (
	benchTenants          = 1000
	benchDevicesPerTenant = 100
	benchVariants         = 4
)

// benchDevice returns device d of tenant t: one in five has a Warning or
// Critical status with one or two descriptions; flip inverts that.
func benchDevice(tid string, d int, flip bool) kaspersky.Device {
	troubled := d%5 == 0
	if flip {
		troubled = !troubled
	}
	id := fmt.Sprintf("dev-%03d", d)
	if !troubled {
		return sot.Device(tid, id, kaspersky.StatusOK)
	}
	a := kaspersky.KnownStatuses[d%len(kaspersky.KnownStatuses)].Code
	b := kaspersky.KnownStatuses[(d+7)%len(kaspersky.KnownStatuses)].Code
	if d%2 == 0 {
		return sot.Device(tid, id, kaspersky.StatusCritical, a, b)
	}
	return sot.Device(tid, id, kaspersky.StatusWarning, a)
}

// benchInput builds the tenants; in variant v > 0, 5% of each tenant's devices
// changed state compared with variant 0.
func benchInput(v int, now time.Time) []serviceorder.TenantInput {
	tenants := make([]serviceorder.TenantInput, benchTenants)
	for t := range tenants {
		tid := fmt.Sprintf("tenant-%04d", t)
		devs := make([]kaspersky.Device, benchDevicesPerTenant)
		for d := range devs {
			flip := v > 0 && (d+t+v*5)%20 == 0 // 5 of 100 devices
			devs[d] = benchDevice(tid, d, flip)
		}
		tenants[t] = serviceorder.TenantInput{
			Tenant:      kaspersky.Tenant{ID: tid, Name: "Tenant " + tid, Kind: kaspersky.KindVirtualServer},
			InventoryOK: true, ReadAt: now, Devices: devs,
			Events: []kaspersky.Event{
				{ID: fmt.Sprint("e", v, "-", t), Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical, Time: now.Add(-time.Minute), TypeName: "Threat"},
				{ID: fmt.Sprint("i", v, "-", t), Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityInfo, Time: now.Add(-time.Minute)},
			},
		}
	}
	return tenants
}

// benchCycle is the input of the benchmarks: the state after a cycle over
// variant 0 (every wanted order open) and the variants that follow it.
type benchCycle struct {
	rules    serviceorder.Rules
	accounts serviceorder.Accounts
	state    serviceorder.State
	variants [][]serviceorder.TenantInput
}

func newBenchCycle(b *testing.B) benchCycle {
	b.Helper()
	c := benchCycle{rules: sot.Rules(), accounts: serviceorder.Accounts{}}
	for i := range c.rules.Statuses {
		c.rules.Statuses[i].OrderSettings = serviceorder.OrderSettings{Enabled: true, Priority: "High"}
	}
	c.rules.Events[0].OrderSettings = serviceorder.OrderSettings{Enabled: true, Priority: "High"}
	for t := range benchTenants {
		c.accounts[fmt.Sprintf("tenant-%04d", t)] = 10000 + t
	}
	// The state after a cycle over variant 0: every wanted order open.
	c.state = serviceorder.State{}.Clone()
	for _, a := range serviceorder.Evaluate(c.input(benchInput(0, t0))).Actions {
		if a.Type == serviceorder.ActionCreate && a.Order.Kind == serviceorder.KindStatus {
			o := a.Order
			o.Phase, o.Number, o.Request = serviceorder.PhaseOpen, 1, nil
			c.state.Orders[o.Key] = o
		}
	}
	c.variants = make([][]serviceorder.TenantInput, benchVariants)
	for v := range c.variants {
		c.variants[v] = benchInput(v+1, t0)
	}
	// Sanity: a variant changes about 5% of the devices.
	plan := serviceorder.Evaluate(c.input(c.variants[0]))
	if len(plan.Actions) < benchTenants*3 {
		b.Fatalf("a variant yields only %d actions; the 5%% change is not there", len(plan.Actions))
	}
	return c
}

func (c *benchCycle) input(tenants []serviceorder.TenantInput) serviceorder.Input {
	return serviceorder.Input{Now: t0, Rules: c.rules, Accounts: c.accounts, Tenants: tenants, State: c.state}
}

// benchLoop runs evaluate b.N times over the variants and reports ns/device
// and allocs/device.
func benchLoop(b *testing.B, c *benchCycle, evaluate func(serviceorder.Input) serviceorder.Plan) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		evaluate(c.input(c.variants[i%benchVariants]))
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	devices := float64(b.N * benchTenants * benchDevicesPerTenant)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/devices, "ns/device")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/devices, "allocs/device")
}

// BenchmarkEvaluate evaluates 1,000 tenants × 100 devices against the state of
// the previous cycle, with 5% of the devices changed, and reports ns/device
// and allocs/device.
func BenchmarkEvaluate(b *testing.B) {
	c := newBenchCycle(b)
	benchLoop(b, &c, serviceorder.Evaluate)
}

// BenchmarkColdEvaluate is BenchmarkEvaluate with a new Evaluator for every
// cycle: the cost of a first cycle, with no status key remembered.
func BenchmarkColdEvaluate(b *testing.B) {
	c := newBenchCycle(b)
	benchLoop(b, &c, func(in serviceorder.Input) serviceorder.Plan {
		return new(serviceorder.Evaluator).Evaluate(in)
	})
}
