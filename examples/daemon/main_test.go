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

func TestParseConfig(t *testing.T) {
	t.Parallel()
	valid := `{
  "tigerpaw": {"url": "https://tigerpaw.example.com", "publicKeyEnv": "TP_PUBLIC", "privateKeyEnv": "TP_PRIVATE"},
  "ksc": {"url": "https://ksc.example.com:13299", "user": "api", "internal": true, "passwordEnv": "KSC_PASSWORD"},
  "integration": "main", "mappingDir": "/var/lib/kt/mapping", "rulesFile": "/etc/kt/rules.json",
  "stateFile": "/var/lib/kt/orders.json", "billingEvery": "12h"
}`
	cfg, err := parseConfig([]byte(valid))
	if err != nil {
		t.Fatalf("valid config: %v", err)
	}
	if cfg.Tigerpaw.CompleteOpenTasks {
		t.Error("completeOpenTasks is on by default")
	}
	if c, err := parseConfig([]byte(strings.Replace(valid, `"privateKeyEnv": "TP_PRIVATE"`, `"privateKeyEnv": "TP_PRIVATE", "completeOpenTasks": true`, 1))); err != nil || !c.Tigerpaw.CompleteOpenTasks {
		t.Errorf("completeOpenTasks: %v", err)
	}
	if time.Duration(cfg.BillingEvery) != 12*time.Hour || time.Duration(cfg.ServiceOrdersEvery) != 5*time.Minute {
		t.Errorf("intervals = %v, %v", time.Duration(cfg.BillingEvery), time.Duration(cfg.ServiceOrdersEvery))
	}
	for _, tt := range []struct{ name, json, want string }{
		{"unknown field", `{"tigerpaw": {"url": "x", "apiKey": "oops"}}`, `unknown field "apiKey"`},
		{"malformed", `{"tigerpaw": `, "config: line 1, column 13: unexpected end of JSON input"},
		{"malformed on line 3", "{\n  \"tigerpaw\": {\"url\": \"x\"}\n  \"ksc\": {}\n}", "config: line 3, column 3: invalid character"},
		{"empty", " \n", "config: empty file"},
		{"duplicate key deep", `{"tigerpaw": {"url": "x", "url": "y"}}`, `config: tigerpaw.url: key "url" given twice`},
		{"missing fields", `{}`, "tigerpaw.url is required"},
		{"bad duration", strings.Replace(valid, `"12h"`, `"soon"`, 1), `invalid duration "soon"`},
		{"short interval", strings.Replace(valid, `"12h"`, `"1s"`, 1), "billingEvery must be at least 1m"},
		{"trailing data", valid + "{}", "unexpected data after the JSON value"},
		{"unknown solution", strings.Replace(valid, `"tigerpaw"`, `"solution": "xdr", "tigerpaw"`, 1), `solution "xdr"`},
		{"hub without its settings", strings.Replace(valid, `"tigerpaw"`, `"solution": "hub", "tigerpaw"`, 1), "hub.url is required"},
	} {
		if _, err := parseConfig([]byte(tt.json)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

func TestLoadRules(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Rules without the general settings are refused: rep and statuses are required.
	if _, err := loadRules(write("empty.json", `{"general": {"rep": 0, "newStatus": "", "closedStatus": ""}, "events": [], "statuses": []}`)); err == nil {
		t.Error("rules without rep and statuses were accepted")
	}
	if _, err := loadRules(write("bad.json", `{"general": {"rep": 1, "newStatus": "New", "closedStatus": "Closed"}, "colour": "red"}`)); err == nil ||
		!strings.Contains(err.Error(), "colour") {
		t.Errorf("unknown field: %v", err)
	}
	r, err := loadRules(write("ok.json", `{"general": {"rep": 1, "newStatus": "New", "closedStatus": "Closed"}, "events": [], "statuses": []}`))
	if err != nil || r.General.Rep != 1 {
		t.Errorf("valid rules: %+v, %v", r.General, err)
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
	cfg := mapping.Config{Name: "main", Solution: mapping.SolutionKSC, ExternalProductID: w.product,
		Tenants: []mapping.Tenant{{ID: "vs-fabrikam", Name: "Fabrikam", Account: &mapping.AccountMapping{Number: w.fabrikam,
			Billing: mapping.Billing{Enabled: true, Agreement: w.agreement[1], PriceLevel: w.level}}}},
		PriceBook: mapping.PriceBook{Apps: []mapping.AppItems{mapping.SingleItem(kaspersky.AppKESBSelect, "KESB-SEL-WS")}},
	}
	if _, err := store.Save(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	rules, err := json.Marshal(w.rules())
	if err != nil {
		t.Fatal(err)
	}
	rulesFile := filepath.Join(dir, "rules.json")
	if err := os.WriteFile(rulesFile, rules, 0o600); err != nil {
		t.Fatal(err)
	}
	daemonCfg := map[string]any{
		"tigerpaw":    map[string]any{"url": w.srv.URL, "publicKeyEnv": "TEST_TP_PUBLIC", "privateKeyEnv": "TEST_TP_PRIVATE"},
		"ksc":         map[string]any{"url": k.URL, "user": demoUser, "internal": true, "passwordEnv": "TEST_KSC_PASSWORD", "caFile": ca},
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
	if err := run(t.Context(), cfgFile, false, true, &out, log); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("+ agreement %d item KESB-SEL-WS qty 20 @ 2.75", w.agreement[1])) {
		t.Errorf("dry-run output:\n%s", out.String())
	}
	if n := len(w.srv.Charges(w.agreement[1])); n != 0 {
		t.Fatalf("the dry run wrote %d charges", n)
	}
	if err := run(t.Context(), cfgFile, true, false, &out, log); err != nil {
		t.Fatalf("run -once: %v", err)
	}
	if ch := w.srv.Charges(w.agreement[1]); len(ch) != 1 || ch[0].Quantity != 20 || ch[0].Price != 275 {
		t.Errorf("charges after -once = %+v", ch)
	}
	if n := len(w.srv.Snapshot().ServiceOrders); n != 2 {
		t.Errorf("service orders after -once = %d, want 2 (FAB-WS-03's two statuses)", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "orders.json")); err != nil {
		t.Errorf("state file: %v", err)
	}
	// A second run finds the state and creates nothing more.
	if err := run(t.Context(), cfgFile, true, false, &out, log); err != nil {
		t.Fatalf("second run -once: %v", err)
	}
	if n := len(w.srv.Snapshot().ServiceOrders); n != 2 {
		t.Errorf("service orders after the second run = %d, want 2", n)
	}

	// A missing secret is a clear error.
	t.Setenv("TEST_KSC_PASSWORD", "")
	if err := run(t.Context(), cfgFile, true, false, &out, log); err == nil || !strings.Contains(err.Error(), "TEST_KSC_PASSWORD") {
		t.Errorf("run without the KSC password: %v", err)
	}
}

func TestExampleConfigParses(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig("daemon.example.json")
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
func configWorld(t *testing.T) (w *demoTigerpaw, k *ksctest.Server, dir, ca string) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	w = seedTigerpaw(now)
	t.Cleanup(w.srv.Close)
	k = seedKSC(now)
	t.Cleanup(k.Close)
	dir = t.TempDir()
	ca = filepath.Join(dir, "ksc-ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEST_TP_PUBLIC", w.srv.PublicKey)
	t.Setenv("TEST_TP_PRIVATE", w.srv.PrivateKey)
	t.Setenv("TEST_KSC_PASSWORD", demoPassword)
	return w, k, dir, ca
}
