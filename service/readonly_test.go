package service

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/history"
	"github.com/mspkit/kaspersky-tigerpaw/internal/filelock/filelocktest"
	"github.com/mspkit/kaspersky-tigerpaw/internal/testenv"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/service/demo"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

const storeHolderEnv = "KT_SERVICE_STORE_HOLDER"

// TestStoreHolderProcess holds the file stores named by
// KT_SERVICE_STORE_HOLDER ("mappingDir|stateFile"), as a running service
// does, until its standard input closes.
func TestStoreHolderProcess(t *testing.T) {
	if !filelocktest.Serve(storeHolderEnv, func(v string) error {
		dir, state, _ := strings.Cut(v, "|")
		_, err := openFileStores(t.Context(), dir, state, filepath.Join(filepath.Dir(state), defaultRulesFile), 0, slog.New(slog.DiscardHandler))
		return err
	}) {
		t.Skip("a helper of the read-only tests")
	}
}

// treeFiles returns the content of every file under dir by path; a
// directory is an entry too.
func treeFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			files[path+"/"] = ""
			return nil
		}
		data, err := os.ReadFile(path)
		files[path] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// wantEveryWriteRefused tries every write of st and wants each to fail with
// ErrReadOnly.
func wantEveryWriteRefused(t *testing.T, st *stores) {
	t.Helper()
	ctx := t.Context()
	at := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
	writes := map[string]error{
		"mapping save":      func() error { _, err := st.mapping.Save(ctx, mapping.Config{Name: "other"}); return err }(),
		"mapping delete":    st.mapping.Delete(ctx, "main", 1),
		"state apply":       st.state.Apply(ctx, serviceorder.Change{TenantReads: map[string]time.Time{"vs-1": at}}),
		"rules save":        func() error { _, err := st.rules.SaveRules(ctx, serviceorder.DefaultRules(), 0); return err }(),
		"decide":            st.decisions.Decide(ctx, billing.Decision{Key: "k", Agreement: 1, Approved: true}),
		"forget":            st.decisions.Forget(ctx, []string{"k"}),
		"history record":    st.history.Record(ctx, []history.Snapshot{{TenantID: "vs-1", Day: history.Day(at), At: at}}),
		"history prune":     func() error { _, err := st.history.Prune(ctx, at); return err }(),
		"leader lease":      st.lead(ctx),
		"cycle context end": func() error { c, cancel := st.hold(ctx); defer cancel(); return context.Cause(c) }(),
	}
	for what, err := range writes {
		if !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s on read-only stores: err = %v, want ErrReadOnly", what, err)
		}
	}
}

