package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// option is one entry of a drop-down.
type option struct {
	Value    string
	Label    string
	Selected bool
}

// accountRow is one tenant of the Accounts tab.
type accountRow struct {
	Index      int
	ID, Name   string
	Hidden     bool // filtered out by the search, kept in the form
	Shown      int  // the account whose agreements are listed
	Accounts   []option
	Billing    bool
	Agreements []option
	Levels     []option
	// Field names of the validation problems, as mapping reports them.
	AccountField, BillingField, AgreementField, LevelField string
}

type accountsData struct {
	Revision int64
	Base     string // the saved section (see saves.go)
	Kind     string // the column: "Virtual server" or "Company"
	// KindLower and KindPlural are Kind in a sentence: "virtual server",
	// "virtual servers".
	KindLower, KindPlural string
	Query                 string
	// NoMatch is set when the search matches no tenant.
	NoMatch bool
	Rows    []accountRow
	// Product is the External Product control.
	Product productData
}

func (h *handler) accounts(w http.ResponseWriter, r *http.Request) {
	ed, err := h.openEditor(r.Context())
	if err != nil {
		h.fail(w, "accounts", err)
		return
	}
	h.renderAccounts(w, r, http.StatusOK, ed, ed.Draft(), r.URL.Query().Get("q"), h.flashPage(w, r))
}

func (h *handler) renderAccounts(w http.ResponseWriter, r *http.Request, status int, ed *mapping.Editor, draft mapping.Config, query string, p *page) {
	h.renderAccountsProduct(w, r, status, ed, draft, query, -1, p)
}

// renderAccountsProduct is renderAccounts with chosen selected in the
// External Product control (-1: draft's).
func (h *handler) renderAccountsProduct(w http.ResponseWriter, r *http.Request, status int, ed *mapping.Editor, draft mapping.Config, query string, chosen int, p *page) {
	ctx := r.Context()
	d, err := h.accountsData(ctx, ed.Saved().Revision, draft, query)
	d.Base = encodeState(accountsState(ed.Draft()))
	if err != nil {
		h.fail(w, "accounts", err)
		return
	}
	if chosen < 0 {
		chosen = draft.ExternalProductID
	}
	d.Product = h.productControl(ctx, ed.Saved().Revision, draft.ExternalProductID, chosen)
	p.Tab, p.Title, p.Data = "accounts", "Accounts", d
	h.render(w, status, "accounts.html", p)
}

