package service

import (
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	kt "github.com/mspkit/kaspersky-tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/console"
	"github.com/mspkit/kaspersky-tigerpaw/history"
	"github.com/mspkit/kaspersky-tigerpaw/internal/testenv"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// TestBillingStoresFile: the file store keeps the decisions and the history
// next to the state file, and they survive a reopening.
func TestBillingStoresFile(t *testing.T) {
	dir := t.TempDir()
	cfg := storeCfg(StoreConfig{}, filepath.Join(dir, "m"), filepath.Join(dir, "s.json"))
	log := slog.New(slog.DiscardHandler)
	st, err := openStores(t.Context(), cfg, 0, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.decisions.Decide(t.Context(), billing.Decision{Key: "k", Agreement: 3, Approved: true}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
	if err := st.history.Record(t.Context(), []history.Snapshot{{TenantID: "vs-1", Day: history.Day(at), At: at}}); err != nil {
		t.Fatal(err)
	}
	st.close()
	for _, f := range []string{decisionsFileName, filepath.Join(historyDirName, "2026-04-01.json")} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	st, err = openStores(t.Context(), cfg, 0, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	if d, err := st.decisions.Decisions(t.Context()); err != nil || !d["k"].Approved {
		t.Errorf("decisions after reopening: %+v, %v", d, err)
	}
	if s, err := st.history.Query(t.Context(), "vs-1", at, at); err != nil || len(s) != 1 {
		t.Errorf("history after reopening: %+v, %v", s, err)
	}
}

// TestBillingStoresPostgresFenced: on PostgreSQL the decisions and the
// history are written by the leader only.
func TestBillingStoresPostgresFenced(t *testing.T) {
	if os.Getenv("KT_POSTGRES_DSN") == "" {
		testenv.Missing(t, "PostgreSQL (KT_POSTGRES_DSN)", "source .ci/services/postgres.sh or set KT_POSTGRES_DSN")
	}
	t.Setenv("KT_DAEMON_TEST_DSN", os.Getenv("KT_POSTGRES_DSN"))
	ctx := t.Context()
	sc := StoreConfig{Kind: "postgres", DSN: "env:KT_DAEMON_TEST_DSN", Schema: "kt_billing_stores_test"}
	log := slog.New(slog.DiscardHandler)
	a, err := openStores(ctx, storeCfg(sc, "", ""), 0, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if err := a.lead(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := openStores(ctx, storeCfg(sc, "", ""), 0, log)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	at := time.Now().UTC()
	snaps := []history.Snapshot{{TenantID: "vs-1", Day: history.Day(at), At: at}}
	if err := b.decisions.Decide(ctx, billing.Decision{Key: "k"}); !errors.Is(err, ErrNotLeader) {
		t.Errorf("standby decides: %v, want ErrNotLeader", err)
	}
	if err := b.history.Record(ctx, snaps); !errors.Is(err, ErrNotLeader) {
		t.Errorf("standby records history: %v, want ErrNotLeader", err)
	}
	if err := a.decisions.Decide(ctx, billing.Decision{Key: "k", Approved: true}); err != nil {
		t.Fatal(err)
	}
	if err := a.history.Record(ctx, snaps); err != nil {
		t.Fatal(err)
	}
	if d, err := b.decisions.Decisions(ctx); err != nil || !d["k"].Approved {
		t.Errorf("the standby reads %+v, %v", d, err)
	}
	if err := a.decisions.Forget(ctx, []string{"k"}); err != nil {
		t.Fatal(err)
	}
	if s, err := b.history.Query(ctx, "vs-1", at, at); err != nil || len(s) != 1 {
		t.Errorf("the standby reads the history %+v, %v", s, err)
	}
	if _, err := a.history.Prune(ctx, at.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
}

// TestStatusShowsHeld: /status and Service.Held show what the last billing
// cycle holds; a failed cycle does not forget it.
func TestStatusShowsHeld(t *testing.T) {
	t.Parallel()
	d := &Service{status: newStatusBoard()}
	d.observe(kt.CycleResult{Job: kt.JobBilling, Start: time.Now(), Held: 2, Tenants: []kt.TenantOutcome{
		{Tenant: "vs-1", Held: 2, HeldChanges: []string{"~ agreement 7 item WS qty 90 → 45 held: the quantity drops", "~ agreement 7 item SRV qty 10 → 5 held: the quantity drops"}}}})
	d.observe(kt.CycleResult{Job: kt.JobBilling, Start: time.Now(), Failed: true, Err: errString("ksc down")})
	n, lines := d.Held(t.Context())
	if n != 2 || len(lines) != 2 || !strings.HasPrefix(lines[0], "tenant vs-1: ~ agreement 7 item WS") {
		t.Errorf("Held = %d, %q", n, lines)
	}
	body, err := d.status.statusJSON()
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Jobs map[string]struct {
			Held   int `json:"held"`
			Cycles []struct {
				Held    int `json:"held"`
				Tenants []struct {
					HeldChanges []string `json:"heldChanges"`
				} `json:"tenants"`
			} `json:"cycles"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	bj := st.Jobs[kt.JobBilling]
	if bj.Held != 2 || len(bj.Cycles) != 2 || bj.Cycles[1].Held != 2 || len(bj.Cycles[1].Tenants[0].HeldChanges) != 2 {
		t.Errorf("/status billing: %s", body)
	}
}

// TestConfigBillingGuard reads the guard's policy and the history settings.
func TestConfigBillingGuard(t *testing.T) {
	base := `{"tigerpaw": {"url": "https://tp", "publicKey": "env:A", "privateKey": "env:B"},
	  "ksc": {"url": "https://ksc", "user": "u", "password": "env:C"}, "integration": "main", "mappingDir": "m", "stateFile": "s.json"%s}`
	cfg, err := Parse([]byte(strings.Replace(base, "%s", `, "billingGuard": {"mode": "hold", "dropPercent": 30, "dropUnits": 5}, "historyRetention": "2400h"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if *cfg.BillingGuard != (mapping.BillingGuard{Mode: mapping.GuardHold, DropPercent: 30, DropUnits: 5}) || time.Duration(cfg.HistoryRetention) != 100*24*time.Hour {
		t.Errorf("billingGuard %+v, historyRetention %v", cfg.BillingGuard, cfg.HistoryRetention)
	}
	for extra, want := range map[string]string{
		`, "billingGuard": {"mode": "ask"}`:                      `billing guard mode "ask"`,
		`, "billingGuard": {"mode": "hold", "dropPercent": 120}`: "dropPercent 120",
		`, "historyRetention": "1h"`:                             "historyRetention must be at least 24h",
	} {
		if _, err := Parse([]byte(strings.Replace(base, "%s", extra, 1))); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", extra, err, want)
		}
	}
}

// TestConsoleJobsCarryHeldAndFlood: the console's overview gets the held
// billing changes and the service order flood guard's figures.
func TestConsoleJobsCarryHeldAndFlood(t *testing.T) {
	t.Parallel()
	d := &Service{status: newStatusBoard()}
	d.observe(kt.CycleResult{Job: kt.JobBilling, Start: time.Now(), Held: 1, Tenants: []kt.TenantOutcome{
		{Tenant: "vs-1", Held: 1, HeldChanges: []string{"- agreement 7 item WS held: a delete"}}}})
	d.observe(kt.CycleResult{Job: kt.JobServiceOrders, Start: time.Now(), FloodLimit: 25, Summaries: 1, Suppressed: 40})
	d.observe(kt.CycleResult{Job: kt.JobServiceOrders, Start: time.Now(), FloodLimit: 25, Summaries: 1, Suppressed: 35})
	jobs := map[string]console.JobState{}
	for _, j := range (consoleRuntime{s: d}).Jobs(t.Context()) {
		jobs[j.Job] = j
	}
	if b := jobs[kt.JobBilling]; len(b.Held) != 1 || !strings.Contains(b.Held[0], "held: a delete") {
		t.Errorf("billing held %q", b.Held)
	}
	if so := jobs[kt.JobServiceOrders]; so.FloodLimit != 25 || so.Summaries != 2 || so.Suppressed != 75 || len(so.Held) != 0 {
		t.Errorf("service orders: flood %d, summaries %d, suppressed %d, held %q", so.FloodLimit, so.Summaries, so.Suppressed, so.Held)
	}
}
