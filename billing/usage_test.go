package billing

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

func TestCountSeedExample(t *testing.T) {
	t.Parallel()
	inv := seedInventory()
	got := Count(&inv, now)
	want := []Usage{
		{App: kaspersky.AppKESBAdvanced, Category: kaspersky.WindowsWorkstation, Quantity: 90},
		{App: kaspersky.AppKESBAdvanced, Category: kaspersky.WindowsServer, Quantity: 10},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Count (-want +got):\n%s", d)
	}
}

func TestBillable(t *testing.T) {
	t.Parallel()
	future, past := now.Add(time.Hour), now.Add(-time.Hour)
	tests := []struct {
		name    string
		typ     kaspersky.KeyType
		state   kaspersky.LicenseState
		expires time.Time
		want    bool
	}{
		{"commercial active", kaspersky.KeyCommercial, kaspersky.StateActive, future, true},
		{"commercial without state", kaspersky.KeyCommercial, kaspersky.StateUnspecified, future, true},
		{"commercial without expiry", kaspersky.KeyCommercial, kaspersky.StateActive, time.Time{}, true},
		{"commercial expired", kaspersky.KeyCommercial, kaspersky.StateActive, past, false},
		{"commercial expiring now", kaspersky.KeyCommercial, kaspersky.StateActive, now, false},
		{"commercial paused", kaspersky.KeyCommercial, kaspersky.StatePaused, future, false},
		{"commercial cancelled", kaspersky.KeyCommercial, kaspersky.StateCancelled, future, false},
		{"subscription active", kaspersky.KeySubscription, kaspersky.StateActive, future, true},
		{"subscription expired", kaspersky.KeySubscription, kaspersky.StateActive, past, false},
		{"subscription paused", kaspersky.KeySubscription, kaspersky.StatePaused, future, false},
		{"subscription soft cancelled", kaspersky.KeySubscription, kaspersky.StateSoftCancelled, future, false},
		{"subscription cancelled", kaspersky.KeySubscription, kaspersky.StateCancelled, future, false},
		{"subscription without state", kaspersky.KeySubscription, kaspersky.StateUnspecified, future, false},
		{"trial", kaspersky.KeyTrial, kaspersky.StateActive, future, false},
		{"beta", kaspersky.KeyBeta, kaspersky.StateActive, future, false},
		{"test", kaspersky.KeyTest, kaspersky.StateActive, future, false},
		{"OEM", kaspersky.KeyOEM, kaspersky.StateActive, future, false},
		{"unknown type", kaspersky.KeyUnknown, kaspersky.StateActive, future, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := kaspersky.License{ID: "k", Application: kaspersky.AppKESBAdvanced, Type: tt.typ, State: tt.state, Expires: tt.expires, ActiveDevices: []string{"ws-0"}}
			if got := Billable(&l, now); got != tt.want {
				t.Errorf("Billable = %v, want %v", got, tt.want)
			}
			// The same rule decides what Count counts.
			inv := kaspersky.Inventory{Devices: devices("ws", 1, kaspersky.WindowsWorkstation), Licenses: []kaspersky.License{l}}
			var want []Usage
			if tt.want {
				want = []Usage{{App: kaspersky.AppKESBAdvanced, Category: kaspersky.WindowsWorkstation, Quantity: 1}}
			}
			if d := cmp.Diff(want, Count(&inv, now)); d != "" {
				t.Errorf("Count (-want +got):\n%s", d)
			}
		})
	}
}

