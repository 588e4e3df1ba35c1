package ksc

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

func TestSourceTenants(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	got, err := NewSource(c).Tenants(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []kaspersky.Tenant{
		{ID: "vs-alpha-uid", Name: "Alpha Ltd", Kind: kaspersky.KindVirtualServer},
		{ID: "vs-beta-uid", Name: `Beta "Quoted" Co`, Kind: kaspersky.KindVirtualServer},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Tenants (-want +got):\n%s", d)
	}
}

func TestSourceInventory(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, WithChunkSize(2))
	src := NewSource(c)
	inv, err := src.Inventory(t.Context(), "vs-alpha-uid")
	if err != nil {
		t.Fatal(err)
	}
	ks := kaspersky.KnownStatuses
	future := t0.AddDate(1, 0, 0)
	const adv = "Kaspersky Endpoint Security for Business - Advanced"
	const sel = "Kaspersky Endpoint Security for Business Select"
	want := kaspersky.Inventory{
		Tenant: kaspersky.Tenant{ID: "vs-alpha-uid", Name: "Alpha Ltd", Kind: kaspersky.KindVirtualServer},
		Devices: []kaspersky.Device{
			{ID: "h-lnx", TenantID: "vs-alpha-uid", Name: "web-01", Category: kaspersky.NonWindows, Status: kaspersky.StatusOK},
			{ID: "h-noctype", TenantID: "vs-alpha-uid", Name: "WS-03", Category: kaspersky.WindowsServer, Status: kaspersky.StatusOK},
			{ID: "h-sick", TenantID: "vs-alpha-uid", Name: "WS-02", Category: kaspersky.WindowsWorkstation, Status: kaspersky.StatusCritical,
				Descriptions: []kaspersky.StatusDescription{ks[3], ks[7]}},
			{ID: "h-srv", TenantID: "vs-alpha-uid", Name: "SRV-2016", Category: kaspersky.WindowsServer, Status: kaspersky.StatusOK,
				LastSeen: t0.Add(-time.Hour)},
			{ID: "h-ws", TenantID: "vs-alpha-uid", Name: "WS-01", Category: kaspersky.WindowsWorkstation, Status: kaspersky.StatusWarning,
				Descriptions: []kaspersky.StatusDescription{ks[11]}},
		},
		Licenses: []kaspersky.License{
			{ID: "K-COM", Application: kaspersky.AppKESBAdvanced, ProductName: adv, Type: kaspersky.KeyCommercial, Expires: future,
				Capacity: 100, Used: 2, ActiveDevices: []string{"h-srv", "h-ws"}, ReserveDevices: []string{"h-lnx"}},
			{ID: "K-COM-EXP", Application: kaspersky.AppKESBAdvanced, ProductName: adv, Type: kaspersky.KeyCommercial,
				Expires: t0.AddDate(0, -1, 0), Capacity: 50, ActiveDevices: []string{"h-sick"}},
			{ID: "K-SUB", Application: kaspersky.AppKESBSelect, ProductName: sel, Type: kaspersky.KeySubscription,
				State: kaspersky.StateActive, Expires: future, Capacity: 10, ActiveDevices: []string{"h-lnx"}},
			{ID: "K-SUB-PAUSED", Application: kaspersky.AppKESBSelect, ProductName: sel, Type: kaspersky.KeySubscription,
				State: kaspersky.StatePaused, Expires: future, Capacity: 10, ActiveDevices: []string{"h-noctype"}},
			{ID: "K-TRIAL", Application: kaspersky.AppKESBAdvanced, ProductName: adv, Type: kaspersky.KeyTrial, Expires: future, Capacity: 5},
			{ID: "K-BETA", Application: "x-kaspersky-fancy-beta", ProductName: "Kaspersky Fancy Beta", Type: kaspersky.KeyBeta, Expires: future},
			{ID: "K-TEST", Application: kaspersky.AppKESBAdvanced, ProductName: adv, Type: kaspersky.KeyTest, Expires: future},
			{ID: "K-OEM", Application: kaspersky.AppKESBAdvanced, ProductName: adv, Type: kaspersky.KeyOEM, Expires: future},
		},
		ReadAt: t0,
	}
	if d := cmp.Diff(want, inv); d != "" {
		t.Errorf("Inventory (-want +got):\n%s", d)
	}

	// The host with bits 3 and 7 carries the console's wording.
	var sick kaspersky.Device
	for _, d := range inv.Devices {
		if d.ID == "h-sick" {
			sick = d
		}
	}
	if !sick.HasDescription(kaspersky.StatusManyViruses) || !sick.HasDescription(kaspersky.StatusDatabasesOutdated) {
		t.Errorf("h-sick descriptions = %v", sick.Descriptions)
	}
	texts := []string{sick.Descriptions[0].Text, sick.Descriptions[1].Text}
	if d := cmp.Diff([]string{"Many viruses detected", "Databases are out of date"}, texts); d != "" {
		t.Errorf("texts (-want +got):\n%s", d)
	}
	// The expired commercial key is reported, and reads as expired now.
	if !inv.Licenses[1].ExpiredAt(t0) || inv.Licenses[0].ExpiredAt(t0) {
		t.Errorf("expiry facts wrong: %v / %v", inv.Licenses[1].Expires, inv.Licenses[0].Expires)
	}
	if n := srv.OpenHandles(); n != 0 {
		t.Errorf("open handles after Inventory = %d", n)
	}
	// One session for the tenant's virtual server, one for the main server.
	if n := srv.Requests("Session.StartSession"); n != 2 {
		t.Errorf("StartSession calls = %d, want 2", n)
	}
}

