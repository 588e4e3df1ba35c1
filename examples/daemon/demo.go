package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	kt "github.com/mspkit/kaspersky-tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/metrics"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// demoTigerpaw is the fake Tigerpaw of the demo: two customers to integrate
// (Contoso and Fabrikam), one that is not (Northwind) and a vendor, each
// customer with a recurring agreement, the price book items of the mapped
// applications at two price levels, and the service order lookups.
type demoTigerpaw struct {
	srv       *tigerpawtest.Server
	contoso   int // account numbers
	fabrikam  int
	agreement [2]int // of Contoso and Fabrikam
	level     int    // the price level the customers are billed at
	product   int    // the integration's External Product
	rep       int
	board     int
}

func seedTigerpaw(now time.Time) *demoTigerpaw {
	t := tigerpawtest.New()
	w := &demoTigerpaw{srv: t}
	w.contoso = t.AddAccount(tigerpawtest.Account{Name: "Contoso Ltd", Type: "Customer"}).Number
	w.fabrikam = t.AddAccount(tigerpawtest.Account{Name: "Fabrikam Inc", Type: "Customer"}).Number
	t.AddAccount(tigerpawtest.Account{Name: "Northwind Traders", Type: "Customer"})
	t.AddAccount(tigerpawtest.Account{Name: "Litware Supplies", Type: "Vendor"})
	w.product = t.AddExternalProduct(tigerpawtest.ExternalProduct{Product: "Kaspersky Security Integration", Active: true}).ID
	t.CrossReference(w.contoso, w.product, "Contoso")
	t.CrossReference(w.fabrikam, w.product, "Fabrikam")
	start := now.AddDate(0, -6, 0)
	for i, acct := range []int{w.contoso, w.fabrikam} {
		w.agreement[i] = t.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct, Type: "Managed services",
			BillingPeriod: 1, BillingPeriodDescription: "Monthly", StartDate: start}).Number
	}
	std := t.AddPriceLevel(tigerpawtest.PriceLevel{Description: "Standard"}).ID
	w.level = t.AddPriceLevel(tigerpawtest.PriceLevel{Description: "MSP partner"}).ID
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
			SellingPrices: map[int]int64{std: it.std, w.level: it.level}})
	}
	w.rep = t.AddRep(tigerpawtest.Rep{Name: "Dana Helpdesk"}).Number
	t.AddStatus(tigerpawtest.Status{Name: "New"})
	t.AddStatus(tigerpawtest.Status{Name: "Closed", Closed: true})
	w.board = t.AddBoard(tigerpawtest.Board{Description: "Security"}).ID
	t.AddPriority(tigerpawtest.Priority{Name: "High", Rank: 1})
	t.AddServiceOrderType(tigerpawtest.ServiceOrderType{Name: "Security alert"})
	return w
}

