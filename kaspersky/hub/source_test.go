package hub

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hubtest"
)

var t0 = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)

// seedContoso gives company c1 Windows workstations, a Windows server, a Mac,
// two phones of one user, licenses of every product, type and state, Office 365
// status and events of both streams.
func seedContoso(t *testing.T, srv *hubtest.Server) {
	t.Helper()
	must(t, srv.AddCompany(hubtest.Company{ID: "c1", Name: "Contoso"}))
	must(t, srv.AddCompany(hubtest.Company{ID: "c2", Name: "Fabrikam"}))
	must(t, srv.AddDevice("c1",
		hubtest.Device{ID: "d1", Name: "WS-01", Platform: "windows", Kind: "workstation", UserID: "u1", Status: "ok"},
		hubtest.Device{ID: "d2", Name: "WS-02", Platform: "windows", Kind: "workstation", UserID: "u2", Status: "warning",
			StatusDescriptions: []hubtest.StatusDescription{
				{Code: "databases-outdated", Text: "Databases are outdated"},
				{Code: "real-time-protection-disabled", Text: "Real-time protection is off"},
			}},
		hubtest.Device{ID: "d3", Name: "SRV-01", Platform: "windows", Kind: "server", Status: "critical",
			StatusDescriptions: []hubtest.StatusDescription{
				{Code: "app-not-installed", Text: "Security application is not installed"},
				{Code: "disk-encryption-paused", Text: "Disk encryption paused by user"},
			}},
		hubtest.Device{ID: "d4", Name: "MAC-01", Platform: "macos", Kind: "workstation", UserID: "u3", Status: "ok"},
		hubtest.Device{ID: "d5", Name: "Phone A", Platform: "android", Kind: "mobile", UserID: "u1", Status: "ok"},
		hubtest.Device{ID: "d6", Name: "Phone B", Platform: "ios", Kind: "mobile", UserID: "u1", Status: "ok"},
	))
	exp := t0.AddDate(1, 0, 0)
	must(t, srv.AddLicense("c1",
		hubtest.License{ID: "l1", Product: "kes-cloud", Type: "commercial", State: "active", ExpiresAt: exp, Capacity: 10, Users: []string{"u1", "u2"}},
		hubtest.License{ID: "l2", Product: "kes-cloud-plus", Type: "trial", State: "paused", Capacity: 5, Users: []string{"u3"}},
		hubtest.License{ID: "l3", Product: "kes-cloud-pro", Type: "subscription", State: "cancelled", ExpiresAt: exp, Capacity: 3},
		hubtest.License{ID: "l4", Product: "office365", Type: "subscription", State: "active", Capacity: 50, Mailboxes: 42},
		hubtest.License{ID: "l5", Product: "kes-cloud", Type: "Trial", State: "active", Users: []string{"u9"}},
	))
	must(t, srv.SetOffice365Status("c1", hubtest.Office365Status{MailboxesProtected: false, LicenseOK: true, ProtectedMailboxes: 42}))
	must(t, srv.AddEvent("c1",
		hubtest.Event{ID: "e1", Time: t0.Add(time.Hour), Severity: "critical", Type: "malware-detected", DeviceID: "d1", Description: "Trojan found"},
		hubtest.Event{ID: "e2", Time: t0.Add(3 * time.Hour), Severity: "functional-failure", Type: "update-failed", DeviceID: "d3", Description: "Update failed"},
		hubtest.Event{ID: "e3", Time: t0.Add(-time.Hour), Severity: "info", Type: "old", Description: "before since"},
		hubtest.Event{ID: "e4", Time: t0.Add(4 * time.Hour), Severity: "warning", Type: "scan-skipped", DeviceID: "d2", Description: "Scan skipped"},
		hubtest.Event{ID: "e5", Time: t0.Add(5 * time.Hour), Severity: "info", Type: "scan-done", DeviceID: "d2", Description: "Scan done"},
	))
	must(t, srv.AddOffice365Event("c1",
		hubtest.Office365Event{ID: "e1", Time: t0.Add(2 * time.Hour), Type: "mailboxes-not-protected", Description: "3 mailboxes unprotected", Active: true},
		hubtest.Office365Event{ID: "e2", Time: t0.Add(3 * time.Hour), Type: "license-issue", Description: "License problem", Active: false},
		hubtest.Office365Event{ID: "e3", Time: t0.Add(6 * time.Hour), Type: "phishing", Description: "Phishing in ceo@"},
	))
}

