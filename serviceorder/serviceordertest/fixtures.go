package serviceordertest

import (
	"sync"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// The general settings of [Rules].
const (
	Rep          = 7
	NewStatus    = "New"
	ClosedStatus = "Closed"
)

// Rules returns the default rules (every rule off) with the general settings
// filled in ([Rep], [NewStatus], [ClosedStatus]).
func Rules() serviceorder.Rules {
	r := serviceorder.DefaultRules()
	r.General = serviceorder.General{Rep: Rep, NewStatus: NewStatus, ClosedStatus: ClosedStatus}
	return r
}

// Lookups returns lookups that accept [Rules] and the board, priority and type
// names the package's own tests use (boards 1 to 3; priorities "Low", "Medium",
// "High"; types "Security", "Maintenance").
func Lookups() *serviceorder.StaticLookups {
	return &serviceorder.StaticLookups{
		RepList:      []serviceorder.Rep{{Number: Rep, Name: "Pat Tech"}, {Number: 8, Name: "Gone Tech", Inactive: true}},
		StatusList:   []string{NewStatus, "In Progress", ClosedStatus},
		BoardList:    []serviceorder.Board{{ID: 1, Name: "Help desk"}, {ID: 2, Name: "Field"}, {ID: 3, Name: "Security"}},
		PriorityList: []string{"Low", "Medium", "High"},
		TypeList:     []string{"Security", "Maintenance"},
	}
}

// Device returns a device of tenant with the given level and status
// descriptions (texts from [kaspersky.KnownStatuses]).
func Device(tenantID, id string, level kaspersky.StatusLevel, codes ...kaspersky.StatusCode) kaspersky.Device {
	d := kaspersky.Device{ID: id, TenantID: tenantID, Name: "PC-" + id, Category: kaspersky.WindowsWorkstation, Status: level}
	for _, c := range codes {
		desc, ok := kaspersky.LookupStatus(c)
		if !ok {
			desc = kaspersky.StatusDescription{Code: c, Text: string(c)}
		}
		d.Descriptions = append(d.Descriptions, desc)
	}
	return d
}

// Clock is a manual clock, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
