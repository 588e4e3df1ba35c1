package main

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksctest"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/service"
	"github.com/mspkit/kaspersky-tigerpaw/service/demo"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	tests := map[string][]string{
		"ksc": {
			"   3 Northwind Traders\n",
			"+ agreement 1 item KESB-ADV-WS qty 90 @ 4.20",
			"+ agreement 1 item KESB-ADV-SRV qty 10 @ 11.00",
			"+ agreement 1 item KESB-ADV-NW qty 2 @ 3.00",
			"+ agreement 2 item KESB-SEL-WS qty 20 @ 2.75",
			"4 to create, 0 to update, 0 to delete, 0 unchanged",
			"== Round 1: service orders created: 3, closed: 0\n",
			"0 to create, 0 to update, 0 to delete, 4 unchanged",
			"== Round 2: service orders created: 0, closed: 0\n",
			"== Round 3: service orders created: 0, closed: 1\n",
			"#1 [New] Kaspersky: Critical: Malicious object detected on c-007\n",
			"#2 [Closed] Kaspersky: Databases are out of date on FAB-WS-03\n",
			"#3 [New] Kaspersky: Many viruses detected on FAB-WS-03\n",
		},
		"hub": {
			"   3 Northwind Traders\n",
			// 12 users with a laptop each (phones within two per user), and one
			// user with a desktop and 5 phones counting as 3.
			"+ agreement 1 item KESC-PLUS qty 15 @ 4.50",
			"+ agreement 1 item KSMO365 qty 40 @ 1.20",
			"+ agreement 2 item KESC-PLUS qty 8 @ 4.50",
			"3 to create, 0 to update, 0 to delete, 0 unchanged",
			"== Round 1: service orders created: 3, closed: 0\n",
			"== Round 2: service orders created: 0, closed: 0\n",
			"== Round 3: service orders created: 0, closed: 2\n",
			"[New] Kaspersky: Phishing detected in a mailbox\n",
			"[Closed] Kaspersky: License-related issue occurred\n",
			"[Closed] Kaspersky: Databases are out of date on FAB-LT-03\n",
		},
	}
	for solution, wants := range tests {
		t.Run(solution, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			if err := runDemo(t.Context(), solution, &out, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatalf("runDemo: %v\n%s", err, out.String())
			}
			got := out.String()
			for _, want := range wants {
				if !strings.Contains(got, want) {
					t.Errorf("demo output lacks %q:\n%s", want, got)
				}
			}
			if strings.Contains(got, "Litware") {
				t.Errorf("a vendor account is listed among the customers:\n%s", got)
			}
			// Fabrikam's paused Office 365 subscription bills nothing.
			if strings.Contains(got, "agreement 2 item KSMO365") {
				t.Errorf("a paused subscription was billed:\n%s", got)
			}
		})
	}
	if err := runDemo(t.Context(), "xdr", io.Discard, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("a demo of an unknown solution ran")
	}
}

