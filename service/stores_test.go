package service

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/internal/testenv"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/store/postgres"
)

func TestOpenStoresFileIsDefault(t *testing.T) {
	dir := t.TempDir()
	st, err := openStores(t.Context(), storeCfg(StoreConfig{}, filepath.Join(dir, "mapping"), filepath.Join(dir, "state.json")), 0, slog.New(slog.DiscardHandler))
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
	for _, sc := range []StoreConfig{
		{Kind: "sqlite"},
		{Kind: "postgres"},
		{Kind: "postgres", DSN: "host=db password=s3cret"},
		{Kind: "postgres", DSN: "env:KT_TEST_NO_SUCH_VARIABLE"},
	} {
		_, err := openStores(t.Context(), storeCfg(sc, t.TempDir(), filepath.Join(t.TempDir(), "s.json")), 0, slog.New(slog.DiscardHandler))
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
	a, err := openStores(ctx, storeCfg(StoreConfig{Kind: "postgres", DSN: "env:KT_DAEMON_TEST_DSN"}, "", ""), 0, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	ch := serviceorder.Change{TenantReads: map[string]time.Time{"vs-1": time.Unix(1, 0)}}
	if err := a.state.Apply(ctx, ch); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("write before lead: err = %v, want ErrNotLeader", err)
	}
	if err := a.lead(ctx); err != nil {
		t.Fatalf("first replica leads: %v", err)
	}
	if err := a.state.Apply(ctx, ch); err != nil {
		t.Fatalf("leader write: %v", err)
	}
	b, err := openStores(ctx, storeCfg(StoreConfig{Kind: "postgres", DSN: "env:KT_DAEMON_TEST_DSN"}, "", ""), 0, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	if err := b.lead(ctx); !errors.Is(err, postgres.ErrLeaseHeld) {
		t.Fatalf("second replica leads while the first holds the lease: err = %v, want ErrLeaseHeld", err)
	}
	if err := b.state.Apply(ctx, ch); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("second replica writes: err = %v, want ErrNotLeader", err)
	}
	if _, err := b.mapping.Save(ctx, mapping.Config{Name: "standby-save"}); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("second replica saves a mapping: err = %v, want ErrNotLeader", err)
	}
}

// TestStoreDefaultIsFile: a config without "store" (or with kind "file")
// needs mappingDir and stateFile and opens the file stores, whose cycles
// always lead and are never stopped by a lease.
func TestStoreDefaultIsFile(t *testing.T) {
	base := `{"tigerpaw": {"url": "https://tp", "publicKey": "env:A", "privateKey": "env:B"},
	  "ksc": {"url": "https://ksc", "user": "u", "password": "env:C"}, "integration": "main", "rulesFile": "r.json"%s}`
	for _, extra := range []string{"", `, "store": {"kind": "file"}`} {
		if _, err := Parse([]byte(strings.Replace(base, "%s", extra, 1))); err == nil ||
			!strings.Contains(err.Error(), "mappingDir is required") || !strings.Contains(err.Error(), "stateFile is required") {
			t.Errorf("file store %q without mappingDir and stateFile: err = %v", extra, err)
		}
	}
	cfg, err := Parse([]byte(strings.Replace(base, "%s", `, "mappingDir": "m", "stateFile": "s.json"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.Kind != "" {
		t.Errorf("store.kind = %q by default", cfg.Store.Kind)
	}
	dir := t.TempDir()
	st, err := openStores(t.Context(), storeCfg(cfg.Store, filepath.Join(dir, "m"), filepath.Join(dir, "s.json")), 0, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	if _, ok := st.mapping.(*mapping.FileStore); !ok {
		t.Errorf("mapping store is %T, want *mapping.FileStore", st.mapping)
	}
	if _, ok := st.state.(*serviceorder.FileStore); !ok {
		t.Errorf("state store is %T, want *serviceorder.FileStore", st.state)
	}
	ctx, cancel := st.hold(t.Context())
	defer cancel()
	if err := ctx.Err(); err != nil {
		t.Errorf("a file store's cycle context ended: %v", err)
	}
}

// storeCfg is a configuration of the store sc with the file store's paths.
func storeCfg(sc StoreConfig, mappingDir, stateFile string) *Config {
	return &Config{Store: sc, MappingDir: mappingDir, StateFile: stateFile}
}
