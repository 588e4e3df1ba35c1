package hub_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hub"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hubtest"
)

// fakeHub starts a fake Business Hub with one company, three devices, one
// license and Office 365 protection.
func fakeHub() *hubtest.Server {
	srv := hubtest.NewServer(hubtest.WithTLS())
	srv.AddUser("msp@example.com", "secret")
	must(srv.AddCompany(hubtest.Company{ID: "c-1", Name: "Contoso"}))
	must(srv.AddDevice("c-1",
		hubtest.Device{ID: "d-1", Name: "DC-01", Platform: "windows", Kind: "server", Status: "ok"},
		hubtest.Device{ID: "d-2", Name: "LAPTOP-7", Platform: "windows", Kind: "workstation", UserID: "u-1", Status: "critical",
			StatusDescriptions: []hubtest.StatusDescription{{Code: "databases-outdated", Text: "Databases are outdated"}}},
		hubtest.Device{ID: "d-3", Name: "Pixel", Platform: "android", Kind: "mobile", UserID: "u-1", Status: "ok"},
	))
	must(srv.AddLicense("c-1", hubtest.License{ID: "l-1", Product: "kes-cloud-plus", Type: "commercial", State: "active",
		ExpiresAt: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC), Capacity: 25, Users: []string{"u-1"}}))
	must(srv.SetOffice365Status("c-1", hubtest.Office365Status{MailboxesProtected: true, LicenseOK: true, ProtectedMailboxes: 18}))
	return srv
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func ExampleNewSource() {
	srv := fakeHub()
	defer srv.Close()
	ctx := context.Background()

	c, err := hub.NewClient(srv.URL,
		hub.WithCredentials(hub.Credentials{Email: "msp@example.com", Password: "secret"}),
		hub.WithRootCAs(srv.CertPool()))
	if err != nil {
		log.Fatal(err)
	}
	src := hub.NewSource(c)
	tenants, err := src.Tenants(ctx)
	if err != nil {
		log.Fatal(err)
	}
	inv, err := src.Inventory(ctx, tenants[0].ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s (%s)\n", inv.Tenant.Name, inv.Tenant.Kind)
	for _, d := range inv.Devices {
		fmt.Printf("%s: %s, mobile %t, %s %v\n", d.Name, d.Category, d.Mobile, d.Status, d.Descriptions)
	}
	for _, l := range inv.Licenses {
		fmt.Printf("%s: %s %s %s until %s, devices %v\n", l.ID, l.Application, l.Type, l.State, l.Expires.Format(time.DateOnly), l.ActiveDevices)
	}
	fmt.Printf("Office 365: %d protected mailboxes\n", inv.Office365.ProtectedMailboxes)
	// Output:
	// Contoso (company)
	// DC-01: Windows servers, mobile false, OK []
	// LAPTOP-7: Windows workstations, mobile false, Critical [{databases-outdated Databases are out of date}]
	// Pixel: Non-Windows devices, mobile true, OK []
	// l-1: kes-cloud-plus commercial active until 2027-06-30, devices [d-2 d-3]
	// Office 365: 18 protected mailboxes
}

func ExampleClient_Devices() {
	srv := fakeHub()
	defer srv.Close()
	c, err := hub.NewClient(srv.URL, hub.WithHTTPClient(srv.Client()), hub.WithPageSize(2),
		hub.WithCredentials(hub.Credentials{Email: "msp@example.com", Password: "secret"}))
	if err != nil {
		log.Fatal(err)
	}
	for d, err := range c.Devices(context.Background(), "c-1") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(d.ID, d.Platform, d.Kind)
	}
	fmt.Println("pages:", srv.Requests("GET", "/api/v1/companies/c-1/devices"))
	// Output:
	// d-1 windows server
	// d-2 windows workstation
	// d-3 android mobile
	// pages: 2
}
