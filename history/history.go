// Package history keeps the usage history of billing: every billing cycle
// stores, per tenant, the counted usage and the billed quantity and price of
// each price book item, at most one snapshot per tenant per day (the last of
// the day). A FileStore keeps it in a directory, the PostgreSQL store of
// package store/postgres in a table; both prune what is older than the
// retention. WriteCSV exports it for a spreadsheet and Changes lists what
// moved from one day to the next.
package history

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// DefaultRetention is how long snapshots are kept when no retention is set:
// 400 days, a year and a bit to compare with the same month last year.
const DefaultRetention = 400 * 24 * time.Hour

// DayLayout is the layout of Snapshot.Day.
const DayLayout = "2006-01-02"

// Snapshot is the usage of one tenant on one day, as the last billing cycle of
// that day saw it.
type Snapshot struct {
	TenantID string `json:"tenant"`
	// Day is the date of the cycle, in the cycle clock's location (DayLayout).
	Day string `json:"day"`
	// At is when the cycle ran.
	At    time.Time `json:"at"`
	Items []Item    `json:"items"`
}

// Item is the usage of one tenant billed by one price book item.
type Item struct {
	Agreement int             `json:"agreement"`
	App       kaspersky.AppID `json:"app"`
	// Category is the device category when the item bills one category.
	Category kaspersky.Category `json:"category,omitzero"`
	ItemID   string             `json:"item"`
	// Usage is the counted quantity; Billed the quantity the agreement bills
	// after the cycle (they differ when a change was held, failed or
	// skipped).
	Usage  int64 `json:"usage"`
	Billed int64 `json:"billed"`
	// Price is the unit price in minor units at PriceLevel.
	Price      billing.Money `json:"price"`
	PriceLevel int           `json:"priceLevel"`
}

// Label names what the item bills, for people: "Kaspersky Endpoint Security
// for Business Advanced, Windows workstations".
func (it Item) Label() string {
	name := string(it.App)
	if a, ok := kaspersky.LookupApplication(it.App); ok {
		name = a.Name
	}
	if it.Category != 0 {
		return name + ", " + it.Category.String()
	}
	return name
}

// Store keeps snapshots.
type Store interface {
	// Record stores the snapshots, each replacing the one of the same tenant
	// and day.
	Record(ctx context.Context, snaps []Snapshot) error
	// Query returns the snapshots of tenant ("" for every tenant) whose day
	// is within [from, to] (the days of from and to in their locations),
	// ordered by day then tenant.
	Query(ctx context.Context, tenant string, from, to time.Time) ([]Snapshot, error)
	// Prune removes the snapshots of days before the day of before, and
	// returns how many it removed.
	Prune(ctx context.Context, before time.Time) (int, error)
}

// Day returns the day of t, as Snapshot.Day spells it.
func Day(t time.Time) string { return t.Format(DayLayout) }

// ErrInvalidSnapshot is wrapped by the error of Record for a snapshot without
// a tenant or with a day that is not a date.
var ErrInvalidSnapshot = errors.New("history: invalid snapshot")

// check validates a snapshot before it is stored.
func (s *Snapshot) check() error {
	if s.TenantID == "" {
		return fmt.Errorf("%w: tenant: empty", ErrInvalidSnapshot)
	}
	if _, err := time.Parse(DayLayout, s.Day); err != nil {
		return fmt.Errorf("%w: tenant %q: day %q: %w", ErrInvalidSnapshot, s.TenantID, s.Day, err)
	}
	return nil
}

// Check validates snapshots as Record does: a tenant, a date as day.
func Check(snaps []Snapshot) error {
	for i := range snaps {
		if err := snaps[i].check(); err != nil {
			return err
		}
	}
	return nil
}
