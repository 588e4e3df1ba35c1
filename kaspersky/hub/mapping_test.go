package hub

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

func TestCategoryAndMobile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		platform, kind string
		cat            kaspersky.Category
		mobile         bool
	}{
		{"windows", "workstation", kaspersky.WindowsWorkstation, false},
		{"Windows", " Server ", kaspersky.WindowsServer, false},
		{"windows", "mobile", kaspersky.NonWindows, true},
		{"windows", "kiosk", kaspersky.NonWindows, false},
		{"macos", "workstation", kaspersky.NonWindows, false},
		{"linux", "server", kaspersky.NonWindows, false},
		{"android", "mobile", kaspersky.NonWindows, true},
		{"ios", "", kaspersky.NonWindows, true},
		{"android", "workstation", kaspersky.NonWindows, false},
		{"", "", kaspersky.NonWindows, false},
	}
	for _, tt := range tests {
		d := Device{Platform: tt.platform, Kind: tt.kind}
		if got := CategoryOf(d); got != tt.cat {
			t.Errorf("CategoryOf(%q, %q) = %v, want %v", tt.platform, tt.kind, got, tt.cat)
		}
		if got := IsMobile(d); got != tt.mobile {
			t.Errorf("IsMobile(%q, %q) = %v, want %v", tt.platform, tt.kind, got, tt.mobile)
		}
	}
}

func TestLevelOf(t *testing.T) {
	t.Parallel()
	one := []StatusDescription{{Code: "x"}}
	tests := []struct {
		status string
		descs  []StatusDescription
		want   kaspersky.StatusLevel
	}{
		{"ok", nil, kaspersky.StatusOK},
		{"OK", one, kaspersky.StatusOK},
		{"warning", nil, kaspersky.StatusWarning},
		{"critical", nil, kaspersky.StatusCritical},
		{"purple", nil, kaspersky.StatusOK},
		{"purple", one, kaspersky.StatusWarning},
		{"", one, kaspersky.StatusWarning},
	}
	for _, tt := range tests {
		if got := LevelOf(Device{Status: tt.status, StatusDescriptions: tt.descs}); got != tt.want {
			t.Errorf("LevelOf(%q, %d descriptions) = %v, want %v", tt.status, len(tt.descs), got, tt.want)
		}
	}
}

func TestDescriptionsOf(t *testing.T) {
	t.Parallel()
	known := func(c kaspersky.StatusCode) kaspersky.StatusDescription {
		s, _ := kaspersky.LookupStatus(c)
		return s
	}
	in := []StatusDescription{
		{Code: "databases-outdated", Text: "whatever the hub says"},
		{Code: "RTP_DISABLED", Text: "rtp off"},
		{Code: "security-application-not-running"},
		{Code: "no-connection"},
		{Code: "invalid-encryption-status"},
		{Code: "license-expired"},
		{Code: "status-defined-by-application"},
		{Code: "databases-out-of-date", Text: "duplicate of the first"},
		{Code: "Cloud Sync Lagging", Text: "Cloud sync is lagging"},
		{Code: "brand-new"},
		{Text: "Firewall is off!"},
		{},
	}
	want := []kaspersky.StatusDescription{
		known(kaspersky.StatusDatabasesOutdated),
		known(kaspersky.StatusRTPNotRunning),
		known(kaspersky.StatusAppNotRunning),
		known(kaspersky.StatusNotConnected),
		known(kaspersky.StatusInvalidEncryption),
		known(kaspersky.StatusLicenseExpired),
		known(kaspersky.StatusDefinedByApp),
		{Code: "cloud-sync-lagging", Text: "Cloud sync is lagging"},
		{Code: "brand-new", Text: "brand-new"},
		{Code: "firewall-is-off", Text: "Firewall is off!"},
	}
	if d := cmp.Diff(want, DescriptionsOf(Device{StatusDescriptions: in})); d != "" {
		t.Errorf("descriptions (-want +got):\n%s", d)
	}
}

