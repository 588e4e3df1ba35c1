package console

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// companyRow is one check box of the Companies tab.
type companyRow struct {
	ID, Name string
	Checked  bool
}

type companiesData struct {
	Revision int64
	Base     string // the saved section (see saves.go)
	Kind     string // "virtual servers" or "companies"
	Rows     []companyRow
}

func (h *handler) companies(w http.ResponseWriter, r *http.Request) {
	ed, err := h.openEditor(r.Context())
	if err != nil {
		h.fail(w, "companies", err)
		return
	}
	h.renderCompanies(w, r, http.StatusOK, ed, ed.Draft(), h.flashPage(w, r))
}

func (h *handler) renderCompanies(w http.ResponseWriter, r *http.Request, status int, ed *mapping.Editor, draft mapping.Config, p *page) {
	all, err := h.opt.Source.Tenants(r.Context())
	if err != nil {
		h.fail(w, "companies", err)
		return
	}
	avail, err := ed.AvailableTenants(r.Context(), all)
	if err != nil {
		h.fail(w, "companies", err)
		return
	}
	d := companiesData{Revision: ed.Saved().Revision, Base: encodeState(companiesState(ed.Draft())), Kind: "companies"}
	if draft.Solution == mapping.SolutionKSC {
		d.Kind = "virtual servers"
	}
	for _, t := range avail {
		_, in := draft.Tenant(t.ID)
		d.Rows = append(d.Rows, companyRow{ID: t.ID, Name: t.Name, Checked: in})
	}
	p.Tab, p.Title, p.Data = "companies", "Companies", d
	h.render(w, status, "companies.html", p)
}

func (h *handler) postCompanies(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	switch r.PostFormValue("action") {
	case "cancel", "reset":
		ed, err := h.openEditor(ctx)
		if err != nil {
			h.fail(w, "companies", err)
			return
		}
		if r.PostFormValue("action") == "cancel" {
			h.renderCompanies(w, r, http.StatusOK, ed, ed.Saved(), &page{Notice: "Changes cancelled: the last saved configuration is shown."})
			return
		}
		_ = ed.ResetToDefaults(mapping.SectionTenants)
		kind := plural(ed.Draft().Solution, h.opt.Solution)
		h.renderCompanies(w, r, http.StatusOK, ed, ed.Draft(), &page{Notice: "Defaults shown (no " + kind[:len(kind)-1] + " in the integration). Click OK to save them."})
		return
	}
	rev, err := formRevision(r)
	if err != nil {
		h.badRequest(w, err)
		return
	}
	all, err := h.opt.Source.Tenants(ctx)
	if err != nil {
		h.fail(w, "companies", err)
		return
	}
	checked := r.PostForm["tenant"]
	res := h.saveSection(ctx, r, rev, mappingSection{what: "the " + plural("", h.opt.Solution) + " of the integration were", state: companiesState,
		draft: func(ed *mapping.Editor, stored mapping.Config) (mapping.Config, error) {
			return companiesDraft(ctx, ed, stored, checked, all)
		}})
	switch {
	case res.fault != nil:
		h.fail(w, "companies", res.fault)
	case res.refused != nil:
		h.renderCompanies(w, r, http.StatusUnprocessableEntity, res.ed, res.draft, res.refused)
	default:
		h.savedRedirect(w, r, "companies", "")
	}
}

// companiesDraft is stored with the checked tenants: those not checked are
// removed, the checked ones not in it added when available.
func companiesDraft(ctx context.Context, ed *mapping.Editor, stored mapping.Config, checked []string, all []kaspersky.Tenant) (mapping.Config, error) {
	draft := stored.Clone()
	avail, err := ed.AvailableTenants(ctx, all)
	if err != nil {
		return draft, err
	}
	var tenants []mapping.Tenant
	for _, t := range draft.Tenants {
		if slices.Contains(checked, t.ID) {
			tenants = append(tenants, t)
		}
	}
	for _, id := range checked {
		if _, in := draft.Tenant(id); in || slices.ContainsFunc(tenants, func(t mapping.Tenant) bool { return t.ID == id }) {
			continue
		}
		i := slices.IndexFunc(avail, func(t kaspersky.Tenant) bool { return t.ID == id })
		if i < 0 {
			return draft, fmt.Errorf("%s is not a %s this integration may hold (unknown, or in another integration)", quoteID(id), singular(draft.Solution))
		}
		tenants = append(tenants, mapping.Tenant{ID: id, Name: avail[i].Name})
	}
	draft.Tenants = tenants
	return draft, nil
}

// plural is what the solution's tenants are called: "virtual servers" (KSC)
// or "companies"; s, else def, is the solution.
func plural(s, def mapping.Solution) string {
	if s == "" {
		s = def
	}
	if s == mapping.SolutionKSC {
		return "virtual servers"
	}
	return "companies"
}

func singular(s mapping.Solution) string {
	if s == mapping.SolutionKSC {
		return "virtual server"
	}
	return "company"
}

func quoteID(id string) string { return "\u201c" + id + "\u201d" }
