package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	kt "github.com/mspkit/kaspersky-tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/console"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/metrics"
	"github.com/mspkit/kaspersky-tigerpaw/service"
	"github.com/mspkit/kaspersky-tigerpaw/service/demo"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

// runDemo runs the demo of the given solution ("ksc" or "hub") once.
func runDemo(ctx context.Context, solution string, out io.Writer, log *slog.Logger) error {
	return demoRun(ctx, options{solution: solution, once: true, shutdownTimeout: time.Minute}, out, log)
}

// demoRun seeds the fakes of o.solution (package service/demo), configures the
// integration through the mapping editor (validated against the fake
// Tigerpaw), and runs the runtime on them: billing and service order cycles
// three times, printing what happened. The second round shows that an
// unchanged world writes nothing; the third that a cleared status closes its
// order. With -dry-run it prints the first plan and writes nothing. With
// -listen it serves the endpoints and, without -once, goes on serving them
// until ctx ends.
func demoRun(ctx context.Context, o options, out io.Writer, log *slog.Logger) error {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Second)
	w := demo.NewTigerpaw(now)
	defer w.Srv.Close()
	fake, sol, err := demo.NewConsole(o.solution, now, log, func(api string, roots *x509.CertPool) *http.Client {
		return service.InstrumentedClient(m, api, roots)
	})
	if err != nil {
		return err
	}
	defer fake.Close()
	hc := *w.Srv.HTTPClient()
	hc.Transport = m.RoundTripper(metrics.APITigerpaw, hc.Transport)
	tp, err := tigerpaw.NewClient(w.Srv.URL, tigerpaw.WithKeys(w.Srv.PublicKey, w.Srv.PrivateKey),
		tigerpaw.WithHTTPClient(&hc), tigerpaw.WithRateLimit(200, 20), tigerpaw.WithLogger(log))
	if err != nil {
		return err
	}
	store := mapping.NewMemoryStore()
	if err := configureDemo(ctx, w, fake, sol, tp, store, out); err != nil {
		return err
	}
	cfg := &service.Config{Solution: string(sol), Integration: "demo",
		BillingEvery: service.Duration(24 * time.Hour), ServiceOrdersEvery: service.Duration(5 * time.Minute)}
	cfg.Console.ExternalProductID = w.Product
	opts := []service.Option{service.WithLogger(log), service.WithShutdownTimeout(o.shutdownTimeout), service.WithMetrics(reg, m),
		service.WithSource(fake.Source), service.WithTigerpaw(tp),
		service.WithStores(store, serviceorder.NewMemoryStore(), console.NewMemoryRules(w.Rules()))}
	if o.listen != "" && !o.dryRun {
		opts = append(opts, service.WithListen(o.listen))
	}
	if o.dryRun {
		opts = append(opts, service.WithReadOnly())
	}
	s, err := service.New(cfg, append(opts, o.extra...)...)
	if err != nil {
		return err
	}
	defer s.Close()
	if o.dryRun {
		fmt.Fprintln(out, "== Billing plan (dry run: nothing is written)")
		before := demo.FakeWrites(w.Srv) // the configuration's
		err := s.Plan(ctx, out)
		fmt.Fprintf(out, "== Tigerpaw writes of the dry run counted by the fake: %d\n", demo.FakeWrites(w.Srv)-before)
		return err
	}
	if err := s.Start(ctx); err != nil {
		return err
	}
	for round := 1; round <= 3; round++ {
		if round == 3 {
			fmt.Fprintf(out, "== Round 3: %s\n", fake.Change())
		}
		fmt.Fprintf(out, "== Round %d: billing plan\n", round)
		if err := s.Plan(ctx, out); err != nil {
			return err
		}
		before := w.Srv.Snapshot().ServiceOrders
		if err := s.RunOnce(ctx); err != nil {
			return err
		}
		after := w.Srv.Snapshot().ServiceOrders
		closed := 0
		for i := range before {
			if before[i].Status != "Closed" && after[i].Status == "Closed" {
				closed++
			}
		}
		fmt.Fprintf(out, "== Round %d: service orders created: %d, closed: %d\n", round, len(after)-len(before), closed)
	}
	snap := w.Srv.Snapshot()
	fmt.Fprintln(out, "== Tigerpaw additional charges")
	for _, agr := range w.Agreement {
		for _, c := range snap.Charges[agr] {
			fmt.Fprintf(out, "   agreement %d  %-13s qty %3d @ %s  %s\n", agr, c.SpecialItemID, c.Quantity, tigerpaw.Cents(c.Price), c.ItemDescription)
		}
	}
	fmt.Fprintln(out, "== Tigerpaw service orders")
	for _, so := range snap.ServiceOrders {
		fmt.Fprintf(out, "   #%d [%s] %s\n", so.Number, so.Status, so.BriefDescription)
	}
	fmt.Fprintf(out, "== Tigerpaw requests counted by the fake: %d, of which writes: %d\n", w.Srv.Count("*", "*"), demo.FakeWrites(w.Srv))
	if o.listen != "" && !o.once {
		fmt.Fprintln(out, "== Serving the -listen endpoints until interrupted")
		<-ctx.Done()
	}
	return nil
}

// configureDemo saves the demo's integration as the console's Companies,
// Accounts and Price book items tabs would, and prints the customer accounts
// left out.
func configureDemo(ctx context.Context, w *demo.Tigerpaw, fake *demo.Console, sol mapping.Solution, tp *tigerpaw.Client, store mapping.Store, out io.Writer) error {
	tenants, err := fake.Source.Tenants(ctx)
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
	ed, err := mapping.Open(ctx, store, dir, "demo")
	if err != nil {
		return err
	}
	billed := func(account, agreement int) *mapping.AccountMapping {
		return &mapping.AccountMapping{Number: account, Billing: mapping.Billing{Enabled: true, Agreement: agreement, PriceLevel: w.Level}}
	}
	ed.Replace(mapping.Config{
		Name: "demo", Solution: sol, ExternalProductID: w.Product,
		Tenants: []mapping.Tenant{
			{ID: byName["Contoso"].ID, Name: "Contoso", Account: billed(w.Contoso, w.Agreement[0])},
			{ID: byName["Fabrikam"].ID, Name: "Fabrikam", Account: billed(w.Fabrikam, w.Agreement[1])},
		},
		PriceBook: fake.PriceBook,
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
	return nil
}
