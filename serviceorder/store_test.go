package serviceorder_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

func TestMemoryStoreConformance(t *testing.T) {
	t.Parallel()
	serviceordertest.Run(t, func(*testing.T) serviceorder.Store { return serviceorder.NewMemoryStore() })
}

func TestZeroMemoryStoreConformance(t *testing.T) {
	t.Parallel()
	serviceordertest.Run(t, func(*testing.T) serviceorder.Store { return &serviceorder.MemoryStore{} })
}

func TestFileStoreConformance(t *testing.T) {
	t.Parallel()
	serviceordertest.Run(t, func(t *testing.T) serviceorder.Store {
		s, err := serviceorder.OpenFileStore(filepath.Join(t.TempDir(), "state.json"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestFileStorePersists(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	s, err := serviceorder.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Path() != path {
		t.Fatalf("Path() = %q, want %q", s.Path(), path)
	}
	o := serviceordertest.SampleOrder(1)
	when := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	change := serviceorder.Change{
		Put:         []serviceorder.Order{o},
		Events:      map[serviceorder.Key]time.Time{"KTE-1": when},
		TenantReads: map[string]time.Time{"t1": when},
	}
	if err := s.Apply(t.Context(), change); err != nil {
		t.Fatal(err)
	}
	want, _ := s.Load(t.Context())
	again, err := serviceorder.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := again.Load(t.Context())
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("state after reopening (-want +got):\n%s", d)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left behind: %v", leftovers)
	}
}

func TestFileStoreCorrupt(t *testing.T) {
	t.Parallel()
	valid := func(t *testing.T) []byte {
		path := filepath.Join(t.TempDir(), "s.json")
		s, err := serviceorder.OpenFileStore(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Apply(t.Context(), serviceorder.Change{Put: []serviceorder.Order{serviceordertest.SampleOrder(1)}}); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}(t)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"half written", valid[:len(valid)/2], "unexpected end of JSON input"},
		{"not json", []byte("hello"), "invalid character"},
		{"other format", []byte(`{"format":"x","version":1,"state":{}}`), `format "x"`},
		{"newer version", []byte(`{"format":"kaspersky-tigerpaw/serviceorder","version":2,"state":{}}`), "version 2"},
		{"unknown field", []byte(`{"format":"kaspersky-tigerpaw/serviceorder","version":1,"state":{},"extra":1}`), "unknown field"},
		{"malformed order", []byte(`{"format":"kaspersky-tigerpaw/serviceorder","version":1,"state":{"orders":{"K":{"key":"K","kind":1,"phase":9}}}}`), `order "K" is malformed`},
		{"order under another key", []byte(`{"format":"kaspersky-tigerpaw/serviceorder","version":1,"state":{"orders":{"K":{"key":"L","kind":1,"phase":3}}}}`), `order "K" is malformed`},
		{"trailing data", append(append([]byte{}, valid...), []byte(`{}`)...), "line 1, column " + strconv.Itoa(utf8.RuneCount(valid)+1) + ": unexpected data after the JSON value"},
		{"key given twice", []byte(`{"format":"kaspersky-tigerpaw/serviceorder","version":1,"version":2,"state":{}}`), `version: key "version" given twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "s.json")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := serviceorder.OpenFileStore(path)
			if !errors.Is(err, serviceorder.ErrCorruptStore) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("OpenFileStore: err = %v, want ErrCorruptStore naming the file and %q", err, tc.want)
			}
			after, _ := os.ReadFile(path)
			if string(after) != string(tc.data) {
				t.Fatal("the corrupt file was modified")
			}
		})
	}
}

func TestFileStoreWriteFailureKeepsState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	s, err := serviceorder.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	first := serviceordertest.SampleOrder(1)
	if err := s.Apply(t.Context(), serviceorder.Change{Put: []serviceorder.Order{first}}); err != nil {
		t.Fatal(err)
	}
	// Make the rename fail by turning the target into a non-empty directory.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(path, "block"), 0o700); err != nil {
		t.Fatal(err)
	}
	err = s.Apply(t.Context(), serviceorder.Change{Put: []serviceorder.Order{serviceordertest.SampleOrder(2)}})
	if err == nil {
		t.Fatal("Apply succeeded although the file could not be replaced")
	}
	st, _ := s.Load(t.Context())
	if len(st.Orders) != 1 {
		t.Fatalf("a failed write changed the in-memory state: %d orders", len(st.Orders))
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".s.json.tmp-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left after a failed write: %v", leftovers)
	}
}

func TestFileStoreRemovesLeftoverTemps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stale := filepath.Join(dir, ".s.json.tmp-123")
	if err := os.WriteFile(stale, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := serviceorder.OpenFileStore(filepath.Join(dir, "s.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("leftover temp file still there: %v", err)
	}
}
