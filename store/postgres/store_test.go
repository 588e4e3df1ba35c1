package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mspkit/kaspersky-tigerpaw/internal/testenv"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/mapping/mappingtest"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

// openTest opens a DB in a schema of its own, dropped at the end of the test.
func openTest(t *testing.T) *DB {
	t.Helper()
	dsn := os.Getenv("KT_POSTGRES_DSN")
	if dsn == "" {
		testenv.Missing(t, "PostgreSQL (KT_POSTGRES_DSN)", "source .ci/services/postgres.sh or set KT_POSTGRES_DSN to a server's DSN")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "kt_test_" + hex.EncodeToString(b)
	db, err := Open(t.Context(), Options{DSN: dsn, Schema: schema})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := db.pool.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
		db.Close()
	})
	return db
}

func TestMappingStoreConformance(t *testing.T) {
	t.Parallel()
	mappingtest.Run(t, func(t *testing.T) mapping.Store { return openTest(t).Mapping(nil) })
}

func TestServiceOrderStoreConformance(t *testing.T) {
	t.Parallel()
	serviceordertest.Run(t, func(t *testing.T) serviceorder.Store { return openTest(t).ServiceOrders("so", nil) })
}

func TestOpenTwiceMigratesOnce(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	db2, err := Open(t.Context(), Options{DSN: os.Getenv("KT_POSTGRES_DSN"), Schema: db.Schema()})
	if err != nil {
		t.Fatalf("second Open of the same schema: %v", err)
	}
	db2.Close()
}

func TestOpenRejectsBadInput(t *testing.T) {
	t.Parallel()
	if _, err := Open(t.Context(), Options{DSN: "host=x password=s3cret port=notaport"}); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("Open with a bad DSN: err = %v, want an error without the password", err)
	}
	if _, err := Open(t.Context(), Options{DSN: "host=x", Schema: "Bad;Name"}); err == nil {
		t.Fatal("Open with a bad schema: no error")
	}
}

func TestLeaseAcquireRenewExpireTakeover(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openTest(t)
	a, err := db.Acquire(ctx, "daemon", "a", time.Hour)
	if err != nil {
		t.Fatalf("a acquires a free lease: %v", err)
	}
	if _, err := db.Acquire(ctx, "daemon", "b", time.Hour); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("b acquires a held lease: err = %v, want ErrLeaseHeld", err)
	}
	if err := a.Renew(ctx); err != nil {
		t.Fatalf("a renews: %v", err)
	}
	again, err := db.Acquire(ctx, "daemon", "a", time.Hour)
	if err != nil || again.Token() != a.Token() {
		t.Fatalf("a re-acquires its own lease: token %v, err %v; want token %d", again, err, a.Token())
	}
	// Expire a's lease without waiting.
	if _, err := db.pool.Exec(ctx, `UPDATE leases SET expires = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if err := a.Renew(ctx); !errors.Is(err, ErrFenced) {
		t.Fatalf("a renews an expired lease: err = %v, want ErrFenced", err)
	}
	b, err := db.Acquire(ctx, "daemon", "b", time.Hour)
	if err != nil {
		t.Fatalf("b takes over an expired lease: %v", err)
	}
	if b.Token() <= a.Token() {
		t.Fatalf("takeover token %d, want more than %d", b.Token(), a.Token())
	}
	if err := b.Release(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := db.Acquire(ctx, "daemon", "c", time.Hour)
	if err != nil || c.Token() <= b.Token() {
		t.Fatalf("c acquires a released lease: %v, err %v; want a token above %d", c, err, b.Token())
	}
}

func TestStaleTokenWriteRefused(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openTest(t)
	a, err := db.Acquire(ctx, "daemon", "a", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	soA, mapA := db.ServiceOrders("so", a), db.Mapping(a)
	if err := soA.Apply(ctx, serviceorder.Change{Put: []serviceorder.Order{serviceordertest.SampleOrder(1)}}); err != nil {
		t.Fatalf("leader write: %v", err)
	}
	if _, err := db.pool.Exec(ctx, `UPDATE leases SET expires = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	b, err := db.Acquire(ctx, "daemon", "b", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	err = soA.Apply(ctx, serviceorder.Change{Put: []serviceorder.Order{serviceordertest.SampleOrder(2)}})
	if !errors.Is(err, ErrFenced) {
		t.Fatalf("old leader's service order write: err = %v, want ErrFenced", err)
	}
	if _, err := mapA.Save(ctx, mappingtest.Sample("x", []string{"t1"}, 1)); !errors.Is(err, ErrFenced) {
		t.Fatalf("old leader's mapping write: err = %v, want ErrFenced", err)
	}
	st, err := db.ServiceOrders("so", b).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Orders) != 1 {
		t.Fatalf("orders after the refused write: %d, want 1", len(st.Orders))
	}
	if err := db.ServiceOrders("so", b).Apply(ctx, serviceorder.Change{Put: []serviceorder.Order{serviceordertest.SampleOrder(2)}}); err != nil {
		t.Fatalf("new leader write: %v", err)
	}
}

func TestRulesStoreConformance(t *testing.T) {
	t.Parallel()
	serviceordertest.RunRules(t, func(t *testing.T) serviceorder.RulesStore { return openTest(t).Rules("main", nil) })
}

