package mapping

import "fmt"

// Billing guard modes (BillingGuard.Mode).
const (
	// GuardApply writes every change of the billing plan: the original
	// product's behaviour, and the default.
	GuardApply = "apply"
	// GuardHold holds for a person's approval the changes that lower a
	// charge beyond the thresholds, delete a charge or change its price level.
	GuardHold = "hold"
)

// BillingGuard is the policy of the billing guard of an integration (see
// billing.Guard): apply everything, or hold suspicious changes for approval.
type BillingGuard struct {
	// Mode is GuardApply or GuardHold; "" is GuardApply.
	Mode string `json:"mode"`
	// DropPercent holds an update that lowers a quantity by more than this
	// percentage of the billed quantity; 0 means 20.
	DropPercent int `json:"dropPercent,omitzero"`
	// DropUnits, when positive, also holds an update that lowers a quantity by
	// more than this many units.
	DropUnits int `json:"dropUnits,omitzero"`
}

// Holds reports whether the policy holds changes for approval.
func (g *BillingGuard) Holds() bool { return g != nil && g.Mode == GuardHold }

// Check reports what is wrong with the policy.
func (g *BillingGuard) Check() error {
	switch g.Mode {
	case "", GuardApply, GuardHold:
	default:
		return fmt.Errorf("mapping: billing guard mode %q: want %q or %q", g.Mode, GuardApply, GuardHold)
	}
	if g.DropPercent < 0 || g.DropPercent > 100 {
		return fmt.Errorf("mapping: billing guard dropPercent %d: want 0 to 100", g.DropPercent)
	}
	if g.DropUnits < 0 {
		return fmt.Errorf("mapping: billing guard dropUnits %d: must not be negative", g.DropUnits)
	}
	return nil
}
