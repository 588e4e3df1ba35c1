package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	kt "github.com/mspkit/kaspersky-tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksc"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksctest"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// demoWorld is what the demo seeds: a KSC with two virtual servers and a
// Tigerpaw with their accounts.
type demoWorld struct {
	ksc       *ksctest.Server
	tp        *tigerpawtest.Server
	contoso   int // Tigerpaw account numbers
	fabrikam  int
	agreement [2]int
	level     int
	product   int
	rep       int
	board     int
}

const (
	demoUser     = "integration"
	demoPassword = "demo-only-password"
)

// seedDemo starts and seeds the fake servers: Contoso runs Kaspersky Endpoint
// Security for Business Advanced on 90 Windows workstations and 10 Windows
// servers (the seed's example) plus 2 Linux hosts; Fabrikam runs Select on 20
// workstations, one of which has out-of-date databases and many viruses
// detected.
func seedDemo(now time.Time) *demoWorld {
	w := &demoWorld{ksc: ksctest.NewServer(), tp: tigerpawtest.New()}
	k := w.ksc
	k.AddUser(ksctest.User{Name: demoUser, Password: demoPassword, Internal: true})
	k.AddVirtualServer(ksctest.VirtualServer{ID: 1, UID: "vs-contoso", DisplayName: "Contoso", ManagedGroupID: 10, Enabled: true})
	k.AddVirtualServer(ksctest.VirtualServer{ID: 2, UID: "vs-fabrikam", DisplayName: "Fabrikam", ManagedGroupID: 20, Enabled: true})

	adv := ksctest.Key{Serial: "ADV-0001", ProductName: "Kaspersky Endpoint Security for Business Advanced", KeyType: 1, LimitDate: now.AddDate(1, 0, 0), LicCount: 150}
	trial := ksctest.Key{Serial: "TRY-0001", ProductName: "Kaspersky Endpoint Security for Business Advanced", KeyType: 3, LimitDate: now.AddDate(0, 1, 0), LicCount: 5}
	k.AddKey("Contoso", adv)
	k.AddKey("Contoso", trial)
	for i := range 102 {
		h := ksctest.Host{Hostname: fmt.Sprintf("c-%03d", i), OSName: "Windows 11 Pro", CType: ksc.CTypeWorkstation | 0x400000 | 0x1000}
		switch {
		case i >= 100:
			h.OSName, h.CType = "Ubuntu 24.04", 0x200000
		case i >= 90:
			h.OSName, h.CType = "Windows Server 2022", 36871
		}
		h.DisplayName = h.Hostname
		h.LastVisible = now.Add(-time.Hour)
		k.AddHost("Contoso", h)
		k.AddKeyHost(adv.Serial, ksctest.KeyHost{Hostname: h.Hostname, Current: true, Product: adv.ProductName})
		if i < 5 {
			// A trial key held in reserve never bills.
			k.AddKeyHost(trial.Serial, ksctest.KeyHost{Hostname: h.Hostname, Current: false, Product: trial.ProductName})
		}
	}
	k.AddEvent("Contoso", ksctest.Event{ID: 7001, Type: "GNRL_EV_VIRUS_FOUND", TypeName: "Malicious object detected",
		RiseTime: now.Add(-20 * time.Minute), Hostname: "c-007", HostDN: "c-007", Severity: 4,
		Description: "Trojan.Win32.Generic detected in C:\\Users\\Public\\invoice.exe", ProductName: "Kaspersky Endpoint Security for Windows"})

	sel := ksctest.Key{Serial: "SEL-0001", ProductName: "Kaspersky Endpoint Security for Business Select", KeyType: 1, LimitDate: now.AddDate(0, 6, 0), LicCount: 25}
	k.AddKey("Fabrikam", sel)
	for i := range 20 {
		h := ksctest.Host{Hostname: fmt.Sprintf("f-%03d", i), DisplayName: fmt.Sprintf("FAB-WS-%02d", i), OSName: "Windows 10 Pro", CType: ksc.CTypeWorkstation | 0x400000 | 0x1000, LastVisible: now.Add(-time.Hour)}
		if i == 3 {
			h.StatusID, h.StatusMask = 2, 1<<3|1<<7 // Warning: many viruses, databases out of date
		}
		k.AddHost("Fabrikam", h)
		k.AddKeyHost(sel.Serial, ksctest.KeyHost{Hostname: h.Hostname, Current: true, Product: sel.ProductName})
	}

	t := w.tp
	w.contoso = t.AddAccount(tigerpawtest.Account{Name: "Contoso Ltd", Type: "Customer"}).Number
	w.fabrikam = t.AddAccount(tigerpawtest.Account{Name: "Fabrikam Inc", Type: "Customer"}).Number
	t.AddAccount(tigerpawtest.Account{Name: "Northwind Traders", Type: "Customer"})
	t.AddAccount(tigerpawtest.Account{Name: "Litware Supplies", Type: "Vendor"})
	w.product = t.AddExternalProduct(tigerpawtest.ExternalProduct{Product: "Kaspersky Security Integration", Active: true}).ID
	t.CrossReference(w.contoso, w.product, "Contoso")
	t.CrossReference(w.fabrikam, w.product, "Fabrikam")
	start := now.AddDate(0, -6, 0)
	w.agreement[0] = t.AddAgreement(tigerpawtest.Agreement{AccountNumber: w.contoso, Type: "Managed services", BillingPeriod: 1, BillingPeriodDescription: "Monthly", StartDate: start}).Number
	w.agreement[1] = t.AddAgreement(tigerpawtest.Agreement{AccountNumber: w.fabrikam, Type: "Managed services", BillingPeriod: 1, BillingPeriodDescription: "Monthly", StartDate: start}).Number
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
	} {
		t.AddPriceBookItem(tigerpawtest.PriceBookItem{ItemID: it.id, Description: it.desc, Type: "Service", SellingPrices: map[int]int64{std: it.std, w.level: it.level}})
	}
	w.rep = t.AddRep(tigerpawtest.Rep{Name: "Dana Helpdesk"}).Number
	t.AddStatus(tigerpawtest.Status{Name: "New"})
	t.AddStatus(tigerpawtest.Status{Name: "Closed", Closed: true})
	w.board = t.AddBoard(tigerpawtest.Board{Description: "Security"}).ID
	t.AddPriority(tigerpawtest.Priority{Name: "High", Rank: 1})
	t.AddServiceOrderType(tigerpawtest.ServiceOrderType{Name: "Security alert"})
	return w
}

