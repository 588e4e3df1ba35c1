package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/internal/testenv"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/store/postgres"
)

func TestOpenStoresFileIsDefault(t *testing.T) {
	dir := t.TempDir()
	st, err := openStores(t.Context(), storeConfig{}, filepath.Join(dir, "mapping"), filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatalf("openStores with no kind: %v", err)
	}
	defer st.close()
	if err := st.lead(t.Context()); err != nil {
		t.Fatalf("file stores lead: %v", err)
	}
	if err := st.state.Apply(t.Context(), serviceorder.Change{TenantReads: map[string]time.Time{"vs-1": time.Unix(1, 0)}}); err != nil {
		t.Fatalf("file state write: %v", err)
	}
}

func TestOpenStoresRejectsBadConfig(t *testing.T) {
	for _, sc := range []storeConfig{
		{Kind: "sqlite"},
		{Kind: "postgres"},
		{Kind: "postgres", DSN: "host=db password=s3cret"},
		{Kind: "postgres", DSN: "env:KT_TEST_NO_SUCH_VARIABLE"},
	} {
		_, err := openStores(t.Context(), sc, t.TempDir(), filepath.Join(t.TempDir(), "s.json"))
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("openStores(%+v) = %v, want an error naming store without the secret", sc, err)
		}
	}
}

func TestOpenStoresPostgresOnlyLeaderWrites(t *testing.T) {
	if os.Getenv("KT_POSTGRES_DSN") == "" {
		testenv.Missing(t, "PostgreSQL (KT_POSTGRES_DSN)", "source .ci/services/postgres.sh or set KT_POSTGRES_DSN")
	}
	t.Setenv("KT_DAEMON_TEST_DSN", os.Getenv("KT_POSTGRES_DSN"))
	ctx := t.Context()
	a, err := openStores(ctx, storeConfig{Kind: "postgres", DSN: "env:KT_DAEMON_TEST_DSN"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	ch := serviceorder.Change{TenantReads: map[string]time.Time{"vs-1": time.Unix(1, 0)}}
	if err := a.state.Apply(ctx, ch); !errors.Is(err, errNotLeader) {
		t.Fatalf("write before lead: err = %v, want errNotLeader", err)
	}
	if err := a.lead(ctx); err != nil {
		t.Fatalf("first replica leads: %v", err)
	}
	if err := a.state.Apply(ctx, ch); err != nil {
		t.Fatalf("leader write: %v", err)
	}
	b, err := openStores(ctx, storeConfig{Kind: "postgres", DSN: "env:KT_DAEMON_TEST_DSN"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	if err := b.lead(ctx); !errors.Is(err, postgres.ErrLeaseHeld) {
		t.Fatalf("second replica leads while the first holds the lease: err = %v, want ErrLeaseHeld", err)
	}
	if err := b.state.Apply(ctx, ch); !errors.Is(err, errNotLeader) {
		t.Fatalf("second replica writes: err = %v, want errNotLeader", err)
	}
}
