package billing

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// Action is what a plan does to one charge.
type Action int

// The actions of a plan.
const (
	// NoOp leaves an owned charge as it is: it already bills the usage.
	NoOp Action = iota
	// Create adds a charge for usage that has none.
	Create
	// Update changes the quantity, price or price level of an owned charge.
	Update
	// Delete removes an owned charge: its usage is gone, or it duplicates another.
	Delete
)

// String names the action.
func (a Action) String() string {
	switch a {
	case NoOp:
		return "no-op"
	case Create:
		return "create"
	case Update:
		return "update"
	case Delete:
		return "delete"
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// symbol is the action's mark in a printed plan.
func (a Action) symbol() byte {
	switch a {
	case Create:
		return '+'
	case Update:
		return '~'
	case Delete:
		return '-'
	}
	return '='
}

// The reasons a plan gives for its changes (Change.Reason). They are for people;
// code branches on Action.
const (
	reasonUpToDate       = "the charge already bills the usage"
	reasonNew            = "billable usage has no charge yet"
	reasonQuantity       = "the usage changed"
	reasonPrice          = "the price changed"
	reasonLevel          = "the price level changed"
	reasonQuantityPrice  = "the usage and the price changed"
	reasonNoUsage        = "no billable usage of the item any more"
	reasonDuplicate      = "duplicate of another owned charge for the same item"
	reasonPriceAndLevel  = "the price and the price level changed"
	reasonAllChanged     = "the usage, the price and the price level changed"
	reasonQuantityLevel  = "the usage and the price level changed"
	reasonUnknownChanged = "the charge differs from the usage"
)

// updateReason names what differs between an owned charge and the desired one.
func updateReason(cur, want *Charge) string {
	q, p, l := cur.Quantity != want.Quantity, cur.Price != want.Price, cur.PriceLevel != want.PriceLevel
	switch {
	case q && p && l:
		return reasonAllChanged
	case q && p:
		return reasonQuantityPrice
	case q && l:
		return reasonQuantityLevel
	case p && l:
		return reasonPriceAndLevel
	case q:
		return reasonQuantity
	case p:
		return reasonPrice
	case l:
		return reasonLevel
	}
	return reasonUnknownChanged
}

// Change is one step of a plan: what to do to one charge of one agreement.
type Change struct {
	Action    Action
	Agreement int
	// ItemID is the price book item the change is about.
	ItemID string
	// Current is the existing charge (Update, Delete, NoOp); zero for Create.
	Current Charge
	// Desired is the charge to write (Create, Update) or that is already there
	// (NoOp); zero for Delete. For an Update its DetailID is the Current one.
	Desired Charge
	// Reason says why, for people.
	Reason string
}

// Skipped is an agreement a plan leaves out, and why: nothing of it is created,
// updated or deleted until the problem is solved.
type Skipped struct {
	Agreement int
	Err       error
}

// Plan is what Apply will do, as a value that can be printed, tested and reviewed
// first. Changes are ordered by agreement, then item id, the kept charge of an
// item before the duplicates to delete.
type Plan struct {
	Changes []Change
	Skipped []Skipped
	// Planned is how many agreements Biller.Plan compared with their usage: those
	// it was given and did not skip. Failed tells a plan whose every agreement
	// was skipped by it.
	Planned int
	// Unbilled is billable usage that no charge carries: applications the price
	// book does not map, categories without an item, devices without a category
	// while billing by category. It is for a report (Explain prints it); Apply
	// ignores it.
	Unbilled []Unbilled
	// Held are the changes a Guard kept out of Changes for a person's
	// approval (see Guard.Filter): they are not written.
	Held []Held
	// Usage is the counted usage behind the desired charges of the planned
	// agreements, per tenant and item, for a report or a usage history.
	Usage []ItemUsage
}

// ItemUsage is the usage of one tenant billed by one price book item: its
// counted quantity and the unit price at the account's price level.
type ItemUsage struct {
	Agreement int
	TenantID  string
	App       kaspersky.AppID
	// Category is the device category when the item bills one category, zero
	// otherwise.
	Category   kaspersky.Category
	ItemID     string
	Quantity   int64
	Price      Money
	PriceLevel int
}

// Unbilled is billable usage of a tenant that no charge of its agreement carries.
type Unbilled struct {
	Agreement int
	TenantID  string
	Usage     Usage
}

// Diff compares an agreement's desired charges (as Desired returns them: at most
// one per item; duplicates are summed) with its existing ones, and returns the
// plan that makes the agreement bill the desired charges. Only owned charges
// (Charge.Owned) are ever updated or deleted; a charge added by a person is left
// alone even when it bills the same item. Quantities, prices and price levels
// are compared as integers, so the same world always yields an empty plan.
func Diff(agreement int, desired, existing []Charge) Plan {
	return Plan{Changes: AppendDiff(nil, agreement, desired, existing)}
}

// AppendDiff is Diff that appends the changes to dst and returns the extended
// slice; with a dst of enough capacity it allocates nothing. Per item of the
// desired charges: an owned charge with the same values is kept (NoOp), or else
// the owned charge with the lowest DetailID is updated, or a charge is created
// when no owned one exists; the other owned charges of the item are deleted as
// duplicates. Owned charges for items without desired usage are deleted. Desired
// charges with a quantity of zero or less ask for no charge.
func AppendDiff(dst []Change, agreement int, desired, existing []Charge) []Change {
	start := len(dst)
	for i := range desired {
		want := desired[i]
		if seenBefore(desired[:i], want.ItemID) {
			continue
		}
		for j := i + 1; j < len(desired); j++ {
			if SameItem(desired[j].ItemID, want.ItemID) {
				want.Quantity += desired[j].Quantity
			}
		}
		if want.Quantity <= 0 {
			continue
		}
		want.DetailID = 0
		kept := -1
		for j := range existing {
			e := &existing[j]
			if !e.Owned() || !SameItem(e.ItemID, want.ItemID) {
				continue
			}
			if kept < 0 || better(e, &existing[kept], &want) {
				kept = j
			}
		}
		if kept < 0 {
			dst = append(dst, Change{Action: Create, Agreement: agreement, ItemID: want.ItemID, Desired: want, Reason: reasonNew})
			continue
		}
		cur := &existing[kept]
		want.DetailID = cur.DetailID
		if sameValues(cur, &want) {
			dst = append(dst, Change{Action: NoOp, Agreement: agreement, ItemID: want.ItemID, Current: *cur, Desired: want, Reason: reasonUpToDate})
		} else {
			dst = append(dst, Change{Action: Update, Agreement: agreement, ItemID: want.ItemID, Current: *cur, Desired: want, Reason: updateReason(cur, &want)})
		}
		for j := range existing {
			e := &existing[j]
			if j != kept && e.Owned() && SameItem(e.ItemID, want.ItemID) {
				dst = append(dst, Change{Action: Delete, Agreement: agreement, ItemID: want.ItemID, Current: *e, Reason: reasonDuplicate})
			}
		}
	}
	for j := range existing {
		e := &existing[j]
		if e.Owned() && !wanted(desired, e.ItemID) {
			dst = append(dst, Change{Action: Delete, Agreement: agreement, ItemID: e.ItemID, Current: *e, Reason: reasonNoUsage})
		}
	}
	slices.SortFunc(dst[start:], compareChanges)
	return dst
}

// seenBefore reports whether an earlier desired charge has the item.
func seenBefore(earlier []Charge, item string) bool {
	for k := range earlier {
		if SameItem(earlier[k].ItemID, item) {
			return true
		}
	}
	return false
}

// wanted reports whether the desired charges ask for a positive quantity of the
// item.
func wanted(desired []Charge, item string) bool {
	var q int64
	found := false
	for k := range desired {
		if SameItem(desired[k].ItemID, item) {
			q += desired[k].Quantity
			found = true
		}
	}
	return found && q > 0
}

// better reports whether the owned charge a is a better one to keep than b: one
// that already has the desired values, else the older (lower DetailID).
func better(a, b, want *Charge) bool {
	sa, sb := sameValues(a, want), sameValues(b, want)
	if sa != sb {
		return sa
	}
	return a.DetailID < b.DetailID
}

// compareChanges orders changes by agreement, item, kept-before-deleted and
// DetailID.
func compareChanges(a, b Change) int {
	if r := cmp.Compare(a.Agreement, b.Agreement); r != 0 {
		return r
	}
	if r := strings.Compare(a.ItemID, b.ItemID); r != 0 {
		return r
	}
	if r := cmp.Compare(deleteRank(a.Action), deleteRank(b.Action)); r != 0 {
		return r
	}
	return cmp.Compare(a.Current.DetailID, b.Current.DetailID)
}

// deleteRank puts deletions after the kept charge of the same item.
func deleteRank(a Action) int {
	if a == Delete {
		return 1
	}
	return 0
}

// ErrInconsistentCharges is wrapped by the reason an agreement is skipped when
// its charge list contradicts itself (see CheckCharges): acting on it could
// delete the only real charge or create a second one.
var ErrInconsistentCharges = errors.New("inconsistent charge list")

// CheckCharges reports whether an agreement's charge list, as a ChargeReader
// listed it, is consistent enough to plan from: every charge has a DetailID and
// no DetailID is listed twice (the same charge twice would be deleted as a
// duplicate of itself), and no charge carries the owner's marker anywhere but
// at the start of its description, or only the start of the marker (an owned
// charge whose marker was cut or moved would be taken for a person's charge,
// and billed a second time). Owned charges of one item with different
// DetailIDs are consistent: the plan keeps one and deletes the others. The
// error wraps ErrInconsistentCharges and names the agreement and the charge.
func CheckCharges(agreement int, charges []Charge) error {
	seen := make(map[int64]bool, len(charges))
	for i := range charges {
		c := &charges[i]
		switch {
		case c.DetailID <= 0:
			return fmt.Errorf("billing: agreement %d: charge %d of %d (item %q) has no DetailId: %w",
				agreement, i+1, len(charges), c.ItemID, ErrInconsistentCharges)
		case seen[c.DetailID]:
			return fmt.Errorf("billing: agreement %d: charge %d (item %q) is listed twice: %w",
				agreement, c.DetailID, c.ItemID, ErrInconsistentCharges)
		case !c.Owned() && strings.Contains(strings.ToLower(c.Description), strings.ToLower(OwnerMarker)):
			return fmt.Errorf("billing: agreement %d: charge %d (item %q) carries the marker %s elsewhere than at the start of its description %q: %w",
				agreement, c.DetailID, c.ItemID, OwnerMarker, c.Description, ErrInconsistentCharges)
		case cutMarker(c.Description):
			return fmt.Errorf("billing: agreement %d: charge %d (item %q) has a description %q that is the start of the marker %s: %w",
				agreement, c.DetailID, c.ItemID, c.Description, OwnerMarker, ErrInconsistentCharges)
		}
		seen[c.DetailID] = true
	}
	return nil
}

// cutMarker reports whether a description is the beginning of the owner's
// marker and nothing else: an owned charge's description cut short.
func cutMarker(desc string) bool {
	d := strings.TrimSpace(desc)
	return len(d) > 1 && len(d) < len(OwnerMarker) && strings.EqualFold(d, OwnerMarker[:len(d)])
}

// Failed returns why the plan fails as a whole, or nil: a reader refused the
// credentials (a reason wraps ErrUnauthorized or kaspersky.ErrUnauthorized), or
// Biller.Plan skipped every agreement it was given. A dry run should report
// such a plan as a failure, and a cycle should not apply it. A plan that skipped
// some agreements only is partial: Skipped says which.
func (p Plan) Failed() error {
	for _, s := range p.Skipped {
		if errors.Is(s.Err, ErrUnauthorized) || errors.Is(s.Err, kaspersky.ErrUnauthorized) {
			return fmt.Errorf("billing: credentials refused: agreement %d skipped: %w", s.Agreement, s.Err)
		}
	}
	if len(p.Skipped) > 0 && p.Planned == 0 {
		return fmt.Errorf("billing: every agreement skipped (%d); agreement %d: %w", len(p.Skipped), p.Skipped[0].Agreement, p.Skipped[0].Err)
	}
	return nil
}

// Empty reports whether the plan writes nothing: no create, update or delete.
func (p Plan) Empty() bool {
	for i := range p.Changes {
		if p.Changes[i].Action != NoOp {
			return false
		}
	}
	return true
}

// Counts returns how many changes of each action the plan holds.
func (p Plan) Counts() (create, update, del, noop int) {
	for i := range p.Changes {
		switch p.Changes[i].Action {
		case Create:
			create++
		case Update:
			update++
		case Delete:
			del++
		default:
			noop++
		}
	}
	return
}

// String prints the plan compactly, one line per write and per skipped agreement,
// no-ops left out; an empty plan prints as "". For example:
//
//	~ agreement 1043 item KESB-ADV-SRV qty 8 → 10
//	~ agreement 1043 item KESB-ADV-NW qty 3 @ 4.00 → 4.50
//	+ agreement 1043 item KESB-ADV-WS qty 90 @ 4.50
//	- agreement 1043 item KTSB qty 5 @ 1.00
//	! agreement 2001 skipped: …
func (p Plan) String() string {
	return p.format(false)
}

// Explain prints every change, no-ops included (marked "="), each followed by its
// reason, and a summary line.
func (p Plan) Explain() string {
	return p.format(true)
}

func (p Plan) format(explain bool) string {
	var b []byte
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Action == NoOp && !explain {
			continue
		}
		b = c.appendTo(b)
		if explain {
			b = append(b, "  # "...)
			b = append(b, c.Reason...)
		}
		b = append(b, '\n')
	}
	for i := range p.Held {
		h := &p.Held[i]
		b = append(b, "h "...)
		b = h.Change.appendTo(b)
		b = append(b, " held: "...)
		b = append(b, strings.Join(h.Why, "; ")...)
		if h.Rejected {
			b = append(b, " (rejected)"...)
		}
		b = append(b, '\n')
	}
	for _, s := range p.Skipped {
		b = fmt.Appendf(b, "! agreement %d skipped: %v\n", s.Agreement, s.Err)
	}
	if explain {
		for _, u := range p.Unbilled {
			b = fmt.Appendf(b, "? agreement %d tenant %s app %s", u.Agreement, u.TenantID, u.Usage.App)
			switch {
			case u.Usage.Category != 0:
				b = fmt.Appendf(b, " (%s)", u.Usage.Category)
			case kaspersky.LicensingOf(u.Usage.App) == kaspersky.PerDevice:
				// Per-device usage without a category: its devices have none.
				b = append(b, " (devices without a category)"...)
			}
			b = fmt.Appendf(b, " qty %d not billed: no price book item\n", u.Usage.Quantity)
		}
		cr, up, del, noop := p.Counts()
		b = fmt.Appendf(b, "%d to create, %d to update, %d to delete, %d unchanged, %d agreements skipped", cr, up, del, noop, len(p.Skipped))
		if len(p.Held) > 0 {
			b = fmt.Appendf(b, ", %d held for approval", len(p.Held))
		}
		b = append(b, '\n')
	}
	return string(b)
}

// String prints the change as one line of a plan, without a newline.
func (c Change) String() string {
	return string(c.appendTo(nil))
}

func (c *Change) appendTo(b []byte) []byte {
	b = append(b, c.Action.symbol(), ' ')
	b = append(b, "agreement "...)
	b = strconv.AppendInt(b, int64(c.Agreement), 10)
	b = append(b, " item "...)
	b = append(b, c.ItemID...)
	b = append(b, " qty "...)
	switch c.Action {
	case Create:
		b = strconv.AppendInt(b, c.Desired.Quantity, 10)
		b = append(b, " @ "...)
		b = c.Desired.Price.appendTo(b)
	case Delete, NoOp:
		b = strconv.AppendInt(b, c.Current.Quantity, 10)
		b = append(b, " @ "...)
		b = c.Current.Price.appendTo(b)
	case Update:
		b = strconv.AppendInt(b, c.Current.Quantity, 10)
		if c.Current.Quantity != c.Desired.Quantity {
			b = append(b, " → "...)
			b = strconv.AppendInt(b, c.Desired.Quantity, 10)
		}
		if c.Current.Price != c.Desired.Price {
			b = append(b, " @ "...)
			b = c.Current.Price.appendTo(b)
			b = append(b, " → "...)
			b = c.Desired.Price.appendTo(b)
		}
		if c.Current.PriceLevel != c.Desired.PriceLevel {
			b = append(b, " level "...)
			b = strconv.AppendInt(b, int64(c.Current.PriceLevel), 10)
			b = append(b, " → "...)
			b = strconv.AppendInt(b, int64(c.Desired.PriceLevel), 10)
		}
	}
	return b
}
