package billing

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// benchWorld builds tenants of devicesPer devices each: every device uses a
// KESB Advanced key as its active key, every other device a second key too (of
// the same application, or of KESB Select for a third of the tenants), and a few
// hold a reserve key. Existing charges match the usage for most tenants; every
// tenth has a stale quantity and every seventh a manual charge.
func benchWorld(b *testing.B, tenants, devicesPer int) (*Biller, []kaspersky.Inventory, []Account, [][]Charge) {
	b.Helper()
	biller := newTestBiller(b, testBook())
	invs := make([]kaspersky.Inventory, tenants)
	accts := make([]Account, tenants)
	existing := make([][]Charge, tenants)
	expires := now.AddDate(1, 0, 0)
	for t := range invs {
		tid := "vs-" + strconv.Itoa(t)
		devs := make([]kaspersky.Device, devicesPer)
		all := make([]string, devicesPer)
		half := make([]string, 0, devicesPer/2)
		for i := range devs {
			id := tid + "-host-" + strconv.Itoa(i)
			cat := kaspersky.WindowsWorkstation
			switch {
			case i%50 == 0:
				cat = kaspersky.NonWindows
			case i%10 == 0:
				cat = kaspersky.WindowsServer
			}
			devs[i] = kaspersky.Device{ID: id, TenantID: tid, Name: id, Category: cat}
			all[i] = id
			if i%2 == 0 {
				half = append(half, id)
			}
		}
		second := kaspersky.AppKESBAdvanced
		if t%3 == 0 {
			second = kaspersky.AppKESBSelect
		}
		invs[t] = kaspersky.Inventory{
			Tenant:  kaspersky.Tenant{ID: tid, Kind: kaspersky.KindVirtualServer},
			Devices: devs,
			Licenses: []kaspersky.License{
				{ID: tid + "-k1", Application: kaspersky.AppKESBAdvanced, Type: kaspersky.KeyCommercial, Expires: expires, ActiveDevices: all},
				{ID: tid + "-k2", Application: second, Type: kaspersky.KeySubscription, State: kaspersky.StateActive, Expires: expires, ActiveDevices: half, ReserveDevices: all[:5]},
			},
		}
		accts[t] = Account{TenantID: tid, AccountNumber: 50000 + t, AgreementNumber: 10000 + t, PriceLevel: 1 + t%2}
		desired, _, err := biller.Desired(accts[t], biller.Count(&invs[t], now))
		if err != nil {
			b.Fatal(err)
		}
		for i, c := range desired {
			c.DetailID = int64(t*10 + i + 1)
			if t%10 == 0 && i == 0 {
				c.Quantity--
			}
			existing[t] = append(existing[t], c)
		}
		if t%7 == 0 {
			existing[t] = append(existing[t], manual(int64(t*10+9), "KESB-ADV-WS", 1, 450, 1))
		}
	}
	return biller, invs, accts, existing
}

// BenchmarkBilling1M counts, prices and diffs 10,000 tenants of 100 devices
// (1,000,000 devices, each on one or two keys) per operation.
func BenchmarkBilling1M(b *testing.B) {
	const tenants, devicesPer = 10_000, 100
	biller, invs, accts, existing := benchWorld(b, tenants, devicesPer)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	mallocs := ms.Mallocs
	writes := 0
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for t := range invs {
			usage := biller.Count(&invs[t], now)
			desired, _, err := biller.Desired(accts[t], usage)
			if err != nil {
				b.Fatal(err)
			}
			for _, c := range biller.Diff(accts[t].AgreementNumber, desired, existing[t]) {
				if c.Action != NoOp {
					writes++
				}
			}
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms)
	devices := float64(b.N) * tenants * devicesPer
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/devices, "ns/device")
	b.ReportMetric(float64(ms.Mallocs-mallocs)/devices, "allocs/device")
	if want := b.N * tenants / 10; writes != want {
		b.Fatalf("%d writes planned, want %d (one per tenth tenant)", writes, want)
	}
}
