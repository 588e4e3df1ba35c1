package console

import (
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
	Kind     string // "virtual servers" or "companies"
	Rows     []companyRow
}

func (h *handler) companies(w http.ResponseWriter, r *http.Request) {
	ed, err := h.openEditor(r.Context())
	if err != nil {
		h.fail(w, "companies", err)
		return
	}
	h.renderCompanies(w, r, http.StatusOK, ed, ed.Draft(), &page{})
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
	d := companiesData{Revision: ed.Saved().Revision, Kind: "companies"}
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
	ed, err := h.openEditor(ctx)
	if err != nil {
		h.fail(w, "companies", err)
		return
	}
	switch r.PostFormValue("action") {
	case "cancel":
		h.renderCompanies(w, r, http.StatusOK, ed, ed.Saved(), &page{Notice: "Changes cancelled: the last saved configuration is shown."})
		return
	case "reset":
		_ = ed.ResetToDefaults(mapping.SectionTenants)
		h.renderCompanies(w, r, http.StatusOK, ed, ed.Draft(), &page{Notice: "Defaults shown (no company in the integration). Click OK to save them."})
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
	avail, err := ed.AvailableTenants(ctx, all)
	if err != nil {
		h.fail(w, "companies", err)
		return
	}
	checked := r.PostForm["tenant"]
	draft := ed.Saved()
	if draft.Revision == 0 {
		draft = ed.Draft()
	}
	var tenants []mapping.Tenant
	for _, t := range draft.Tenants {
		if slices.Contains(checked, t.ID) {
			tenants = append(tenants, t)
		}
	}
	for _, id := range checked {
		if _, in := draft.Tenant(id); in {
			continue
		}
		i := slices.IndexFunc(avail, func(t kaspersky.Tenant) bool { return t.ID == id })
		if i < 0 {
			p := &page{Error: "Not saved: " + quoteID(id) + " is not a " + singular(draft.Solution) + " this integration may hold (unknown, or in another integration)."}
			h.renderCompanies(w, r, http.StatusUnprocessableEntity, ed, draft, p)
			return
		}
		tenants = append(tenants, mapping.Tenant{ID: id, Name: avail[i].Name})
	}
	draft.Tenants = tenants
	if p := h.saveMapping(ctx, ed, draft, rev); p != nil {
		h.renderCompanies(w, r, http.StatusUnprocessableEntity, ed, draft, p)
		return
	}
	h.renderCompanies(w, r, http.StatusOK, ed, ed.Saved(), &page{Notice: "Saved."})
}

func singular(s mapping.Solution) string {
	if s == mapping.SolutionKSC {
		return "virtual server"
	}
	return "company"
}

func quoteID(id string) string { return "\u201c" + id + "\u201d" }
