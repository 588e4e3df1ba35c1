package console

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// TestServiceOrdersEmptyRulesStore: a console over an empty rules store (a
// fresh integration) shows the default rules at revision 0 and saves the
// General settings as the store's first save.
func TestServiceOrdersEmptyRulesStore(t *testing.T) {
	t.Parallel()
	stores := map[string]func(t *testing.T) serviceorder.RulesStore{
		"memory": func(*testing.T) serviceorder.RulesStore { return serviceorder.NewMemoryRules() },
		"file": func(t *testing.T) serviceorder.RulesStore {
			s, err := serviceorder.NewFileRules(filepath.Join(t.TempDir(), "rules.json"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			rules := open(t)
			w.opts.Rules = rules
			c := w.serve(t)
			f := c.form("/serviceorders?section=general")
			if got := f.Get("revision"); got != "0" {
				t.Fatalf("revision on the page of an empty store: %q, want 0", got)
			}
			f.Set("section", "general")
			f.Set("rep", "11")
			f.Set("newStatus", "New")
			f.Set("closedStatus", "Closed")
			f.Set("action", "save")
			code, body := c.post("/serviceorders", f)
			if code != http.StatusOK {
				t.Fatalf("saving General into an empty store: %d\n%s", code, body)
			}
			mustContain(t, body, "Saved.")
			got, rev, err := rules.LoadRules(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := serviceorder.DefaultRules()
			want.General = serviceorder.General{Rep: 11, NewStatus: "New", ClosedStatus: "Closed"}
			if rev != 1 {
				t.Errorf("revision after the first save: %d, want 1", rev)
			}
			if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("saved rules (-want +got):\n%s", d)
			}
			if m := got.Missing(); len(m) != 0 {
				t.Errorf("Missing after saving General: %q", m)
			}
			// The same form again is based on revision 0, which is stale now:
			// a repeated submit, answered as already saved, nothing written.
			code, body = c.post("/serviceorders", f)
			if code != http.StatusOK {
				t.Errorf("saving again at revision 0: %d, want 200 (already saved)\n%s", code, body)
			}
			mustContain(t, body, "Already saved")
			if _, rev, _ := rules.LoadRules(context.Background()); rev != 1 {
				t.Errorf("revision after the repeated submit: %d, want 1", rev)
			}
		})
	}
}

func TestDeprecatedRulesNames(t *testing.T) {
	t.Parallel()
	r := serviceorder.DefaultRules()
	r.General.Rep = 3
	m := NewMemoryRules(r)
	got, rev, err := m.LoadRules(context.Background())
	if err != nil || rev != 1 || got.General.Rep != 3 {
		t.Fatalf("NewMemoryRules(r): rep %d revision %d error %v; want r at revision 1", got.General.Rep, rev, err)
	}
	_, err = m.SaveRules(context.Background(), r, 0)
	if !errors.Is(err, ErrConflict) || !errors.Is(err, serviceorder.ErrRevisionConflict) {
		t.Fatalf("stale save: error = %v, want one matching ErrConflict and serviceorder.ErrRevisionConflict", err)
	}
}