func TestSourceTenants(t *testing.T) {
	t.Parallel()
	e := setup(t)
	seedContoso(t, e.srv)
	got, err := NewSource(e.c).Tenants(t.Context())
	must(t, err)
	want := []kaspersky.Tenant{
		{ID: "c1", Name: "Contoso", Kind: kaspersky.KindCompany},
		{ID: "c2", Name: "Fabrikam", Kind: kaspersky.KindCompany},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("tenants (-want +got):\n%s", d)
	}
}

func TestSourceInventory(t *testing.T) {
	t.Parallel()
	e := setup(t, WithPageSize(2)) // several pages of devices and licenses
	seedContoso(t, e.srv)
	src := NewSource(e.c)
	got, err := src.Inventory(t.Context(), "c1")
	must(t, err)
	dev := func(id, name string, cat kaspersky.Category, mobile bool, user string, lvl kaspersky.StatusLevel, ds ...kaspersky.StatusDescription) kaspersky.Device {
		return kaspersky.Device{ID: id, TenantID: "c1", Name: name, Category: cat, Mobile: mobile, UserID: user, Status: lvl, Descriptions: ds}
	}
	known := func(c kaspersky.StatusCode) kaspersky.StatusDescription {
		s, ok := kaspersky.LookupStatus(c)
		if !ok {
			t.Fatalf("unknown status %q", c)
		}
		return s
	}
	exp := t0.AddDate(1, 0, 0)
	want := kaspersky.Inventory{
		Tenant: kaspersky.Tenant{ID: "c1", Name: "Contoso", Kind: kaspersky.KindCompany},
		Devices: []kaspersky.Device{
			dev("d1", "WS-01", kaspersky.WindowsWorkstation, false, "u1", kaspersky.StatusOK),
			dev("d2", "WS-02", kaspersky.WindowsWorkstation, false, "u2", kaspersky.StatusWarning,
				known(kaspersky.StatusDatabasesOutdated), known(kaspersky.StatusRTPNotRunning)),
			dev("d3", "SRV-01", kaspersky.WindowsServer, false, "", kaspersky.StatusCritical,
				known(kaspersky.StatusAppNotInstalled),
				kaspersky.StatusDescription{Code: "disk-encryption-paused", Text: "Disk encryption paused by user"}),
			dev("d4", "MAC-01", kaspersky.NonWindows, false, "u3", kaspersky.StatusOK),
			dev("d5", "Phone A", kaspersky.NonWindows, true, "u1", kaspersky.StatusOK),
			dev("d6", "Phone B", kaspersky.NonWindows, true, "u1", kaspersky.StatusOK),
		},
		Licenses: []kaspersky.License{
			{ID: "l1", Application: kaspersky.AppKESCloud, ProductName: "kes-cloud", Type: kaspersky.KeyCommercial, State: kaspersky.StateActive,
				Expires: exp, Capacity: 10, Users: []string{"u1", "u2"}, ActiveDevices: []string{"d1", "d2", "d5", "d6"}},
			{ID: "l2", Application: kaspersky.AppKESCloudPlus, ProductName: "kes-cloud-plus", Type: kaspersky.KeyTrial, State: kaspersky.StatePaused,
				Capacity: 5, Users: []string{"u3"}, ActiveDevices: []string{"d4"}},
			{ID: "l3", Application: kaspersky.AppKESCloudPro, ProductName: "kes-cloud-pro", Type: kaspersky.KeySubscription, State: kaspersky.StateCancelled,
				Expires: exp, Capacity: 3},
			{ID: "l4", Application: kaspersky.AppOffice365, ProductName: "office365", Type: kaspersky.KeySubscription, State: kaspersky.StateActive,
				Capacity: 50, Mailboxes: 42},
			{ID: "l5", Application: kaspersky.AppKESCloud, ProductName: "kes-cloud", Type: kaspersky.KeyTrial, State: kaspersky.StateActive,
				Users: []string{"u9"}},
		},
		Office365: &kaspersky.Office365Status{MailboxesProtected: false, LicenseOK: true, ProtectedMailboxes: 42},
		ReadAt:    e.clock.Now(),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("inventory (-want +got):\n%s", d)
	}
	// A company without Office 365 has no status; an unknown one is an error.
	inv2, err := src.Inventory(t.Context(), "c2")
	must(t, err)
	if inv2.Office365 != nil || len(inv2.Devices) != 0 || inv2.Tenant.Name != "Fabrikam" {
		t.Errorf("c2 inventory = %+v", inv2)
	}
	if _, err := src.Inventory(t.Context(), "c9"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown company: err = %v, want ErrNotFound", err)
	}
}

