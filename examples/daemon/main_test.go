package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := runDemo(t.Context(), &out, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("runDemo: %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"   3 Northwind Traders\n",
		"+ agreement 1 item KESB-ADV-WS qty 90 @ 4.20",
		"+ agreement 1 item KESB-ADV-SRV qty 10 @ 11.00",
		"+ agreement 1 item KESB-ADV-NW qty 2 @ 3.00",
		"+ agreement 2 item KESB-SEL-WS qty 20 @ 2.75",
		"4 to create, 0 to update, 0 to delete, 0 unchanged",
		"== Round 1: service orders created: 3\n",
		"0 to create, 0 to update, 0 to delete, 4 unchanged",
		"== Round 2: service orders created: 0\n",
		"#2 [Closed] Kaspersky: Databases are out of date on FAB-WS-03\n",
		"#3 [New] Kaspersky: Many viruses detected on FAB-WS-03\n",
		"#1 [New] Kaspersky: Critical: Malicious object detected on c-007\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("demo output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Litware") {
		t.Errorf("a vendor account is listed among the customers:\n%s", got)
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
	if time.Duration(cfg.BillingEvery) != 12*time.Hour || time.Duration(cfg.ServiceOrdersEvery) != 5*time.Minute {
		t.Errorf("intervals = %v, %v", time.Duration(cfg.BillingEvery), time.Duration(cfg.ServiceOrdersEvery))
	}
	for _, tt := range []struct{ name, json, want string }{
		{"unknown field", `{"tigerpaw": {"url": "x", "apiKey": "oops"}}`, `unknown field "apiKey"`},
		{"malformed", `{"tigerpaw": `, "unexpected EOF"},
		{"missing fields", `{}`, "tigerpaw.url is required"},
		{"bad duration", strings.Replace(valid, `"12h"`, `"soon"`, 1), `invalid duration "soon"`},
		{"short interval", strings.Replace(valid, `"12h"`, `"1s"`, 1), "billingEvery must be at least 1m"},
		{"trailing data", valid + "{}", "unexpected data after the JSON value"},
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
