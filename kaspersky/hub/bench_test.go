package hub

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hubtest"
)

// BenchmarkDecodeDevicePage measures decoding a page of 500 devices and
// translating them, the bulk of an inventory read.
func BenchmarkDecodeDevicePage(b *testing.B) {
	const n = 500
	items := make([]Device, n)
	for i := range items {
		items[i] = Device{ID: fmt.Sprint("d", i), Name: fmt.Sprint("WS-", i), Platform: "windows", Kind: "workstation",
			UserID: fmt.Sprint("u", i%200), Status: "warning",
			StatusDescriptions: []StatusDescription{{Code: "databases-outdated", Text: "x"}, {Code: "custom-thing", Text: "y"}}}
	}
	body, err := json.Marshal(map[string]any{"items": items, "total": n})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		p := &pageAnswer[Device]{limit: n, decode: decodeDevice}
		if err := decodeResponse("GET", "/p", 200, body, p); err != nil {
			b.Fatal(err)
		}
		for _, d := range p.items {
			_ = DeviceOf("c", d)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "devices/s")
}

// BenchmarkInventory measures a whole Source.Inventory over HTTP against the
// fake: 300 devices in pages of 100, 10 licenses, the Office 365 status.
func BenchmarkInventory(b *testing.B) {
	srv := hubtest.NewServer()
	defer srv.Close()
	srv.AddUser(testEmail, testPassword)
	if err := srv.AddCompany(hubtest.Company{ID: "c1", Name: "Contoso"}); err != nil {
		b.Fatal(err)
	}
	for i := range 300 {
		_ = srv.AddDevice("c1", hubtest.Device{ID: fmt.Sprint("d", i), Platform: "windows", Kind: "workstation", UserID: fmt.Sprint("u", i%100), Status: "ok"})
	}
	for i := range 10 {
		_ = srv.AddLicense("c1", hubtest.License{ID: fmt.Sprint("l", i), Product: "kes-cloud", Type: "commercial", State: "active", Users: []string{fmt.Sprint("u", i)}})
	}
	_ = srv.SetOffice365Status("c1", hubtest.Office365Status{ProtectedMailboxes: 5})
	c, err := NewClient(srv.URL, WithInsecureHTTP(), WithCredentials(Credentials{Email: testEmail, Password: testPassword}))
	if err != nil {
		b.Fatal(err)
	}
	src := NewSource(c)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		inv, err := src.Inventory(ctx, "c1")
		if err != nil || len(inv.Devices) != 300 {
			b.Fatal(len(inv.Devices), err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "inventories/s")
}
