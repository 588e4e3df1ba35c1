package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writeConfig writes cfg as the daemon's configuration file in dir.
func writeConfig(t *testing.T, dir string, cfg map[string]any) string {
	t.Helper()
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConfigErrors runs the daemon's main on configurations with one error
// each: each exits 2 with one line naming the field path and the reason, and
// nothing runs (the mapping store is never created).
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "tp-private.key")
	if err := os.WriteFile(keyFile, []byte("private-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "not-a-cert.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KT_CFGTEST_PUBLIC", "public-from-env")
	t.Setenv("KT_CFGTEST_PASSWORD", "password-from-env")
	os.Unsetenv("KT_CFGTEST_UNSET")
	mappingDir := filepath.Join(dir, "mapping")
	base := func() map[string]any {
		return map[string]any{
			"tigerpaw":    map[string]any{"url": "http://127.0.0.1:1", "publicKey": "env:KT_CFGTEST_PUBLIC", "privateKey": "file:" + keyFile},
			"ksc":         map[string]any{"url": "https://127.0.0.1:1", "user": "api", "internal": true, "password": "env:KT_CFGTEST_PASSWORD"},
			"integration": "main", "mappingDir": mappingDir, "stateFile": filepath.Join(dir, "orders.json"),
		}
	}
	section := func(cfg map[string]any, name string) map[string]any {
		m := maps.Clone(cfg[name].(map[string]any))
		cfg[name] = m
		return m
	}
	tests := []struct {
		name string
		edit func(cfg map[string]any)
		// text, when set, edits the file's JSON text after edit.
		text   func(string) string
		want   string
		noFile bool
	}{
		{name: "missing config file", noFile: true, want: "config file " + filepath.Join(dir, "missing.json") + ": no such file or directory"},
		{name: "missing field", edit: func(c map[string]any) { delete(section(c, "ksc"), "user") }, want: "config: ksc.user is required"},
		{name: "missing secret", edit: func(c map[string]any) { delete(section(c, "tigerpaw"), "publicKey") },
			want: "config: tigerpaw.publicKey is required (or tigerpaw.publicKeyEnv)"},
		{name: "wrong type", edit: func(c map[string]any) { section(c, "tigerpaw")["url"] = 8080 },
			want: "config: tigerpaw.url: want a string, got a number"},
		{name: "wrong type of a flag", edit: func(c map[string]any) { section(c, "ksc")["internal"] = "yes" },
			want: "config: ksc.internal: want true or false, got a string"},
		{name: "wrong type of a section", edit: func(c map[string]any) { c["ksc"] = []any{} },
			want: "config: ksc: want an object, got an array"},
		{name: "bad duration", edit: func(c map[string]any) { c["billingEvery"] = "daily" },
			want: `config: billingEvery: time: invalid duration "daily"`},
		{name: "unknown field", edit: func(c map[string]any) { section(c, "tigerpaw")["apiKey"] = "x" },
			want: `config: tigerpaw.apiKey: unknown field "apiKey"`},
		{name: "unknown top-level field", edit: func(c map[string]any) { c["colour"] = "red" },
			want: `config: colour: unknown field "colour"`},
		{name: "negative rate", edit: func(c map[string]any) { section(c, "tigerpaw")["requestsPerSecond"] = -1 },
			want: "config: tigerpaw.requestsPerSecond -1 is outside 0..10000"},
		{name: "tigerpaw concurrency out of range", edit: func(c map[string]any) { section(c, "tigerpaw")["concurrency"] = -2 },
			want: "config: tigerpaw.concurrency -2 is outside 0..256"},
		{name: "concurrency out of range", edit: func(c map[string]any) { c["concurrency"] = 1000 },
			want: "config: concurrency 1000 is outside 0..256"},
		{name: "unknown solution", edit: func(c map[string]any) { c["solution"] = "xdr" },
			want: `config: solution "xdr": unknown solution; want "ksc" or "hub"`},
		{name: "unreadable CA file", edit: func(c map[string]any) { section(c, "ksc")["caFile"] = filepath.Join(dir, "none.pem") },
			want: "config: ksc.caFile: open " + filepath.Join(dir, "none.pem") + ": no such file or directory"},
		{name: "CA file without a certificate", edit: func(c map[string]any) { section(c, "ksc")["caFile"] = notPEM },
			want: "config: ksc.caFile: " + notPEM + " holds no PEM certificate"},
		{name: "unset env variable", edit: func(c map[string]any) { section(c, "ksc")["password"] = "env:KT_CFGTEST_UNSET" },
			want: "config: ksc.password: environment variable KT_CFGTEST_UNSET is unset"},
		{name: "unset legacy env variable", edit: func(c map[string]any) {
			m := section(c, "tigerpaw")
			delete(m, "privateKey")
			m["privateKeyEnv"] = "KT_CFGTEST_UNSET"
		}, want: "config: tigerpaw.privateKeyEnv: environment variable KT_CFGTEST_UNSET is unset"},
		{name: "missing secret file", edit: func(c map[string]any) { section(c, "tigerpaw")["privateKey"] = "file:" + filepath.Join(dir, "nokey") },
			want: "config: tigerpaw.privateKey: secret file " + filepath.Join(dir, "nokey") + ": no such file or directory"},
		{name: "bad secret reference", edit: func(c map[string]any) { section(c, "ksc")["password"] = "hunter2" },
			want: `config: ksc.password: want "env:NAME" or "file:PATH"`},
		{name: "unknown store kind", edit: func(c map[string]any) { c["store"] = map[string]any{"kind": "sqlite"} },
			want: `config: store.kind "sqlite": unknown store; want "file" or "postgres"`},
		{name: "postgres store without dsn", edit: func(c map[string]any) { c["store"] = map[string]any{"kind": "postgres"} },
			want: "config: store.dsn is required"},
		{name: "postgres dsn env variable unset", edit: func(c map[string]any) {
			c["store"] = map[string]any{"kind": "postgres", "dsn": "env:KT_CFGTEST_UNSET"}
		}, want: "config: store.dsn: environment variable KT_CFGTEST_UNSET is unset"},
		{name: "postgres dsn not a reference", edit: func(c map[string]any) {
			c["store"] = map[string]any{"kind": "postgres", "dsn": "host=db password=password-from-env"}
		}, want: `config: store.dsn: want "env:NAME" or "file:PATH"`},
		{name: "short lease", edit: func(c map[string]any) {
			c["store"] = map[string]any{"kind": "postgres", "dsn": "env:KT_CFGTEST_PASSWORD", "leaseTTL": "10ms"}
		}, want: "config: store.leaseTTL must be at least 1s"},
		{name: "unknown store field", edit: func(c map[string]any) { c["store"] = map[string]any{"kind": "file", "path": "/x"} },
			want: `config: store.path: unknown field "path"`},
		{name: "missing rules file to seed the database", edit: func(c map[string]any) {
			c["store"] = map[string]any{"kind": "postgres", "dsn": "env:KT_CFGTEST_PASSWORD"}
			c["rulesFile"] = filepath.Join(dir, "rules.json")
		}, want: "config: rulesFile: open " + filepath.Join(dir, "rules.json") + ": no such file or directory"},
		{name: "rules file in a missing directory", edit: func(c map[string]any) { c["rulesFile"] = filepath.Join(dir, "none", "rules.json") },
			want: "config: rulesFile: its directory " + filepath.Join(dir, "none") + " does not exist"},
		{name: "duplicate key", edit: func(map[string]any) {}, text: func(s string) string {
			return strings.Replace(s, `"user":"api"`, `"user":"api","user":"admin"`, 1)
		}, want: `config: ksc.user: key "user" given twice`},
		{name: "duplicate top-level key", edit: func(map[string]any) {}, text: func(s string) string {
			return strings.Replace(s, `"integration":"main"`, `"integration":"main","integration":"other"`, 1)
		}, want: `config: integration: key "integration" given twice`},
		{name: "mapping directory is a file", edit: func(c map[string]any) { c["mappingDir"] = keyFile },
			want: "config: mappingDir: " + keyFile + " is a file, not a directory"},
		{name: "state file is a directory", edit: func(c map[string]any) { c["stateFile"] = dir },
			want: "config: stateFile: " + dir + " is a directory, not a file"},
		{name: "state file in a missing directory", edit: func(c map[string]any) { c["stateFile"] = filepath.Join(dir, "none", "orders.json") },
			want: "config: stateFile: its directory " + filepath.Join(dir, "none") + " does not exist"},
		{name: "invalid schema", edit: func(c map[string]any) { c["store"] = map[string]any{"kind": "file", "schema": "Bad-Name"} },
			want: `config: store.schema: postgres: schema "Bad-Name": want lower-case letters, digits and underscores, at most 63`},
		{name: "tigerpaw port out of range", edit: func(c map[string]any) { section(c, "tigerpaw")["url"] = "https://127.0.0.1:99999" },
			want: "config: tigerpaw.url: port 99999 is outside 1..65535"},
		{name: "tigerpaw port not a number", edit: func(c map[string]any) { section(c, "tigerpaw")["url"] = "https://tigerpaw:http" },
			want: `config: tigerpaw.url: not a URL: invalid port ":http" after host`},
		{name: "tigerpaw url without host", edit: func(c map[string]any) { section(c, "tigerpaw")["url"] = "https:///api" },
			want: "config: tigerpaw.url: no host"},
		{name: "tigerpaw url without scheme", edit: func(c map[string]any) { section(c, "tigerpaw")["url"] = "tigerpaw.example.com" },
			want: `config: tigerpaw.url: scheme "": want https:// (or http://)`},
		{name: "ksc url over http", edit: func(c map[string]any) { section(c, "ksc")["url"] = "http://ksc.example.com:13299" },
			want: "config: ksc.url: http:// would send the password in clear; use https:// (or set ksc.insecureHTTP: true, for a test server)"},
		{name: "ksc port out of range", edit: func(c map[string]any) { section(c, "ksc")["url"] = "https://ksc.example.com:0" },
			want: "config: ksc.url: port 0 is outside 1..65535"},
		{name: "hub url over http", edit: func(c map[string]any) {
			c["solution"] = "hub"
			delete(c, "ksc")
			c["hub"] = map[string]any{"url": "http://hub.example.com", "email": "api@example.com", "password": "env:KT_CFGTEST_PASSWORD"}
		}, want: "config: hub.url: http:// would send the password in clear; use https:// (or set hub.insecureHTTP: true, for a test server)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "missing.json")
			if !tt.noFile {
				cfg := base()
				tt.edit(cfg)
				path = writeConfig(t, t.TempDir(), cfg)
				if tt.text != nil {
					data, err := os.ReadFile(path)
					if err != nil {
						t.Fatal(err)
					}
					edited := tt.text(string(data))
					if edited == string(data) {
						t.Fatalf("the text edit changed nothing in %s", data)
					}
					if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
			var stdout, stderr bytes.Buffer
			code := runMain(t.Context(), []string{"-config", path, "-once"}, &stdout, &stderr)
			if code != exitConfig {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", code, exitConfig, stderr.String())
			}
			if got := strings.TrimSuffix(stderr.String(), "\n"); got != tt.want {
				t.Errorf("stderr = %q, want the one line %q", got, tt.want)
			}
			for _, secret := range []string{"public-from-env", "password-from-env", "private-from-file"} {
				if strings.Contains(stderr.String(), secret) {
					t.Errorf("stderr holds the secret %q", secret)
				}
			}
			if _, err := os.Stat(mappingDir); err == nil {
				t.Errorf("the mapping store was created: the daemon ran")
			}
		})
	}
}

// TestFlagErrors checks the exit code of bad command lines.
func TestFlagErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{}, {"-no-such-flag"}, {"-demo", "-log-format", "xml"}, {"-demo", "extra"}, {"-demo", "-solution", "foo"}} {
		var stderr bytes.Buffer
		if code := runMain(t.Context(), args, &bytes.Buffer{}, &stderr); code != exitConfig {
			t.Errorf("%q: exit code %d, want %d; stderr:\n%s", args, code, exitConfig, stderr.String())
		}
	}
}