// TestReadOnlyFileStoresBesideOwner: while another process holds the file
// stores, the read-only stores open at once, read what it saved, refuse
// every write with ErrReadOnly and change no file (its temporary files
// included).
func TestReadOnlyFileStoresBesideOwner(t *testing.T) {
	dir := t.TempDir()
	cfg := storeCfg(StoreConfig{}, filepath.Join(dir, "mapping"), filepath.Join(dir, "state.json"))
	log := slog.New(slog.DiscardHandler)
	st, err := openStores(t.Context(), cfg, 0, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.mapping.Save(t.Context(), mapping.Config{Name: "main"}); err != nil {
		t.Fatal(err)
	}
	if err := st.decisions.Decide(t.Context(), billing.Decision{Key: "k", Agreement: 3, Approved: true}); err != nil {
		t.Fatal(err)
	}
	st.close()
	filelocktest.Start(t, "TestStoreHolderProcess", storeHolderEnv, cfg.MappingDir+"|"+cfg.StateFile)
	if err := os.WriteFile(filepath.Join(dir, ".state.json.tmp-7"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := treeFiles(t, dir)

	ro, err := openReadOnlyStores(t.Context(), cfg)
	if err != nil {
		t.Fatalf("read-only stores beside their owner: %v", err)
	}
	ro = readOnly(ro)
	if c, err := ro.mapping.Load(t.Context(), "main"); err != nil || c.Revision != 1 {
		t.Errorf("mapping Load = revision %d, %v; want 1", c.Revision, err)
	}
	if d, err := ro.decisions.Decisions(t.Context()); err != nil || !d["k"].Approved {
		t.Errorf("decisions = %+v, %v; want k approved", d, err)
	}
	wantEveryWriteRefused(t, ro)
	ro.close()
	if diff := cmp.Diff(before, treeFiles(t, dir)); diff != "" {
		t.Errorf("the read-only stores changed the files (-before +after):\n%s", diff)
	}
}

// TestReadOnlyFileStoresCreateNothing: over a directory where nothing was
// ever stored, the read-only stores are empty and create nothing (no
// mapping directory, history directory nor lock file).
func TestReadOnlyFileStoresCreateNothing(t *testing.T) {
	dir := t.TempDir()
	cfg := storeCfg(StoreConfig{}, filepath.Join(dir, "mapping"), filepath.Join(dir, "state.json"))
	ro, err := openReadOnlyStores(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ro = readOnly(ro)
	defer ro.close()
	if _, err := ro.mapping.Load(t.Context(), "main"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("mapping Load: err = %v, want ErrNotFound", err)
	}
	if s, err := ro.history.Query(t.Context(), "", time.Time{}, time.Now()); err != nil || len(s) != 0 {
		t.Errorf("history Query = %v, %v; want nothing", s, err)
	}
	wantEveryWriteRefused(t, ro)
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("the read-only stores created %v (%v)", entries, err)
	}
}

// planWorld is a Service's fakes and a file store holding a configured
// integration "main" that bills Contoso.
type planWorld struct {
	tp     *tigerpaw.Client
	w      *demo.Tigerpaw
	source kaspersky.Source
	cfg    *Config
	dir    string
}

func newPlanWorld(t *testing.T) *planWorld {
	t.Helper()
	t.Setenv("KT_READONLY_TEST_SECRET", "unused")
	now := time.Now().UTC().Truncate(time.Second)
	w := demo.NewTigerpaw(now)
	t.Cleanup(w.Srv.Close)
	fake, _, err := demo.NewConsole("ksc", now, slog.New(slog.DiscardHandler), func(_ string, roots *x509.CertPool) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	tp, err := tigerpaw.NewClient(w.Srv.URL, tigerpaw.WithKeys(w.Srv.PublicKey, w.Srv.PrivateKey), tigerpaw.WithHTTPClient(w.Srv.HTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	store, err := mapping.NewFileStore(filepath.Join(dir, "mapping"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Save(t.Context(), mapping.Config{Name: "main", Solution: mapping.SolutionKSC, ExternalProductID: w.Product,
		Tenants: []mapping.Tenant{{ID: "vs-contoso", Name: "Contoso", Account: &mapping.AccountMapping{Number: w.Contoso,
			Billing: mapping.Billing{Enabled: true, Agreement: w.Agreement[0], PriceLevel: w.Level}}}},
		PriceBook: mapping.PriceBook{BillByCategory: true, Apps: []mapping.AppItems{
			mapping.ItemsByCategory(kaspersky.AppKESBAdvanced, "KESB-ADV-WS", "KESB-ADV-SRV", "KESB-ADV-NW"),
		}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	secret := "env:KT_READONLY_TEST_SECRET"
	cfg := &Config{Integration: "main", MappingDir: filepath.Join(dir, "mapping"), StateFile: filepath.Join(dir, "state.json"),
		BillingEvery: Duration(time.Hour), ServiceOrdersEvery: Duration(time.Hour)}
	cfg.Tigerpaw.PublicKey, cfg.Tigerpaw.PrivateKey, cfg.KSC.Password = secret, secret, secret
	return &planWorld{tp: tp, w: w, source: fake.Source, cfg: cfg, dir: dir}
}

// TestPlanReadOnlyBesideOwner: a Service WithReadOnly plans at once while
// another process holds its file stores, refuses to run cycles, and writes
// nothing: no file changes, nothing reaches Tigerpaw.
func TestPlanReadOnlyBesideOwner(t *testing.T) {
	pw := newPlanWorld(t)
	filelocktest.Start(t, "TestStoreHolderProcess", storeHolderEnv, pw.cfg.MappingDir+"|"+pw.cfg.StateFile)
	before := treeFiles(t, pw.dir)
	s, err := New(pw.cfg, WithReadOnly(), WithSource(pw.source), WithTigerpaw(pw.tp), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := s.Plan(t.Context(), &out); err != nil {
		t.Fatalf("Plan beside the stores' owner: %v", err)
	}
	want := "+ agreement " + strconv.Itoa(pw.w.Agreement[0]) + " item KESB-ADV-WS qty 90 @ 4.20"
	if !strings.Contains(out.String(), want) {
		t.Errorf("the plan lacks %q:\n%s", want, out.String())
	}
	for what, err := range map[string]error{
		"RunOnce": s.RunOnce(t.Context()), "Run": s.Run(t.Context()),
		"RunBilling": s.RunBilling(t.Context()), "RunServiceOrders": s.RunServiceOrders(t.Context()),
	} {
		if !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s of a read-only service: err = %v, want ErrReadOnly", what, err)
		}
	}
	wantEveryWriteRefused(t, s.st)
	s.Close()
	if n := demo.FakeWrites(pw.w.Srv); n != 0 {
		t.Errorf("the read-only service made %d writes in Tigerpaw", n)
	}
	if diff := cmp.Diff(before, treeFiles(t, pw.dir)); diff != "" {
		t.Errorf("the read-only service changed the files (-before +after):\n%s", diff)
	}
}

// TestReadOnlyStoresPostgres: on PostgreSQL the read-only stores take no
// lease (the leader keeps it), seed no rules, and refuse every write.
func TestReadOnlyStoresPostgres(t *testing.T) {
	if os.Getenv("KT_POSTGRES_DSN") == "" {
		testenv.Missing(t, "PostgreSQL (KT_POSTGRES_DSN)", "source .ci/services/postgres.sh or set KT_POSTGRES_DSN")
	}
	t.Setenv("KT_DAEMON_TEST_DSN", os.Getenv("KT_POSTGRES_DSN"))
	ctx := t.Context()
	log := slog.New(slog.DiscardHandler)
	schema := "kt_readonly_test_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	sc := StoreConfig{Kind: "postgres", DSN: "env:KT_DAEMON_TEST_DSN", Schema: schema}
	if _, err := openReadOnlyStores(ctx, storeCfg(sc, "", "")); err == nil || !strings.Contains(err.Error(), schema) {
		t.Errorf("read-only stores of a schema never migrated: err = %v, want an error naming %s", err, schema)
	}
	leader, err := openStores(ctx, storeCfg(sc, "", ""), 0, log)
	if err != nil {
		t.Fatal(err)
	}
	defer leader.close()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, os.Getenv("KT_POSTGRES_DSN"))
		if err != nil {
			t.Errorf("dropping the schema: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("dropping the schema: %v", err)
		}
	})
	if err := leader.lead(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := leader.mapping.Save(ctx, mapping.Config{Name: "main"}); err != nil {
		t.Fatal(err)
	}
	rulesFile := filepath.Join(t.TempDir(), "rules.json")
	if err := os.WriteFile(rulesFile, []byte(`{"newStatus": "New"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := storeCfg(sc, "", "")
	cfg.RulesFile = rulesFile
	ro, err := openReadOnlyStores(ctx, cfg)
	if err != nil {
		t.Fatalf("read-only stores beside the leader: %v", err)
	}
	ro = readOnly(ro)
	defer ro.close()
	if c, err := ro.mapping.Load(ctx, "main"); err != nil || c.Revision != 1 {
		t.Errorf("mapping Load = revision %d, %v; want 1", c.Revision, err)
	}
	if _, err := ro.decisions.Decisions(ctx); err != nil {
		t.Errorf("decisions in a read-only transaction: %v", err)
	}
	if _, err := ro.state.Load(ctx); err != nil {
		t.Errorf("service order state in a read-only transaction: %v", err)
	}
	if _, err := ro.history.Query(ctx, "", time.Time{}, time.Now()); err != nil {
		t.Errorf("history in a read-only transaction: %v", err)
	}
	wantEveryWriteRefused(t, ro)
	if _, rev, err := ro.rules.LoadRules(ctx); err != nil || rev != 0 {
		t.Errorf("rules after the read-only open: revision %d, %v; want none seeded", rev, err)
	}
	// The leader still holds its lease: its writes go on.
	if err := leader.lead(ctx); err != nil {
		t.Errorf("the leader's lease after the read-only open: %v", err)
	}
	if _, err := leader.mapping.Save(ctx, mapping.Config{Name: "main", Revision: 1}); err != nil {
		t.Errorf("the leader's write after the read-only open: %v", err)
	}
}
