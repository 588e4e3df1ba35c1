package console

import (
	"net/http"
	"slices"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

type planData struct {
	Available bool
	Changes   []planChange
	Text      string
	Create    int
	Update    int
	Delete    int
	Same      int
}

type planChange struct {
	Symbol string
	Line   string
}

// plan shows the dry run of the next billing cycle over the saved configuration.
func (h *handler) plan(w http.ResponseWriter, r *http.Request) {
	d := planData{Available: h.opt.Planner != nil}
	if d.Available {
		cfg, err := h.opt.Store.Load(r.Context(), h.opt.Integration)
		if err != nil {
			h.fail(w, "plan", err)
			return
		}
		p, err := h.opt.Planner.Plan(r.Context(), cfg)
		if err != nil {
			h.fail(w, "plan", err)
			return
		}
		d.Create, d.Update, d.Delete, d.Same = p.Counts()
		for _, c := range p.Changes {
			if c.Action == billing.NoOp {
				continue
			}
			line := c.String()
			d.Changes = append(d.Changes, planChange{Symbol: line[:1], Line: line})
		}
		d.Text = p.Explain()
	}
	h.render(w, http.StatusOK, "plan.html", &page{Tab: "plan", Title: "Billing plan", Data: d})
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
