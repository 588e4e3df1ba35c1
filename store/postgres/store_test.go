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