// TestConfigSyntaxErrors: an empty or syntactically broken configuration
// file exits 2 naming the line and column of the error.
func TestConfigSyntaxErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, text, want string }{
		{"empty", "", "config: empty file (line 1, column 1): want a JSON object"},
		{"blank", "\n  \n", "config: empty file (line 1, column 1): want a JSON object"},
		{"missing comma", "{\n  \"integration\": \"main\"\n  \"solution\": \"ksc\"\n}\n",
			"config: line 3, column 3: invalid character '\"' after object key:value pair"},
		{"truncated", "{\n  \"tigerpaw\": {\"url\": \"https://tp\"", "config: line 2, column 34: unexpected end of JSON input"},
		{"trailing comma", "{\"integration\": \"main\",}", "config: line 1, column 24: invalid character '}' looking for beginning of object key string"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "daemon.json")
			if err := os.WriteFile(path, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			if code := runMain(t.Context(), []string{"-config", path, "-once"}, &bytes.Buffer{}, &stderr); code != exitConfig {
				t.Errorf("exit code %d, want %d", code, exitConfig)
			}
			if got := strings.TrimSuffix(stderr.String(), "\n"); got != tt.want {
				t.Errorf("stderr = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestBinaryMissingConfig runs the built binary on a missing configuration
// file.
func TestBinaryMissingConfig(t *testing.T) {
	t.Parallel()
	bin := daemonBinary(t)
	cmd := exec.Command(bin, "-config", "missing.json")
	cmd.Dir = t.TempDir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	exit, ok := err.(*exec.ExitError)
	if !ok || exit.ExitCode() != exitConfig {
		t.Fatalf("run: %v, want exit code %d; stderr:\n%s", err, exitConfig, stderr.String())
	}
	if got, want := stderr.String(), "config file missing.json: no such file or directory\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}
