package serviceorder_test

import (
	"fmt"
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

// BenchmarkEvaluate evaluates 1,000 tenants × 100 devices against the state of
// the previous cycle, with 5% of the devices changed, and reports ns/device.
func BenchmarkEvaluate(b *testing.B) {
	rules := sot.Rules()
	for i := range rules.Statuses {
		rules.Statuses[i].OrderSettings = serviceorder.OrderSettings{Enabled: true, Priority: "High"}
	}
	rules.Events[0].OrderSettings = serviceorder.OrderSettings{Enabled: true, Priority: "High"}
	accounts := serviceorder.Accounts{}
	for t := range benchTenants {
		accounts[fmt.Sprintf("tenant-%04d", t)] = 10000 + t
	}
	now := t0
	// The state after a cycle over variant 0: every wanted order open.
	state := serviceorder.State{}.Clone()
	for _, a := range serviceorder.Evaluate(serviceorder.Input{Now: now, Rules: rules, Accounts: accounts, Tenants: benchInput(0, now), State: state}).Actions {
		if a.Type == serviceorder.ActionCreate && a.Order.Kind == serviceorder.KindStatus {
			o := a.Order
			o.Phase, o.Number, o.Request = serviceorder.PhaseOpen, 1, nil
			state.Orders[o.Key] = o
		}
	}
	variants := make([][]serviceorder.TenantInput, benchVariants)
	for v := range variants {
		variants[v] = benchInput(v+1, now)
	}
	// Sanity: a variant changes about 5% of the devices.
	plan := serviceorder.Evaluate(serviceorder.Input{Now: now, Rules: rules, Accounts: accounts, Tenants: variants[0], State: state})
	if len(plan.Actions) < benchTenants*3 {
		b.Fatalf("a variant yields only %d actions; the 5%% change is not there", len(plan.Actions))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		serviceorder.Evaluate(serviceorder.Input{Now: now, Rules: rules, Accounts: accounts, Tenants: variants[i%benchVariants], State: state})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchTenants*benchDevicesPerTenant), "ns/device")
}
