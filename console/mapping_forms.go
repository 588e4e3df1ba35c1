package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// openEditor opens a mapping editor over the saved configuration; a new
// integration gets the solution and external product of the options.
func (h *handler) openEditor(ctx context.Context) (*mapping.Editor, error) {
	ed, err := mapping.Open(ctx, h.opt.Store, h.opt.Directory, h.opt.Integration, mapping.WithLogger(h.log))
	if err != nil {
		return nil, err
	}
	if ed.Saved().Revision == 0 {
		d := ed.Draft()
		if d.Solution == "" {
			d.Solution = h.opt.Solution
		}
		if d.ExternalProductID == 0 {
			d.ExternalProductID = h.opt.ExternalProductID
		}
		ed.Replace(d)
	}
	return ed, nil
}

// formRevision reads the hidden revision field of a form.
func formRevision(r *http.Request) (int64, error) {
	rev, err := strconv.ParseInt(r.PostFormValue("revision"), 10, 64)
	if err != nil || rev < 0 {
		return 0, fmt.Errorf("revision: %q is not a revision number", r.PostFormValue("revision"))
	}
	return rev, nil
}

// mappingSection is a tab of the mapping, as the console saves it.
type mappingSection struct {
	// what names the section in a conflict message ("the price book items").
	what string
	// state is the section of a configuration in words (see sectionState).
	state func(mapping.Config) sectionState
	// draft applies the posted form to the stored configuration.
	draft func(ed *mapping.Editor, stored mapping.Config) (mapping.Config, error)
}

// conflictMessage is shown when another save came first.
const conflictMessage = "Not saved: the configuration was changed elsewhere since this page was loaded (revision conflict). " +
	"Your changes are still shown; Cancel changes loads the saved configuration, then redo them."

// saveResult is the outcome of saveSection.
type saveResult struct {
	// fault is an error reading the store or Tigerpaw: the page fails.
	fault error
	// ed is the editor the save went through, and draft what the form
	// posted, to show again when the save was refused.
	ed    *mapping.Editor
	draft mapping.Config
	// refused is the page of a refused save (its message, problems and field
	// errors); nil when the section is saved.
	refused *page
	// already is set when the form was submitted before and its section is
	// already stored as posted.
	already bool
}

// maxSaveAttempts bounds the saves of a form that another save keeps
// overtaking between the load and the write.
const maxSaveAttempts = 3

// saveSection saves the section sec of the posted form r, as the safe-save
// rules of saves.go say: a form loaded at the stored revision is saved; one
// loaded earlier is answered as already saved when the stored section is what
// it posts, saved over the stored revision when its section was not changed
// since (another tab was), and refused with what changed otherwise.
func (h *handler) saveSection(ctx context.Context, r *http.Request, rev int64, sec mappingSection) saveResult {
	base, hasBase := formBase(r)
	for attempt := 1; ; attempt++ {
		ed, err := h.openEditor(ctx)
		if err != nil {
			return saveResult{fault: err}
		}
		stored := ed.Draft() // the saved configuration, or a new one's defaults
		draft, err := sec.draft(ed, stored)
		if err != nil {
			return saveResult{ed: ed, draft: stored, refused: &page{Error: "Not saved: " + err.Error()}}
		}
		storedState := sec.state(stored)
		switch judgeSave(rev, ed.Saved().Revision, base, hasBase, storedState, sec.state(draft)) {
		case alreadySaved:
			return saveResult{ed: ed, draft: stored, already: true}
		case saveConflict:
			return saveResult{ed: ed, draft: draft, refused: conflictPage(sec.what, base, hasBase, storedState)}
		}
		p, conflict := h.saveMapping(ctx, ed, draft)
		if conflict && attempt < maxSaveAttempts {
			continue // saved by someone else between the load and the write: judge again
		}
		if conflict {
			p = conflictPage(sec.what, base, hasBase, storedState)
		}
		return saveResult{ed: ed, draft: draft, refused: p}
	}
}

// saveMapping validates and saves draft through ed. On failure it returns
// the page to show (its message, the problems and the field errors), and
// conflict when the store refused the revision.
func (h *handler) saveMapping(ctx context.Context, ed *mapping.Editor, draft mapping.Config) (p *page, conflict bool) {
	ed.Replace(draft)
	err := ed.Save(ctx)
	switch {
	case err == nil:
		return nil, false
	case errors.Is(err, mapping.ErrSyncFailed):
		h.log.WarnContext(ctx, "console: saved, custom fields not synced", "error", err)
		return nil, false
	case errors.Is(err, mapping.ErrConflict):
		return nil, true
	}
	var ve *mapping.ValidationError
	if errors.As(err, &ve) {
		p := &page{Errors: map[string]string{},
			Error: fmt.Sprintf("Not saved: %d problem(s), also shown next to their fields:", len(ve.Problems))}
		names := h.names(ctx, draft)
		for _, pr := range ve.Problems {
			reason := names.problem(pr)
			if pr.Field != "" {
				if p.Errors[pr.Field] != "" {
					p.Errors[pr.Field] += "; "
				}
				p.Errors[pr.Field] += reason
			}
			p.Problems = append(p.Problems, reason)
		}
		return p, false
	}
	h.log.ErrorContext(ctx, "console: saving the mapping", "error", err)
	return &page{Error: "Not saved: " + err.Error()}, false
}

// tenantLabels are the labels of the tenants of c in section states: their
// names, with the id when two have the same name.
func tenantLabels(c mapping.Config) []string {
	count := map[string]int{}
	for _, t := range c.Tenants {
		count[t.Name]++
	}
	out := make([]string, len(c.Tenants))
	for i, t := range c.Tenants {
		out[i] = t.Name
		if count[t.Name] > 1 || t.Name == "" {
			out[i] = t.Name + " (" + t.ID + ")"
		}
	}
	return out
}

// companiesState is the Companies tab of c: the tenants in the integration.
func companiesState(c mapping.Config) sectionState {
	s := sectionState{}
	for _, l := range tenantLabels(c) {
		s[l] = "in the integration"
	}
	return s
}

// accountsState is the Accounts tab of c: each tenant's account and billing.
func accountsState(c mapping.Config) sectionState {
	s := sectionState{}
	labels := tenantLabels(c)
	for i, t := range c.Tenants {
		v := "no Tigerpaw account"
		if a := t.Account; a != nil && a.Number > 0 {
			v = fmt.Sprintf("Tigerpaw account %d, automatic billing ", a.Number)
			if a.Billing.Enabled {
				v += "on"
			} else {
				v += "off"
			}
			if a.Billing.Agreement > 0 {
				v += fmt.Sprintf(", agreement %d", a.Billing.Agreement)
			}
			if a.Billing.PriceLevel > 0 {
				v += fmt.Sprintf(", price level %d", a.Billing.PriceLevel)
			}
		}
		s[labels[i]] = v
	}
	return s
}

// priceBookState is the Price book items tab of c.
func priceBookState(c mapping.Config) sectionState {
	s := sectionState{"Bill devices by category": "off"}
	if c.PriceBook.BillByCategory {
		s["Bill devices by category"] = "on"
	}
	for _, a := range kaspersky.Catalog {
		items, ok := c.PriceBook.Lookup(a.ID)
		switch {
		case !ok || len(items.ItemIDs()) == 0:
			s[a.Name] = "no item"
		case items.Item != "":
			s[a.Name] = "item " + items.Item
		default:
			s[a.Name] = fmt.Sprintf("Windows workstations %s, Windows servers %s, non-Windows devices %s",
				orNone(items.Workstations), orNone(items.Servers), orNone(items.NonWindows))
		}
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