// TestRunOnceFromConfigFile runs the daemon's real wiring (configuration file,
// secrets from the environment, file stores, CA file) once against the fakes.
func TestRunOnceFromConfigFile(t *testing.T) {
	w, k, dir, ca := configWorld(t)

	// The mapping, as an MSP's configuration program would have saved it.
	store, err := mapping.NewFileStore(filepath.Join(dir, "mapping"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := mapping.Config{Name: "main", Solution: mapping.SolutionKSC, ExternalProductID: w.Product,
		Tenants: []mapping.Tenant{{ID: "vs-fabrikam", Name: "Fabrikam", Account: &mapping.AccountMapping{Number: w.Fabrikam,
			Billing: mapping.Billing{Enabled: true, Agreement: w.Agreement[1], PriceLevel: w.Level}}}},
		PriceBook: mapping.PriceBook{Apps: []mapping.AppItems{mapping.SingleItem(kaspersky.AppKESBSelect, "KESB-SEL-WS")}},
	}
	if _, err := store.Save(t.Context(), cfg); err != nil {
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
	daemonCfg := map[string]any{
		"tigerpaw":    map[string]any{"url": w.Srv.URL, "publicKeyEnv": "TEST_TP_PUBLIC", "privateKeyEnv": "TEST_TP_PRIVATE"},
		"ksc":         map[string]any{"url": k.URL, "user": demo.User, "internal": true, "passwordEnv": "TEST_KSC_PASSWORD", "caFile": ca},
		"integration": "main", "mappingDir": filepath.Join(dir, "mapping"), "rulesFile": rulesFile,
		"stateFile": filepath.Join(dir, "orders.json"),
	}
	data, _ := json.Marshal(daemonCfg)
	cfgFile := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(cfgFile, data, 0o600); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	log := slog.New(slog.DiscardHandler)
	if err := run(t.Context(), options{config: cfgFile, once: false, dryRun: true}, &out, log); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("+ agreement %d item KESB-SEL-WS qty 20 @ 2.75", w.Agreement[1])) {
		t.Errorf("dry-run output:\n%s", out.String())
	}
	if n := len(w.Srv.Charges(w.Agreement[1])); n != 0 {
		t.Fatalf("the dry run wrote %d charges", n)
	}
	if err := run(t.Context(), options{config: cfgFile, once: true, dryRun: false}, &out, log); err != nil {
		t.Fatalf("run -once: %v", err)
	}
	if ch := w.Srv.Charges(w.Agreement[1]); len(ch) != 1 || ch[0].Quantity != 20 || ch[0].Price != 275 {
		t.Errorf("charges after -once = %+v", ch)
	}
	if n := len(w.Srv.Snapshot().ServiceOrders); n != 2 {
		t.Errorf("service orders after -once = %d, want 2 (FAB-WS-03's two statuses)", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "orders.json")); err != nil {
		t.Errorf("state file: %v", err)
	}
	// A second run finds the state and creates nothing more.
	if err := run(t.Context(), options{config: cfgFile, once: true, dryRun: false}, &out, log); err != nil {
		t.Fatalf("second run -once: %v", err)
	}
	if n := len(w.Srv.Snapshot().ServiceOrders); n != 2 {
		t.Errorf("service orders after the second run = %d, want 2", n)
	}

	// A missing secret is a clear error.
	t.Setenv("TEST_KSC_PASSWORD", "")
	if err := run(t.Context(), options{config: cfgFile, once: true, dryRun: false}, &out, log); err == nil || !strings.Contains(err.Error(), "TEST_KSC_PASSWORD") {
		t.Errorf("run without the KSC password: %v", err)
	}
}

func TestExampleConfigParses(t *testing.T) {
	t.Parallel()
	cfg, err := service.Load("daemon.example.json")
	if err != nil {
		t.Fatalf("daemon.example.json: %v", err)
	}
	if cfg.Solution != "ksc" || time.Duration(cfg.BillingEvery) != 24*time.Hour {
		t.Errorf("parsed %+v", cfg)
	}
}

// configWorld seeds the demo's fakes for a test of the daemon's -config
// wiring: it writes KSC's CA to a file in a temporary directory and sets the
// secrets the test configurations read (TEST_TP_PUBLIC, TEST_TP_PRIVATE,
// TEST_KSC_PASSWORD). The fakes are closed when the test ends.
func configWorld(t *testing.T) (w *demo.Tigerpaw, k *ksctest.Server, dir, ca string) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	w = demo.NewTigerpaw(now)
	t.Cleanup(w.Srv.Close)
	k = demo.NewKSC(now)
	t.Cleanup(k.Close)
	dir = t.TempDir()
	ca = filepath.Join(dir, "ksc-ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEST_TP_PUBLIC", w.Srv.PublicKey)
	t.Setenv("TEST_TP_PRIVATE", w.Srv.PrivateKey)
	t.Setenv("TEST_KSC_PASSWORD", demo.Password)
	return w, k, dir, ca
}

// TestDemoDryRun: -demo -dry-run prints the billing plan and writes nothing
// to the fake Tigerpaw.
func TestDemoDryRun(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := runMain(t.Context(), []string{"-demo", "-dry-run"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("-demo -dry-run exited %d:\n%s\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"+ agreement 1 item KESB-ADV-WS qty 90 @ 4.20", "4 to create", "writes of the dry run counted by the fake: 0\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("the dry run's output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Round") || strings.Contains(out, "service orders created") {
		t.Errorf("the dry run ran cycles:\n%s", out)
	}
}
