package billing

import (
	"strings"
)

// OwnerMarker starts the description of every charge the integration writes. It
// is how billing recognises its own charges from Tigerpaw's data alone, so that
// ownership survives the loss of any local state: a charge whose description
// starts with the marker (after leading spaces, in any letter case) is owned; any
// other charge was added by a person and is never updated or deleted, even when it
// bills the same item. The marker stands at the start so that a description cut
// short by the server still carries it, and its form (square brackets, a colon, no
// spaces) is not something a person types by accident.
const OwnerMarker = "[kaspersky:auto]"

// Charge is an Additional Charge on a Tigerpaw agreement, as billing reads and
// writes it.
type Charge struct {
	// DetailID is Tigerpaw's id of the charge; zero for a charge not yet created.
	DetailID int64
	// ItemID is the price book item (Tigerpaw's SpecialItemId).
	ItemID      string
	Description string
	Quantity    int64
	// Price is the unit price in minor units.
	Price      Money
	PriceLevel int
}

// Owned reports whether the integration wrote the charge (see OwnerMarker).
func (c *Charge) Owned() bool {
	d := strings.TrimLeft(c.Description, " \t")
	return len(d) >= len(OwnerMarker) && strings.EqualFold(d[:len(OwnerMarker)], OwnerMarker)
}

// sameValues reports whether an existing charge already bills what the desired
// one asks: the canonical comparison of quantity, price and price level. The
// description is not compared (the server may shorten it; only the marker counts).
func sameValues(existing, desired *Charge) bool {
	return existing.Quantity == desired.Quantity && existing.Price == desired.Price && existing.PriceLevel == desired.PriceLevel
}

// Describe builds the description of an owned charge from what it bills, for
// example Describe("Kaspersky Endpoint Security for Business Advanced, Windows
// workstations"). The result starts with OwnerMarker.
func Describe(what ...string) string {
	return OwnerMarker + " " + strings.Join(what, "; ")
}
