package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/internal/testenv"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/service/demo"
	"github.com/mspkit/kaspersky-tigerpaw/store/postgres"
)

// TestTwoDaemonsOnePostgres runs two daemons on one PostgreSQL schema and the
// same fakes: daemon A runs as a service and leads; daemon B, run with -once
// while A lives (after more than A's lease ttl, so only A's renewals keep
// it), skips both cycles and writes nothing; once A stopped (releasing the
// lease), B leads, finds A's state and writes nothing twice: one charge and
// the two service orders in all.
func TestTwoDaemonsOnePostgres(t *testing.T) {
	dsn := os.Getenv("KT_POSTGRES_DSN")
	if dsn == "" {
		testenv.Missing(t, "PostgreSQL (KT_POSTGRES_DSN)", "source .ci/services/postgres.sh or set KT_POSTGRES_DSN")
	}
	w, k, dir, ca := configWorld(t)
	t.Setenv("TEST_PG_DSN", dsn)

	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "kt_daemon_" + hex.EncodeToString(b)
	db, err := postgres.Open(t.Context(), postgres.Options{DSN: dsn, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := mapping.Config{Name: "main", Solution: mapping.SolutionKSC, ExternalProductID: w.Product,
		Tenants: []mapping.Tenant{{ID: "vs-fabrikam", Name: "Fabrikam", Account: &mapping.AccountMapping{Number: w.Fabrikam,
			Billing: mapping.Billing{Enabled: true, Agreement: w.Agreement[1], PriceLevel: w.Level}}}},
		PriceBook: mapping.PriceBook{Apps: []mapping.AppItems{mapping.SingleItem(kaspersky.AppKESBSelect, "KESB-SEL-WS")}},
	}
	if _, err := db.Mapping(nil).Save(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	rules, err := json.Marshal(w.Rules())
	if err != nil {
		t.Fatal(err)
	}
	rulesFile := filepath.Join(dir, "rules.json")
	if err := os.WriteFile(rulesFile, rules, 0o600); err != nil {
		t.Fatal(err)
	}
	const ttl = time.Second
	cfgFile := writeConfig(t, dir, map[string]any{
		"tigerpaw":    map[string]any{"url": w.Srv.URL, "publicKey": "env:TEST_TP_PUBLIC", "privateKey": "env:TEST_TP_PRIVATE"},
		"ksc":         map[string]any{"url": k.URL, "user": demo.User, "internal": true, "password": "env:TEST_KSC_PASSWORD", "caFile": ca},
		"integration": "main", "rulesFile": rulesFile,
		"store": map[string]any{"kind": "postgres", "dsn": "env:TEST_PG_DSN", "schema": schema, "leaseTTL": ttl.String()},
	})
	charges := func() int { return len(w.Srv.Charges(w.Agreement[1])) }
	orders := func() int { return len(w.Srv.Snapshot().ServiceOrders) }

	// A: the service; its first cycles run at once.
	ctxA, stopA := context.WithCancel(t.Context())
	defer stopA()
	logA := &syncBuffer{}
	doneA := make(chan int, 1)
	go func() { doneA <- runMain(ctxA, []string{"-config", cfgFile}, io.Discard, logA) }()
	waitFor(t, "daemon A's first cycles", func() bool {
		s := logA.String()
		return strings.Contains(s, "msg=\"billing cycle\"") && strings.Contains(s, "msg=\"service order cycle\"")
	})
	if charges() != 1 || orders() != 2 {
		t.Fatalf("after A's cycles: %d charges, %d orders; want 1 and 2\n%s", charges(), orders(), logA.String())
	}
	time.Sleep(3 * ttl) // the lease lives on only by A's renewals

	// B while A leads: a standby.
	w.Srv.ResetCounts()
	logB := &syncBuffer{}
	if code := runMain(t.Context(), []string{"-config", cfgFile, "-once"}, io.Discard, logB); code != exitOK {
		t.Fatalf("daemon B -once: exit %d\n%s", code, logB.String())
	}
	if n := strings.Count(logB.String(), "cycle skipped"); n != 2 {
		t.Errorf("daemon B skipped %d cycles while A leads, want 2\n%s", n, logB.String())
	}
	if n := demo.FakeWrites(w.Srv); n != 0 {
		t.Errorf("daemon B wrote %d times to Tigerpaw while A leads", n)
	}
	if strings.Contains(logA.String(), "lease lost") {
		t.Errorf("daemon A lost its lease:\n%s", logA.String())
	}

	// A stops and releases the lease; B leads and writes nothing twice.
	stopA()
	if code := <-doneA; code != exitOK {
		t.Fatalf("daemon A: exit %d\n%s", code, logA.String())
	}
	logB = &syncBuffer{}
	if code := runMain(t.Context(), []string{"-config", cfgFile, "-once"}, io.Discard, logB); code != exitOK {
		t.Fatalf("daemon B -once after A: exit %d\n%s", code, logB.String())
	}
	s := logB.String()
	if strings.Contains(s, "cycle skipped") || !strings.Contains(s, "msg=\"billing cycle\"") || !strings.Contains(s, "msg=\"service order cycle\"") {
		t.Errorf("daemon B did not lead once A stopped:\n%s", s)
	}
	if n := demo.FakeWrites(w.Srv); n != 0 {
		t.Errorf("daemon B, leading after A, wrote %d times: a duplicate", n)
	}
	if charges() != 1 || orders() != 2 {
		t.Errorf("in all: %d charges, %d orders; want 1 and 2", charges(), orders())
	}
}