func TestSourceInventoryLearnsNewCompany(t *testing.T) {
	t.Parallel()
	e := setup(t)
	src := NewSource(e.c)
	_, err := src.Tenants(t.Context())
	must(t, err)
	must(t, e.srv.AddCompany(hubtest.Company{ID: "new", Name: "Newco"}))
	inv, err := src.Inventory(t.Context(), "new")
	must(t, err)
	if inv.Tenant.Name != "Newco" {
		t.Errorf("tenant = %+v", inv.Tenant)
	}
	if n := e.srv.Requests("GET", "/api/v1/companies"); n != 2 {
		t.Errorf("company lists = %d, want 2", n)
	}
}

func TestSourceInventoryErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(*hubtest.Server)
		want  error
		text  string
	}{
		{"unknown license state", func(s *hubtest.Server) {
			_ = s.AddLicense("c1", hubtest.License{ID: "lx", Product: "kes-cloud", Type: "commercial", State: "frozen"})
		}, ErrUnexpectedValue, `license "lx": hub: unexpected value: state "frozen"`},
		{"devices fail", func(s *hubtest.Server) {
			s.InjectFault(hubtest.Fault{Path: "/api/v1/companies/c1/devices", Status: 400, Code: "bad"})
		}, nil, "devices: hub: GET /api/v1/companies/c1/devices: HTTP 400"},
		{"licenses fail", func(s *hubtest.Server) {
			s.InjectFault(hubtest.Fault{Path: "/api/v1/companies/c1/licenses", Status: 403})
		}, nil, "licenses: hub: GET"},
		{"status fails", func(s *hubtest.Server) {
			s.InjectFault(hubtest.Fault{Path: "/api/v1/companies/c1/office365/status", Status: 500})
		}, nil, "Office 365 status: hub: GET"},
		{"companies fail", func(s *hubtest.Server) {
			s.InjectFault(hubtest.Fault{Path: "/api/v1/companies", Status: 500})
		}, nil, "companies: hub: GET /api/v1/companies: HTTP 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			seedContoso(t, e.srv)
			tt.setup(e.srv)
			_, err := NewSource(e.c).Inventory(t.Context(), "c1")
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("err = %v, want %v containing %q", err, tt.want, tt.text)
			}
		})
	}
}

func TestSourceEvents(t *testing.T) {
	t.Parallel()
	e := setup(t, WithPageSize(2))
	seedContoso(t, e.srv)
	got, err := NewSource(e.c).Events(t.Context(), "c1", t0)
	must(t, err)
	kes := func(id string, h int, sev kaspersky.Severity, typ, dev, text string) kaspersky.Event {
		names := map[string]string{"d1": "WS-01", "d2": "WS-02", "d3": "SRV-01"}
		return kaspersky.Event{ID: "kes:" + id, TenantID: "c1", DeviceID: dev, DeviceName: names[dev], Origin: kaspersky.OriginKESCloud, Severity: sev,
			Type: typ, TypeName: typ, Time: t0.Add(time.Duration(h) * time.Hour), Text: text}
	}
	o365 := func(id string, h int, typ kaspersky.Office365EventType, name, text string, active bool) kaspersky.Event {
		return kaspersky.Event{ID: "o365:" + id, TenantID: "c1", Origin: kaspersky.OriginOffice365, O365Type: typ,
			Type: string(typ), TypeName: name, Time: t0.Add(time.Duration(h) * time.Hour), Text: text, Active: active}
	}
	want := []kaspersky.Event{
		kes("e1", 1, kaspersky.SeverityCritical, "malware-detected", "d1", "Trojan found"),
		o365("e1", 2, kaspersky.O365MailboxesNotProtected, "Mailboxes protection is not provided", "3 mailboxes unprotected", true),
		kes("e2", 3, kaspersky.SeverityFunctionalFailure, "update-failed", "d3", "Update failed"),
		o365("e2", 3, kaspersky.O365LicenseIssue, "License-related issue occurred", "License problem", false),
		kes("e4", 4, kaspersky.SeverityWarning, "scan-skipped", "d2", "Scan skipped"),
		kes("e5", 5, kaspersky.SeverityInfo, "scan-done", "d2", "Scan done"),
		o365("e3", 6, kaspersky.O365Phishing, "Phishing detected in a mailbox", "Phishing in ceo@", false),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
	if n := e.srv.Requests("GET", "/api/v1/companies/c1/events"); n != 2 {
		t.Errorf("KES event pages = %d, want 2", n)
	}
	all, err := NewSource(e.c).Events(t.Context(), "c1", time.Time{})
	must(t, err)
	if len(all) != len(want)+1 || all[0].ID != "kes:e3" {
		t.Errorf("without since: %d events, first %q", len(all), all[0].ID)
	}
}

// TestSourceEventsWithoutDeviceNames: when the devices cannot be listed, the
// events still come, with their device ids.
func TestSourceEventsWithoutDeviceNames(t *testing.T) {
	t.Parallel()
	e := setup(t)
	seedContoso(t, e.srv)
	e.srv.InjectFault(hubtest.Fault{Path: "/api/v1/companies/c1/devices", Status: 404, Code: "gone"})
	got, err := NewSource(e.c).Events(t.Context(), "c1", t0)
	must(t, err)
	if len(got) == 0 || got[0].DeviceID != "d1" || got[0].DeviceName != "" {
		t.Errorf("first event = %+v, want device d1 without a name", got[0])
	}
}

func TestSourceEventsErrors(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"/api/v1/companies/c1/events", "/api/v1/companies/c1/office365/events"} {
		e := setup(t)
		seedContoso(t, e.srv)
		e.srv.InjectFault(hubtest.Fault{Path: path, Status: 404, Code: "gone"})
		_, err := NewSource(e.c).Events(t.Context(), "c1", t0)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Path != path || !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: err = %v", path, err)
		}
	}
}