func TestLicenseEnums(t *testing.T) {
	t.Parallel()
	apps := map[string]kaspersky.AppID{
		"kes-cloud": kaspersky.AppKESCloud, "kes-cloud-plus": kaspersky.AppKESCloudPlus,
		"KES_Cloud_Pro": kaspersky.AppKESCloudPro, "office365": kaspersky.AppOffice365,
		"Kaspersky Endpoint Security Cloud Plus": kaspersky.AppKESCloudPlus,
		"kes-cloud-ultra":                        "x-kes-cloud-ultra",
	}
	for in, want := range apps {
		if got := ApplicationOf(in); got != want {
			t.Errorf("ApplicationOf(%q) = %q, want %q", in, got, want)
		}
	}
	types := map[string]kaspersky.KeyType{
		"commercial": kaspersky.KeyCommercial, "trial": kaspersky.KeyTrial, "Subscription": kaspersky.KeySubscription,
		"beta": kaspersky.KeyUnknown, "": kaspersky.KeyUnknown, "free": kaspersky.KeyUnknown,
	}
	for in, want := range types {
		if got := KeyTypeOf(in); got != want {
			t.Errorf("KeyTypeOf(%q) = %v, want %v", in, got, want)
		}
	}
	states := map[string]kaspersky.LicenseState{
		"active": kaspersky.StateActive, "paused": kaspersky.StatePaused, "suspended": kaspersky.StatePaused,
		"cancelled": kaspersky.StateCancelled, "canceled": kaspersky.StateCancelled,
		"soft_cancelled": kaspersky.StateSoftCancelled, "": kaspersky.StateUnspecified,
	}
	for in, want := range states {
		got, err := StateOf(in)
		if err != nil || got != want {
			t.Errorf("StateOf(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := StateOf("grace"); !errors.Is(err, ErrUnexpectedValue) || err.Error() != `hub: unexpected value: state "grace" is not active, paused or cancelled` {
		t.Errorf("StateOf(grace) err = %v", err)
	}
}

func TestLicenseOf(t *testing.T) {
	t.Parallel()
	devices := []Device{{ID: "d1", UserID: "u1"}, {ID: "d2"}, {ID: "d3", UserID: "u2"}, {ID: "d4", UserID: "u1"}}
	local := time.Date(2027, 1, 1, 12, 0, 0, 0, time.FixedZone("X", 3600))
	got, err := LicenseOf(License{ID: "l", Product: "kes-cloud", Type: "commercial", State: "active",
		ExpiresAt: local, Capacity: -4, Users: []string{"u1", "nobody"}, Mailboxes: -1}, devices)
	must(t, err)
	want := kaspersky.License{ID: "l", Application: kaspersky.AppKESCloud, ProductName: "kes-cloud",
		Type: kaspersky.KeyCommercial, State: kaspersky.StateActive, Expires: local.UTC(),
		Users: []string{"u1", "nobody"}, ActiveDevices: []string{"d1", "d4"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("license (-want +got):\n%s", d)
	}
	if got.Expires.Location() != time.UTC {
		t.Errorf("Expires not in UTC: %v", got.Expires)
	}
}

func TestSeverityOf(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]kaspersky.Severity{
		"info": kaspersky.SeverityInfo, "warning": kaspersky.SeverityWarning,
		"functional-failure": kaspersky.SeverityFunctionalFailure, "Functional_Failure": kaspersky.SeverityFunctionalFailure,
		"critical": kaspersky.SeverityCritical, "catastrophic": kaspersky.SeverityNone, "": kaspersky.SeverityNone,
	} {
		if got := SeverityOf(in); got != want {
			t.Errorf("SeverityOf(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestOffice365EventOfEveryType(t *testing.T) {
	t.Parallel()
	for _, k := range kaspersky.Office365EventTypes {
		for _, active := range []bool{true, false} {
			got := Office365EventOf("c", Office365Event{ID: "9", Type: string(k.Type), Active: active})
			if got.O365Type != k.Type || got.TypeName != k.Text || got.Active != active || got.ID != "o365:9" ||
				got.Origin != kaspersky.OriginOffice365 || got.Severity != kaspersky.SeverityNone {
				t.Errorf("%s active=%v: %+v", k.Type, active, got)
			}
		}
	}
	got := Office365EventOf("c", Office365Event{ID: "1", Type: "Quarantine-Full"})
	if got.O365Type != "quarantine-full" || got.TypeName != "Quarantine-Full" || got.O365Type.IsCondition() {
		t.Errorf("unknown type: %+v", got)
	}
}
