// Package demo seeds the in-process fakes of a demonstration (and of tests)
// of the runtime: a Tigerpaw with two customers to integrate, and a Kaspersky
// Security Center or Business Hub whose tenants are those customers. The
// reference daemon's -demo runs on them.
package demo

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// Tigerpaw is the fake Tigerpaw of the demo: two customers to integrate
// (Contoso and Fabrikam), one that is not (Northwind) and a vendor, each
// customer with a recurring agreement, the price book items of the mapped
// applications at two price levels, and the service order lookups.
type Tigerpaw struct {
	Srv       *tigerpawtest.Server
	Contoso   int // account numbers
	Fabrikam  int
	Agreement [2]int // of Contoso and Fabrikam
	Level     int    // the price level the customers are billed at
	Product   int    // the integration's External Product
	Rep       int    // the rep of the service orders, "Dana Helpdesk"
	Board     int    // the board "Security"
	Board2    int    // the board "Escalations"
}

// NewTigerpaw starts and seeds the fake Tigerpaw; now is the demo's clock.
// Close its Srv when done.
func NewTigerpaw(now time.Time) *Tigerpaw {
	t := tigerpawtest.New()
	w := &Tigerpaw{Srv: t}
	w.Contoso = t.AddAccount(tigerpawtest.Account{Name: "Contoso Ltd", Type: "Customer"}).Number
	w.Fabrikam = t.AddAccount(tigerpawtest.Account{Name: "Fabrikam Inc", Type: "Customer"}).Number
	t.AddAccount(tigerpawtest.Account{Name: "Northwind Traders", Type: "Customer"})
	t.AddAccount(tigerpawtest.Account{Name: "Litware Supplies", Type: "Vendor"})
	w.Product = t.AddExternalProduct(tigerpawtest.ExternalProduct{Product: "Kaspersky Security Integration", Active: true}).ID
	t.CrossReference(w.Contoso, w.Product, "Contoso")
	t.CrossReference(w.Fabrikam, w.Product, "Fabrikam")
	start := now.AddDate(0, -6, 0)
	for i, acct := range []int{w.Contoso, w.Fabrikam} {
		w.Agreement[i] = t.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct, Type: "Managed services",
			BillingPeriod: 1, BillingPeriodDescription: "Monthly", StartDate: start}).Number
	}
	std := t.AddPriceLevel(tigerpawtest.PriceLevel{Description: "Standard"}).ID
	w.Level = t.AddPriceLevel(tigerpawtest.PriceLevel{Description: "MSP partner"}).ID
	for _, it := range []struct {
		id, desc   string
		std, level int64
	}{
		{"KESB-ADV-WS", "KESB Advanced, Windows workstation", 450, 420},
		{"KESB-ADV-SRV", "KESB Advanced, Windows server", 1200, 1100},
		{"KESB-ADV-NW", "KESB Advanced, non-Windows device", 350, 300},
		{"KESB-SEL-WS", "KESB Select, Windows workstation", 300, 275},
		{"KESB-SEL-SRV", "KESB Select, Windows server", 900, 850},
		{"KESB-SEL-NW", "KESB Select, non-Windows device", 250, 225},
		{"KESC-PLUS", "KES Cloud Plus, per user", 500, 450},
		{"KSMO365", "Kaspersky Security for Microsoft Office 365, per mailbox", 150, 120},
	} {
		t.AddPriceBookItem(tigerpawtest.PriceBookItem{ItemID: it.id, Description: it.desc, Type: "Service",
			SellingPrices: map[int]int64{std: it.std, w.Level: it.level}})
	}
	w.Rep = t.AddRep(tigerpawtest.Rep{Name: "Dana Helpdesk"}).Number
	t.AddStatus(tigerpawtest.Status{Name: "New"})
	t.AddStatus(tigerpawtest.Status{Name: "Closed", Closed: true})
	w.Board = t.AddBoard(tigerpawtest.Board{Description: "Security"}).ID
	w.Board2 = t.AddBoard(tigerpawtest.Board{Description: "Escalations"}).ID
	t.AddPriority(tigerpawtest.Priority{Name: "High", Rank: 1})
	t.AddPriority(tigerpawtest.Priority{Name: "Urgent", Rank: 0})
	t.AddServiceOrderType(tigerpawtest.ServiceOrderType{Name: "Security alert"})
	return w
}

// Rules are the demo's service order rules: orders for every Warning and
// Critical status, Critical events of KSC and KES Cloud, and every Office 365
// event type.
func (w *Tigerpaw) Rules() serviceorder.Rules {
	r := serviceorder.DefaultRules()
	r.General = serviceorder.General{Rep: w.Rep, NewStatus: "New", ClosedStatus: "Closed"}
	on := serviceorder.OrderSettings{Enabled: true, Board: w.Board, Priority: "High", Type: "Security alert"}
	for i := range r.Statuses {
		r.Statuses[i].OrderSettings = on
	}
	for i := range r.Events {
		if id := r.Events[i].ID; id.Origin == kaspersky.OriginOffice365 || id.Severity == kaspersky.SeverityCritical {
			r.Events[i].OrderSettings = on
		}
	}
	return r
}

// FakeWrites is how many requests the fake Tigerpaw counted that change
// something: as kasperskytigerpaw.IsTigerpawWrite counts them, every PUT,
// PATCH, DELETE and POST but the searches.
func FakeWrites(srv *tigerpawtest.Server) int {
	n := srv.Count("PUT", "*") + srv.Count("PATCH", "*") + srv.Count("DELETE", "*") + srv.Count("POST", "*")
	for _, search := range []string{"/api/accounts/search", "/api/pricebook/items/search", "/api/serviceorders/search/reference"} {
		n -= srv.Count("POST", search)
	}
	return n
}

// Console is the fake Kaspersky console of a demo, seeded with the two
// customers Contoso and Fabrikam.
type Console struct {
	Source kaspersky.Source
	// PriceBook maps the applications the console reports.
	PriceBook mapping.PriceBook
	// Change alters the console so that a status clears; it returns what it
	// did, in words.
	Change func() string
	// Close ends the sessions and stops the fake.
	Close func()
}

// NewConsole starts the fake console of solution ("ksc" or "hub"), seeded
// at now, with a client whose HTTP client is made by client from the fake's
// URL and root CAs (e.g. service.InstrumentedClient).
func NewConsole(solution string, now time.Time, log *slog.Logger, client HTTPClientFunc) (*Console, mapping.Solution, error) {
	switch solution {
	case "ksc":
		c, err := kscConsole(now, log, client)
		return c, mapping.SolutionKSC, err
	case "hub":
		c, err := hubConsole(now, log, client)
		return c, mapping.SolutionHub, err
	}
	return nil, "", fmt.Errorf("-solution %q: want ksc or hub", solution)
}
