package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/service/demo"
)

// TestDemoConsole runs -demo -listen on loopback: /console/ serves the
// configuration console over the demo's fakes, its forms carry a CSRF token,
// a post without it is refused, and a General section without its closed
// status is refused with 422.
func TestDemoConsole(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, []string{"-demo", "-listen", "127.0.0.1:0", "-log-format", "json"}, &stdout, &stderr)
	}()
	waitFor(t, "the demo to serve", func() bool {
		select {
		case code := <-done:
			t.Fatalf("the demo exited with %d:\n%s\n%s", code, stdout.String(), stderr.String())
		default:
		}
		return fakeCounted.MatchString(stdout.String()) && listeningAddr.MatchString(stderr.String())
	})
	base := "http://" + listeningAddr.FindStringSubmatch(stderr.String())[1]

	// /console/ is the overview; the Companies tab lists the demo's tenants.
	code, body := httpGet(t, base+"/console/")
	if code != http.StatusOK || !strings.Contains(body, "<h2>Integration status</h2>") {
		t.Fatalf("/console/: %d\n%s", code, body)
	}
	code, body = httpGet(t, base+"/console/companies")
	if code != http.StatusOK || !strings.Contains(body, `id="tenant-vs-contoso"`) || !strings.Contains(body, "Fabrikam") {
		t.Fatalf("/console/companies: %d\n%s", code, body)
	}
	code, body = httpGet(t, base+"/console/accounts")
	if code != http.StatusOK || !regexp.MustCompile(`<option value="\d+" selected>Contoso Ltd \(\d+\)</option>`).MatchString(body) {
		t.Fatalf("/console/accounts does not show Contoso mapped: %d\n%s", code, body)
	}
	if strings.Contains(body, demo.Password) {
		t.Error("the Accounts tab renders the demo's KSC password")
	}
	code, body = httpGet(t, base+"/console/plan")
	if code != http.StatusOK || !strings.Contains(body, `id="plan-counts"`) {
		t.Errorf("/console/plan: %d\n%s", code, body)
	}

	// A post without the form's CSRF token is refused.
	resp, err := http.PostForm(base+"/console/serviceorders", url.Values{"section": {"general"}, "action": {"save"}, "revision": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a post without CSRF token: %d, want 403", resp.StatusCode)
	}

	// Saving General with the token: the next cycles use the saved rules.
	_, body = httpGet(t, base+"/console/serviceorders")
	csrf := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(body)
	rep := regexp.MustCompile(`<option value="(\d+)" selected>Dana Helpdesk</option>`).FindStringSubmatch(body)
	if csrf == nil || rep == nil {
		t.Fatalf("no CSRF token or selected rep on the Service orders tab:\n%s", body)
	}
	resp, err = http.PostForm(base+"/console/serviceorders", url.Values{"csrf": {csrf[1]}, "section": {"general"}, "action": {"save"},
		"revision": {"1"}, "rep": {rep[1]}, "newStatus": {"New"}, "closedStatus": {""}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("saving General without a closed status: %d, want 422", resp.StatusCode)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("exit code %d after the end of the context", code)
	}
}
