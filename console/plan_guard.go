package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// heldView is a held change on the Billing plan tab.
type heldView struct {
	Key      string
	Symbol   string
	Line     string
	Why      string
	Usage    string
	Rejected bool
}

// heldViews describes the plan's held changes with the usage behind them,
// each tenant named by n in the solution's words.
func heldViews(plan billing.Plan, n namer) []heldView {
	out := make([]heldView, 0, len(plan.Held))
	for _, h := range plan.Held {
		line := h.Change.String()
		v := heldView{Key: h.Key, Symbol: line[:1], Line: line, Why: strings.Join(h.Why, "; "), Rejected: h.Rejected}
		var usage []string
		for _, u := range plan.Usage {
			if u.Agreement == h.Agreement && billing.SameItem(u.ItemID, h.ItemID) {
				what := string(u.App)
				if a, ok := kaspersky.LookupApplication(u.App); ok {
					what = a.Name
				}
				if u.Category != 0 {
					what += ", " + u.Category.String()
				}
				usage = append(usage, fmt.Sprintf("%s counts %d (%s)", n.tenant(u.TenantID), u.Quantity, what))
			}
		}
		if len(usage) == 0 {
			usage = append(usage, "no billable usage counted for the item")
		}
		v.Usage = strings.Join(usage, "; ")
		out = append(out, v)
	}
	return out
}

// approvedKeys returns the keys of the approved decisions.
func (h *handler) approvedKeys(ctx context.Context) map[string]bool {
	out := map[string]bool{}
	if h.opt.Decisions == nil {
		return out
	}
	d, err := h.opt.Decisions.Decisions(ctx)
	if err != nil {
		h.log.WarnContext(ctx, "console: reading the decisions on held changes", "error", err)
		return out
	}
	for k, v := range d {
		if v.Approved {
			out[k] = true
		}
	}
	return out
}

// postPlan approves or rejects held changes: decision "approve" or "reject"
// with one key, or "approve-all" / "reject-all" with the keys shown. Each key
// is checked against a fresh plan, so that a decision is only stored for a
// change that is held now; the next cycle (or Run now) writes the approved
// ones.
func (h *handler) postPlan(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, err)
		return
	}
	decision := r.PostForm.Get("decision")
	keys := r.PostForm["key"]
	var approve bool
	switch decision {
	case "approve", "approve-all":
		approve = true
	case "reject", "reject-all":
	default:
		h.badRequest(w, fmt.Errorf("decision %q: want approve, reject, approve-all or reject-all", decision))
		return
	}
	if len(keys) == 0 || (!strings.HasSuffix(decision, "-all") && len(keys) != 1) {
		h.badRequest(w, fmt.Errorf("decision %q: %d keys given", decision, len(keys)))
		return
	}
	msg, err := h.decide(ctx, keys, approve)
	switch {
	case err == nil:
		h.log.InfoContext(ctx, "console: held billing changes decided", "approved", approve, "changes", len(keys))
		h.setFlash(w, flash{ok: true, msg: msg})
	case errors.Is(err, ErrNotLeader):
		h.setFlash(w, flash{msg: "Nothing decided: " + ErrNotLeader.Error() + "."})
	default:
		h.log.ErrorContext(ctx, "console: deciding held billing changes", "error", err)
		h.setFlash(w, flash{msg: "Nothing decided: " + err.Error()})
	}
	w.Header().Set("Location", "plan")
	w.WriteHeader(http.StatusSeeOther)
}

// decide stores the decision on the held changes of keys.
func (h *handler) decide(ctx context.Context, keys []string, approve bool) (string, error) {
	if h.opt.Planner == nil {
		return "", errors.New("the billing plan is not available in this console")
	}
	cfg, err := h.opt.Store.Load(ctx, h.opt.Integration)
	if err != nil {
		return "", err
	}
	plan, err := h.opt.Planner.Plan(ctx, cfg)
	if err != nil {
		return "", err
	}
	held := map[string]*billing.Held{}
	for i := range plan.Held {
		held[plan.Held[i].Key] = &plan.Held[i]
	}
	var gone int
	var done []billing.Decision
	for _, k := range keys {
		hc := held[k]
		if hc == nil {
			gone++
			continue
		}
		done = append(done, billing.Decision{Key: k, Agreement: hc.Agreement, Approved: approve, At: time.Now().UTC(), Change: hc.Change.String()})
	}
	if len(done) == 0 {
		return "", errors.New("the change is no longer held: its usage moved or it was written; the plan below is up to date")
	}
	for _, d := range done {
		if err := h.opt.Decisions.Decide(ctx, d); err != nil {
			return "", err
		}
	}
	msg := fmt.Sprintf("%d change(s) rejected: they stay held until the usage changes.", len(done))
	if approve {
		msg = fmt.Sprintf("%d change(s) approved: the next billing cycle, or Run now, writes them.", len(done))
	}
	if gone > 0 {
		msg += fmt.Sprintf(" %d change(s) were no longer held.", gone)
	}
	return msg, nil
}
