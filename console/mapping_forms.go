package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

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

// conflictMessage is shown when another save came first.
const conflictMessage = "Not saved: the configuration was changed elsewhere since this page was loaded (revision conflict). " +
	"Your changes are still shown; Cancel changes loads the saved configuration, then redo them."

// saveMapping validates and saves draft through ed, after checking that the
// form was based on the saved revision. On failure it returns the page to show:
// its message, the problems and the field errors.
func (h *handler) saveMapping(ctx context.Context, ed *mapping.Editor, draft mapping.Config, rev int64) *page {
	if saved := ed.Saved().Revision; saved != rev {
		return &page{Error: conflictMessage}
	}
	ed.Replace(draft)
	err := ed.Save(ctx)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mapping.ErrSyncFailed):
		h.log.WarnContext(ctx, "console: saved, custom fields not synced", "error", err)
		return nil
	case errors.Is(err, mapping.ErrConflict):
		return &page{Error: conflictMessage}
	}
	var ve *mapping.ValidationError
	if errors.As(err, &ve) {
		p := &page{Errors: map[string]string{},
			Error: fmt.Sprintf("Not saved: %d problem(s), also shown next to their fields:", len(ve.Problems))}
		for _, pr := range ve.Problems {
			if pr.Field != "" {
				if p.Errors[pr.Field] != "" {
					p.Errors[pr.Field] += "; "
				}
				p.Errors[pr.Field] += pr.Reason
			}
			p.Problems = append(p.Problems, pr.Reason)
		}
		return p
	}
	h.log.ErrorContext(ctx, "console: saving the mapping", "error", err)
	return &page{Error: "Not saved: " + err.Error()}
}
