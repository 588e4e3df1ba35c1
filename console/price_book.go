package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// PriceBookLister lists Tigerpaw's price book items. When [Options.Directory]
// implements it (kasperskytigerpaw.Directory and mappingtest.Directory do),
// each slot of the Price book items tab is a drop-down of those items, listed
// once per page; otherwise a field for the item's ItemId.
type PriceBookLister interface {
	PriceBookItems(ctx context.Context) ([]mapping.PriceBookItem, error)
}

// itemSlot is one price book item of an application: its single item, or
// one of its three items by device category.
type itemSlot struct {
	Name  string // the form field, e.g. "workstations.3"
	ID    string // the element id
	Label string // "Windows workstations", or "" for the single item
	Value string // the item id chosen (staged)
	// Unknown is set when Value is not in Tigerpaw's list: it is shown,
	// marked, so that the MSP sees it, and Save refuses it.
	Unknown bool
	Field   string // the field of its problems
	Error   string
}

// appRow is one application of the Price book items tab.
type appRow struct {
	Index int
	App   string
	Name  string
	// ByCategory is true when the application is billed by device category
	// in the staged mode: the three category slots are shown, else the
	// single one. PerUser applications (kaspersky.SingleItemOnly) never are.
	ByCategory bool
	PerUser    bool
	Single     itemSlot
	Categories []itemSlot
	Field      string // prefix of its problems' fields
}

type priceBookData struct {
	Revision       int64
	Base           string // the saved section (see saves.go)
	BillByCategory bool
	// HasList is set when Items is Tigerpaw's price book (the slots are
	// drop-downs).
	HasList bool
	Items   []mapping.PriceBookItem
	Rows    []appRow
}

func (h *handler) priceBook(w http.ResponseWriter, r *http.Request) {
	ed, err := h.openEditor(r.Context())
	if err != nil {
		h.fail(w, "pricebook", err)
		return
	}
	h.renderPriceBook(w, r, http.StatusOK, ed, ed.Draft(), nil, h.flashPage(w, r))
}

// renderPriceBook shows draft; posted, when not nil, is the posted form whose
// slots override draft's, so that the items staged for the other billing mode
// are kept across a refresh.
func (h *handler) renderPriceBook(w http.ResponseWriter, r *http.Request, status int, ed *mapping.Editor, draft mapping.Config, posted url.Values, p *page) {
	d := priceBookData{Revision: ed.Saved().Revision, Base: encodeState(priceBookState(ed.Draft())), BillByCategory: draft.PriceBook.BillByCategory}
	if l, ok := h.opt.Directory.(PriceBookLister); ok {
		items, err := l.PriceBookItems(r.Context())
		if err != nil {
			h.fail(w, "pricebook", fmt.Errorf("reading Tigerpaw's price book: %w", err))
			return
		}
		d.HasList, d.Items = true, items
	}
	known := map[string]bool{}
	for _, it := range d.Items {
		known[billing.ItemKey(it.ID)] = true
	}
	for i, a := range kaspersky.Catalog {
		items, _ := draft.PriceBook.Lookup(a.ID)
		field := "priceBook.apps[" + string(a.ID) + "]"
		slot := func(form, id, label, value, sub string) itemSlot {
			name := fmt.Sprintf("%s.%d", form, i)
			if posted != nil && posted.Has(name) {
				value = billing.TrimItemID(posted.Get(name))
			}
			s := itemSlot{Name: name, ID: id + "-" + string(a.ID), Label: label, Value: value, Field: field + "." + sub}
			s.Unknown = d.HasList && value != "" && !known[billing.ItemKey(value)]
			s.Error = p.Errors[s.Field]
			return s
		}
		row := appRow{Index: i, App: string(a.ID), Name: a.Name, PerUser: kaspersky.SingleItemOnly(a.ID),
			ByCategory: kaspersky.BilledByCategory(a.ID, draft.PriceBook.BillByCategory), Field: field,
			Single: slot("item", "item", "", items.Item, "item")}
		if !row.PerUser {
			row.Categories = []itemSlot{
				slot("workstations", "workstations", "Windows workstations", items.Workstations, "workstations"),
				slot("servers", "servers", "Windows servers", items.Servers, "servers"),
				slot("nonWindows", "nonWindows", "Non-Windows devices", items.NonWindows, "nonWindows"),
			}
		}
		d.Rows = append(d.Rows, row)
	}
	p.Tab, p.Title, p.Data = "pricebook", "Price book items", d
	h.render(w, status, "pricebook.html", p)
}