func (h *handler) accountsData(ctx context.Context, rev int64, draft mapping.Config, query string) (accountsData, error) {
	dir := h.opt.Directory
	accts, err := dir.Accounts(ctx)
	if err != nil {
		return accountsData{}, fmt.Errorf("reading the Tigerpaw accounts: %w", err)
	}
	levels, err := dir.PriceLevels(ctx)
	if err != nil {
		return accountsData{}, fmt.Errorf("reading the Tigerpaw price levels: %w", err)
	}
	d := accountsData{Revision: rev, Kind: "Company", KindLower: "company", KindPlural: "companies", Query: query}
	if draft.Solution == mapping.SolutionKSC {
		d.Kind, d.KindLower, d.KindPlural = "Virtual server", "virtual server", "virtual servers"
	}
	shown := mapping.SearchTenants(draft.Tenants, query)
	d.NoMatch = query != "" && len(shown) == 0 && len(draft.Tenants) > 0
	for i, t := range draft.Tenants {
		row := accountRow{Index: i, ID: t.ID, Name: t.Name, Hidden: !containsTenant(shown, t.ID),
			AccountField:   "tenants[" + t.ID + "].account.number",
			BillingField:   "tenants[" + t.ID + "].account.billing.enabled",
			AgreementField: "tenants[" + t.ID + "].account.billing.agreement",
			LevelField:     "tenants[" + t.ID + "].account.billing.priceLevel",
		}
		var b mapping.Billing
		number := 0
		if t.Account != nil {
			number, b = t.Account.Number, t.Account.Billing
		}
		row.Billing, row.Shown = b.Enabled, number
		row.Accounts = append(row.Accounts, option{Value: "", Label: "(not mapped)", Selected: number == 0})
		known := number == 0
		for _, a := range accts {
			sel := a.Number == number
			known = known || sel
			row.Accounts = append(row.Accounts, option{Value: strconv.Itoa(a.Number), Label: fmt.Sprintf("%s (%d)", a.Name, a.Number), Selected: sel})
		}
		if !known {
			row.Accounts = append(row.Accounts, option{Value: strconv.Itoa(number), Label: fmt.Sprintf("unknown account %d", number), Selected: true})
		}
		if number > 0 && known {
			row.Agreements, err = agreementOptions(ctx, dir, number, b.Agreement)
			if err != nil {
				return accountsData{}, fmt.Errorf("reading the agreements of the Tigerpaw account of %s: %w", t.Name, err)
			}
		} else {
			row.Agreements, _ = agreementOptions(ctx, dir, 0, 0)
		}
		if b.Agreement > 0 && !anySelected(row.Agreements) {
			row.Agreements = append(row.Agreements, option{Value: strconv.Itoa(b.Agreement), Label: fmt.Sprintf("%d (not a recurring agreement of this account)", b.Agreement), Selected: true})
		}
		row.Levels = append(row.Levels, option{Value: "", Label: "Select price level", Selected: b.PriceLevel == 0})
		for _, l := range levels {
			row.Levels = append(row.Levels, option{Value: strconv.Itoa(l.ID), Label: l.Description, Selected: l.ID == b.PriceLevel})
		}
		if b.PriceLevel > 0 && !anySelected(row.Levels) {
			row.Levels = append(row.Levels, option{Value: strconv.Itoa(b.PriceLevel), Label: fmt.Sprintf("unknown price level %d", b.PriceLevel), Selected: true})
		}
		d.Rows = append(d.Rows, row)
	}
	return d, nil
}

// agreementOptions is the agreement drop-down of an account (0: none): its
// recurring agreements, selected the one numbered selected.
func agreementOptions(ctx context.Context, dir mapping.Directory, account, selected int) ([]option, error) {
	out := []option{{Value: "", Label: "Select agreement", Selected: selected == 0}}
	if account == 0 {
		return out, nil
	}
	agrs, err := dir.Agreements(ctx, account)
	if err != nil {
		return nil, err
	}
	for _, a := range agrs {
		if !a.Recurring || a.Account != account {
			continue
		}
		label := fmt.Sprintf("%d, starts %s", a.Number, a.Start.Format("2006-01-02"))
		out = append(out, option{Value: strconv.Itoa(a.Number), Label: label, Selected: a.Number == selected})
	}
	return out, nil
}

// agreementsFragment answers the options of the agreement drop-down of an
// account (?account=N; empty for none): console.js replaces a row's list with
// it when the row's account changes, without reloading the page.
func (h *handler) agreementsFragment(w http.ResponseWriter, r *http.Request) {
	account := 0
	if v := r.URL.Query().Get("account"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			h.badRequest(w, fmt.Errorf("account: %q is not an account number", v))
			return
		}
		account = n
	}
	opts, err := agreementOptions(r.Context(), h.opt.Directory, account, 0)
	if err != nil {
		h.log.Error("console: listing agreements", "account", account, "error", err)
		http.Error(w, "the agreements could not be read from Tigerpaw: "+err.Error(), http.StatusBadGateway)
		return
	}
	h.renderFragment(w, "agreement-options", opts)
}

func anySelected(opts []option) bool {
	for _, o := range opts[1:] {
		if o.Selected {
			return true
		}
	}
	return false
}

func containsTenant(ts []mapping.Tenant, id string) bool {
	for _, t := range ts {
		if t.ID == id {
			return true
		}
	}
	return false
}

