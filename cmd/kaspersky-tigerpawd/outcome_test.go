package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/service/demo"
)

// outcomeWorld writes the files of a daemon on the fakes of configWorld
// (mapping store, rules, config) with one billed tenant on agreement; edit
// changes the daemon's config first. It returns the config file.
func outcomeWorld(t *testing.T, agreement func(*demo.Tigerpaw) int, edit func(cfg map[string]any)) (w *demo.Tigerpaw, cfgFile string) {
	t.Helper()
	w, k, dir, ca := configWorld(t)
	store, err := mapping.NewFileStore(filepath.Join(dir, "mapping"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Save(t.Context(), mapping.Config{Name: "main", Solution: mapping.SolutionKSC, ExternalProductID: w.Product,
		Tenants: []mapping.Tenant{{ID: "vs-fabrikam", Name: "Fabrikam", Account: &mapping.AccountMapping{Number: w.Fabrikam,
			Billing: mapping.Billing{Enabled: true, Agreement: agreement(w), PriceLevel: w.Level}}}},
		PriceBook: mapping.PriceBook{Apps: []mapping.AppItems{mapping.SingleItem(kaspersky.AppKESBSelect, "KESB-SEL-WS")}},
	}); err != nil {
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
	cfg := map[string]any{
		"tigerpaw":    map[string]any{"url": w.Srv.URL, "publicKeyEnv": "TEST_TP_PUBLIC", "privateKeyEnv": "TEST_TP_PRIVATE"},
		"ksc":         map[string]any{"url": k.URL, "user": demo.User, "internal": true, "passwordEnv": "TEST_KSC_PASSWORD", "caFile": ca},
		"integration": "main", "mappingDir": filepath.Join(dir, "mapping"), "rulesFile": rulesFile,
		"stateFile": filepath.Join(dir, "orders.json"),
	}
	if edit != nil {
		edit(cfg)
	}
	return w, writeConfig(t, dir, cfg)
}

func firstAgreement(w *demo.Tigerpaw) int { return w.Agreement[1] }

// TestOnceWrongKSCPasswordFails: -once against a KSC that refuses the
// password (every login) exits 1, and writes nothing.
func TestOnceWrongKSCPasswordFails(t *testing.T) {
	w, cfgFile := outcomeWorld(t, firstAgreement, nil)
	t.Setenv("TEST_KSC_PASSWORD", "not-the-password")
	var stdout, stderr bytes.Buffer
	code := runMain(t.Context(), []string{"-config", cfgFile, "-once"}, &stdout, &stderr)
	if code != exitFailed {
		t.Errorf("-once with a refused KSC password exited %d, want %d; stderr:\n%s", code, exitFailed, stderr.String())
	}
	if n := demo.FakeWrites(w.Srv); n != 0 {
		t.Errorf("-once with a refused KSC password made %d writes to Tigerpaw", n)
	}
	if strings.Contains(stderr.String(), "not-the-password") {
		t.Error("the log holds the password")
	}
}

// TestReadyzAfterRefusedPassword: the service whose KSC refuses the password
// answers /readyz 503 with the reason once its first cycle failed.
func TestReadyzAfterRefusedPassword(t *testing.T) {
	_, cfgFile := outcomeWorld(t, firstAgreement, nil)
	t.Setenv("TEST_KSC_PASSWORD", "not-the-password")
	stderr := &syncBuffer{}
	runCtx, stop := context.WithCancel(t.Context())
	defer stop()
	done := make(chan int, 1)
	go func() {
		done <- runMain(runCtx, []string{"-config", cfgFile, "-listen", "127.0.0.1:0", "-log-format", "json"}, &bytes.Buffer{}, stderr)
	}()
	var base string
	waitFor(t, "the listening line", func() bool {
		if m := listeningAddr.FindStringSubmatch(stderr.String()); m != nil {
			base = "http://" + m[1]
		}
		return base != ""
	})
	waitFor(t, "the first billing cycle", func() bool { return strings.Contains(stderr.String(), `"msg":"billing cycle"`) })
	waitFor(t, "the first service order cycle", func() bool { return strings.Contains(stderr.String(), `"msg":"service order cycle"`) })
	code, body := httpGet(t, base+"/readyz")
	if code != http.StatusServiceUnavailable {
		t.Errorf("/readyz after a cycle whose logins were refused: %d %q, want 503", code, body)
	}
	if !strings.Contains(body, "cycle failed") {
		t.Errorf("/readyz body %q does not say why", body)
	}
	stop()
	if c := <-done; c != exitOK {
		t.Errorf("the service exited %d after its context ended", c)
	}
}

// TestDryRunEveryAgreementSkipped: -dry-run whose plan skips every agreement
// (here: the agreement is not in Tigerpaw) exits 1 and prints why.
func TestDryRunEveryAgreementSkipped(t *testing.T) {
	_, cfgFile := outcomeWorld(t, func(*demo.Tigerpaw) int { return 999999 }, nil)
	var stdout, stderr bytes.Buffer
	code := runMain(t.Context(), []string{"-config", cfgFile, "-dry-run"}, &stdout, &stderr)
	if code != exitFailed {
		t.Errorf("-dry-run with every agreement skipped exited %d, want %d; stdout:\n%s\nstderr:\n%s", code, exitFailed, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "! agreement 999999 skipped") {
		t.Errorf("the plan does not say why:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "every agreement was skipped") {
		t.Errorf("the log does not say every agreement was skipped:\n%s", stderr.String())
	}
}
