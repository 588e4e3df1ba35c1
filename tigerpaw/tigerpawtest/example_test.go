package tigerpawtest_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"golang.org/x/time/rate"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// Seed a fake, make a create fail after the server applied it, and see how a
// caller recovers by looking the order up by its Reference.
func Example() {
	srv := tigerpawtest.New()
	defer srv.Close()
	srv.AddAccount(tigerpawtest.Account{Number: 1001, Name: "Contoso"})
	srv.AddStatus(tigerpawtest.Status{Name: "New"})
	srv.AddPriority(tigerpawtest.Priority{Name: "High"})

	c, err := tigerpaw.NewClient(srv.URL, tigerpaw.WithKeys(srv.PublicKey, srv.PrivateKey),
		tigerpaw.WithRateLimit(rate.Inf, 1))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	srv.FailNext("POST", "/api/serviceorders", 1, tigerpawtest.Fault{Drop: true, AfterApply: true})
	_, err = c.ServiceOrders.Create(ctx, tigerpaw.NewServiceOrder{
		AccountNumber: 1001, Status: "New", Priority: "High", BriefDescription: "Check", Reference: "key-1",
	})
	fmt.Println("create failed:", err != nil)

	found, err := c.ServiceOrders.FindByReference(ctx, "key-1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("orders with the key:", len(found))
	fmt.Println("creates sent:", srv.Count("POST", "/api/serviceorders"))

	srv.LockServiceOrder(found[0].ServiceOrderNumber, tigerpawtest.Lock{RepNumber: 7, RepName: "Dana"})
	srv.AddStatus(tigerpawtest.Status{Name: "Closed", Closed: true})
	_, err = c.ServiceOrders.Close(ctx, found[0].ServiceOrderNumber, tigerpaw.CloseServiceOrder{Status: "Closed"})
	fmt.Println("locked:", errors.Is(err, tigerpaw.ErrLocked))
	fmt.Println("status:", srv.Snapshot().ServiceOrders[0].Status)
	// Output:
	// create failed: true
	// orders with the key: 1
	// creates sent: 1
	// locked: true
	// status: New
}
