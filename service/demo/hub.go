package demo

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hub"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hubtest"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// Email is the user of the fake Business Hub (with Password).
const Email = "msp@example.com"

// NewHub starts and seeds a fake Business Hub (the module's own contract):
// Contoso has KES Cloud Plus for 12 users, each with a laptop and some with
// phones, one user with a desktop and 5 phones, and Office 365 protection of 40
// mailboxes; Fabrikam has 8 users on KES Cloud Plus, one of whose laptops has
// out-of-date databases, and an Office 365 license issue.
func NewHub(now time.Time) (*hubtest.Server, error) {
	h := hubtest.NewServer(hubtest.WithTLS())
	h.AddUser(Email, Password)
	var errs []error
	try := func(err error) { errs = append(errs, err) }
	try(h.AddCompany(hubtest.Company{ID: "co-contoso", Name: "Contoso"}))
	try(h.AddCompany(hubtest.Company{ID: "co-fabrikam", Name: "Fabrikam"}))
	ok := func() (string, []hubtest.StatusDescription) { return "ok", nil }

	var contosoUsers []string
	for u := range 12 {
		user := fmt.Sprintf("contoso-u%02d", u)
		contosoUsers = append(contosoUsers, user)
		status, descs := ok()
		try(h.AddDevice("co-contoso", hubtest.Device{ID: user + "-laptop", Name: fmt.Sprintf("CON-LT-%02d", u), Platform: "windows",
			Kind: "workstation", UserID: user, Status: status, StatusDescriptions: descs}))
		if u%3 == 0 {
			try(h.AddDevice("co-contoso", hubtest.Device{ID: user + "-phone", Name: fmt.Sprintf("CON-PH-%02d", u), Platform: "android",
				Kind: "mobile", UserID: user, Status: "ok"}))
		}
	}
	// The reception user: a desktop and 5 shared phones count as 3 users.
	contosoUsers = append(contosoUsers, "contoso-reception")
	try(h.AddDevice("co-contoso", hubtest.Device{ID: "reception-desktop", Name: "CON-RECEPTION", Platform: "windows", Kind: "workstation",
		UserID: "contoso-reception", Status: "ok"}))
	for p := range 5 {
		try(h.AddDevice("co-contoso", hubtest.Device{ID: fmt.Sprintf("reception-phone-%d", p), Name: fmt.Sprintf("CON-RPH-%d", p),
			Platform: "ios", Kind: "mobile", UserID: "contoso-reception", Status: "ok"}))
	}
	try(h.AddLicense("co-contoso",
		hubtest.License{ID: "l-c1", Product: "kes-cloud-plus", Type: "subscription", State: "active", ExpiresAt: now.AddDate(0, 3, 0), Capacity: 20, Users: contosoUsers},
		hubtest.License{ID: "l-c2", Product: "office365", Type: "commercial", State: "active", ExpiresAt: now.AddDate(1, 0, 0), Capacity: 50, Mailboxes: 50},
		hubtest.License{ID: "l-c3", Product: "kes-cloud-pro", Type: "trial", State: "active", ExpiresAt: now.AddDate(0, 0, 20), Capacity: 5, Users: contosoUsers[:5]},
	))
	try(h.SetOffice365Status("co-contoso", hubtest.Office365Status{MailboxesProtected: true, LicenseOK: true, ProtectedMailboxes: 40}))
	try(h.AddOffice365Event("co-contoso", hubtest.Office365Event{ID: "m-1", Time: now.Add(-time.Hour), Type: "phishing",
		Description: "Phishing message quarantined in ceo@contoso.example"}))

	var fabUsers []string
	for u := range 8 {
		user := fmt.Sprintf("fabrikam-u%02d", u)
		fabUsers = append(fabUsers, user)
		d := hubtest.Device{ID: user + "-laptop", Name: fmt.Sprintf("FAB-LT-%02d", u), Platform: "windows", Kind: "workstation", UserID: user, Status: "ok"}
		if u == 3 {
			d.Status = "warning"
			d.StatusDescriptions = []hubtest.StatusDescription{{Code: "databases-outdated", Text: "Databases are out of date"}}
		}
		try(h.AddDevice("co-fabrikam", d))
	}
	try(h.AddLicense("co-fabrikam",
		hubtest.License{ID: "l-f1", Product: "kes-cloud-plus", Type: "commercial", State: "active", ExpiresAt: now.AddDate(1, 0, 0), Capacity: 10, Users: fabUsers},
		hubtest.License{ID: "l-f2", Product: "office365", Type: "subscription", State: "paused", ExpiresAt: now.AddDate(1, 0, 0), Capacity: 10, Mailboxes: 10},
	))
	try(h.SetOffice365Status("co-fabrikam", hubtest.Office365Status{MailboxesProtected: true, LicenseOK: false, ProtectedMailboxes: 0}))
	try(h.AddOffice365Event("co-fabrikam", hubtest.Office365Event{ID: "m-2", Time: now.Add(-30 * time.Minute), Type: "license-issue",
		Description: "The Office 365 subscription is paused", Active: true}))
	for _, err := range errs {
		if err != nil {
			h.Close()
			return nil, err
		}
	}
	return h, nil
}

func hubConsole(now time.Time, log *slog.Logger, client HTTPClientFunc) (*Console, error) {
	h, err := NewHub(now)
	if err != nil {
		return nil, err
	}
	c, err := hub.NewClient(h.URL, hub.WithCredentials(hub.Credentials{Email: Email, Password: Password}),
		hub.WithHTTPClient(client("hub", h.CertPool())), hub.WithLogger(log))
	if err != nil {
		h.Close()
		return nil, err
	}
	return &Console{
		Source: hub.NewSource(c),
		PriceBook: mapping.PriceBook{Apps: []mapping.AppItems{
			mapping.SingleItem(kaspersky.AppKESCloudPlus, "KESC-PLUS"),
			mapping.SingleItem(kaspersky.AppOffice365, "KSMO365"),
		}},
		Change: func() string {
			// FAB-LT-03's databases are updated; Fabrikam's Office 365 subscription resumes.
			var devs []hubtest.Device
			for u := range 8 {
				user := fmt.Sprintf("fabrikam-u%02d", u)
				devs = append(devs, hubtest.Device{ID: user + "-laptop", Name: fmt.Sprintf("FAB-LT-%02d", u), Platform: "windows",
					Kind: "workstation", UserID: user, Status: "ok"})
			}
			_ = h.SetDevices("co-fabrikam", devs...)
			_ = h.SetOffice365Status("co-fabrikam", hubtest.Office365Status{MailboxesProtected: true, LicenseOK: true, ProtectedMailboxes: 10})
			return "FAB-LT-03's databases updated, Fabrikam's Office 365 license issue resolved"
		},
		Close: h.Close,
	}, nil
}
