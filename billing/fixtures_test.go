package billing

import (
	"fmt"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// now is the time of the tests' billing runs.
var now = time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)

// devices returns n devices of a category, with ids prefix-0, prefix-1, ….
func devices(prefix string, n int, cat kaspersky.Category) []kaspersky.Device {
	ds := make([]kaspersky.Device, n)
	for i := range ds {
		ds[i] = kaspersky.Device{ID: fmt.Sprintf("%s-%d", prefix, i), TenantID: "t1", Category: cat}
	}
	return ds
}

// ids returns the ids of devices.
func ids(ds []kaspersky.Device) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

// commercial returns an active, unexpired commercial key of app used by devices.
func commercial(app kaspersky.AppID, active ...string) kaspersky.License {
	return kaspersky.License{
		ID: "key-" + string(app), Application: app, Type: kaspersky.KeyCommercial,
		State: kaspersky.StateActive, Expires: now.AddDate(1, 0, 0), ActiveDevices: active,
	}
}

// seedInventory is the seed's example: Kaspersky Endpoint Security for Business
// Advanced on 90 workstations and 10 servers.
func seedInventory() kaspersky.Inventory {
	ws := devices("ws", 90, kaspersky.WindowsWorkstation)
	srv := devices("srv", 10, kaspersky.WindowsServer)
	all := append(ws, srv...)
	return kaspersky.Inventory{
		Tenant:   kaspersky.Tenant{ID: "t1", Name: "Contoso", Kind: kaspersky.KindVirtualServer},
		Devices:  all,
		Licenses: []kaspersky.License{commercial(kaspersky.AppKESBAdvanced, ids(all)...)},
	}
}

// testBook bills by category: KESB Advanced and Select to three items each, the
// per-user and per-mailbox applications to one.
func testBook() PriceBook {
	return PriceBook{
		BillByCategory: true,
		Items: map[kaspersky.AppID]ItemMapping{
			kaspersky.AppKESBAdvanced: {ByCategory: [3]string{"KESB-ADV-WS", "KESB-ADV-SRV", "KESB-ADV-NW"}},
			kaspersky.AppKESBSelect:   {ByCategory: [3]string{"KESB-SEL-WS", "KESB-SEL-SRV", "KESB-SEL-NW"}},
			kaspersky.AppKESCloudPlus: {Item: "KESC-PLUS"},
			kaspersky.AppOffice365:    {Item: "KSO365"},
		},
	}
}

// testPrices prices every item of testBook at levels 1 (list) and 2 (discount).
func testPrices() PriceList {
	p := PriceList{}
	for i, item := range []string{"KESB-ADV-WS", "KESB-ADV-SRV", "KESB-ADV-NW", "KESB-SEL-WS", "KESB-SEL-SRV", "KESB-SEL-NW", "KESC-PLUS", "KSO365", "KESB-ADV"} {
		p[PriceKey{item, 1}] = Money(450 + 100*i)
		p[PriceKey{item, 2}] = Money(400 + 100*i)
	}
	return p
}

// testAccount bills tenant t1 to agreement 1043 at price level 1.
var testAccount = Account{TenantID: "t1", AccountNumber: 52932, AgreementNumber: 1043, PriceLevel: 1}
