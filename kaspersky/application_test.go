package kaspersky

import (
	"testing"
	"time"
)

func TestApplicationByName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		want    AppID
		known   bool
		licence Licensing
	}{
		{"Kaspersky Endpoint Security for Business Advanced", AppKESBAdvanced, true, PerDevice},
		{"Kaspersky Endpoint Security for Business - Advanced", AppKESBAdvanced, true, PerDevice},
		{"  KASPERSKY endpoint security FOR business—advanced ", AppKESBAdvanced, true, PerDevice},
		{"Kaspersky Endpoint Security Cloud Plus", AppKESCloudPlus, true, PerUser},
		{"Kaspersky Security for Microsoft Office 365", AppOffice365, true, PerMailbox},
		{"Kaspersky Fancy New Thing 2.0", "x-kaspersky-fancy-new-thing-2-0", false, PerDevice},
		{"Лаборатория Касперского", "x-лаборатория-касперского", false, PerDevice},
	}
	for _, tt := range tests {
		got, known := ApplicationByName(tt.name)
		if got.ID != tt.want || known != tt.known || got.Licensing != tt.licence {
			t.Errorf("ApplicationByName(%q) = %q, %v, %v; want %q, %v, %v", tt.name, got.ID, known, got.Licensing, tt.want, tt.known, tt.licence)
		}
	}
}

func TestCatalogIDsAndNamesAreUnique(t *testing.T) {
	t.Parallel()
	ids := map[AppID]bool{}
	names := map[string]AppID{}
	for _, a := range Catalog {
		if ids[a.ID] {
			t.Errorf("duplicate id %q", a.ID)
		}
		ids[a.ID] = true
		for _, n := range append([]string{a.Name}, a.Aliases...) {
			k := NormalizeName(n)
			if prev, ok := names[k]; ok {
				t.Errorf("name %q of %q already belongs to %q", n, a.ID, prev)
			}
			names[k] = a.ID
		}
		if got, ok := LookupApplication(a.ID); !ok || got.Name != a.Name {
			t.Errorf("LookupApplication(%q) = %v, %v", a.ID, got, ok)
		}
	}
	if _, ok := LookupApplication("nope"); ok {
		t.Error("LookupApplication found an unknown id")
	}
}

func TestKnownStatusesAreTwentyUniqueCodes(t *testing.T) {
	t.Parallel()
	if len(KnownStatuses) != 20 {
		t.Fatalf("len = %d", len(KnownStatuses))
	}
	seen := map[StatusCode]bool{}
	for _, s := range KnownStatuses {
		if seen[s.Code] || s.Text == "" {
			t.Errorf("bad or duplicate status %+v", s)
		}
		seen[s.Code] = true
	}
	if s, ok := LookupStatus(StatusDatabasesOutdated); !ok || s != KnownStatuses[7] {
		t.Errorf("LookupStatus(databases) = %v, %v", s, ok)
	}
	d := Device{Descriptions: []StatusDescription{KnownStatuses[3]}}
	if !d.HasDescription(StatusManyViruses) || d.HasDescription(StatusDatabasesOutdated) {
		t.Error("HasDescription wrong")
	}
}

func TestLicenseExpiredAt(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		exp  time.Time
		want bool
	}{
		{time.Time{}, false},
		{now.Add(time.Second), false},
		{now, true},
		{now.Add(-time.Hour), true},
	} {
		l := License{Expires: tt.exp}
		if got := l.ExpiredAt(now); got != tt.want {
			t.Errorf("ExpiredAt(%v) with expiry %v = %v", now, tt.exp, got)
		}
	}
	if !O365LicenseIssue.IsCondition() || !O365MailboxesNotProtected.IsCondition() || O365Malware.IsCondition() {
		t.Error("IsCondition wrong")
	}
}

// TestPriceBookRule is the rule of how many price book items an application
// takes: three (one per device category) for a per-device application when
// the price book bills by category, one otherwise; per-user and per-mailbox
// applications always one.
func TestPriceBookRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		app        AppID
		licensing  Licensing
		singleOnly bool
		byCategory bool // when the price book bills by category
	}{
		{AppKESBAdvanced, PerDevice, false, true},
		{AppKESBSelect, PerDevice, false, true},
		{AppMailServer, PerDevice, false, true},
		{AppKESCloud, PerUser, true, false},
		{AppKESCloudPlus, PerUser, true, false},
		{AppKESCloudPro, PerUser, true, false},
		{AppOffice365, PerMailbox, true, false},
		{"x-new-thing", PerDevice, false, true}, // unknown products count devices
		{"", PerDevice, false, true},
	}
	for _, tt := range tests {
		if got := LicensingOf(tt.app); got != tt.licensing {
			t.Errorf("LicensingOf(%q) = %v, want %v", tt.app, got, tt.licensing)
		}
		if got := SingleItemOnly(tt.app); got != tt.singleOnly {
			t.Errorf("SingleItemOnly(%q) = %v, want %v", tt.app, got, tt.singleOnly)
		}
		if got := BilledByCategory(tt.app, true); got != tt.byCategory {
			t.Errorf("BilledByCategory(%q, true) = %v, want %v", tt.app, got, tt.byCategory)
		}
		if BilledByCategory(tt.app, false) {
			t.Errorf("BilledByCategory(%q, false) = true: with bill by category off every application takes one item", tt.app)
		}
	}
	for _, a := range Catalog {
		if SingleItemOnly(a.ID) != (a.Licensing != PerDevice) {
			t.Errorf("%s: SingleItemOnly disagrees with the catalog's licensing %v", a.ID, a.Licensing)
		}
	}
}
