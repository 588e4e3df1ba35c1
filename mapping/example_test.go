package mapping_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/mapping/mappingtest"
)

// Example builds the configuration of an integration with an Editor, lets Save
// validate it against Tigerpaw, corrects it and saves it; then reads what
// billing needs from the saved configuration.
func Example() {
	ctx := context.Background()
	// A Tigerpaw with one customer account. A program passes the adapter over
	// tigerpaw.Client of the module's root package instead.
	tigerpaw := mappingtest.NewDirectory().
		AddAccount(mapping.Account{Number: 1001, Name: "Müller GmbH", Type: "Customer"}).
		CrossReference(1001, 7).
		AddAgreement(mapping.Agreement{Number: 5001, Account: 1001, Recurring: true}).
		AddPriceLevel(mapping.PriceLevel{ID: 1, Description: "Standard"}).
		AddItem("KESB-WS", "KESB-SRV", "KESB-NW", "KESC-PLUS")

	store := mapping.NewMemoryStore() // or mapping.NewFileStore(dir)
	ed, err := mapping.Open(ctx, store, tigerpaw, "main")
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = ed.SetSolution(mapping.SolutionKSC)
	_ = ed.SetExternalProduct(7)
	_ = ed.AddTenant(kaspersky.Tenant{ID: "vs-1", Name: "Müller GmbH", Kind: kaspersky.KindVirtualServer})
	_ = ed.MapAccount("vs-1", 1001)
	_ = ed.SetBilling("vs-1", mapping.Billing{Enabled: true, Agreement: 5001})
	ed.SetBillByCategory(true)
	_ = ed.MapApplication(mapping.ItemsByCategory(kaspersky.AppKESBAdvanced, "KESB-WS", "KESB-SRV", "KESB-NWX"))
	_ = ed.MapApplication(mapping.SingleItem(kaspersky.AppKESCloudPlus, "KESC-PLUS"))

	// Validate applies every rule, against Tigerpaw too, and reports every
	// problem at once. Save validates the same way and persists nothing while
	// a problem remains.
	var invalid *mapping.ValidationError
	if err := ed.Validate(ctx); errors.As(err, &invalid) {
		for _, p := range invalid.Problems {
			fmt.Println("problem:", p)
		}
	}

	_ = ed.SetBilling("vs-1", mapping.Billing{Enabled: true, Agreement: 5001, PriceLevel: 1})
	_ = ed.MapApplication(mapping.ItemsByCategory(kaspersky.AppKESBAdvanced, "KESB-WS", "KESB-SRV", "KESB-NW"))
	if err := ed.Save(ctx); err != nil {
		fmt.Println(err)
		return
	}

	saved, err := store.Load(ctx, "main")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("saved revision", saved.Revision)
	for _, a := range saved.BillingAccounts() {
		fmt.Printf("bill %s to account %d, agreement %d, price level %d\n", a.TenantName, a.AccountNumber, a.Agreement, a.PriceLevel)
	}
	byCat := saved.PriceBook.BillByCategory
	for _, app := range []kaspersky.AppID{kaspersky.AppKESBAdvanced, kaspersky.AppKESCloudPlus} {
		items, _ := saved.PriceBook.Lookup(app)
		fmt.Printf("%s: by category %v, items %v\n", app, kaspersky.BilledByCategory(app, byCat), items.ItemIDs())
	}
	// Output:
	// problem: tenants[vs-1].account.billing.priceLevel: automatic billing of account 1001 needs a price level
	// problem: priceBook.apps[kesb-advanced].nonWindows: price book item "KESB-NWX" does not exist in Tigerpaw
	// saved revision 1
	// bill Müller GmbH to account 1001, agreement 5001, price level 1
	// kesb-advanced: by category true, items [KESB-WS KESB-SRV KESB-NW]
	// kes-cloud-plus: by category false, items [KESC-PLUS]
}

// ExampleConfig_Check builds a configuration as a plain value and checks the
// rules that need no Tigerpaw data.
func ExampleConfig_Check() {
	cfg := mapping.Config{
		Name:     "hub",
		Solution: mapping.SolutionHub,
		PriceBook: mapping.PriceBook{
			BillByCategory: true,
			Apps: []mapping.AppItems{
				// Office 365 protection is billed per mailbox: one item only.
				mapping.ItemsByCategory(kaspersky.AppOffice365, "A", "B", "C"),
			},
		},
	}
	err := cfg.Check()
	fmt.Println(errors.Is(err, mapping.ErrSingleItemOnly))
	fmt.Println(err)
	// Output:
	// true
	// mapping: configuration "hub" is invalid: 2 problems: priceBook.apps[office365]: Kaspersky Security for Microsoft Office 365 (office365) is licensed per mailbox: it maps to a single price book item, not one per device category; priceBook.apps[office365].item: Kaspersky Security for Microsoft Office 365 (office365) has no price book item
}

// ExampleUnmarshal shows where a hand-written configuration goes wrong.
func ExampleUnmarshal() {
	_, err := mapping.Unmarshal([]byte(`{
  "version": 1,
  "name": "main",
  "solution": "ksc",
  "tenants": [{"id": "vs-1", "name": "Müller GmbH", "acount": {"number": 1001}}]
}`))
	fmt.Println(err)
	fmt.Println(errors.Is(err, mapping.ErrUnknownField))
	// Output:
	// mapping: configuration JSON, line 5, column 53, field tenants[0].acount: unknown field "acount"
	// true
}

// ExampleSearchTenants finds tenants as the product's search box does,
// ignoring case in any script.
func ExampleSearchTenants() {
	tenants := []mapping.Tenant{{ID: "1", Name: "MÜLLER GmbH"}, {ID: "2", Name: "ООО «Ромашка»"}, {ID: "3", Name: "Öztürk"}}
	for _, q := range []string{"müller", "РОМАШ", "ÖZT"} {
		for _, t := range mapping.SearchTenants(tenants, q) {
			fmt.Printf("%s → %s\n", q, t.Name)
		}
	}
	// Output:
	// müller → MÜLLER GmbH
	// РОМАШ → ООО «Ромашка»
	// ÖZT → Öztürk
}