// TestSourceLogsValuesOutsideTheContract: a value outside the contract that
// neither bills nor closes orders by itself (a license product, an event
// severity, an Office 365 event type) is mapped tolerantly and logged once; a
// device status, platform or kind, or a license type outside the contract is
// an error for the company, since read tolerantly it would close the device's
// orders (OK), bill the device under another category (a Windows device of an
// unknown kind read as non-Windows) or drop the license's charges (a type that
// never bills).
func TestSourceLogsValuesOutsideTheContract(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	e := setup(t, WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	must(t, e.srv.AddCompany(hubtest.Company{ID: "c1", Name: "Contoso"}))
	must(t, e.srv.AddDevice("c1",
		hubtest.Device{ID: "d1", Platform: "macos", Kind: "workstation", Status: "ok"},
		hubtest.Device{ID: "d2", Platform: "Windows", Kind: " Server ", Status: "warning"},
	))
	must(t, e.srv.AddLicense("c1",
		hubtest.License{ID: "l1", Product: "kes-cloud", Type: "commercial", State: "active"},
		hubtest.License{ID: "l2", Product: "kes-cloud-ultra", Type: "trial", State: "active"},
		hubtest.License{ID: "l3", Product: "KES-Cloud-Ultra", Type: "trial", State: "active"},
	))
	must(t, e.srv.AddEvent("c1", hubtest.Event{ID: "e1", Time: t0, Severity: "fatal"}))
	must(t, e.srv.AddOffice365Event("c1", hubtest.Office365Event{ID: "o1", Time: t0, Type: "quarantine-full"}))
	inv, err := NewSource(e.c).Inventory(t.Context(), "c1")
	must(t, err)
	if inv.Devices[1].Status != kaspersky.StatusWarning || inv.Devices[1].Category != kaspersky.WindowsServer || inv.Licenses[0].Type != kaspersky.KeyCommercial {
		t.Errorf("mapping: %+v %+v", inv.Devices[1], inv.Licenses[0])
	}
	evs, err := NewSource(e.c).Events(t.Context(), "c1", time.Time{})
	must(t, err)
	if len(evs) != 2 || evs[0].Severity != kaspersky.SeverityNone {
		t.Errorf("events: %+v", evs)
	}
	log := buf.String()
	for _, want := range []string{
		`field="license product" value=kes-cloud-ultra`, `field="event severity" value=fatal`,
		`field="Office 365 event type" value=quarantine-full`,
	} {
		if strings.Count(log, want) != 1 {
			t.Errorf("log should hold %q once:\n%s", want, log)
		}
	}
	if strings.Contains(log, "device kind") || strings.Contains(log, "device platform") || strings.Contains(log, "device status") {
		t.Errorf("known values logged:\n%s", log)
	}

	// A status, a platform, a kind or a license type outside the contract
	// fails the inventory, naming the item, the field and the value; a
	// missing platform, or a Windows device's missing kind, too.
	windows := hubtest.Device{ID: "d1", Platform: "windows", Kind: "workstation", Status: "ok"}
	device := func(platform, kind string) func(srv *hubtest.Server) error {
		return func(srv *hubtest.Server) error {
			return srv.AddDevice("c2", windows, hubtest.Device{ID: "d2", Platform: platform, Kind: kind, Status: "ok", UserID: "u1"})
		}
	}
	for _, tt := range []struct {
		name string
		seed func(srv *hubtest.Server) error
		err  error
		want string
	}{
		{"device platform", device("ChromeOS", "workstation"), ErrUnexpectedValue,
			`device "d2": hub: unexpected value: platform "ChromeOS" is not windows, macos, linux, android or ios`},
		{"device kind on Windows", device("windows", "kiosk"), ErrUnexpectedValue,
			`device "d2": hub: unexpected value: kind "kiosk" is not workstation, server or mobile`},
		{"device kind on Android", device("android", "tablet"), ErrUnexpectedValue,
			`device "d2": hub: unexpected value: kind "tablet" is not workstation, server or mobile`},
		{"device platform missing", device(" ", "workstation"), ErrIncomplete,
			`device "d2": hub: list incomplete or malformed: platform is missing, null or empty`},
		{"device kind missing on Windows", device("windows", ""), ErrIncomplete,
			`device "d2": hub: list incomplete or malformed: kind is missing, null or empty on a Windows device`},
		{"device status", func(srv *hubtest.Server) error {
			return srv.AddDevice("c2", hubtest.Device{ID: "d1", Platform: "windows", Kind: "workstation", Status: "ok"},
				hubtest.Device{ID: "d2", Platform: "windows", Kind: "workstation", Status: "purple",
					StatusDescriptions: []hubtest.StatusDescription{{Code: "databases-outdated"}}})
		}, ErrUnexpectedValue, `device "d2": hub: unexpected value: status "purple" is not ok, warning or critical`},
		{"license type", func(srv *hubtest.Server) error {
			return srv.AddLicense("c2", hubtest.License{ID: "l1", Product: "kes-cloud", Type: "freebie", State: "active", Users: []string{"u1"}})
		}, ErrUnexpectedValue, `license "l1": hub: unexpected value: type "freebie" is not commercial, trial or subscription`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			must(t, e.srv.AddCompany(hubtest.Company{ID: "c2", Name: "Fabrikam"}))
			must(t, tt.seed(e.srv))
			inv, err := NewSource(e.c).Inventory(t.Context(), "c2")
			if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one wrapping %v naming %q", err, tt.err, tt.want)
			}
			if len(inv.Devices) != 0 || len(inv.Licenses) != 0 {
				t.Errorf("inventory %+v returned with the error", inv)
			}
		})
	}
}

