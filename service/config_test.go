package service

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	valid := `{
  "tigerpaw": {"url": "https://tigerpaw.example.com", "publicKeyEnv": "TP_PUBLIC", "privateKeyEnv": "TP_PRIVATE"},
  "ksc": {"url": "https://ksc.example.com:13299", "user": "api", "internal": true, "passwordEnv": "KSC_PASSWORD"},
  "integration": "main", "mappingDir": "/var/lib/kt/mapping", "rulesFile": "/etc/kt/rules.json",
  "stateFile": "/var/lib/kt/orders.json", "billingEvery": "12h"
}`
	cfg, err := Parse([]byte(valid))
	if err != nil {
		t.Fatalf("valid config: %v", err)
	}
	if cfg.Tigerpaw.CompleteOpenTasks {
		t.Error("completeOpenTasks is on by default")
	}
	if c, err := Parse([]byte(strings.Replace(valid, `"privateKeyEnv": "TP_PRIVATE"`, `"privateKeyEnv": "TP_PRIVATE", "completeOpenTasks": true`, 1))); err != nil || !c.Tigerpaw.CompleteOpenTasks {
		t.Errorf("completeOpenTasks: %v", err)
	}
	if time.Duration(cfg.BillingEvery) != 12*time.Hour || time.Duration(cfg.ServiceOrdersEvery) != 5*time.Minute {
		t.Errorf("intervals = %v, %v", time.Duration(cfg.BillingEvery), time.Duration(cfg.ServiceOrdersEvery))
	}
	for _, tt := range []struct{ name, json, want string }{
		{"unknown field", `{"tigerpaw": {"url": "x", "apiKey": "oops"}}`, `unknown field "apiKey"`},
		{"malformed", `{"tigerpaw": `, "config: line 1, column 13: unexpected end of JSON input"},
		{"malformed on line 3", "{\n  \"tigerpaw\": {\"url\": \"x\"}\n  \"ksc\": {}\n}", "config: line 3, column 3: invalid character"},
		{"empty", " \n", "config: empty file (line 1, column 1): want a JSON object"},
		{"duplicate key deep", `{"tigerpaw": {"url": "x", "url": "y"}}`, `config: tigerpaw.url: key "url" given twice`},
		{"missing fields", `{}`, "tigerpaw.url is required"},
		{"bad duration", strings.Replace(valid, `"12h"`, `"soon"`, 1), `invalid duration "soon"`},
		{"short interval", strings.Replace(valid, `"12h"`, `"1s"`, 1), "billingEvery must be at least 1m"},
		{"trailing data", valid + "{}", "unexpected data after the JSON value"},
		{"unknown solution", strings.Replace(valid, `"tigerpaw"`, `"solution": "xdr", "tigerpaw"`, 1), `solution "xdr"`},
		{"hub without its settings", strings.Replace(valid, `"tigerpaw"`, `"solution": "hub", "tigerpaw"`, 1), "hub.url is required"},
	} {
		if _, err := Parse([]byte(tt.json)); err == nil || !strings.Contains(err.Error(), tt.want) {
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

func TestResolvePaths(t *testing.T) {
	t.Parallel()
	cfg := &Config{MappingDir: "m", StateFile: "/abs/s.json", RulesFile: "../r.json"}
	cfg.KSC.CAFile = "ca.pem"
	cfg.KSC.Password = "file:pw"
	cfg.Tigerpaw.PublicKey = "env:TP_PUBLIC"
	cfg.Tigerpaw.PrivateKey = "file:/etc/kt/tp.key"
	cfg.Store.DSN = "file:dsn"
	cfg.Console.Password = "file:console.pw"
	cfg.resolvePaths("/etc/kt")
	for got, want := range map[string]string{
		cfg.MappingDir: "/etc/kt/m", cfg.StateFile: "/abs/s.json", cfg.RulesFile: "/etc/r.json", cfg.KSC.CAFile: "/etc/kt/ca.pem",
		cfg.KSC.Password: "file:/etc/kt/pw", cfg.Tigerpaw.PublicKey: "env:TP_PUBLIC", cfg.Tigerpaw.PrivateKey: "file:/etc/kt/tp.key",
		cfg.Store.DSN: "file:/etc/kt/dsn", cfg.Console.Password: "file:/etc/kt/console.pw",
	} {
		if got != want {
			t.Errorf("resolved %q, want %q", got, want)
		}
	}
}

// TestInsecureHTTPSwitch: an http:// KSC or Hub URL is accepted with its
// insecureHTTP switch.
func TestInsecureHTTPSwitch(t *testing.T) {
	t.Parallel()
	for _, js := range []string{
		`{"tigerpaw": {"url": "https://tp.example.com", "publicKeyEnv": "A", "privateKeyEnv": "B"},
		  "ksc": {"url": "http://127.0.0.1:13299", "user": "api", "internal": true, "passwordEnv": "C", "insecureHTTP": true},
		  "integration": "main", "mappingDir": "/m", "rulesFile": "/r.json", "stateFile": "/s.json"}`,
		`{"solution": "hub", "tigerpaw": {"url": "https://tp.example.com", "publicKeyEnv": "A", "privateKeyEnv": "B"},
		  "hub": {"url": "http://127.0.0.1:8080", "email": "api@example.com", "passwordEnv": "C", "insecureHTTP": true},
		  "integration": "main", "mappingDir": "/m", "rulesFile": "/r.json", "stateFile": "/s.json"}`,
	} {
		if _, err := Parse([]byte(js)); err != nil {
			t.Errorf("http:// with insecureHTTP: %v", err)
		}
		if _, err := Parse([]byte(strings.Replace(js, `, "insecureHTTP": true`, "", 1))); err == nil || !strings.Contains(err.Error(), "in clear") {
			t.Errorf("http:// without insecureHTTP: %v", err)
		}
	}
}
