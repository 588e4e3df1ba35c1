// Command billingplan prints the billing plan of one tenant of an integration
// (the seed's "Billing plan" of a company) without applying it: the charges
// automatic billing would create, update and delete on the tenant's
// agreement, and why.
//
// Usage:
//
//	billingplan -demo                     on an in-process fake KSC and Tigerpaw
//	billingplan -demo -tenant vs-fabrikam
//	billingplan -tigerpaw URL -ksc URL -ksc-user NAME -mapping-dir DIR -integration NAME -tenant ID
//
// Without -demo the secrets are read from the environment variables
// TIGERPAW_PUBLIC_KEY, TIGERPAW_PRIVATE_KEY and KSC_PASSWORD.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	kt "github.com/mspkit/kaspersky-tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksc"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksctest"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

func main() {
	os.Exit(runMain(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// runMain runs the command and returns its exit code: 0 done, 1 failed, 2 a
// usage error.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("billingplan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "run on an in-process fake KSC and Tigerpaw")
	tenant := fs.String("tenant", "", "the tenant (virtual server UID); with -demo, vs-contoso by default")
	tpURL := fs.String("tigerpaw", "", "the Tigerpaw server's base URL")
	kscURL := fs.String("ksc", "", "the KSC Open API base URL")
	kscUser := fs.String("ksc-user", "", "the KSC user (internal)")
	mappingDir := fs.String("mapping-dir", "", "the mapping store's directory")
	integration := fs.String("integration", "main", "the integration's name in the mapping store")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var (
		w   *world
		err error
	)
	if *demo {
		w, err = demoWorld(ctx)
		if *tenant == "" {
			*tenant = "vs-contoso"
		}
	} else {
		if *tpURL == "" || *kscURL == "" || *kscUser == "" || *mappingDir == "" || *tenant == "" {
			fmt.Fprintln(stderr, "billingplan: -tigerpaw, -ksc, -ksc-user, -mapping-dir and -tenant are required (or -demo)")
			return 2
		}
		w, err = realWorld(*tpURL, *kscURL, *kscUser, *mappingDir, *integration)
	}
	if err == nil {
		defer w.close()
		err = printPlan(ctx, w, *tenant, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "billingplan: %v\n", err)
		return 1
	}
	return 0
}

// world is what a plan is made from.
type world struct {
	source   kaspersky.Source
	tigerpaw *tigerpaw.Client
	store    mapping.Store
	name     string
	close    func()
	// fake is the demo's Tigerpaw; nil otherwise.
	fake *tigerpawtest.Server
}

// printPlan prints the plan of the tenant's agreement only.
func printPlan(ctx context.Context, w *world, tenant string, out io.Writer) error {
	cfg, err := w.store.Load(ctx, w.name)
	if err != nil {
		return err
	}
	var one []mapping.Tenant
	for _, t := range cfg.Tenants {
		if t.ID == tenant {
			one = append(one, t)
		}
	}
	if len(one) == 0 {
		return fmt.Errorf("tenant %q is not in integration %q", tenant, w.name)
	}
	if one[0].Account == nil || !one[0].Account.Billing.Enabled {
		return fmt.Errorf("tenant %q has no account with automatic billing on", tenant)
	}
	cfg.Tenants = one
	job := &kt.BillingJob{Source: w.source, Tigerpaw: w.tigerpaw}
	plan, err := job.Plan(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Billing plan of %s (agreement %d), not applied:\n", one[0].Name, one[0].Account.Billing.Agreement)
	_, err = io.WriteString(out, plan.Explain())
	return err
}

func realWorld(tpURL, kscURL, kscUser, mappingDir, name string) (*world, error) {
	tp, err := tigerpaw.NewClient(tpURL, tigerpaw.WithKeys(os.Getenv("TIGERPAW_PUBLIC_KEY"), os.Getenv("TIGERPAW_PRIVATE_KEY")))
	if err != nil {
		return nil, err
	}
	c, err := ksc.NewClient(kscURL, ksc.WithCredentials(ksc.Credentials{User: kscUser, Password: os.Getenv("KSC_PASSWORD"), Internal: true}))
	if err != nil {
		return nil, err
	}
	store, err := mapping.NewFileStore(mappingDir)
	if err != nil {
		return nil, err
	}
	return &world{source: ksc.NewSource(c), tigerpaw: tp, store: store, name: name, close: func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c.Close(ctx)
	}}, nil
}

// demoWorld is a fake KSC with two tenants (Contoso: 8 Windows workstations and
// 2 servers on KESB Advanced; Fabrikam: 4 workstations on KESB Select) and a
// fake Tigerpaw with their accounts, agreements and price book.
func demoWorld(ctx context.Context) (*world, error) {
	now := time.Now().UTC()
	const user, password = "planner", "demo-only"
	k := ksctest.NewServer()
	k.AddUser(ksctest.User{Name: user, Password: password, Internal: true})
	t := tigerpawtest.New()
	level := t.AddPriceLevel(tigerpawtest.PriceLevel{Description: "MSP partner"}).ID
	for _, it := range []struct {
		id    string
		price int64
	}{{"KESB-ADV-WS", 420}, {"KESB-ADV-SRV", 1100}, {"KESB-ADV-NW", 300}, {"KESB-SEL-WS", 275}, {"KESB-SEL-SRV", 850}, {"KESB-SEL-NW", 225}} {
		t.AddPriceBookItem(tigerpawtest.PriceBookItem{ItemID: it.id, Description: it.id, Type: "Service", SellingPrices: map[int]int64{level: it.price}})
	}
	cfg := mapping.Config{Name: "demo", Solution: mapping.SolutionKSC, PriceBook: mapping.PriceBook{BillByCategory: true, Apps: []mapping.AppItems{
		mapping.ItemsByCategory(kaspersky.AppKESBAdvanced, "KESB-ADV-WS", "KESB-ADV-SRV", "KESB-ADV-NW"),
		mapping.ItemsByCategory(kaspersky.AppKESBSelect, "KESB-SEL-WS", "KESB-SEL-SRV", "KESB-SEL-NW"),
	}}}
	for i, tn := range []struct {
		name, uid, product string
		workstations       int
		servers            int
	}{
		{"Contoso", "vs-contoso", "Kaspersky Endpoint Security for Business Advanced", 8, 2},
		{"Fabrikam", "vs-fabrikam", "Kaspersky Endpoint Security for Business Select", 4, 0},
	} {
		k.AddVirtualServer(ksctest.VirtualServer{ID: i + 1, UID: tn.uid, DisplayName: tn.name, ManagedGroupID: 10 * (i + 1), Enabled: true})
		key := ksctest.Key{Serial: fmt.Sprintf("KEY-%d", i), ProductName: tn.product, KeyType: 1, LimitDate: now.AddDate(1, 0, 0), LicCount: 50}
		k.AddKey(tn.name, key)
		for h := range tn.workstations + tn.servers {
			host := ksctest.Host{Hostname: fmt.Sprintf("%s-%02d", tn.uid, h), OSName: "Windows 11 Pro", CType: ksc.CTypeWorkstation | 0x400000 | 0x1000, LastVisible: now}
			if h >= tn.workstations {
				host.OSName, host.CType = "Windows Server 2022", 36871
			}
			host.DisplayName = host.Hostname
			k.AddHost(tn.name, host)
			k.AddKeyHost(key.Serial, ksctest.KeyHost{Hostname: host.Hostname, Current: true, Product: tn.product})
		}
		acct := t.AddAccount(tigerpawtest.Account{Name: tn.name, Type: "Customer"}).Number
		agr := t.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct, Type: "Managed services", BillingPeriod: 1, StartDate: now.AddDate(0, -6, 0)}).Number
		cfg.Tenants = append(cfg.Tenants, mapping.Tenant{ID: tn.uid, Name: tn.name,
			Account: &mapping.AccountMapping{Number: acct, Billing: mapping.Billing{Enabled: true, Agreement: agr, PriceLevel: level}}})
	}
	store := mapping.NewMemoryStore()
	closeAll := func() { k.Close(); t.Close() }
	if _, err := store.Save(ctx, cfg); err != nil {
		closeAll()
		return nil, err
	}
	tp, err := tigerpaw.NewClient(t.URL, tigerpaw.WithKeys(t.PublicKey, t.PrivateKey), tigerpaw.WithHTTPClient(t.HTTPClient()))
	if err != nil {
		closeAll()
		return nil, err
	}
	c, err := ksc.NewClient(k.URL, ksc.WithCredentials(ksc.Credentials{User: user, Password: password, Internal: true}), ksc.WithRootCAs(k.CertPool()))
	if err != nil {
		closeAll()
		return nil, err
	}
	return &world{source: ksc.NewSource(c), tigerpaw: tp, store: store, name: "demo", fake: t, close: func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.Close(ctx)
		closeAll()
	}}, nil
}