// rules are the demo's service order rules: orders for every Warning and
// Critical status, Critical events of KSC and KES Cloud, and every Office 365
// event type.
func (w *demoTigerpaw) rules() serviceorder.Rules {
	r := serviceorder.DefaultRules()
	r.General = serviceorder.General{Rep: w.rep, NewStatus: "New", ClosedStatus: "Closed"}
	on := serviceorder.OrderSettings{Enabled: true, Board: w.board, Priority: "High", Type: "Security alert"}
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

// demoConsole is the fake Kaspersky console of a demo, seeded with the two
// customers Contoso and Fabrikam.
type demoConsole struct {
	source kaspersky.Source
	// priceBook maps the applications the console reports.
	priceBook mapping.PriceBook
	// change alters the console between the second and the third round so that
	// a status clears; it returns what it did, for the output.
	change func() string
	close  func()
}

// runDemo runs the demo of the given solution ("ksc" or "hub"): it seeds the
// fakes, configures the integration through the mapping editor (validated
// against the fake Tigerpaw), runs billing and service order cycles three times
// and prints what happened. The second round shows that an unchanged world
// writes nothing; the third that a cleared status closes its order.
func runDemo(ctx context.Context, solution string, out io.Writer, log *slog.Logger) error {
	return demo(ctx, ctx, options{solution: solution, once: true}, out, log)
}

// demo runs the demo of o.solution on work; with o.listen it serves the
// -listen endpoints, and then, without o.once, goes on serving them until ctx
// ends.
func demo(ctx, work context.Context, o options, out io.Writer, log *slog.Logger) error {
	solution := o.solution
	obs, err := newObservers()
	if err != nil {
		return err
	}
	stopped := ctx.Done() // the first signal; the demo's cycles run on work
	now := time.Now().UTC().Truncate(time.Second)
	w := seedTigerpaw(now)
	defer w.srv.Close()
	var (
		console *demoConsole
		sol     mapping.Solution
	)
	switch solution {
	case "ksc":
		console, err = kscConsole(ctx, now, log, obs.metrics)
		sol = mapping.SolutionKSC
	case "hub":
		console, err = hubConsole(ctx, now, log, obs.metrics)
		sol = mapping.SolutionHub
	default:
		return fmt.Errorf("-solution %q: want ksc or hub", solution)
	}
	if err != nil {
		return err
	}
	defer console.close()

	hc := *w.srv.HTTPClient()
	hc.Transport = obs.metrics.RoundTripper(metrics.APITigerpaw, hc.Transport)
	tp, err := tigerpaw.NewClient(w.srv.URL, tigerpaw.WithKeys(w.srv.PublicKey, w.srv.PrivateKey),
		tigerpaw.WithHTTPClient(&hc), tigerpaw.WithRateLimit(200, 20), tigerpaw.WithLogger(log))
	if err != nil {
		return err
	}

	// The Companies, Accounts and Price book items tabs.
	tenants, err := console.source.Tenants(ctx)
	if err != nil {
		return fmt.Errorf("reading the tenants: %w", err)
	}
	byName := map[string]kaspersky.Tenant{}
	for _, t := range tenants {
		byName[t.Name] = t
	}
	dir, err := kt.NewDirectory(tp)
	if err != nil {
		return err
	}
	store := mapping.NewMemoryStore()
	ed, err := mapping.Open(ctx, store, dir, "demo")
	if err != nil {
		return err
	}
	billed := func(account, agreement int) *mapping.AccountMapping {
		return &mapping.AccountMapping{Number: account, Billing: mapping.Billing{Enabled: true, Agreement: agreement, PriceLevel: w.level}}
	}
	ed.Replace(mapping.Config{
		Name:              "demo",
		Solution:          sol,
		ExternalProductID: w.product,
		Tenants: []mapping.Tenant{
			{ID: byName["Contoso"].ID, Name: "Contoso", Account: billed(w.contoso, w.agreement[0])},
			{ID: byName["Fabrikam"].ID, Name: "Fabrikam", Account: billed(w.fabrikam, w.agreement[1])},
		},
		PriceBook: console.priceBook,
	})
	if err := ed.Save(ctx); err != nil {
		return fmt.Errorf("saving the demo configuration: %w", err)
	}
	view, err := ed.AccountsView(ctx, "Customer")
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "== Customer accounts not integrated")
	for _, a := range view.UnmappedAccounts {
		fmt.Fprintf(out, "   %d %s\n", a.Number, a.Name)
	}

	d, err := newDaemon(console.source, tp, store, "demo", w.rules(), serviceorder.NewMemoryStore(), out, log)
	if err != nil {
		return err
	}
	obs.attach(d)
	if o.listen != "" {
		d.console = memoryConsole(sol, w.product, d.rules)
		shutdown, err := d.serve(o.listen, obs)
		if err != nil {
			return err
		}
		defer shutdown()
	}
	ctx = work
	for round := 1; round <= 3; round++ {
		if round == 3 {
			fmt.Fprintf(out, "== Round 3: %s\n", console.change())
		}
		fmt.Fprintf(out, "== Round %d: billing plan\n", round)
		if err := d.planBilling(ctx); err != nil {
			return err
		}
		if err := d.runBilling(ctx); err != nil {
			return err
		}
		before := w.srv.Snapshot().ServiceOrders
		if err := d.runServiceOrders(ctx); err != nil {
			return err
		}
		after := w.srv.Snapshot().ServiceOrders
		closed := 0
		for i := range before {
			if before[i].Status != "Closed" && after[i].Status == "Closed" {
				closed++
			}
		}
		fmt.Fprintf(out, "== Round %d: service orders created: %d, closed: %d\n", round, len(after)-len(before), closed)
	}

	snap := w.srv.Snapshot()
	fmt.Fprintln(out, "== Tigerpaw additional charges")
	for _, agr := range w.agreement {
		for _, c := range snap.Charges[agr] {
			fmt.Fprintf(out, "   agreement %d  %-13s qty %3d @ %s  %s\n", agr, c.SpecialItemID, c.Quantity, tigerpaw.Cents(c.Price), c.ItemDescription)
		}
	}
	fmt.Fprintln(out, "== Tigerpaw service orders")
	for _, so := range snap.ServiceOrders {
		fmt.Fprintf(out, "   #%d [%s] %s\n", so.Number, so.Status, so.BriefDescription)
	}
	fmt.Fprintf(out, "== Tigerpaw requests counted by the fake: %d, of which writes: %d\n", w.srv.Count("*", "*"), fakeWrites(w.srv))
	if o.listen != "" && !o.once {
		fmt.Fprintln(out, "== Serving the -listen endpoints until interrupted")
		<-stopped
	}
	return nil
}

// fakeWrites is how many requests the fake Tigerpaw counted that change
// something: as kasperskytigerpaw.IsTigerpawWrite counts them, every PUT,
// PATCH, DELETE and POST but the searches.
func fakeWrites(srv *tigerpawtest.Server) int {
	n := srv.Count("PUT", "*") + srv.Count("PATCH", "*") + srv.Count("DELETE", "*") + srv.Count("POST", "*")
	for _, search := range []string{"/api/accounts/search", "/api/pricebook/items/search", "/api/serviceorders/search/reference"} {
		n -= srv.Count("POST", search)
	}
	return n
}
