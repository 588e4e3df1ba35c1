package console

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Safe saves. Every save of a console form follows the same path:
//
//   - A save that succeeds answers with a redirect to the page (303 See Other,
//     POST-redirect-GET) whose flash message says Saved; reloading that page
//     shows it again and posts nothing ([handler.savedRedirect]).
//   - Each form carries, besides the revision of the store it was loaded at,
//     the state of its own section as the page showed it, in a hidden field
//     named "base" ([encodeState], [formBase]).
//   - A save whose revision is no longer the stored one is judged by section
//     ([judgeSave]): when the stored section already equals what the form
//     posts, the form was submitted twice (a double-click, a repeated post)
//     and is answered as saved; when the stored section is still the form's
//     base, another section was saved in between and the form's section is
//     saved over the new revision; otherwise someone else changed the same
//     section, and the save is refused with what they changed.

// baseField is the hidden field holding the section as the page showed it.
const baseField = "base"

// sectionState is a section of the configuration as the MSP reads it: each
// entry's label (a tenant's or an application's name, a setting) and its value
// in words. Two states are equal when the section is.
type sectionState map[string]string

// encodeState is the value of a form's base field for s.
func encodeState(s sectionState) string {
	b, _ := json.Marshal(s) // a map of strings always encodes
	return base64.RawURLEncoding.EncodeToString(b)
}

// formBase reads the base field of a posted form; ok is false when it is
// missing or malformed (a form of an older console).
func formBase(r *http.Request) (s sectionState, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(r.PostFormValue(baseField))
	if err != nil || len(b) == 0 {
		return nil, false
	}
	if err := json.Unmarshal(b, &s); err != nil || s == nil {
		return nil, false
	}
	return s, true
}

// saveVerdict is what to do with a posted save.
type saveVerdict int

const (
	// saveAsIs: the form was loaded at the stored revision.
	saveAsIs saveVerdict = iota
	// alreadySaved: the stored section is what the form posts (the same form
	// submitted twice); nothing to write.
	alreadySaved
	// saveRebased: another section changed since the form was loaded, not
	// this one; save the form's section over the stored revision.
	saveRebased
	// saveConflict: someone else changed this section; refuse.
	saveConflict
)

// judgeSave decides a save: formRev and base are what the form was loaded
// with (hasBase false when it carries no base), storedRev and stored the
// store's revision and section now, posted the section the form would save.
func judgeSave(formRev, storedRev int64, base sectionState, hasBase bool, stored, posted sectionState) saveVerdict {
	switch {
	case formRev == storedRev:
		return saveAsIs
	case maps.Equal(stored, posted):
		return alreadySaved
	case hasBase && maps.Equal(base, stored):
		return saveRebased
	}
	return saveConflict
}

// stateChanges lists, in words, how section was changed from "from" to "to":
// one line per entry, sorted by label.
func stateChanges(from, to sectionState) []string {
	keys := slices.Sorted(maps.Keys(from))
	for k := range to {
		if _, ok := from[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		a, inA := from[k]
		b, inB := to[k]
		switch {
		case inA && inB && a == b:
		case !inA:
			out = append(out, k+": added ("+b+")")
		case !inB:
			out = append(out, k+": removed (was "+a+")")
		default:
			out = append(out, k+": was "+a+", now "+b)
		}
	}
	return out
}

// conflictPage is the page of a save refused because someone else changed
// the same section (what) since the form was loaded: it says what they
// changed, from the form's base to the stored section.
func conflictPage(what string, base sectionState, hasBase bool, stored sectionState) *page {
	p := &page{Error: "Not saved: " + what + " changed elsewhere since this page was loaded (revision conflict). " +
		"Your changes are still shown; Save changes again to replace the other change, or Cancel changes to load it."}
	if hasBase {
		p.Problems = stateChanges(base, stored)
	}
	if len(p.Problems) > 0 {
		p.Error = strings.Replace(p.Error, "(revision conflict).", "(revision conflict); what changed:", 1)
	}
	return p
}

// savedRedirect answers a successful save (or a repeated one, recognised as
// already saved): a 303 See Other to target, a page of the console relative
// to the posted one (e.g. "pricebook", "serviceorders?section=general"), with
// msg as the flash notice the page then shows ("Saved." when empty). The
// browser loads the target with GET, so that a reload posts nothing.
func (h *handler) savedRedirect(w http.ResponseWriter, r *http.Request, target, msg string) {
	if msg == "" {
		msg = "Saved."
	}
	h.setFlash(w, flash{ok: true, msg: msg})
	if u, err := url.Parse(target); target == "" || err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(u.Path, "/") {
		target = "./" // only a page of the console, relative to the posted one
	}
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusSeeOther)
}

// flashPage is a new page carrying the flash message of r, if any (and
// clears it): the notice after a redirect from a save or Run now.
func (h *handler) flashPage(w http.ResponseWriter, r *http.Request) *page {
	p := &page{}
	if f, ok := h.readFlash(w, r); ok {
		if f.ok {
			p.Notice = f.msg
		} else {
			p.Error = f.msg
		}
	}
	return p
}