func TestCountDevices(t *testing.T) {
	t.Parallel()
	ws := devices("ws", 4, kaspersky.WindowsWorkstation)
	srv := devices("srv", 2, kaspersky.WindowsServer)
	mac := devices("mac", 3, kaspersky.NonWindows)
	all := append(append(append([]kaspersky.Device{}, ws...), srv...), mac...)
	adv := kaspersky.AppKESBAdvanced
	trial := commercial(adv, ids(all)...)
	trial.Type = kaspersky.KeyTrial
	expired := commercial(adv, ids(all)...)
	expired.Expires = now.Add(-time.Second)
	reserve := commercial(adv)
	reserve.ReserveDevices = ids(all)
	tests := []struct {
		name     string
		devices  []kaspersky.Device
		licenses []kaspersky.License
		want     []Usage
	}{
		{
			name:     "each category apart",
			devices:  all,
			licenses: []kaspersky.License{commercial(adv, ids(all)...)},
			want: []Usage{
				{App: adv, Category: kaspersky.WindowsWorkstation, Quantity: 4},
				{App: adv, Category: kaspersky.WindowsServer, Quantity: 2},
				{App: adv, Category: kaspersky.NonWindows, Quantity: 3},
			},
		},
		{
			name:    "a device covered by two keys counts once",
			devices: all,
			licenses: []kaspersky.License{
				commercial(adv, ids(ws)...),
				commercial(adv, ids(ws[:2])...),
				commercial(adv, "ws-0", "ws-0"),
			},
			want: []Usage{{App: adv, Category: kaspersky.WindowsWorkstation, Quantity: 4}},
		},
		{
			name:     "reserve keys never count",
			devices:  all,
			licenses: []kaspersky.License{reserve},
		},
		{
			name:     "reserve key beside an active key of the same device",
			devices:  all,
			licenses: []kaspersky.License{reserve, commercial(adv, "srv-1")},
			want:     []Usage{{App: adv, Category: kaspersky.WindowsServer, Quantity: 1}},
		},
		{
			name:     "trial and expired keys never count",
			devices:  all,
			licenses: []kaspersky.License{trial, expired},
		},
		{
			name:     "a billable key beside a trial key",
			devices:  all,
			licenses: []kaspersky.License{trial, commercial(adv, "mac-0")},
			want:     []Usage{{App: adv, Category: kaspersky.NonWindows, Quantity: 1}},
		},
		{
			name:    "applications are counted apart",
			devices: all,
			licenses: []kaspersky.License{
				commercial(kaspersky.AppKESBSelect, "ws-0", "ws-1"),
				commercial(adv, "ws-0"),
			},
			want: []Usage{
				{App: adv, Category: kaspersky.WindowsWorkstation, Quantity: 1},
				{App: kaspersky.AppKESBSelect, Category: kaspersky.WindowsWorkstation, Quantity: 2},
			},
		},
		{
			name:     "devices the inventory does not list count without a category",
			devices:  ws,
			licenses: []kaspersky.License{commercial(adv, "ws-0", "ghost-1", "ghost-2", "ghost-1")},
			want: []Usage{
				{App: adv, Quantity: 2},
				{App: adv, Category: kaspersky.WindowsWorkstation, Quantity: 1},
			},
		},
		{
			name:     "a device without a valid category counts without one",
			devices:  []kaspersky.Device{{ID: "odd"}},
			licenses: []kaspersky.License{commercial(adv, "odd")},
			want:     []Usage{{App: adv, Quantity: 1}},
		},
		{
			name:    "an application is resolved from the product name when its id is missing",
			devices: all,
			licenses: []kaspersky.License{{
				ProductName: "Kaspersky Endpoint Security for Business - Advanced", Type: kaspersky.KeyCommercial,
				ActiveDevices: []string{"srv-0"},
			}},
			want: []Usage{{App: adv, Category: kaspersky.WindowsServer, Quantity: 1}},
		},
		{
			name:     "a license without application or product is ignored",
			devices:  all,
			licenses: []kaspersky.License{{Type: kaspersky.KeyCommercial, ActiveDevices: []string{"srv-0"}}},
		},
		{
			name:     "an application the catalog does not know is billed per device",
			devices:  all,
			licenses: []kaspersky.License{commercial("x-kaspersky-new-thing", "mac-0", "mac-1")},
			want:     []Usage{{App: "x-kaspersky-new-thing", Category: kaspersky.NonWindows, Quantity: 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inv := kaspersky.Inventory{Devices: tt.devices, Licenses: tt.licenses}
			if d := cmp.Diff(tt.want, Count(&inv, now)); d != "" {
				t.Errorf("Count (-want +got):\n%s", d)
			}
		})
	}
}

func TestCountPerUser(t *testing.T) {
	t.Parallel()
	plus := kaspersky.AppKESCloudPlus
	dev := func(id, user string, cat kaspersky.Category, mobile bool) kaspersky.Device {
		return kaspersky.Device{ID: id, UserID: user, Category: cat, Mobile: mobile}
	}
	lic := func(users []string, active ...string) kaspersky.License {
		return kaspersky.License{ID: "sub", Application: plus, Type: kaspersky.KeySubscription, State: kaspersky.StateActive,
			Expires: now.AddDate(0, 1, 0), Users: users, ActiveDevices: active}
	}
	tests := []struct {
		name     string
		devices  []kaspersky.Device
		licenses []kaspersky.License
		want     int64 // 0: no usage
	}{
		{
			name: "one user, one laptop and two phones",
			devices: []kaspersky.Device{
				dev("l1", "ann", kaspersky.WindowsWorkstation, false),
				dev("p1", "ann", kaspersky.NonWindows, true), dev("p2", "ann", kaspersky.NonWindows, true),
			},
			licenses: []kaspersky.License{lic([]string{"ann"})},
			want:     1,
		},
		{
			name: "three phones need two seats",
			devices: []kaspersky.Device{
				dev("p1", "ann", kaspersky.NonWindows, true), dev("p2", "ann", kaspersky.NonWindows, true),
				dev("p3", "ann", kaspersky.NonWindows, true),
			},
			licenses: []kaspersky.License{lic([]string{"ann"})},
			want:     2,
		},
		{
			name: "two desktops and a file server of one user need three seats",
			devices: []kaspersky.Device{
				dev("d1", "bob", kaspersky.WindowsWorkstation, false), dev("d2", "bob", kaspersky.WindowsWorkstation, false),
				dev("fs", "bob", kaspersky.WindowsServer, false), dev("p1", "bob", kaspersky.NonWindows, true),
			},
			licenses: []kaspersky.License{lic([]string{"bob"})},
			want:     3,
		},
		{
			name:     "a user without devices holds one seat",
			licenses: []kaspersky.License{lic([]string{"ann", "bob"})},
			want:     2,
		},
		{
			name: "a user on two licenses counts once; users are summed",
			devices: []kaspersky.Device{
				dev("l1", "ann", kaspersky.WindowsWorkstation, false), dev("l2", "bob", kaspersky.NonWindows, false),
				dev("l3", "carl", kaspersky.NonWindows, false),
			},
			licenses: []kaspersky.License{lic([]string{"ann", "bob"}), lic([]string{"bob", ""})},
			want:     2,
		},
		{
			name: "users of active devices count; a device without a user counts as one",
			devices: []kaspersky.Device{
				dev("l1", "ann", kaspersky.WindowsWorkstation, false), dev("l2", "ann", kaspersky.WindowsWorkstation, false),
				dev("kiosk", "", kaspersky.WindowsWorkstation, false),
			},
			licenses: []kaspersky.License{lic(nil, "l1", "kiosk", "kiosk", "unknown")},
			want:     2 + 1 + 1,
		},
		{
			name:     "devices of users not assigned the license do not count",
			devices:  []kaspersky.Device{dev("l1", "ann", kaspersky.WindowsWorkstation, false)},
			licenses: []kaspersky.License{lic(nil)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inv := kaspersky.Inventory{Devices: tt.devices, Licenses: tt.licenses}
			var want []Usage
			if tt.want > 0 {
				want = []Usage{{App: plus, Quantity: tt.want}}
			}
			if d := cmp.Diff(want, Count(&inv, now)); d != "" {
				t.Errorf("Count (-want +got):\n%s", d)
			}
		})
	}
}

func TestCountMailboxes(t *testing.T) {
	t.Parallel()
	o365 := func(typ kaspersky.KeyType, state kaspersky.LicenseState, mailboxes int) kaspersky.License {
		return kaspersky.License{ID: "o", Application: kaspersky.AppOffice365, Type: typ, State: state, Expires: now.AddDate(0, 0, 1), Mailboxes: mailboxes}
	}
	tests := []struct {
		name     string
		status   *kaspersky.Office365Status
		licenses []kaspersky.License
		want     int64
	}{
		{"protected mailboxes of the tenant", &kaspersky.Office365Status{ProtectedMailboxes: 42, MailboxesProtected: true}, []kaspersky.License{o365(kaspersky.KeySubscription, kaspersky.StateActive, 50)}, 42},
		{"two licenses do not double the mailboxes", &kaspersky.Office365Status{ProtectedMailboxes: 42}, []kaspersky.License{o365(kaspersky.KeyCommercial, 0, 10), o365(kaspersky.KeySubscription, kaspersky.StateActive, 50)}, 42},
		{"no billable license, no usage", &kaspersky.Office365Status{ProtectedMailboxes: 42}, []kaspersky.License{o365(kaspersky.KeyTrial, kaspersky.StateActive, 50), o365(kaspersky.KeySubscription, kaspersky.StatePaused, 50)}, 0},
		{"no protected mailboxes", &kaspersky.Office365Status{ProtectedMailboxes: 0}, []kaspersky.License{o365(kaspersky.KeyCommercial, 0, 10)}, 0},
		{"without Office 365 state the licenses' mailboxes count", nil, []kaspersky.License{o365(kaspersky.KeyCommercial, 0, 10), o365(kaspersky.KeySubscription, kaspersky.StateActive, 5), o365(kaspersky.KeyTrial, 0, 100)}, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inv := kaspersky.Inventory{Licenses: tt.licenses, Office365: tt.status}
			var want []Usage
			if tt.want > 0 {
				want = []Usage{{App: kaspersky.AppOffice365, Quantity: tt.want}}
			}
			if d := cmp.Diff(want, Count(&inv, now)); d != "" {
				t.Errorf("Count (-want +got):\n%s", d)
			}
		})
	}
}

