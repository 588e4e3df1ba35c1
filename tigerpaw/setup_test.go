package tigerpaw_test

import (
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// world is the seed most tests start from.
var (
	start2024 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
)

// setup starts a seeded fake and a client of it.
func setup(t *testing.T, opts ...tigerpaw.Option) (*tigerpawtest.Server, *tigerpaw.Client) {
	t.Helper()
	srv := tigerpawtest.NewServer(t)
	seed(srv)
	return srv, srv.Client(t, opts...)
}

func seed(srv *tigerpawtest.Server) {
	srv.AddAccountType(tigerpawtest.AccountType{ID: 1, Value: "Customer", IsSystemDefault: true})
	srv.AddAccountType(tigerpawtest.AccountType{ID: 2, Value: "Prospect", IsSystemEntry: true})
	srv.AddPriceLevel(tigerpawtest.PriceLevel{ID: 1, Description: "Standard"})
	srv.AddPriceLevel(tigerpawtest.PriceLevel{ID: 2, Description: "Discount"})
	srv.AddRep(tigerpawtest.Rep{Number: 7, Name: "Dana Tech"})
	srv.AddRep(tigerpawtest.Rep{Number: 8, Name: "Old Rep", Inactive: true})
	srv.AddAccount(tigerpawtest.Account{Number: 1001, Name: "Contoso Ltd", Type: "Customer", Status: "Active", RepNumber: 7, DefaultPriceLevelID: 2})
	srv.AddAccount(tigerpawtest.Account{Number: 1002, Name: "Contoso Labs", Type: "Customer", Status: "Active"})
	srv.AddAccount(tigerpawtest.Account{Number: 1003, Name: "Fabrikam", Type: "Prospect", Status: "Active"})
	srv.AddAccount(tigerpawtest.Account{Number: 1004, Name: "Northwind", Type: "Customer", Status: "Inactive"})
	srv.AddAccount(tigerpawtest.Account{Number: 1005, Name: "Tailspin", Type: "Customer", Status: "Active"})
	srv.AddExternalProduct(tigerpawtest.ExternalProduct{ID: 50, Product: "Kaspersky", ProductType: 0, Active: true})
	srv.AddExternalProduct(tigerpawtest.ExternalProduct{ID: 51, Product: "Other RMM", ProductTypeName: "RMM", SystemEntry: true})
	srv.CrossReference(1001, 50, "vs-contoso")
	srv.AddCustomFieldDefinition(tigerpawtest.CustomFieldDefinition{ID: 300, Category: "Kaspersky", Label: "Kaspersky virtual server"})
	srv.SetCustomFieldValue(1001, 300, "VS Contoso")
	srv.AddAgreement(tigerpawtest.Agreement{Number: 501, AccountNumber: 1001, Type: "Managed", StartDate: start2024, BillingPeriod: 1, BillingPeriodDescription: "Monthly"})
	srv.AddAgreement(tigerpawtest.Agreement{Number: 502, AccountNumber: 1001, Type: "Block time", StartDate: start2024.AddDate(0, 6, 0)})
	srv.AddAgreement(tigerpawtest.Agreement{Number: 503, AccountNumber: 1002, Type: "Managed", StartDate: start2024, BillingPeriod: 12})
	srv.AddPriceBookItem(tigerpawtest.PriceBookItem{Number: 900, ItemID: "KES-1", Description: "KES workstation", Type: "Service", SellingPrices: map[int]int64{1: 450, 2: 405}})
	srv.AddPriceBookItem(tigerpawtest.PriceBookItem{Number: 901, ItemID: "KES-10", Description: "KES server", Type: "Service", SellingPrices: map[int]int64{1: 1250}})
	srv.AddPriceBookItem(tigerpawtest.PriceBookItem{Number: 902, ItemID: "KSO365", Description: "Office 365 mailbox", Type: "Service", SellingPrices: map[int]int64{1: 199}})
	srv.AddCharge(tigerpawtest.Charge{DetailID: 7001, AgreementNumber: 501, SpecialItemID: "KES-1", ItemDescription: "Seeded by a person", Quantity: 3, Price: 450, PriceLevel: 1, DateAdded: start2024})
	srv.AddStatus(tigerpawtest.Status{Name: "New", Rank: 1})
	srv.AddStatus(tigerpawtest.Status{Name: "Closed", Rank: 9, Closed: true, SystemEntry: true})
	srv.AddBoard(tigerpawtest.Board{ID: 3, Description: "Service"})
	srv.AddPriority(tigerpawtest.Priority{Name: "High", Rank: 1})
	srv.AddPriority(tigerpawtest.Priority{Name: "Low", Rank: 5})
	srv.AddServiceOrderType(tigerpawtest.ServiceOrderType{Name: "Security", Priority: "High"})
}

// newOrder is a valid service order for account 1001.
func newOrder(ref string) tigerpaw.NewServiceOrder {
	return tigerpaw.NewServiceOrder{
		AccountNumber: 1001, TechnicianAssigned: 7, Status: "New", Priority: "High",
		ServiceOrderType: "Security", DispatchBoardNumber: 3,
		BriefDescription: "Protection is off", WorkRequested: "Turn protection on", Reference: ref,
	}
}
