package billing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// DefaultDropPercent is the quantity drop, in percent of the billed quantity,
// beyond which a Guard holds an update when its DropPercent is zero.
const DefaultDropPercent = 20

// Guard is the policy that holds suspicious changes of a plan for a person's
// approval instead of writing them: a console that misreports (half of a
// tenant's devices missing after a restart, a key briefly shown as expired)
// would otherwise lower a customer's charges the same day. A nil *Guard
// applies everything.
//
// A change is held when it
//   - lowers the quantity of a charge by more than DropPercent percent of the
//     billed quantity (DefaultDropPercent when zero), or by more than DropUnits
//     units (when DropUnits is positive);
//   - deletes a charge (its usage is gone, it duplicates another, or the
//     account bills to another agreement now);
//   - changes the price level of a charge.
//
// Creates, quantity increases and price changes at the same level are
// written.
type Guard struct {
	DropPercent int64
	DropUnits   int64
}

// Held is a change the guard kept out of a plan, waiting for a decision.
type Held struct {
	Change
	// Key names the change and the values it goes from and to: a decision
	// taken on it applies to this change only. When the usage moves again, the
	// change gets another key and waits for a new decision.
	Key string
	// Why says in words what made the guard hold it, e.g. "the quantity drops
	// from 90 to 45 (-50 %)".
	Why []string
	// Rejected says a person rejected the change: it stays held until the
	// usage changes.
	Rejected bool
}

// Decision is a person's answer to a held change.
type Decision struct {
	Key string `json:"key"`
	// Agreement is the agreement of the change.
	Agreement int       `json:"agreement"`
	Approved  bool      `json:"approved"`
	At        time.Time `json:"at"`
	// Change is the change as it was shown, for the record.
	Change string `json:"change,omitempty"`
}

// DecisionStore keeps the decisions on held changes. Implementations: a
// FileDecisions, and a PostgreSQL store (package store/postgres) whose writes
// are fenced by the leader lease.
type DecisionStore interface {
	// Decisions returns the stored decisions by key.
	Decisions(ctx context.Context) (map[string]Decision, error)
	// Decide stores d, replacing the decision of the same key.
	Decide(ctx context.Context, d Decision) error
	// Forget removes the decisions of the keys; unknown keys are ignored.
	Forget(ctx context.Context, keys []string) error
}

// ChangeKey returns the key of a change (see Held.Key): a hash of the
// agreement, the item, the action, the charge and the values it goes from and
// to.
func ChangeKey(c *Change) string {
	var b []byte
	b = strconv.AppendInt(b, int64(c.Agreement), 10)
	b = append(b, '|')
	b = append(b, ItemKey(c.ItemID)...)
	b = append(b, '|')
	b = append(b, c.Action.String()...)
	for _, v := range []int64{c.Current.DetailID, c.Current.Quantity, int64(c.Current.Price), int64(c.Current.PriceLevel),
		c.Desired.Quantity, int64(c.Desired.Price), int64(c.Desired.PriceLevel)} {
		b = append(b, '|')
		b = strconv.AppendInt(b, v, 10)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// why returns the reasons to hold c, none when it may be written.
func (g *Guard) why(c *Change) []string {
	var out []string
	switch c.Action {
	case Delete:
		out = append(out, fmt.Sprintf("deletes the charge of %d (%s)", c.Current.Quantity, c.Reason))
	case Update:
		cur, want := c.Current.Quantity, c.Desired.Quantity
		if drop := cur - want; drop > 0 {
			pct := g.DropPercent
			if pct <= 0 {
				pct = DefaultDropPercent
			}
			overPct := drop*100 > pct*cur
			overUnits := g.DropUnits > 0 && drop > g.DropUnits
			if overPct || overUnits {
				out = append(out, fmt.Sprintf("the quantity drops from %d to %d (-%d, -%d %%)", cur, want, drop, drop*100/cur))
			}
		}
		if c.Current.PriceLevel != c.Desired.PriceLevel {
			out = append(out, fmt.Sprintf("the price level changes from %d to %d", c.Current.PriceLevel, c.Desired.PriceLevel))
		}
	}
	return out
}

// Filter returns plan with the changes g holds moved from Changes to Held,
// except those approved in decisions, which stay in the plan to be written. A
// held change rejected in decisions is marked Rejected. A nil g returns plan
// as it is. Decisions whose key no held change has are not used: see Stale.
func (g *Guard) Filter(plan Plan, decisions map[string]Decision) Plan {
	if g == nil {
		return plan
	}
	kept := make([]Change, 0, len(plan.Changes))
	var held []Held
	for i := range plan.Changes {
		c := &plan.Changes[i]
		why := g.why(c)
		if len(why) == 0 {
			kept = append(kept, *c)
			continue
		}
		key := ChangeKey(c)
		d, decided := decisions[key]
		if decided && d.Approved {
			kept = append(kept, *c)
			continue
		}
		held = append(held, Held{Change: *c, Key: key, Why: why, Rejected: decided})
	}
	plan.Changes = kept
	plan.Held = held
	return plan
}

// Stale returns the keys of decisions that no longer apply: the decisions of
// planned agreements whose change the plan neither holds nor writes (it was
// written, or the usage moved and it became another change). Decisions of
// agreements the plan skipped are kept: their changes were not computed.
func Stale(plan Plan, decisions map[string]Decision) []string {
	live := make(map[string]bool, len(plan.Held))
	for i := range plan.Held {
		live[plan.Held[i].Key] = true
	}
	for i := range plan.Changes {
		if plan.Changes[i].Action != NoOp {
			live[ChangeKey(&plan.Changes[i])] = true
		}
	}
	skipped := make(map[int]bool, len(plan.Skipped))
	for _, s := range plan.Skipped {
		skipped[s.Agreement] = true
	}
	var out []string
	for k, d := range decisions {
		if !live[k] && !skipped[d.Agreement] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