// priceBookDraft reads the posted price book. Applications with no item are
// unmapped; the slots of the other billing mode are ignored.
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

// checkListed refuses an item of draft's price book that is not in Tigerpaw's
// list (the drop-downs offer none other; a crafted or stale form may).
func (h *handler) checkListed(ctx context.Context, draft mapping.Config) error {
	l, ok := h.opt.Directory.(PriceBookLister)
	if !ok {
		return nil // mapping's validation looks each item up
	}
	items, err := l.PriceBookItems(ctx)
	if err != nil {
		return fmt.Errorf("reading Tigerpaw's price book: %w", err)
	}
	known := map[string]bool{}
	for _, it := range items {
		known[billing.ItemKey(it.ID)] = true
	}
	for _, a := range draft.PriceBook.Apps {
		for _, id := range a.ItemIDs() {
			if !known[billing.ItemKey(id)] {
				return fmt.Errorf("%s: price book item %q is not in Tigerpaw's price book (deleted, inactive or mistyped): choose one from the list", appName(a.App), id)
			}
		}
	}
	return nil
}

func (h *handler) postPriceBook(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	action := r.PostFormValue("action")
	switch action {
	case "cancel", "reset", "refresh":
		ed, err := h.openEditor(ctx)
		if err != nil {
			h.fail(w, "pricebook", err)
			return
		}
		switch action {
		case "cancel":
			h.renderPriceBook(w, r, http.StatusOK, ed, ed.Saved(), nil, &page{Notice: "Changes cancelled: the last saved price book is shown."})
		case "reset":
			_ = ed.ResetToDefaults(mapping.SectionPriceBook)
			h.renderPriceBook(w, r, http.StatusOK, ed, ed.Draft(), nil, &page{Notice: "Defaults shown (bill by category off, no application mapped). Click Save changes to save them."})
		default:
			draft, err := priceBookDraft(r, ed.Draft())
			if err != nil {
				h.renderPriceBook(w, r, http.StatusUnprocessableEntity, ed, ed.Draft(), nil, &page{Error: "Not saved: " + err.Error()})
				return
			}
			h.renderPriceBook(w, r, http.StatusOK, ed, draft, r.PostForm, &page{Notice: "Changes not saved yet."})
		}
		return
	case "save":
	default:
		h.badRequest(w, fmt.Errorf("action %q: want save, cancel, reset or refresh", action))
		return
	}
	rev, err := formRevision(r)
	if err != nil {
		h.badRequest(w, err)
		return
	}
	res := h.saveSection(ctx, r, rev, mappingSection{what: "the price book items were", state: priceBookState,
		draft: func(_ *mapping.Editor, stored mapping.Config) (mapping.Config, error) {
			draft, err := priceBookDraft(r, stored)
			if err != nil {
				return stored, err
			}
			return draft, h.checkListed(ctx, draft)
		}})
	switch {
	case res.fault != nil:
		h.fail(w, "pricebook", res.fault)
	case res.refused != nil:
		h.renderPriceBook(w, r, http.StatusUnprocessableEntity, res.ed, res.draft, r.PostForm, res.refused)
	default:
		h.savedRedirect(w, r, "pricebook", "")
	}
}

// appName is the name of an application, or its id when not in the catalog.
func appName(id kaspersky.AppID) string {
	if a, ok := kaspersky.LookupApplication(id); ok {
		return a.Name
	}
	return string(id)
}