// TestCounterReuse counts tenants of different sizes with one Counter and checks
// each result against a fresh count: scratch space must not leak from one tenant
// to the next.
func TestCounterReuse(t *testing.T) {
	t.Parallel()
	var c Counter
	sizes := []int{3, 2000, 1, 0, 50, 5000, 7}
	for round := range 2 {
		for _, n := range sizes {
			all := devices("d", n, kaspersky.WindowsWorkstation)
			for i := range all {
				all[i].Category = kaspersky.Categories[i%3]
				all[i].UserID = []string{"ann", "bob", ""}[i%3]
			}
			half := ids(all[:n/2])
			inv := kaspersky.Inventory{Devices: all, Licenses: []kaspersky.License{
				commercial(kaspersky.AppKESBAdvanced, append(half, "ghost")...),
				commercial(kaspersky.AppKESBAdvanced, ids(all[n/3:])...),
				{ID: "s", Application: kaspersky.AppKESCloud, Type: kaspersky.KeySubscription, State: kaspersky.StateActive, Users: []string{"ann"}, ActiveDevices: half},
			}}
			want := Count(&inv, now)
			if d := cmp.Diff(want, c.Count(&inv, now)); d != "" {
				t.Fatalf("round %d, %d devices: reused Counter differs (-fresh +reused):\n%s", round, n, d)
			}
		}
	}
}

func TestCounterGenerationWraps(t *testing.T) {
	t.Parallel()
	var c Counter
	inv := seedInventory()
	first := append([]Usage(nil), c.Count(&inv, now)...)
	c.gen = ^uint32(0) // the next group wraps to zero
	if d := cmp.Diff(first, c.Count(&inv, now)); d != "" {
		t.Errorf("after the generation wrapped (-want +got):\n%s", d)
	}
}
