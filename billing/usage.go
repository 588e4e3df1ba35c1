package billing

import (
	"cmp"
	"slices"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// Usage is the billable quantity of one application for one tenant: devices,
// users or mailboxes, depending on the application's licensing.
type Usage struct {
	App kaspersky.AppID
	// Category is the device category of per-device usage. It is zero for per-user
	// and per-mailbox applications, which are never split by category, and for
	// devices that use a license but whose category the inventory does not give
	// (a device id missing from Inventory.Devices, or a device without a valid
	// category).
	Category kaspersky.Category
	Quantity int64
}

// Billable reports whether a license bills at now. Only licenses that have not
// expired at now count, and only of two kinds: commercial keys whose state is
// active or not reported, and subscriptions whose state is active. Trial, beta,
// test, OEM and unknown keys never bill, nor do paused or cancelled ones, nor
// subscriptions without a reported state.
func Billable(l *kaspersky.License, now time.Time) bool {
	if l.ExpiredAt(now) {
		return false
	}
	switch l.Type {
	case kaspersky.KeyCommercial:
		return l.State == kaspersky.StateUnspecified || l.State == kaspersky.StateActive
	case kaspersky.KeySubscription:
		return l.State == kaspersky.StateActive
	}
	return false
}

// Count returns a tenant's billable usage at now, sorted by application and
// category. It allocates its own scratch space; use a Counter (or a Biller) to
// count many tenants without allocating.
func Count(inv *kaspersky.Inventory, now time.Time) []Usage {
	var c Counter
	return slices.Clone(c.Count(inv, now))
}

// Counter counts usage with scratch space that it keeps and reuses from one
// tenant to the next, so that counting allocates nothing once it has seen a
// tenant of the largest size. The zero value is ready to use. A Counter is not
// safe for concurrent use.
//
// The rules, per application:
//
//   - Per device: each device that uses a billable license (Billable) as its
//     active key counts once, however many billable keys of the application
//     cover it; devices that hold a key only as a reserve key do not count. The
//     count is split by the device's category.
//   - Per user (Kaspersky Endpoint Security Cloud): each user assigned a billable
//     license counts max(non-mobile devices, ceil(mobile devices / 2)) of that
//     user, and at least 1: a user holds a seat of the license even before any
//     device is connected. A device that uses a billable license as its active key
//     but belongs to no user counts as one user of its own. Never split by
//     category.
//   - Per mailbox (Office 365): when the application has a billable license, the
//     number of protected mailboxes of the tenant (Inventory.Office365); when the
//     inventory has no Office 365 state, the sum of the billable licenses'
//     Mailboxes.
type Counter struct {
	lics  []licRef
	index map[string]int32 // device id → slot: positions in Devices, then unknown ids
	extra int32            // slots given to ids missing from Devices
	stamp []uint32         // per slot: the generation that last counted it
	gen   uint32
	users map[string]int32 // user id → position in tally
	tally []userTally
	out   []Usage
}

// licRef is a billable license of the tenant with its resolved application.
type licRef struct {
	app       kaspersky.AppID
	licensing kaspersky.Licensing
	i         int
}

// userTally is the devices of one user.
type userTally struct{ nonMobile, mobile int64 }

// Count returns the tenant's billable usage at now, sorted by application and
// category; a nil inventory has none. The result is valid until the next call of
// Count.
func (c *Counter) Count(inv *kaspersky.Inventory, now time.Time) []Usage {
	c.out = c.out[:0]
	c.lics = c.lics[:0]
	if inv == nil {
		return c.out
	}
	for i := range inv.Licenses {
		l := &inv.Licenses[i]
		if !Billable(l, now) {
			continue
		}
		app := l.Application
		if app == "" {
			if l.ProductName == "" {
				continue // nothing to attribute the license to
			}
			a, _ := kaspersky.ApplicationByName(l.ProductName)
			app = a.ID
		}
		c.lics = append(c.lics, licRef{app: app, licensing: kaspersky.LicensingOf(app), i: i})
	}
	if len(c.lics) == 0 {
		return c.out
	}
	slices.SortFunc(c.lics, func(a, b licRef) int {
		if r := cmp.Compare(a.app, b.app); r != 0 {
			return r
		}
		return cmp.Compare(a.i, b.i)
	})
	indexed := false
	for start := 0; start < len(c.lics); {
		end := start + 1
		for end < len(c.lics) && c.lics[end].app == c.lics[start].app {
			end++
		}
		group := c.lics[start:end]
		switch group[0].licensing {
		case kaspersky.PerMailbox:
			c.countMailboxes(inv, group)
		case kaspersky.PerUser:
			if !indexed {
				c.buildIndex(inv)
				indexed = true
			}
			c.countUsers(inv, group)
		default:
			if !indexed {
				c.buildIndex(inv)
				indexed = true
			}
			c.countDevices(inv, group)
		}
		start = end
	}
	if indexed {
		clear(c.index) // keep no reference to the inventory's strings
	}
	return c.out
}

// buildIndex maps the inventory's device ids to slots.
func (c *Counter) buildIndex(inv *kaspersky.Inventory) {
	n := len(inv.Devices)
	if c.index == nil || len(c.stamp) > 4*n+1024 {
		// A much larger tenant came before: start afresh rather than clear a big
		// map for every small tenant that follows.
		c.index = make(map[string]int32, n)
		c.stamp = nil
		c.gen = 0
	}
	for i := range inv.Devices {
		c.index[inv.Devices[i].ID] = int32(i)
	}
	c.extra = 0
	if len(c.stamp) < n {
		c.stamp = append(c.stamp, make([]uint32, n-len(c.stamp))...)
	}
}

// slot returns the slot of a device id, giving one to an id the inventory's
// device list does not hold.
func (c *Counter) slot(inv *kaspersky.Inventory, id string) int32 {
	if s, ok := c.index[id]; ok {
		return s
	}
	s := int32(len(inv.Devices)) + c.extra
	c.extra++
	c.index[id] = s
	if int(s) >= len(c.stamp) {
		c.stamp = append(c.stamp, 0)
	}
	c.stamp[s] = 0
	return s
}

// nextGen starts a new round of "counted once" marks.
func (c *Counter) nextGen() uint32 {
	c.gen++
	if c.gen == 0 {
		clear(c.stamp)
		c.gen = 1
	}
	return c.gen
}

// device returns the inventory's device in a slot, nil for an unknown id.
func device(inv *kaspersky.Inventory, s int32) *kaspersky.Device {
	if int(s) < len(inv.Devices) {
		return &inv.Devices[s]
	}
	return nil
}

// countDevices counts a per-device application.
func (c *Counter) countDevices(inv *kaspersky.Inventory, group []licRef) {
	gen := c.nextGen()
	var byCat [4]int64
	for _, ref := range group {
		for _, id := range inv.Licenses[ref.i].ActiveDevices {
			s := c.slot(inv, id)
			if c.stamp[s] == gen {
				continue
			}
			c.stamp[s] = gen
			cat := kaspersky.Category(0)
			if d := device(inv, s); d != nil && d.Category.Valid() {
				cat = d.Category
			}
			byCat[cat]++
		}
	}
	for cat, q := range byCat {
		if q > 0 {
			c.out = append(c.out, Usage{App: group[0].app, Category: kaspersky.Category(cat), Quantity: q})
		}
	}
}

// countUsers counts a per-user application.
func (c *Counter) countUsers(inv *kaspersky.Inventory, group []licRef) {
	if c.users == nil {
		c.users = make(map[string]int32)
	}
	clear(c.users)
	c.tally = c.tally[:0]
	addUser := func(u string) {
		if _, ok := c.users[u]; !ok {
			c.users[u] = int32(len(c.tally))
			c.tally = append(c.tally, userTally{})
		}
	}
	gen := c.nextGen()
	var alone int64 // devices that use the license but belong to no user
	for _, ref := range group {
		l := &inv.Licenses[ref.i]
		for _, u := range l.Users {
			if u != "" {
				addUser(u)
			}
		}
		for _, id := range l.ActiveDevices {
			s := c.slot(inv, id)
			if c.stamp[s] == gen {
				continue
			}
			c.stamp[s] = gen
			if d := device(inv, s); d != nil && d.UserID != "" {
				addUser(d.UserID)
			} else {
				alone++
			}
		}
	}
	for i := range inv.Devices {
		d := &inv.Devices[i]
		if d.UserID == "" {
			continue
		}
		if u, ok := c.users[d.UserID]; ok {
			if d.Mobile {
				c.tally[u].mobile++
			} else {
				c.tally[u].nonMobile++
			}
		}
	}
	q := alone
	for _, t := range c.tally {
		q += max(1, t.nonMobile, (t.mobile+1)/2)
	}
	clear(c.users)
	if q > 0 {
		c.out = append(c.out, Usage{App: group[0].app, Quantity: q})
	}
}

// countMailboxes counts a per-mailbox application.
func (c *Counter) countMailboxes(inv *kaspersky.Inventory, group []licRef) {
	var q int64
	if inv.Office365 != nil {
		q = int64(inv.Office365.ProtectedMailboxes)
	} else {
		for _, ref := range group {
			q += int64(max(0, inv.Licenses[ref.i].Mailboxes))
		}
	}
	if q > 0 {
		c.out = append(c.out, Usage{App: group[0].app, Quantity: q})
	}
}
