// Command unmapped lists the Tigerpaw accounts that no integration maps to a
// Kaspersky tenant, optionally of one account type: the report the product
// builds with a Tigerpaw Accounts Matrix view.
//
// Usage:
//
//	unmapped -demo                        on an in-process fake Tigerpaw
//	unmapped -demo -type Customer         only the customers
//	unmapped -tigerpaw https://tigerpaw.example -mapping-dir /var/lib/kt/mapping
//
// Without -demo the Tigerpaw REST API keys are read from the environment
// variables TIGERPAW_PUBLIC_KEY and TIGERPAW_PRIVATE_KEY.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	kt "github.com/mspkit/kaspersky-tigerpaw"
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
	fs := flag.NewFlagSet("unmapped", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "run on an in-process fake Tigerpaw with one mapped customer")
	accountType := fs.String("type", "", "only accounts of this type, e.g. Customer (any case); empty lists every type")
	url := fs.String("tigerpaw", "", "the Tigerpaw server's base URL")
	mappingDir := fs.String("mapping-dir", "", "the mapping store's directory")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var (
		tp    *tigerpaw.Client
		store mapping.Store
		err   error
	)
	switch {
	case *demo:
		var srv *tigerpawtest.Server
		srv, store, err = demoWorld(ctx)
		if err == nil {
			defer srv.Close()
			tp, err = tigerpaw.NewClient(srv.URL, tigerpaw.WithKeys(srv.PublicKey, srv.PrivateKey), tigerpaw.WithHTTPClient(srv.HTTPClient()))
		}
	case *url == "" || *mappingDir == "":
		fmt.Fprintln(stderr, "unmapped: -tigerpaw and -mapping-dir are required (or -demo)")
		return 2
	default:
		public, private := os.Getenv("TIGERPAW_PUBLIC_KEY"), os.Getenv("TIGERPAW_PRIVATE_KEY")
		if public == "" || private == "" {
			fmt.Fprintln(stderr, "unmapped: TIGERPAW_PUBLIC_KEY and TIGERPAW_PRIVATE_KEY must be set")
			return 2
		}
		store, err = mapping.NewFileStore(*mappingDir)
		if err == nil {
			tp, err = tigerpaw.NewClient(*url, tigerpaw.WithKeys(public, private))
		}
	}
	if err == nil {
		err = report(ctx, tp, store, *accountType, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "unmapped: %v\n", err)
		return 1
	}
	return 0
}

// report prints the accounts of accountType that no configuration of store
// maps.
func report(ctx context.Context, tp *tigerpaw.Client, store mapping.Store, accountType string, out io.Writer) error {
	dir, err := kt.NewDirectory(tp)
	if err != nil {
		return err
	}
	cfgs, err := store.List(ctx)
	if err != nil {
		return err
	}
	accts, err := mapping.UnmappedAccounts(ctx, dir, accountType, cfgs...)
	if err != nil {
		return err
	}
	if len(accts) == 0 {
		_, err := fmt.Fprintln(out, "every account has a tenant")
		return err
	}
	var errs []error
	for _, a := range accts {
		_, err := fmt.Fprintf(out, "%6d  %-10s  %s\n", a.Number, a.Type, a.Name)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// demoWorld is a fake Tigerpaw with customers, a prospect and a vendor, and a
// store whose integration maps one customer.
func demoWorld(ctx context.Context) (*tigerpawtest.Server, mapping.Store, error) {
	srv := tigerpawtest.New()
	contoso := srv.AddAccount(tigerpawtest.Account{Name: "Contoso Ltd", Type: "Customer"}).Number
	srv.AddAccount(tigerpawtest.Account{Name: "Fabrikam Inc", Type: "Customer"})
	srv.AddAccount(tigerpawtest.Account{Name: "Northwind Traders", Type: "Prospect"})
	srv.AddAccount(tigerpawtest.Account{Name: "Litware Supplies", Type: "Vendor"})
	store := mapping.NewMemoryStore()
	if _, err := store.Save(ctx, mapping.Config{Name: "main", Solution: mapping.SolutionKSC,
		Tenants: []mapping.Tenant{{ID: "vs-contoso", Name: "Contoso", Account: &mapping.AccountMapping{Number: contoso}}}}); err != nil {
		srv.Close()
		return nil, nil, err
	}
	return srv, store, nil
}
