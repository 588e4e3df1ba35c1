package serviceorder_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

func TestMemoryRulesConformance(t *testing.T) {
	t.Parallel()
	serviceordertest.RunRules(t, func(*testing.T) serviceorder.RulesStore { return serviceorder.NewMemoryRules() })
}

func TestZeroMemoryRulesConformance(t *testing.T) {
	t.Parallel()
	serviceordertest.RunRules(t, func(*testing.T) serviceorder.RulesStore { return new(serviceorder.MemoryRules) })
}

func TestFileRulesConformance(t *testing.T) {
	t.Parallel()
	serviceordertest.RunRules(t, func(t *testing.T) serviceorder.RulesStore {
		s, err := serviceorder.NewFileRules(filepath.Join(t.TempDir(), "rules.json"))
		if err != nil {
			t.Fatalf("NewFileRules: %v", err)
		}
		return s
	})
}

func TestFileRulesReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rules.json")
	s, err := serviceorder.NewFileRules(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveRules(t.Context(), serviceordertest.SampleRules(1), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveRules(t.Context(), serviceordertest.SampleRules(2), 1); err != nil {
		t.Fatal(err)
	}
	again, err := serviceorder.NewFileRules(path)
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	got, rev, err := again.LoadRules(t.Context())
	if err != nil {
		t.Fatalf("LoadRules after reopening: %v", err)
	}
	if rev != 2 {
		t.Errorf("revision after reopening: %d, want 2", rev)
	}
	if d := cmp.Diff(serviceordertest.SampleRules(2), got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("rules after reopening (-want +got):\n%s", d)
	}
	// The reopened store knows the revision: a save based on the first is stale.
	if _, err := again.SaveRules(t.Context(), serviceordertest.SampleRules(3), 1); !errors.Is(err, serviceorder.ErrRevisionConflict) {
		t.Errorf("stale save after reopening: error = %v, want ErrRevisionConflict", err)
	}
	// A save through one store is seen by the other, which reads the file.
	if _, err := again.SaveRules(t.Context(), serviceordertest.SampleRules(3), 2); err != nil {
		t.Fatal(err)
	}
	if _, rev, err := s.LoadRules(t.Context()); err != nil || rev != 3 {
		t.Errorf("the first store after a save through the second: revision %d, error %v; want 3", rev, err)
	}
	if _, err := s.SaveRules(t.Context(), serviceordertest.SampleRules(4), 2); !errors.Is(err, serviceorder.ErrRevisionConflict) {
		t.Errorf("the first store saving at the revision it last saw: error = %v, want ErrRevisionConflict", err)
	}
}

func TestFileRulesCorruptFile(t *testing.T) {
	t.Parallel()
	good, err := json.Marshal(map[string]any{"format": "kaspersky-tigerpaw/serviceorder-rules", "version": 1, "revision": 3, "rules": serviceordertest.SampleRules(1)})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"empty":          "",
		"truncated":      string(good[:len(good)/2]),
		"not json":       "rules: yes",
		"null":           "null",
		"an array":       "[]",
		"other format":   `{"format":"kaspersky-tigerpaw/serviceorder","version":1,"revision":1,"rules":{}}`,
		"newer version":  `{"format":"kaspersky-tigerpaw/serviceorder-rules","version":2,"revision":1,"rules":{}}`,
		"revision 0":     `{"format":"kaspersky-tigerpaw/serviceorder-rules","version":1,"revision":0,"rules":{}}`,
		"unknown field":  `{"format":"kaspersky-tigerpaw/serviceorder-rules","version":1,"revision":1,"rules":{},"extra":1}`,
		"trailing data":  string(good) + "{}",
		"bare, unknown":  `{"general":{"rep":7},"colour":"red"}`,
		"bare, bad type": `{"general":{"rep":"seven"}}`,
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "rules.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := serviceorder.NewFileRules(path)
			if !errors.Is(err, serviceorder.ErrCorruptStore) || !strings.Contains(err.Error(), path) {
				t.Fatalf("NewFileRules: error = %v, want ErrCorruptStore naming %s", err, path)
			}
			// A store opened before the file went bad fails too, and saves
			// nothing over the file.
			if err := os.WriteFile(path, good, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := serviceorder.NewFileRules(path)
			if err != nil {
				t.Fatalf("NewFileRules of a good file: %v", err)
			}
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.LoadRules(t.Context()); !errors.Is(err, serviceorder.ErrCorruptStore) {
				t.Errorf("LoadRules of a corrupt file: error = %v, want ErrCorruptStore", err)
			}
			for _, rev := range []int64{0, 3} {
				if _, err := s.SaveRules(t.Context(), serviceordertest.SampleRules(2), rev); !errors.Is(err, serviceorder.ErrCorruptStore) {
					t.Errorf("SaveRules at %d over a corrupt file: error = %v, want ErrCorruptStore", rev, err)
				}
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != content {
				t.Errorf("the corrupt file was changed to %q", data)
			}
		})
	}
}