func (w *demoWorld) Close() {
	w.ksc.Close()
	w.tp.Close()
}

// demoRules are the service order rules of the demo: orders for Warning and
// Critical statuses and for Critical events of KSC.
func (w *demoWorld) demoRules() serviceorder.Rules {
	r := serviceorder.DefaultRules()
	r.General = serviceorder.General{Rep: w.rep, NewStatus: "New", ClosedStatus: "Closed"}
	on := serviceorder.OrderSettings{Enabled: true, Board: w.board, Priority: "High", Type: "Security alert"}
	for i := range r.Statuses {
		r.Statuses[i].OrderSettings = on
	}
	for i := range r.Events {
		if r.Events[i].ID == (serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical}) {
			r.Events[i].OrderSettings = on
		}
	}
	return r
}

// runDemo seeds the fakes, configures the integration through the mapping
// editor (validated against the fake Tigerpaw), runs billing and service order
// cycles twice, and prints what happened. The second run shows that an
// unchanged world writes nothing.
func runDemo(ctx context.Context, out io.Writer, log *slog.Logger) error {
	now := time.Now().UTC().Truncate(time.Second)
	w := seedDemo(now)
	defer w.Close()

	tp, err := tigerpaw.NewClient(w.tp.URL, tigerpaw.WithKeys(w.tp.PublicKey, w.tp.PrivateKey),
		tigerpaw.WithHTTPClient(w.tp.HTTPClient()), tigerpaw.WithRateLimit(200, 20), tigerpaw.WithLogger(log))
	if err != nil {
		return err
	}
	kc, err := ksc.NewClient(w.ksc.URL, ksc.WithCredentials(ksc.Credentials{User: demoUser, Password: demoPassword, Internal: true}),
		ksc.WithRootCAs(w.ksc.CertPool()), ksc.WithLogger(log))
	if err != nil {
		return err
	}
	defer kc.Close(context.WithoutCancel(ctx))
	src := ksc.NewSource(kc)

	// The Companies, Accounts and Price book items tabs.
	tenants, err := src.Tenants(ctx)
	if err != nil {
		return fmt.Errorf("reading the virtual servers: %w", err)
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
	ed.Replace(mapping.Config{
		Name:              "demo",
		Solution:          mapping.SolutionKSC,
		ExternalProductID: w.product,
		Tenants: []mapping.Tenant{
			{ID: byName["Contoso"].ID, Name: "Contoso", Account: &mapping.AccountMapping{Number: w.contoso,
				Billing: mapping.Billing{Enabled: true, Agreement: w.agreement[0], PriceLevel: w.level}}},
			{ID: byName["Fabrikam"].ID, Name: "Fabrikam", Account: &mapping.AccountMapping{Number: w.fabrikam,
				Billing: mapping.Billing{Enabled: true, Agreement: w.agreement[1], PriceLevel: w.level}}},
		},
		PriceBook: mapping.PriceBook{BillByCategory: true, Apps: []mapping.AppItems{
			mapping.ItemsByCategory(kaspersky.AppKESBAdvanced, "KESB-ADV-WS", "KESB-ADV-SRV", "KESB-ADV-NW"),
			mapping.ItemsByCategory(kaspersky.AppKESBSelect, "KESB-SEL-WS", "KESB-SEL-SRV", "KESB-SEL-NW"),
		}},
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

	state := serviceorder.NewMemoryStore()
	d, err := newDaemon(src, tp, store, "demo", w.demoRules(), state, out, log)
	if err != nil {
		return err
	}
	for round := 1; round <= 2; round++ {
		fmt.Fprintf(out, "== Round %d: billing plan\n", round)
		if err := d.planBilling(ctx); err != nil {
			return err
		}
		if err := d.runBilling(ctx); err != nil {
			return err
		}
		before := len(w.tp.Snapshot().ServiceOrders)
		if err := d.runServiceOrders(ctx); err != nil {
			return err
		}
		fmt.Fprintf(out, "== Round %d: service orders created: %d\n", round, len(w.tp.Snapshot().ServiceOrders)-before)
	}

	// The databases of FAB-WS-03 are updated: that order closes, the other
	// stays open while viruses remain.
	w.ksc.UpdateHost("Fabrikam", ksctest.Host{Hostname: "f-003", DisplayName: "FAB-WS-03", OSName: "Windows 10 Pro",
		CType: ksc.CTypeWorkstation | 0x400000 | 0x1000, StatusID: 2, StatusMask: 1 << 3, LastVisible: now})
	if err := d.runServiceOrders(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "== Round 3: FAB-WS-03's databases updated")

	snap := w.tp.Snapshot()
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
	return nil
}
