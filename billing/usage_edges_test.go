package billing

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// TestCountEdgeCases counts inventories at the edges of the rules: keys of one
// application that overlap, expire exactly now or hold no state; per-user
// seats with many phones; Office 365 without a billable license; devices
// listed twice or unknown to the inventory. A reused Counter agrees with Count.
func TestCountEdgeCases(t *testing.T) {
	t.Parallel()
	dev := func(id string, cat kaspersky.Category, user string, mobile bool) kaspersky.Device {
		return kaspersky.Device{ID: id, Category: cat, UserID: user, Mobile: mobile}
	}
	lic := func(app kaspersky.AppID, typ kaspersky.KeyType, st kaspersky.LicenseState, exp time.Time, active ...string) kaspersky.License {
		return kaspersky.License{Application: app, Type: typ, State: st, Expires: exp, ActiveDevices: active}
	}
	future := now.AddDate(0, 1, 0)
	tests := []struct {
		name string
		inv  kaspersky.Inventory
		want []Usage
	}{
		{"expired and active key on one device", kaspersky.Inventory{
			Devices: []kaspersky.Device{dev("d1", kaspersky.WindowsWorkstation, "", false)},
			Licenses: []kaspersky.License{
				lic(kaspersky.AppKESBAdvanced, kaspersky.KeyCommercial, 0, now.Add(-time.Hour), "d1"),
				lic(kaspersky.AppKESBAdvanced, kaspersky.KeyCommercial, kaspersky.StateActive, future, "d1"),
			}}, []Usage{{kaspersky.AppKESBAdvanced, kaspersky.WindowsWorkstation, 1}}},
		{"subscription unspecified", kaspersky.Inventory{
			Devices:  []kaspersky.Device{dev("d1", kaspersky.WindowsWorkstation, "", false)},
			Licenses: []kaspersky.License{lic(kaspersky.AppKESBAdvanced, kaspersky.KeySubscription, 0, future, "d1")}}, nil},
		{"expires now", kaspersky.Inventory{
			Devices:  []kaspersky.Device{dev("d1", kaspersky.WindowsWorkstation, "", false)},
			Licenses: []kaspersky.License{lic(kaspersky.AppKESBAdvanced, kaspersky.KeyCommercial, 0, now, "d1")}}, nil},
		{"user with 3 desktops and 5 phones", kaspersky.Inventory{
			Devices: []kaspersky.Device{dev("a", 1, "u", false), dev("b", 1, "u", false), dev("c", 1, "u", false),
				dev("p1", 3, "u", true), dev("p2", 3, "u", true), dev("p3", 3, "u", true), dev("p4", 3, "u", true), dev("p5", 3, "u", true)},
			Licenses: []kaspersky.License{{Application: kaspersky.AppKESCloudPlus, Type: kaspersky.KeySubscription, State: kaspersky.StateActive, Expires: future, Users: []string{"u"}, ActiveDevices: []string{"a", "p1"}}}},
			[]Usage{{kaspersky.AppKESCloudPlus, 0, 3}}},
		{"user with 1 desktop and 5 phones", kaspersky.Inventory{
			Devices: []kaspersky.Device{dev("a", 1, "u", false),
				dev("p1", 3, "u", true), dev("p2", 3, "u", true), dev("p3", 3, "u", true), dev("p4", 3, "u", true), dev("p5", 3, "u", true)},
			Licenses: []kaspersky.License{{Application: kaspersky.AppKESCloudPlus, Type: kaspersky.KeySubscription, State: kaspersky.StateActive, Expires: future, Users: []string{"u"}}}},
			[]Usage{{kaspersky.AppKESCloudPlus, 0, 3}}},
		{"office365 without billable license", kaspersky.Inventory{
			Office365: &kaspersky.Office365Status{ProtectedMailboxes: 40},
			Licenses:  []kaspersky.License{{Application: kaspersky.AppOffice365, Type: kaspersky.KeyTrial, Expires: future}}}, nil},
		{"office365 billable", kaspersky.Inventory{
			Office365: &kaspersky.Office365Status{ProtectedMailboxes: 40},
			Licenses:  []kaspersky.License{{Application: kaspersky.AppOffice365, Type: kaspersky.KeyCommercial, Expires: future, Mailboxes: 50}}},
			[]Usage{{kaspersky.AppOffice365, 0, 40}}},
		{"office365 two licenses", kaspersky.Inventory{
			Office365: &kaspersky.Office365Status{ProtectedMailboxes: 40},
			Licenses: []kaspersky.License{{Application: kaspersky.AppOffice365, Type: kaspersky.KeyCommercial, Expires: future, Mailboxes: 50},
				{Application: kaspersky.AppOffice365, Type: kaspersky.KeySubscription, State: kaspersky.StateActive, Expires: future, Mailboxes: 50}}},
			[]Usage{{kaspersky.AppOffice365, 0, 40}}},
		{"reserve only", kaspersky.Inventory{
			Devices:  []kaspersky.Device{dev("d1", kaspersky.WindowsServer, "", false)},
			Licenses: []kaspersky.License{{Application: kaspersky.AppKESBAdvanced, Type: kaspersky.KeyCommercial, Expires: future, ReserveDevices: []string{"d1"}}}}, nil},
		{"product name only", kaspersky.Inventory{
			Devices:  []kaspersky.Device{dev("d1", kaspersky.WindowsServer, "", false)},
			Licenses: []kaspersky.License{{ProductName: "Kaspersky Endpoint Security for Business - Advanced", Type: kaspersky.KeyCommercial, Expires: future, ActiveDevices: []string{"d1"}}}},
			[]Usage{{kaspersky.AppKESBAdvanced, kaspersky.WindowsServer, 1}}},
		{"same device listed twice in a key", kaspersky.Inventory{
			Devices:  []kaspersky.Device{dev("d1", kaspersky.WindowsServer, "", false)},
			Licenses: []kaspersky.License{lic(kaspersky.AppKESBAdvanced, kaspersky.KeyCommercial, 0, future, "d1", "d1", "ghost", "ghost")}},
			[]Usage{{kaspersky.AppKESBAdvanced, 0, 1}, {kaspersky.AppKESBAdvanced, kaspersky.WindowsServer, 1}}},
	}
	var c Counter
	for _, tt := range tests {
		got := Count(&tt.inv, now)
		if d := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("%s: Count (-want +got):\n%s", tt.name, d)
		}
		got = c.Count(&tt.inv, now)
		if d := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("%s: reused Counter (-want +got):\n%s", tt.name, d)
		}
	}
}
