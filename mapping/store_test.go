package mapping_test

import (
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/mapping/mappingtest"
)

func TestMemoryStoreConformance(t *testing.T) {
	t.Parallel()
	mappingtest.Run(t, func(t *testing.T) mapping.Store { return mapping.NewMemoryStore() })
}

func TestZeroMemoryStoreConformance(t *testing.T) {
	t.Parallel()
	mappingtest.Run(t, func(t *testing.T) mapping.Store { return new(mapping.MemoryStore) })
}

func TestFileStoreConformance(t *testing.T) {
	t.Parallel()
	mappingtest.Run(t, func(t *testing.T) mapping.Store {
		s, err := mapping.NewFileStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
