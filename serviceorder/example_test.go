package serviceorder_test

import (
	"context"
	"fmt"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

// Evaluate is pure: give it what was read and the stored state, get the plan.
func ExampleEvaluate() {
	rules := serviceorder.DefaultRules()
	rules.General = serviceorder.General{Rep: 7, NewStatus: "New", ClosedStatus: "Closed"}
	for i := range rules.Statuses {
		if rules.Statuses[i].ID.Code == kaspersky.StatusDatabasesOutdated {
			rules.Statuses[i].OrderSettings = serviceorder.OrderSettings{Enabled: true, Priority: "High"}
		}
	}
	dev := kaspersky.Device{ID: "42", Name: "PC-42", Status: kaspersky.StatusWarning, Descriptions: []kaspersky.StatusDescription{
		{Code: kaspersky.StatusDatabasesOutdated, Text: "Databases are out of date"},
		{Code: kaspersky.StatusManyViruses, Text: "Many viruses detected"},
	}}
	plan := serviceorder.Evaluate(serviceorder.Input{
		Now:      time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
		Rules:    rules,
		Accounts: serviceorder.Accounts{"vs-acme": 5001},
		Tenants: []serviceorder.TenantInput{{
			Tenant:      kaspersky.Tenant{ID: "vs-acme", Name: "Acme Ltd", Kind: kaspersky.KindVirtualServer},
			InventoryOK: true,
			Devices:     []kaspersky.Device{dev},
		}},
	})
	for _, a := range plan.Actions {
		fmt.Println(a.Type, a.Order.Kind, a.Order.Request.Account, a.Order.Request.Priority, a.Order.Request.Brief)
	}
	// Output:
	// create status 5001 High Kaspersky: Databases are out of date on PC-42
}

// A Runner applies each cycle through a Desk and remembers what it did in a Store.
func ExampleRunner_Run() {
	ctx := context.Background()
	desk := serviceordertest.NewDesk() // the root package's adapter over tigerpaw.Client in real use
	runner, err := serviceorder.NewRunner(desk, serviceorder.NewMemoryStore())
	if err != nil {
		fmt.Println(err)
		return
	}
	rules := serviceordertest.Rules()
	for i := range rules.Statuses {
		if rules.Statuses[i].ID.Code == kaspersky.StatusDatabasesOutdated {
			rules.Statuses[i].OrderSettings = serviceorder.OrderSettings{Enabled: true, Priority: "High"}
		}
	}
	tenant := serviceorder.TenantInput{
		Tenant:      kaspersky.Tenant{ID: "vs-acme", Name: "Acme Ltd"},
		InventoryOK: true,
		Devices:     []kaspersky.Device{serviceordertest.Device("vs-acme", "42", kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated)},
	}
	cycle := serviceorder.Cycle{Rules: rules, Accounts: serviceorder.Accounts{"vs-acme": 5001}, Tenants: []serviceorder.TenantInput{tenant}}
	res, _ := runner.Run(ctx, cycle)
	fmt.Println("created:", len(res.Created))

	cycle.Tenants[0].Devices = []kaspersky.Device{serviceordertest.Device("vs-acme", "42", kaspersky.StatusOK)}
	res, _ = runner.Run(ctx, cycle)
	fmt.Println("closed:", len(res.Closed), "status:", desk.Orders()[0].Status)
	// Output:
	// created: 1
	// closed: 1 status: Closed
}