// TestDeviceValuesOfTheContractRead: every platform and kind the contract
// defines, a kind left out on a platform other than Windows included, reads
// as before the check of values outside the contract, in any case and
// spacing.
func TestDeviceValuesOfTheContractRead(t *testing.T) {
	t.Parallel()
	e := setup(t)
	must(t, e.srv.AddCompany(hubtest.Company{ID: "c1", Name: "Contoso"}))
	var devs []hubtest.Device
	for _, p := range []string{"windows", "macos", "linux", "android", "ios", " Windows ", "iOS"} {
		for _, k := range []string{"workstation", "server", "mobile", "", "Server"} {
			if word(p) == "windows" && k == "" {
				continue
			}
			devs = append(devs, hubtest.Device{ID: fmt.Sprintf("d%d", len(devs)), Platform: p, Kind: k, Status: "ok"})
		}
	}
	must(t, e.srv.AddDevice("c1", devs...))
	inv, err := NewSource(e.c).Inventory(t.Context(), "c1")
	must(t, err)
	if len(inv.Devices) != len(devs) {
		t.Fatalf("%d devices read, want %d", len(inv.Devices), len(devs))
	}
	for i, d := range devs {
		hd := Device{Platform: d.Platform, Kind: d.Kind}
		got := inv.Devices[i]
		if got.ID != d.ID || got.Category != CategoryOf(hd) || got.Mobile != IsMobile(hd) {
			t.Errorf("%q/%q read as %+v, want category %v, mobile %v", d.Platform, d.Kind, got, CategoryOf(hd), IsMobile(hd))
		}
	}
}
