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
	if err := os.WriteFile(filepath.Join(dir, "secrets", "tp.key"), []byte(w.Srv.PrivateKey+"\n"), 0o600); err != nil {
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
	if ch := w.Srv.Charges(w.Agreement[1]); len(ch) != 1 {
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