// TestFileRulesBareRules: a rules file written by hand, a bare Rules object,
// reads as revision 1 and is rewritten in the store's format by a save.
func TestFileRulesBareRules(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rules.json")
	want := serviceordertest.SampleRules(1)
	data, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := serviceorder.NewFileRules(path)
	if err != nil {
		t.Fatalf("NewFileRules of a bare rules file: %v", err)
	}
	got, rev, err := s.LoadRules(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rev != 1 {
		t.Errorf("revision of a bare rules file: %d, want 1", rev)
	}
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("rules of a bare rules file (-want +got):\n%s", d)
	}
	if _, err := s.SaveRules(t.Context(), serviceordertest.SampleRules(2), 0); !errors.Is(err, serviceorder.ErrRevisionConflict) {
		t.Errorf("saving at revision 0 over a bare rules file: error = %v, want ErrRevisionConflict", err)
	}
	if seeded, err := serviceorder.SeedRules(t.Context(), s, serviceordertest.SampleRules(3)); seeded || err != nil {
		t.Errorf("seeding over a bare rules file: seeded %v, error %v; want false, nil", seeded, err)
	}
	if rev, err := s.SaveRules(t.Context(), serviceordertest.SampleRules(2), 1); err != nil || rev != 2 {
		t.Fatalf("saving over a bare rules file: revision %d, error %v; want 2", rev, err)
	}
	data, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Format   string `json:"format"`
		Revision int64  `json:"revision"`
	}
	if err := json.Unmarshal(data, &c); err != nil || c.Format != "kaspersky-tigerpaw/serviceorder-rules" || c.Revision != 2 {
		t.Errorf("the file after a save: format %q revision %d (error %v), want the store's format at revision 2", c.Format, c.Revision, err)
	}
}

func TestFileRulesSaveFailureKeepsFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "gone")
	s, err := serviceorder.NewFileRules(filepath.Join(dir, "rules.json"))
	if err != nil {
		t.Fatalf("NewFileRules in a missing directory: %v", err)
	}
	if _, err := s.SaveRules(t.Context(), serviceordertest.SampleRules(1), 0); err == nil {
		t.Fatal("saving into a missing directory: no error")
	}
	if _, rev, err := s.LoadRules(t.Context()); err != nil || rev != 0 {
		t.Errorf("after a failed save: revision %d, error %v; want 0, nil", rev, err)
	}
}

func TestFileRulesRemovesLeftovers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	leftover := filepath.Join(dir, ".rules.json.tmp-123")
	if err := os.WriteFile(leftover, []byte(`{"half`), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, ".state.json.tmp-123")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := serviceorder.NewFileRules(filepath.Join(dir, "rules.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary file of an interrupted save is still there: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another file's temporary file was removed: %v", err)
	}
}

func TestRulesMissing(t *testing.T) {
	t.Parallel()
	def := serviceorder.DefaultRules()
	if got, want := def.Missing(), []string{"service order General settings missing: rep, new status, closed status"}; !cmp.Equal(got, want) {
		t.Errorf("DefaultRules().Missing() = %q, want %q", got, want)
	}
	partial := serviceorder.DefaultRules()
	partial.General = serviceorder.General{Rep: 7, NewStatus: "  "}
	if got, want := partial.Missing(), []string{"service order General settings missing: new status, closed status"}; !cmp.Equal(got, want) {
		t.Errorf("Missing() with only the rep = %q, want %q", got, want)
	}
	full := serviceordertest.Rules()
	if got := full.Missing(); len(got) != 0 {
		t.Errorf("Missing() of complete rules = %q, want nothing", got)
	}
}
