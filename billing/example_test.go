package billing_test

import (
	"context"
	"fmt"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// listed is a ChargeReader over charges held in memory.
type listed map[int][]billing.Charge

func (l listed) List(_ context.Context, agreement int) ([]billing.Charge, error) {
	return l[agreement], nil
}

// The dry run of a cycle: the seed's example of 90 workstations and 10 servers
// with Kaspersky Endpoint Security for Business Advanced, billed by category, on
// an agreement that already bills 88 workstations and carries a charge entered by
// hand, which is left alone.
func ExampleBiller_Plan() {
	book := billing.PriceBook{
		BillByCategory: true,
		Items: map[kaspersky.AppID]billing.ItemMapping{
			kaspersky.AppKESBAdvanced: {ByCategory: [3]string{"KESB-ADV-WS", "KESB-ADV-SRV", "KESB-ADV-NW"}},
		},
	}
	prices := billing.PriceList{
		{Item: "KESB-ADV-WS", Level: 2}:  450,
		{Item: "KESB-ADV-SRV", Level: 2}: 1200,
		{Item: "KESB-ADV-NW", Level: 2}:  300,
	}
	b, err := billing.NewBiller(book, prices)
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	inv := kaspersky.Inventory{Tenant: kaspersky.Tenant{ID: "vs-contoso"}}
	var active []string
	for i := range 100 {
		d := kaspersky.Device{ID: fmt.Sprintf("host-%d", i), Category: kaspersky.WindowsWorkstation}
		if i >= 90 {
			d.Category = kaspersky.WindowsServer
		}
		inv.Devices = append(inv.Devices, d)
		active = append(active, d.ID)
	}
	inv.Licenses = []kaspersky.License{{
		ID: "0F1E-2D3C", Application: kaspersky.AppKESBAdvanced, Type: kaspersky.KeyCommercial,
		Expires: now.AddDate(1, 0, 0), ActiveDevices: active,
	}}
	accounts := []billing.Account{{TenantID: "vs-contoso", AccountNumber: 52932, AgreementNumber: 1043, PriceLevel: 2}}
	charges := listed{1043: {
		{DetailID: 7, ItemID: "KESB-ADV-WS", Description: billing.Describe("Kaspersky Endpoint Security for Business Advanced, Windows workstations"), Quantity: 88, Price: 450, PriceLevel: 2},
		{DetailID: 8, ItemID: "KESB-ADV-WS", Description: "Extra seats agreed by phone", Quantity: 5, Price: 400, PriceLevel: 2},
	}}

	plan, err := b.Plan(context.Background(), charges, accounts, []kaspersky.Inventory{inv}, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(plan)
	// Output:
	// + agreement 1043 item KESB-ADV-SRV qty 10 @ 12.00
	// ~ agreement 1043 item KESB-ADV-WS qty 88 → 90
}
