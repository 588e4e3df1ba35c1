package hub

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hubtest"
)

func TestCredentialsRedacted(t *testing.T) {
	t.Parallel()
	creds := Credentials{Email: testEmail, Password: testPassword}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("creds", "creds", creds)
	outputs := map[string]string{
		"%v":   fmt.Sprintf("%v", creds),
		"%+v":  fmt.Sprintf("%+v", creds),
		"%#v":  fmt.Sprintf("%#v", creds),
		"%s":   fmt.Sprintf("%s", creds),
		"ptr":  fmt.Sprintf("%v", &creds),
		"slog": logged.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, testPassword) {
			t.Errorf("%s prints the password: %s", name, out)
		}
		if !strings.Contains(out, testEmail) {
			t.Errorf("%s does not name the e-mail: %s", name, out)
		}
	}
	if got := (Credentials{Email: "a@b"}).String(); got != `hub.Credentials{Email: "a@b", Password: ""}` {
		t.Errorf("empty password shown as %s", got)
	}
	if got := creds.String(); got != `hub.Credentials{Email: "msp@example.com", Password: [redacted]}` {
		t.Errorf("String = %s", got)
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSecretsNeverLeak runs a session with failures of every kind, logging at
// debug level, and checks that neither the password nor any token issued shows
// up in the log, the errors or the formatted client.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	e := setup(t)
	seedContoso(t, e.srv)
	rec := &recordingTransport{base: e.srv.Client().Transport}
	var logBuf syncBuffer
	logger := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := NewClient(e.srv.URL, WithHTTPClient(&http.Client{Transport: rec}), WithLogger(logger),
		WithClock(e.clock.Now), WithCredentials(Credentials{Email: testEmail, Password: testPassword}))
	must(t, err)
	c.sleep = e.sleeps.sleep
	src := NewSource(c)
	logger.Info("client ready", "client", c, "credentials", Credentials{Email: testEmail, Password: testPassword})

	var errs []error
	collect := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	_, err = src.Inventory(t.Context(), "c1")
	collect(err)
	e.srv.ExpireTokens()
	e.srv.InjectFault(hubtest.Fault{Method: "GET", Status: 503, Message: "busy"})
	_, err = src.Events(t.Context(), "c1", t0)
	collect(err)
	e.srv.InjectFault(hubtest.Fault{Method: "GET", Status: 401, Times: 2})
	_, err = src.Tenants(t.Context())
	collect(err)
	e.srv.InjectFault(hubtest.Fault{Method: "GET", Status: 429, RetryAfter: "99999"})
	_, err = src.Tenants(t.Context())
	collect(err)
	e.srv.ExpireTokens()
	e.srv.AddUser(testEmail, "changed")
	_, err = src.Tenants(t.Context())
	collect(err)
	if len(errs) != 3 {
		t.Fatalf("errors = %v, want the three refused calls", errs)
	}

	tokens := rec.tokens()
	if len(tokens) < 3 {
		t.Fatalf("recorded %d authorizations", len(tokens))
	}
	secrets := []string{testPassword}
	for _, a := range tokens {
		secrets = append(secrets, strings.TrimPrefix(a, "Bearer "))
	}
	var texts []string
	for _, err := range errs {
		texts = append(texts, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
	}
	texts = append(texts, logBuf.String(), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c),
		fmt.Sprintf("%+v", src))
	if !strings.Contains(logBuf.String(), "client.email="+testEmail) {
		t.Errorf("the client's LogValue is not used:\n%s", logBuf.String())
	}
	if !strings.Contains(logBuf.String(), "retrying") {
		t.Errorf("the log shows no retry; the test did not exercise it:\n%s", logBuf.String())
	}
	for _, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("secret %q leaked into: %s", s, text)
			}
		}
	}
}