func TestSourceEvents(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, WithChunkSize(3))
	got, err := NewSource(c).Events(t.Context(), "vs-alpha-uid", t0.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var want []kaspersky.Event
	sevs := []kaspersky.Severity{kaspersky.SeverityInfo, kaspersky.SeverityWarning, kaspersky.SeverityFunctionalFailure, kaspersky.SeverityCritical}
	for i, sev := range sevs {
		l := string(rune('A' + i))
		want = append(want, kaspersky.Event{ID: []string{"1000", "1001", "1002", "1003"}[i], TenantID: "vs-alpha-uid", DeviceID: "h-ws",
			DeviceName: "WS-01", Origin: kaspersky.OriginKSC, Severity: sev, Type: "evt" + l, TypeName: "Event " + l,
			Time: t0.Add(-time.Duration(4-i) * time.Hour), Text: "description " + l})
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Events (-want +got):\n%s", d)
	}
	if n := srv.OpenHandles(); n != 0 {
		t.Errorf("open handles = %d", n)
	}
}

func TestSourceEventsInclusiveRangeDeduplicated(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, WithChunkSize(1))
	srv.SetEventRangeInclusive(true)
	got, err := NewSource(c).Events(t.Context(), "vs-alpha-uid", t0.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range got {
		ids = append(ids, e.ID)
	}
	if d := cmp.Diff([]string{"1000", "1001", "1002", "1003"}, ids); d != "" {
		t.Errorf("ids (-want +got):\n%s", d)
	}
}

func TestSourceUnknownTenant(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	src := NewSource(c)
	_, err := src.Inventory(t.Context(), "nope")
	if !errors.Is(err, ErrUnknownTenant) {
		t.Errorf("Inventory(nope) error = %v, want ErrUnknownTenant", err)
	}
	_, err = src.Events(t.Context(), "nope", t0)
	if !errors.Is(err, ErrUnknownTenant) {
		t.Errorf("Events(nope) error = %v, want ErrUnknownTenant", err)
	}
	_, err = src.Inventory(t.Context(), "vs-off-uid")
	if !errors.Is(err, ErrTenantDisabled) || !strings.Contains(err.Error(), "Gone Inc") {
		t.Errorf("Inventory(disabled) error = %v, want ErrTenantDisabled", err)
	}
	// A disabled tenant is looked up again each time (it may have been
	// enabled since) and refused while it stays disabled.
	_, err = src.Events(t.Context(), "vs-off-uid", t0)
	if !errors.Is(err, ErrTenantDisabled) {
		t.Errorf("Events(disabled) error = %v, want ErrTenantDisabled", err)
	}
}

func TestSourceEventsSinceFutureIsEmpty(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	got, err := NewSource(c).Events(t.Context(), "vs-alpha-uid", t0.Add(time.Hour))
	if err != nil || len(got) != 0 {
		t.Errorf("Events(future) = %v, %v", got, err)
	}
	if n := srv.Requests("EventProcessingFactory.CreateEventProcessing2"); n != 0 {
		t.Errorf("opened %d event iterators for an empty window", n)
	}
}

func TestSourceInventoryOfAQuotedVirtualServer(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	inv, err := NewSource(c).Inventory(t.Context(), "vs-beta-uid")
	if err != nil {
		t.Fatal(err)
	}
	want := kaspersky.Inventory{
		Tenant:  kaspersky.Tenant{ID: "vs-beta-uid", Name: `Beta "Quoted" Co`, Kind: kaspersky.KindVirtualServer},
		Devices: []kaspersky.Device{{ID: "h-beta", TenantID: "vs-beta-uid", Name: "BETA-01", Category: kaspersky.WindowsWorkstation}},
		ReadAt:  t0,
	}
	if d := cmp.Diff(want, inv); d != "" {
		t.Errorf("Inventory (-want +got):\n%s", d)
	}
	if n := srv.OpenHandles(); n != 0 {
		t.Errorf("open handles = %d", n)
	}
}
