package ksc_test

import (
	"context"
	"fmt"
	"log"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksc"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksctest"
)

// fakeKSC starts a fake server with one virtual server and two hosts.
func fakeKSC() *ksctest.Server {
	srv := ksctest.NewServer()
	srv.AddUser(ksctest.User{Name: "api", Password: "secret", Internal: true})
	srv.AddVirtualServer(ksctest.VirtualServer{ID: 1, UID: "vs-1", DisplayName: "Contoso", ManagedGroupID: 10, Enabled: true})
	srv.AddHost("Contoso", ksctest.Host{Hostname: "h1", DisplayName: "DC-01", CType: 36871})
	srv.AddHost("Contoso", ksctest.Host{Hostname: "h2", DisplayName: "LAPTOP-7", CType: 0x401001, StatusID: 1, StatusMask: 1 << 7})
	return srv
}

func ExampleNewSource() {
	srv := fakeKSC()
	defer srv.Close()
	ctx := context.Background()

	c, err := ksc.NewClient(srv.URL,
		ksc.WithCredentials(ksc.Credentials{User: "api", Password: "secret", Internal: true}),
		ksc.WithRootCAs(srv.CertPool()))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	src := ksc.NewSource(c)
	tenants, err := src.Tenants(ctx)
	if err != nil {
		log.Fatal(err)
	}
	inv, err := src.Inventory(ctx, tenants[0].ID)
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range inv.Devices {
		fmt.Printf("%s: %s, %s %v\n", d.Name, d.Category, d.Status, d.Descriptions)
	}
	// Output:
	// DC-01: Windows servers, OK []
	// LAPTOP-7: Windows workstations, Critical [{databases-outdated Databases are out of date}]
}

func ExampleClient_FindHosts() {
	srv := fakeKSC()
	defer srv.Close()
	ctx := context.Background()
	c, err := ksc.NewClient(srv.URL,
		ksc.WithCredentials(ksc.Credentials{User: "api", Password: "secret", Internal: true}),
		ksc.WithRootCAs(srv.CertPool()),
		ksc.WithVirtualServer("Contoso"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	// Hosts whose "databases are out of date" bit is set. Breaking out of the
	// loop early would release the result set just the same.
	q := ksc.HostQuery{Filter: ksc.BitsSet("KLHST_WKS_STATUS_MASK", 1<<7)}
	for h, err := range c.FindHosts(ctx, q) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(h.DisplayName)
	}
	fmt.Println("open result sets:", srv.OpenHandles())
	// Output:
	// LAPTOP-7
	// open result sets: 0
}
