package serviceorder_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// FuzzOpenFileStore feeds arbitrary file contents to OpenFileStore: it must
// either load a state or report ErrCorruptStore, never panic, and never modify
// the file.
func FuzzOpenFileStore(f *testing.F) {
	f.Add([]byte(`{"format":"kaspersky-tigerpaw/serviceorder","version":1,"state":{"orders":{},"events":{},"tenantReads":{}}}`))
	f.Add([]byte(`{"format":"kaspersky-tigerpaw/serviceorder","version":1,"state":{"orders":{"K":{"key":"K","kind":1,"phase":3,"tenantId":"t","request":{"account":1}}}}}`))
	f.Add([]byte(`{"format":"kaspersky-tigerpaw/serviceorder","version":1,"state":{"events":{"K":"2026-01-01T00:00:00Z"}}}`))
	f.Add([]byte(`{"format`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "s.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := serviceorder.OpenFileStore(path)
		if err != nil {
			if !errors.Is(err, serviceorder.ErrCorruptStore) {
				t.Fatalf("error does not wrap ErrCorruptStore: %v", err)
			}
		} else if st, err := s.Load(t.Context()); err != nil || st.Orders == nil || st.Events == nil || st.TenantReads == nil {
			t.Fatalf("loaded store: %+v, %v", st, err)
		}
		after, _ := os.ReadFile(path)
		if string(after) != string(data) {
			t.Fatal("OpenFileStore modified the file")
		}
	})
}
