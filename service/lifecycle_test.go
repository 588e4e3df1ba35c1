package service

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/console"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/service/demo"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

// demoService is a Service over the demo's fakes, with nothing configured.
func demoService(t *testing.T, opts ...Option) *Service {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	w := demo.NewTigerpaw(now)
	t.Cleanup(w.Srv.Close)
	fake, _, err := demo.NewConsole("ksc", now, slog.New(slog.DiscardHandler), func(_ string, roots *x509.CertPool) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	tp, err := tigerpaw.NewClient(w.Srv.URL, tigerpaw.WithKeys(w.Srv.PublicKey, w.Srv.PrivateKey), tigerpaw.WithHTTPClient(w.Srv.HTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{Integration: "demo", BillingEvery: Duration(time.Hour), ServiceOrdersEvery: Duration(time.Hour)}
	opts = append([]Option{WithLogger(slog.New(slog.DiscardHandler)), WithSource(fake.Source), WithTigerpaw(tp),
		WithStores(mapping.NewMemoryStore(), serviceorder.NewMemoryStore(), console.NewMemoryRules(w.Rules()))}, opts...)
	s, err := New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestRunTellsItsPhases runs the runtime under a fake systemd: READY=1 once
// it is started, WATCHDOG=1 while it runs, STOPPING=1 when its context ends;
// WithNotify's function hears the same phases.
func TestRunTellsItsPhases(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "20000") // every 10ms
	t.Setenv("WATCHDOG_PID", "")
	var mu sync.Mutex
	var phases []Phase
	var startedAtRunning bool
	var s *Service
	s = demoService(t, WithNotify(func(p Phase) {
		mu.Lock()
		defer mu.Unlock()
		phases = append(phases, p)
		if p == Running {
			s.startMu.Lock()
			startedAtRunning = s.started
			s.startMu.Unlock()
		}
	}))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	var got []string
	readOne := func() string {
		conn.SetReadDeadline(time.Now().Add(time.Minute))
		buf := make([]byte, 1024)
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("reading the notify socket after %q: %v", got, err)
		}
		return strings.SplitN(string(buf[:n]), "\n", 2)[0]
	}
	for len(got) < 3 {
		got = append(got, readOne())
	}
	if got[0] != "READY=1" || got[1] != "WATCHDOG=1" || got[2] != "WATCHDOG=1" {
		t.Errorf("first datagrams = %q, want READY=1 then WATCHDOG=1s", got)
	}
	select {
	case err := <-done:
		t.Fatalf("Run returned before its context ended: %v", err)
	default:
	}
	cancel()
	for last := ""; last != "STOPPING=1"; {
		last = readOne()
		if last != "WATCHDOG=1" && last != "STOPPING=1" {
			t.Fatalf("after the context ended: %q", last)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(phases, []Phase{Running, Stopping}) || !startedAtRunning {
		t.Errorf("phases = %v (started at Running: %v), want [running stopping] once started", phases, startedAtRunning)
	}
}
