package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// The External Product of the integration: accounts with automatic billing on
// must be cross-referenced to it in Tigerpaw. The Accounts tab offers it as a
// drop-down of Tigerpaw's active External Products, in a form of its own
// (POST externalproduct) saved through the same safe-save path as the tabs.
// Options.ExternalProductID is only the default of an integration not saved
// yet.

// productField is the field of the External Product in mapping's problems and
// in the form.
const (
	productField     = "externalProductId"
	productFormField = "externalProduct"
)

// productData is the External Product control of the Accounts tab.
type productData struct {
	// Listed is set when Options.Directory lists External Products
	// (mapping.ExternalProductLister): the control is a drop-down.
	Listed bool
	// ReadError says why Tigerpaw's list could not be read: the control is
	// not shown, the current value is kept.
	ReadError string
	// Current is the saved External Product in words.
	Current  string
	Revision int64
	Base     string // the saved section (see saves.go)
	Options  []option
	Field    string
}

// productState is the External Product of c as a section (see saves.go).
func productState(c mapping.Config) sectionState {
	v := "none"
	if c.ExternalProductID > 0 {
		v = "id " + strconv.Itoa(c.ExternalProductID)
	}
	return sectionState{"External Product": v}
}

// productName is an External Product in words: its name and id.
func productName(p mapping.ExternalProduct) string {
	return fmt.Sprintf("%s (id %d)", p.Name, p.ID)
}

// activeProducts lists Tigerpaw's active External Products; ok is false when
// the directory does not list them.
func (h *handler) activeProducts(ctx context.Context) (products []mapping.ExternalProduct, ok bool, err error) {
	l, ok := h.opt.Directory.(mapping.ExternalProductLister)
	if !ok {
		return nil, false, nil
	}
	all, err := l.ExternalProducts(ctx)
	if err != nil {
		return nil, true, fmt.Errorf("reading Tigerpaw's External Products: %w", err)
	}
	for _, p := range all {
		if p.Active {
			products = append(products, p)
		}
	}
	return products, true, nil
}

// productControl is the External Product control: stored is the id saved (or
// a new integration's default), chosen the one selected (stored, or a refused
// posted one), rev the stored revision. Tigerpaw's list is read once.
func (h *handler) productControl(ctx context.Context, rev int64, stored, chosen int) productData {
	d := productData{Revision: rev, Base: encodeState(productState(mapping.Config{ExternalProductID: stored})), Field: productField, Current: "none"}
	products, listed, err := h.activeProducts(ctx)
	d.Listed = listed
	if err != nil {
		d.ReadError = err.Error()
		h.log.WarnContext(ctx, "console: listing External Products", "error", err)
	}
	byID := map[int]mapping.ExternalProduct{}
	for _, p := range products {
		byID[p.ID] = p
	}
	if stored > 0 {
		d.Current = "id " + strconv.Itoa(stored)
		if p, ok := byID[stored]; ok {
			d.Current = productName(p)
		}
	}
	d.Options = []option{{Value: "", Label: "Select External Product", Selected: chosen == 0}}
	for _, p := range products {
		d.Options = append(d.Options, option{Value: strconv.Itoa(p.ID), Label: productName(p), Selected: p.ID == chosen})
	}
	if _, ok := byID[chosen]; chosen > 0 && !ok {
		d.Options = append(d.Options, option{Value: strconv.Itoa(chosen), Selected: true,
			Label: fmt.Sprintf("id %d (not an active External Product in Tigerpaw)", chosen)})
	}
	return d
}

// errNoProductList is the refusal of a save when the console cannot list
// External Products.
var errNoProductList = errors.New("this console's Tigerpaw directory does not list External Products")

// postedProduct reads the External Product of the form and checks it against
// products, Tigerpaw's active External Products; "" is none (0).
func postedProduct(r *http.Request, products []mapping.ExternalProduct) (int, error) {
	v := strings.TrimSpace(r.PostFormValue(productFormField))
	if v == "" {
		return 0, nil
	}
	id, err := strconv.Atoi(v)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("External Product: %q is not an External Product id", v)
	}
	for _, p := range products {
		if p.ID == id {
			return id, nil
		}
	}
	return 0, fmt.Errorf("External Product: id %d is not an active External Product in Tigerpaw; choose one of the list", id)
}

// postProduct saves the External Product of the integration.
func (h *handler) postProduct(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if a := r.PostFormValue("action"); a != "save" {
		h.badRequest(w, fmt.Errorf("action %q: want save", a))
		return
	}
	rev, err := formRevision(r)
	if err != nil {
		h.badRequest(w, err)
		return
	}
	// refuse shows the Accounts tab as saved, with chosen selected in the
	// External Product control.
	refuse := func(status int, chosen int, p *page) {
		ed, err := h.openEditor(ctx)
		if err != nil {
			h.fail(w, "accounts", err)
			return
		}
		h.renderAccountsProduct(w, r, status, ed, ed.Draft(), "", chosen, p)
	}
	products, listed, err := h.activeProducts(ctx)
	switch {
	case !listed:
		refuse(http.StatusUnprocessableEntity, 0, &page{Error: "Not saved: " + errNoProductList.Error() + "."})
		return
	case err != nil:
		// Nothing is written when the choice cannot be checked.
		h.log.WarnContext(ctx, "console: External Product not saved", "error", err)
		refuse(http.StatusBadGateway, -1, &page{Error: "Not saved: " + err.Error() + ". The External Product is unchanged."})
		return
	}
	id, err := postedProduct(r, products)
	if err != nil {
		refuse(http.StatusUnprocessableEntity, -1, &page{Error: "Not saved: " + err.Error() + ".",
			Errors: map[string]string{productField: err.Error()}})
		return
	}
	res := h.saveSection(ctx, r, rev, mappingSection{what: "the External Product was", state: productState,
		draft: func(ed *mapping.Editor, _ mapping.Config) (mapping.Config, error) {
			if err := ed.SetExternalProduct(id); err != nil {
				return mapping.Config{}, err
			}
			return ed.Draft(), nil
		}})
	switch {
	case res.fault != nil:
		h.fail(w, "accounts", res.fault)
	case res.refused != nil:
		refuse(http.StatusUnprocessableEntity, id, res.refused)
	default:
		h.savedRedirect(w, r, "accounts", "Saved: the External Product.")
	}
}
