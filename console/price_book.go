package console

import (
	"fmt"
	"net/http"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// appRow is one application of the Price book items tab.
type appRow struct {
	Index int
	App   string
	Name  string
	// Single is true when the application maps to one item: "bill devices by
	// category" is off, or it is licensed per user or per mailbox (PerUser,
	// kaspersky.SingleItemOnly).
	Single                                  bool
	PerUser                                 bool
	Item, Workstations, Servers, NonWindows string
	Field                                   string // prefix of its problems' fields
}

type priceBookData struct {
	Revision       int64
	BillByCategory bool
	Rows           []appRow
}

func (h *handler) priceBook(w http.ResponseWriter, r *http.Request) {
	ed, err := h.openEditor(r.Context())
	if err != nil {
		h.fail(w, "pricebook", err)
		return
	}
	h.renderPriceBook(w, http.StatusOK, ed, ed.Draft(), &page{})
}

func (h *handler) renderPriceBook(w http.ResponseWriter, status int, ed *mapping.Editor, draft mapping.Config, p *page) {
	d := priceBookData{Revision: ed.Saved().Revision, BillByCategory: draft.PriceBook.BillByCategory}
	for i, a := range kaspersky.Catalog {
		items, _ := draft.PriceBook.Lookup(a.ID)
		d.Rows = append(d.Rows, appRow{Index: i, App: string(a.ID), Name: a.Name, PerUser: kaspersky.SingleItemOnly(a.ID),
			Single: !kaspersky.BilledByCategory(a.ID, draft.PriceBook.BillByCategory),
			Item:   items.Item, Workstations: items.Workstations, Servers: items.Servers, NonWindows: items.NonWindows,
			Field: "priceBook.apps[" + string(a.ID) + "]"})
	}
	p.Tab, p.Title, p.Data = "pricebook", "Price book items", d
	h.render(w, status, "pricebook.html", p)
}

// priceBookDraft reads the posted price book. Applications with no item are
// unmapped; fields hidden by the billing mode are ignored.
func priceBookDraft(r *http.Request, saved mapping.Config) (mapping.Config, error) {
	draft := saved.Clone()
	byCat := r.PostFormValue("byCategory") == "on"
	pb := mapping.PriceBook{BillByCategory: byCat}
	for i, a := range kaspersky.Catalog {
		if got := r.PostFormValue(fmt.Sprintf("app.%d", i)); got == "" {
			// Not on the page: keep the saved mapping.
			if items, ok := saved.PriceBook.Lookup(a.ID); ok {
				pb.Apps = append(pb.Apps, items)
			}
			continue
		} else if got != string(a.ID) {
			return draft, fmt.Errorf("row %d: the applications changed since the page was loaded; reload it", i)
		}
		get := func(f string) string { return billing.TrimItemID(r.PostFormValue(fmt.Sprintf("%s.%d", f, i))) }
		var items mapping.AppItems
		if kaspersky.BilledByCategory(a.ID, byCat) && r.PostForm.Has(fmt.Sprintf("workstations.%d", i)) {
			items = mapping.ItemsByCategory(a.ID, get("workstations"), get("servers"), get("nonWindows"))
		} else {
			items = mapping.SingleItem(a.ID, get("item"))
		}
		if len(items.ItemIDs()) > 0 {
			pb.Apps = append(pb.Apps, items)
		}
	}
	draft.PriceBook = pb
	return draft, nil
}

func (h *handler) postPriceBook(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ed, err := h.openEditor(ctx)
	if err != nil {
		h.fail(w, "pricebook", err)
		return
	}
	action := r.PostFormValue("action")
	switch action {
	case "cancel":
		h.renderPriceBook(w, http.StatusOK, ed, ed.Saved(), &page{Notice: "Changes cancelled: the last saved price book is shown."})
		return
	case "reset":
		_ = ed.ResetToDefaults(mapping.SectionPriceBook)
		h.renderPriceBook(w, http.StatusOK, ed, ed.Draft(), &page{Notice: "Defaults shown (bill by category off, no application mapped). Click Save changes to save them."})
		return
	case "save", "refresh":
	default:
		h.badRequest(w, fmt.Errorf("action %q: want save, cancel, reset or refresh", action))
		return
	}
	rev, err := formRevision(r)
	if err != nil {
		h.badRequest(w, err)
		return
	}
	draft, err := priceBookDraft(r, ed.Draft())
	if err != nil {
		h.renderPriceBook(w, http.StatusUnprocessableEntity, ed, ed.Draft(), &page{Error: "Not saved: " + err.Error()})
		return
	}
	if action == "refresh" {
		h.renderPriceBook(w, http.StatusOK, ed, draft, &page{Notice: "Changes not saved yet."})
		return
	}
	if p := h.saveMapping(ctx, ed, draft, rev); p != nil {
		h.renderPriceBook(w, http.StatusUnprocessableEntity, ed, draft, p)
		return
	}
	h.renderPriceBook(w, http.StatusOK, ed, ed.Saved(), &page{Notice: "Saved."})
}