// formInt reads an optional positive number field ("" is 0).
func formInt(r *http.Request, name, what string) (int, error) {
	v := strings.TrimSpace(r.PostFormValue(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: %q is not a number", what, v)
	}
	return n, nil
}

// accountsDraft applies the posted rows to the saved configuration. Rows not
// posted keep their saved values. When the account of a row changed, the
// agreement on the page was one of the old account's and is dropped.
func accountsDraft(r *http.Request, saved mapping.Config) (mapping.Config, error) {
	draft := saved.Clone()
	for _, v := range r.PostForm["row"] {
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 || i >= len(draft.Tenants) {
			return draft, fmt.Errorf("row %q: no such tenant row", v)
		}
		t := &draft.Tenants[i]
		if r.PostFormValue(fmt.Sprintf("id.%d", i)) != t.ID {
			return draft, fmt.Errorf("row %d: the tenants changed since the page was loaded; reload it", i)
		}
		acct, err := formInt(r, fmt.Sprintf("account.%d", i), "Tigerpaw account of "+t.Name)
		if err != nil {
			return draft, err
		}
		if acct == 0 {
			t.Account = nil
			continue
		}
		agr, err := formInt(r, fmt.Sprintf("agreement.%d", i), "agreement of "+t.Name)
		if err != nil {
			return draft, err
		}
		lvl, err := formInt(r, fmt.Sprintf("level.%d", i), "price level of "+t.Name)
		if err != nil {
			return draft, err
		}
		b := mapping.Billing{Enabled: r.PostFormValue(fmt.Sprintf("billing.%d", i)) == "on", Agreement: agr, PriceLevel: lvl}
		if r.PostFormValue(fmt.Sprintf("shown.%d", i)) != strconv.Itoa(acct) {
			// The account was just changed: the agreement list on the page was the
			// old account's.
			b.Agreement = 0
		}
		t.Account = &mapping.AccountMapping{Number: acct, Billing: b}
	}
	return draft, nil
}

func (h *handler) postAccounts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	query := r.PostFormValue("q")
	action := r.PostFormValue("action")
	if action != "save" {
		ed, err := h.openEditor(ctx)
		if err != nil {
			h.fail(w, "accounts", err)
			return
		}
		switch action {
		case "cancel":
			h.renderAccounts(w, r, http.StatusOK, ed, ed.Saved(), query, &page{Notice: "Changes cancelled: the last saved configuration is shown."})
			return
		case "reset":
			_ = ed.ResetToDefaults(mapping.SectionAccounts)
			kind := plural(ed.Draft().Solution, h.opt.Solution)
			h.renderAccounts(w, r, http.StatusOK, ed, ed.Draft(), query, &page{Notice: "Defaults shown (every " + kind[:len(kind)-1] + " unmapped). Click Save changes to save them."})
			return
		case "refresh", "search":
		default:
			h.badRequest(w, fmt.Errorf("action %q: want save, cancel, reset, refresh or search", action))
			return
		}
		base := ed.Draft()
		draft, err := accountsDraft(r, base)
		if err != nil {
			h.renderAccounts(w, r, http.StatusUnprocessableEntity, ed, base, query, &page{Error: "Not saved: " + err.Error()})
			return
		}
		if action == "search" {
			query = r.PostFormValue("search")
		}
		h.renderAccounts(w, r, http.StatusOK, ed, draft, query, &page{Notice: "Changes not saved yet."})
		return
	}
	rev, err := formRevision(r)
	if err != nil {
		h.badRequest(w, err)
		return
	}
	res := h.saveSection(ctx, r, rev, mappingSection{what: "the accounts of the integration were", state: accountsState,
		draft: func(_ *mapping.Editor, stored mapping.Config) (mapping.Config, error) {
			return accountsDraft(r, stored)
		}})
	switch {
	case res.fault != nil:
		h.fail(w, "accounts", res.fault)
	case res.refused != nil:
		h.renderAccounts(w, r, http.StatusUnprocessableEntity, res.ed, res.draft, query, res.refused)
	default:
		target := "accounts"
		if query != "" {
			target += "?" + url.Values{"q": {query}}.Encode()
		}
		h.savedRedirect(w, r, target, "")
	}
}
