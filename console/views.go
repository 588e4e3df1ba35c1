package console

import (
	"net/http"
	"slices"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

type planData struct {
	Available bool
	// Tenants is what the solution's tenants are called ("virtual servers",
	// "companies").
	Tenants string
	// Held are the changes the billing guard holds; CanDecide says whether
	// the console can approve or reject them.
	Held      []heldView
	CanDecide bool
	// Guard is the integration's billing guard policy, edited on the tab.
	Guard   guardForm
	Changes []planChange
	Text    string
	Create  int
	Update  int
	Delete  int
	Same    int
}

type planChange struct {
	Symbol string
	Line   string
	// Approved marks a held change a person approved: the next cycle writes
	// it.
	Approved bool
}

// plan shows the dry run of the next billing cycle over the saved configuration.
func (h *handler) plan(w http.ResponseWriter, r *http.Request) {
	p := &page{Tab: "plan", Title: "Billing plan"}
	if f, ok := h.readFlash(w, r); ok {
		if f.ok {
			p.Notice = f.msg
		} else {
			p.Error = f.msg
		}
	}
	d := planData{Available: h.opt.Planner != nil, CanDecide: h.opt.Decisions != nil, Tenants: plural("", h.opt.Solution)}
	if d.Available {
		cfg, err := h.opt.Store.Load(r.Context(), h.opt.Integration)
		if err != nil {
			h.fail(w, "plan", err)
			return
		}
		plan, err := h.opt.Planner.Plan(r.Context(), cfg)
		if err != nil {
			h.fail(w, "plan", err)
			return
		}
		d.Guard = guardFormOf(cfg)
		d.Tenants = plural(cfg.Solution, h.opt.Solution)
		d.Create, d.Update, d.Delete, d.Same = plan.Counts()
		approved := h.approvedKeys(r.Context())
		for _, c := range plan.Changes {
			if c.Action == billing.NoOp {
				continue
			}
			line := c.String()
			d.Changes = append(d.Changes, planChange{Symbol: line[:1], Line: line, Approved: approved[billing.ChangeKey(&c)]})
		}
		// Tenants are named from the configuration: the plan view asks
		// Tigerpaw nothing more than the plan did.
		n := namer{solution: cfg.Solution, tenants: map[string]string{}}
		if n.solution == "" {
			n.solution = h.opt.Solution
		}
		for _, t := range cfg.Tenants {
			n.tenants[t.ID] = t.Name
		}
		d.Held = heldViews(plan, n)
		d.Text = plan.Explain()
	}
	p.Data = d
	h.render(w, http.StatusOK, "plan.html", p)
}

type unmappedData struct {
	Type     string
	Types    []option
	Accounts []mapping.Account
}

// unmapped lists the Tigerpaw accounts no integration maps, filtered by type.
func (h *handler) unmapped(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	typ := r.URL.Query().Get("type")
	cfgs, err := h.opt.Store.List(ctx)
	if err != nil {
		h.fail(w, "unmapped", err)
		return
	}
	all, err := h.opt.Directory.Accounts(ctx)
	if err != nil {
		h.fail(w, "unmapped", err)
		return
	}
	accts, err := mapping.UnmappedAccounts(ctx, h.opt.Directory, typ, cfgs...)
	if err != nil {
		h.fail(w, "unmapped", err)
		return
	}
	var types []string
	for _, a := range all {
		if a.Type != "" && !slices.Contains(types, a.Type) {
			types = append(types, a.Type)
		}
	}
	slices.Sort(types)
	d := unmappedData{Type: typ, Types: nameOptions(types, typ, "All types"), Accounts: accts}
	h.render(w, http.StatusOK, "unmapped.html", &page{Tab: "unmapped", Title: "Unmapped accounts", Data: d})
}
