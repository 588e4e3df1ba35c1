package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRelativePathsFromTheConfigDirectory runs -once on a configuration whose
// paths are relative (the stores, the rules, the CA file, a "file:" secret):
// they are read from the configuration file's directory, not from the
// working directory. A Tigerpaw URL over http:// is logged as a warning.
func TestRelativePathsFromTheConfigDirectory(t *testing.T) {
	var dir string
	w, cfgFile := outcomeWorld(t, firstAgreement, func(cfg map[string]any) {
		dir = filepath.Dir(cfg["rulesFile"].(string))
		cfg["mappingDir"], cfg["stateFile"], cfg["rulesFile"] = "mapping", "orders.json", "rules.json"
		k := cfg["ksc"].(map[string]any)
		k["caFile"] = "ksc-ca.pem"
		tp := cfg["tigerpaw"].(map[string]any)
		delete(tp, "privateKeyEnv")
		tp["privateKey"] = "file:secrets/tp.key"
	})
	if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secrets", "tp.key"), []byte(w.srv.PrivateKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if wd == dir {
		t.Fatal("the test runs in the configuration's directory")
	}
	var stdout, stderr bytes.Buffer
	if code := runMain(t.Context(), []string{"-config", cfgFile, "-once"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("-once with relative paths exited %d; stderr:\n%s", code, stderr.String())
	}
	if ch := w.srv.Charges(w.agreement[1]); len(ch) != 1 {
		t.Errorf("charges after -once = %+v, want one", ch)
	}
	if _, err := os.Stat(filepath.Join(dir, "orders.json")); err != nil {
		t.Errorf("the state file is not in the configuration's directory: %v", err)
	}
	for _, p := range []string{"mapping", "orders.json"} {
		if _, err := os.Stat(filepath.Join(wd, p)); err == nil {
			t.Errorf("%s was created in the working directory", p)
		}
	}
	if !strings.Contains(stderr.String(), "tigerpaw.url is http://") {
		t.Errorf("no warning about the Tigerpaw URL over http://:\n%s", stderr.String())
	}
}

func TestResolvePaths(t *testing.T) {
	t.Parallel()
	cfg := &config{MappingDir: "m", StateFile: "/abs/s.json", RulesFile: "../r.json"}
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
		if _, err := parseConfig([]byte(js)); err != nil {
			t.Errorf("http:// with insecureHTTP: %v", err)
		}
		if _, err := parseConfig([]byte(strings.Replace(js, `, "insecureHTTP": true`, "", 1))); err == nil || !strings.Contains(err.Error(), "in clear") {
			t.Errorf("http:// without insecureHTTP: %v", err)
		}
	}
}