func TestRulesStoreFencedConformance(t *testing.T) {
	t.Parallel()
	serviceordertest.RunRules(t, func(t *testing.T) serviceorder.RulesStore {
		db := openTest(t)
		f, err := db.Acquire(t.Context(), "daemon", "a", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return db.Rules("main", f)
	})
}

// TestRulesShared: the rules saved through one replica's store are what
// another replica's store loads, per store name.
func TestRulesShared(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openTest(t)
	other, err := Open(ctx, Options{DSN: os.Getenv("KT_POSTGRES_DSN"), Schema: db.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := db.Rules("main", nil).SaveRules(ctx, serviceordertest.SampleRules(1), 0); err != nil {
		t.Fatal(err)
	}
	got, rev, err := other.Rules("main", nil).LoadRules(ctx)
	if err != nil || rev != 1 {
		t.Fatalf("the other replica's load: revision %d, error %v; want 1", rev, err)
	}
	if d := cmp.Diff(serviceordertest.SampleRules(1), got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("the other replica's rules (-want +got):\n%s", d)
	}
	if _, rev, err := other.Rules("second", nil).LoadRules(ctx); err != nil || rev != 0 {
		t.Errorf("another store name: revision %d, error %v; want an empty store", rev, err)
	}
}

func TestRulesCorruptRow(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openTest(t)
	if _, err := db.pool.Exec(ctx, `INSERT INTO so_rules (store, revision, data) VALUES ('main', 4, '{"general":')`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Rules("main", nil).LoadRules(ctx); err == nil || !strings.Contains(err.Error(), `"main"`) {
		t.Fatalf("loading a broken row: error = %v, want one naming the store", err)
	}
}

func TestRulesSaveWithLostLeaseRefused(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openTest(t)
	a, err := db.Acquire(ctx, "daemon", "a", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rulesA := db.Rules("main", a)
	if _, err := rulesA.SaveRules(ctx, serviceordertest.SampleRules(1), 0); err != nil {
		t.Fatalf("leader save: %v", err)
	}
	// The lease expires: a is no longer the leader even before anyone takes over.
	if _, err := db.pool.Exec(ctx, `UPDATE leases SET expires = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if _, err := rulesA.SaveRules(ctx, serviceordertest.SampleRules(2), 1); !errors.Is(err, ErrFenced) {
		t.Fatalf("save with an expired lease: err = %v, want ErrFenced", err)
	}
	b, err := db.Acquire(ctx, "daemon", "b", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rulesA.SaveRules(ctx, serviceordertest.SampleRules(2), 1); !errors.Is(err, ErrFenced) {
		t.Fatalf("old leader's save after a takeover: err = %v, want ErrFenced", err)
	}
	if seeded, err := serviceorder.SeedRules(ctx, db.Rules("other", a), serviceordertest.SampleRules(2)); seeded || !errors.Is(err, ErrFenced) {
		t.Fatalf("old leader's seed after a takeover: seeded %v, err = %v, want ErrFenced", seeded, err)
	}
	rulesB := db.Rules("main", b)
	got, rev, err := rulesB.LoadRules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rev != 1 || cmp.Diff(serviceordertest.SampleRules(1), got, cmpopts.EquateEmpty()) != "" {
		t.Fatalf("after the refused saves: revision %d, rules changed: %s", rev, cmp.Diff(serviceordertest.SampleRules(1), got, cmpopts.EquateEmpty()))
	}
	if _, err := rulesB.SaveRules(ctx, serviceordertest.SampleRules(2), 1); err != nil {
		t.Fatalf("new leader save: %v", err)
	}
}

// TestOpenReadOnly: a read-only Open migrates nothing (a schema without the
// tables is an error naming it, and stays uncreated) and reads what the
// writers stored, while the server refuses its writes, its lease included.
func TestOpenReadOnly(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openTest(t)
	dsn := os.Getenv("KT_POSTGRES_DSN")

	fresh := db.Schema() + "_ro"
	if _, err := Open(ctx, Options{DSN: dsn, Schema: fresh, ReadOnly: true}); err == nil || !strings.Contains(err.Error(), fresh) {
		t.Errorf("read-only Open of a schema never migrated: err = %v, want an error naming %s", err, fresh)
	}
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1`, fresh).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("the read-only Open created the schema %s", fresh)
	}

	saved := mappingtest.Sample("main", nil)
	if _, err := db.Mapping(nil).Save(ctx, saved); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(ctx, Options{DSN: dsn, Schema: db.Schema(), ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open of a migrated schema: %v", err)
	}
	defer ro.Close()
	got, err := ro.Mapping(nil).Load(ctx, "main")
	if err != nil || got.Revision != 1 {
		t.Fatalf("read-only Load = revision %d, %v; want 1", got.Revision, err)
	}
	if _, err := ro.Mapping(nil).Save(ctx, got); err == nil {
		t.Error("a read-only DB saved a configuration")
	}
	if _, err := ro.Acquire(ctx, "daemon", "dry-run", time.Hour); err == nil {
		t.Error("a read-only DB took the lease")
	}
	var leases int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM leases`).Scan(&leases); err != nil {
		t.Fatal(err)
	}
	if again, err := db.Mapping(nil).Load(ctx, "main"); err != nil || again.Revision != 1 || leases != 0 {
		t.Errorf("after the read-only writes: revision %d (%v), %d leases; want revision 1 and no lease", again.Revision, err, leases)
	}
}

// TestReadOnlyChecksEveryMigratedTable: the tables a read-only Open requires
// are those the migration creates.
func TestReadOnlyChecksEveryMigratedTable(t *testing.T) {
	var created []string
	for _, q := range migration {
		if rest, ok := strings.CutPrefix(q, "CREATE TABLE IF NOT EXISTS "); ok {
			created = append(created, strings.Fields(rest)[0])
		}
	}
	if diff := cmp.Diff(created, tables); diff != "" {
		t.Errorf("tables checked by a read-only Open (-migrated +checked):\n%s", diff)
	}
}
