package kasperskytigerpaw

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// TestSteadyCycleRequestBudget pins the requests of a steady cycle of an
// unchanged world, per KSC method and Tigerpaw route, to the README's table:
// each is the open, the read or the release of a result set the cycle needs,
// or the one charge list of a billed agreement. A request added to the steady
// path (a count read again, a session started per cycle, a listing of
// agreements) fails it. Counts, not times: the figure is deterministic.
func TestSteadyCycleRequestBudget(t *testing.T) {
	t.Parallel()
	const tenants, devices = 20, 30
	w := newScaleWorld(t, tenants, devices)
	j := w.jobs(t, serviceorder.NewMemoryStore(), 4)
	ctx := context.Background()
	if _, _, err := w.cycle(ctx, j); err != nil {
		t.Fatalf("first cycle: %v", err)
	}
	// Past the events' hour of overlap: no event is in the window.
	w.advance(2 * time.Hour)
	if _, _, err := w.cycle(ctx, j); err != nil {
		t.Fatalf("second cycle: %v", err)
	}

	kscMethods := []string{"login", "Session.StartSession", "Session.EndSession", "VServers.GetVServers",
		"HostGroup.FindHosts", "ChunkAccessor.GetItemsCount", "ChunkAccessor.GetItemsChunk", "ChunkAccessor.Release",
		"LicenseKeys.EnumKeys", "LicenseKeys.AcquireKeyHosts", "GroupSyncIterator.GetNextItems", "GroupSyncIterator.ReleaseIterator",
		"EventProcessingFactory.CreateEventProcessing2", "EventProcessing.GetRecordCount", "EventProcessing.GetRecordRange",
		"EventProcessing.ReleaseIterator"}
	tpRoutes := [][2]string{{"GET", "/api/agreements/{n}/additionalcharges"}, {"GET", "/api/agreements/account/{n}"},
		{"GET", "/api/serviceorders/{n}"}, {"POST", "/api/serviceorders"}, {"PUT", "/api/serviceorders/{n}"}}
	snapshot := func() map[string]int {
		m := map[string]int{}
		for _, name := range kscMethods {
			m["KSC "+name] = w.ksc.Requests(name)
		}
		for _, r := range tpRoutes {
			m["Tigerpaw "+r[0]+" "+r[1]] = w.tp.Count(r[0], r[1])
		}
		return m
	}
	before := snapshot()
	k0, t0 := w.requests()
	w.advance(10 * time.Minute)
	bres, sres, err := w.cycle(ctx, j)
	if err != nil || len(bres.Failed) != 0 || len(sres.Failed) != 0 {
		t.Fatalf("steady cycle: %v, billing failures %v, order failures %v", err, bres.Failed, sres.Failed)
	}
	after := snapshot()
	got := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			got[k] = d
		}
	}
	// Every tenant has its KESB Advanced key; every third one a KESB Select
	// subscription too.
	keys := tenants + (tenants+2)/3
	want := map[string]int{
		"KSC HostGroup.FindHosts":                            tenants,
		"KSC ChunkAccessor.GetItemsChunk":                    tenants, // one chunk holds a tenant's devices
		"KSC ChunkAccessor.Release":                          tenants,
		"KSC LicenseKeys.EnumKeys":                           tenants,
		"KSC LicenseKeys.AcquireKeyHosts":                    keys,
		"KSC GroupSyncIterator.GetNextItems":                 tenants + keys, // one page per key list and per key's hosts
		"KSC GroupSyncIterator.ReleaseIterator":              tenants + keys,
		"KSC EventProcessingFactory.CreateEventProcessing2":  tenants,
		"KSC EventProcessing.GetRecordCount":                 tenants, // 0: no range is read
		"KSC EventProcessing.ReleaseIterator":                tenants,
		"Tigerpaw GET /api/agreements/{n}/additionalcharges": tenants, // the billed agreement's charges
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests of a steady cycle (-want +got):\n%s", diff)
	}
	k1, t1 := w.requests()
	wantKSC := 0
	for k, v := range want {
		if k[:4] == "KSC " {
			wantKSC += v
		}
	}
	if int(k1-k0) != wantKSC {
		t.Errorf("KSC requests on the wire: %d, the methods above add up to %d (a method not listed was called)", k1-k0, wantKSC)
	}
	// Tigerpaw: the charge lists plus the price book, read once per cycle
	// (search and details of each mapped item).
	if extra := int(t1-t0) - tenants; extra < 0 || extra > 12 {
		t.Errorf("Tigerpaw requests beyond the charge lists: %d, want the price book's reads only (at most 2 per mapped item, 6 items)", extra)
	}
	t.Logf("per tenant: KSC %.2f, Tigerpaw %.2f", float64(k1-k0)/tenants, float64(t1-t0)/tenants)
}
