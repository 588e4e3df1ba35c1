package tigerpaw_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// exampleServer starts a fake Tigerpaw with a few accounts and the lookups a
// service order needs.
func exampleServer() *tigerpawtest.Server {
	srv := tigerpawtest.New()
	srv.AddAccount(tigerpawtest.Account{Number: 1001, Name: "Contoso Ltd", Type: "Customer"})
	srv.AddAccount(tigerpawtest.Account{Number: 1002, Name: "Contoso Labs", Type: "Customer"})
	srv.AddAccount(tigerpawtest.Account{Number: 1003, Name: "Fabrikam", Type: "Prospect"})
	srv.AddRep(tigerpawtest.Rep{Number: 7, Name: "Dana Tech"})
	srv.AddStatus(tigerpawtest.Status{Name: "New"})
	srv.AddStatus(tigerpawtest.Status{Name: "Closed", Closed: true})
	srv.AddPriority(tigerpawtest.Priority{Name: "High", Rank: 1})
	srv.AddServiceOrderType(tigerpawtest.ServiceOrderType{Name: "Security"})
	srv.AddBoard(tigerpawtest.Board{ID: 3, Description: "Service"})
	return srv
}

func ExampleNewClient() {
	srv := exampleServer()
	defer srv.Close()

	c, err := tigerpaw.NewClient(srv.URL,
		tigerpaw.WithKeys(srv.PublicKey, srv.PrivateKey),
		tigerpaw.WithRateLimit(5, 5),
		tigerpaw.WithTimeZone(time.UTC),
	)
	if err != nil {
		log.Fatal(err)
	}
	if err := c.ValidateUser(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println("keys accepted")
	// Output: keys accepted
}

func ExampleAccountsService_Search() {
	srv := exampleServer()
	defer srv.Close()
	c, err := tigerpaw.NewClient(srv.URL, tigerpaw.WithKeys(srv.PublicKey, srv.PrivateKey))
	if err != nil {
		log.Fatal(err)
	}

	q := tigerpaw.Search{Criteria: []tigerpaw.Criterion{
		{SearchType: tigerpaw.SearchAccountName, MatchType: tigerpaw.MatchStartsWith, Criteria: "Contoso"},
	}}
	for acct, err := range c.Accounts.Search(context.Background(), q) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(acct.AccountNumber, acct.Account.Name, acct.Account.AccountType)
	}
	// Output:
	// 1001 Contoso Ltd Customer
	// 1002 Contoso Labs Customer
}

func ExampleServiceOrdersService_Create() {
	srv := exampleServer()
	defer srv.Close()
	c, err := tigerpaw.NewClient(srv.URL, tigerpaw.WithKeys(srv.PublicKey, srv.PrivateKey))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// Reference carries a stable key, so that the order can be found again
	// after a crash instead of being created twice.
	const ref = "ksc:vs1:host42:status7"
	existing, err := c.ServiceOrders.FindByReference(ctx, ref)
	if err != nil {
		log.Fatal(err)
	}
	if len(existing) == 0 {
		so, err := c.ServiceOrders.Create(ctx, tigerpaw.NewServiceOrder{
			AccountNumber:       1001,
			TechnicianAssigned:  7,
			Status:              "New",
			Priority:            "High",
			ServiceOrderType:    "Security",
			DispatchBoardNumber: 3,
			BriefDescription:    "Kaspersky: protection is off on HOST42",
			Reference:           ref,
		})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("created", so.ServiceOrderNumber, so.ServiceOrder.Status)
		existing = append(existing, *so)
	}

	closed, err := c.ServiceOrders.Close(ctx, existing[0].ServiceOrderNumber, tigerpaw.CloseServiceOrder{
		Status:        "Closed",
		WorkPerformed: "Protection is on again.",
	})
	if err != nil {
		log.Fatal(err) // errors.Is(err, tigerpaw.ErrLocked): open in the UI, retry later
	}
	fmt.Println("closed", closed.ServiceOrderNumber, closed.ServiceOrder.Status, !closed.ServiceOrder.DateTimeClosed.IsZero())
	// Output:
	// created 1 New
	// closed 1 Closed true
}
