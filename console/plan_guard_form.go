package console

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// guardForm is the billing guard's policy as the Billing plan tab shows it.
type guardForm struct {
	// Mode is "inherit" (the daemon's configuration decides), mapping.GuardApply
	// or mapping.GuardHold.
	Mode        string
	DropPercent int
	DropUnits   int
	Revision    int64
	// Base is the saved policy, for the safe saves (see saves.go).
	Base string
}

// guardFormOf describes cfg's policy for the form.
func guardFormOf(cfg mapping.Config) guardForm {
	g := guardForm{Mode: "inherit", Revision: cfg.Revision, Base: encodeState(guardState(cfg))}
	if p := cfg.BillingGuard; p != nil {
		g.Mode, g.DropPercent, g.DropUnits = p.Mode, p.DropPercent, p.DropUnits
		if g.Mode == "" {
			g.Mode = mapping.GuardApply
		}
	}
	return g
}

// postGuard saves the integration's billing guard policy from the Billing
// plan tab's form: mode inherit, apply or hold, and the thresholds. It answers
// with a redirect to the tab and a message, so a reload does not post again.
func (h *handler) postGuard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, err)
		return
	}
	policy, err := guardPolicy(r)
	if err != nil {
		h.badRequest(w, err)
		return
	}
	rev, err := formRevision(r)
	if err != nil {
		h.badRequest(w, err)
		return
	}
	res := h.saveSection(ctx, r, rev, mappingSection{what: "the billing guard was", state: guardState,
		draft: func(_ *mapping.Editor, stored mapping.Config) (mapping.Config, error) {
			stored.BillingGuard = policy
			return stored, nil
		}})
	switch {
	case res.fault != nil:
		h.fail(w, "plan", res.fault)
	case res.refused != nil:
		msg := res.refused.Error
		if len(res.refused.Problems) > 0 {
			msg += " " + strings.Join(res.refused.Problems, "; ")
		}
		h.setFlash(w, flash{msg: "Billing guard: " + msg})
		w.Header().Set("Location", "plan")
		w.WriteHeader(http.StatusSeeOther)
	default:
		h.log.InfoContext(ctx, "console: billing guard saved", "mode", r.PostFormValue("guard-mode"))
		h.savedRedirect(w, r, "plan", "Billing guard saved: the next billing cycle applies it.")
	}
}

// guardState is the billing guard's policy in words, for the safe saves.
func guardState(cfg mapping.Config) sectionState {
	mode, pct, units := "as the daemon's configuration says", 0, 0
	if p := cfg.BillingGuard; p != nil {
		mode, pct, units = p.Mode, p.DropPercent, p.DropUnits
		if mode == "" {
			mode = mapping.GuardApply
		}
	}
	return sectionState{"policy": mode, "drop percent": strconv.Itoa(pct), "drop units": strconv.Itoa(units)}
}

// guardPolicy reads the policy from the form; nil for "inherit".
func guardPolicy(r *http.Request) (*mapping.BillingGuard, error) {
	mode := r.PostFormValue("guard-mode")
	switch mode {
	case "inherit":
		return nil, nil
	case mapping.GuardApply, mapping.GuardHold:
	default:
		return nil, fmt.Errorf("guard-mode %q: want inherit, %s or %s", mode, mapping.GuardApply, mapping.GuardHold)
	}
	g := &mapping.BillingGuard{Mode: mode}
	for _, f := range []struct {
		name string
		to   *int
	}{{"drop-percent", &g.DropPercent}, {"drop-units", &g.DropUnits}} {
		s := strings.TrimSpace(r.PostFormValue(f.name))
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a whole number", f.name, s)
		}
		*f.to = n
	}
	if err := g.Check(); err != nil {
		return nil, err
	}
	return g, nil
}
