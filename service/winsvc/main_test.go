package winsvc

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/console"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/service"
	"github.com/mspkit/kaspersky-tigerpaw/service/demo"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

func TestServiceArgs(t *testing.T) {
	t.Setenv("ProgramData", filepath.FromSlash("/pd"))
	p := Program{Name: "d", DataDir: "kt"}
	def := filepath.Join(filepath.FromSlash("/pd"), "kt", "config.json")
	for _, c := range []struct{ in, want []string }{
		{nil, []string{"-config", def}},
		{[]string{"-listen", ":9464"}, []string{"-config", def, "-listen", ":9464"}},
		{[]string{"-config", "x.json"}, []string{"-config", "x.json"}},
		{[]string{"--config=x.json", "-v"}, []string{"--config=x.json", "-v"}},
		{[]string{"-demo"}, []string{"-demo"}},
		{[]string{"-v", "--", "-config"}, []string{"-config", def, "-v", "--", "-config"}},
	} {
		if got := p.serviceArgs(c.in); !slices.Equal(got, c.want) {
			t.Errorf("serviceArgs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := p.LogPath(); got != filepath.Join(filepath.FromSlash("/pd"), "kt", "logs", "d.log") {
		t.Errorf("LogPath() = %q", got)
	}
}

func TestCheckInstallArgs(t *testing.T) {
	for _, a := range []string{"-once", "--dry-run", "-version", "-once=true"} {
		if err := checkInstallArgs([]string{"-listen", ":1", a}); err == nil {
			t.Errorf("install with %s accepted", a)
		}
	}
	if err := checkInstallArgs([]string{"-listen", ":9464", "-v"}); err != nil {
		t.Errorf("install -listen :9464 -v: %v", err)
	}
}

// TestMainOutsideWindows: the sub-commands say they are for Windows (exit
// 2); anything else is the console program's.
func TestMainOutsideWindows(t *testing.T) {
	if isWin, _ := isService(); isWin {
		t.Skip("under a service control manager")
	}
	p := Program{Name: "kaspersky-tigerpawd", DataDir: "kt", Run: func(context.Context, []string, io.Writer, io.Writer, ...service.Option) int {
		t.Error("Run called")
		return 0
	}}
	if notWindows() {
		for _, cmd := range []string{"install", "uninstall", "start", "stop"} {
			var out, errb bytes.Buffer
			code, handled := p.main([]string{cmd, "-listen", ":9464"}, &out, &errb)
			if code != 2 || !handled || !strings.Contains(errb.String(), "kaspersky-tigerpawd "+cmd+": Windows services exist only on Windows") {
				t.Errorf("%s: code %d, handled %v, stderr %q", cmd, code, handled, errb.String())
			}
		}
	}
	for _, args := range [][]string{nil, {"-demo"}, {"-config", "install"}, {"installer"}} {
		if code, handled := p.main(args, io.Discard, io.Discard); handled || code != 0 {
			t.Errorf("%q: code %d, handled %v; want it left to the console program", args, code, handled)
		}
	}
}

func TestEventWriterLevels(t *testing.T) {
	type event struct {
		l    Level
		line string
	}
	var got []event
	w := &eventWriter{emit: func(l Level, line string) { got = append(got, event{l, line}) }}
	for _, h := range []slog.Handler{slog.NewTextHandler(w, nil), slog.NewJSONHandler(w, nil)} {
		log := slog.New(h)
		log.Debug("quiet")
		log.Info("cycle done", "note", "level=ERROR in a value")
		log.Warn("cycle not run")
		log.Error("cycle failed", "err", "boom")
	}
	io.WriteString(w, "config: tigerpaw.url: missing\nconfig: ksc.user: mis") // a configuration error, in pieces
	io.WriteString(w, "sing\n\n")
	var levels []Level
	for _, e := range got {
		levels = append(levels, e.l)
	}
	want := []Level{LevelWarning, LevelError, LevelWarning, LevelError, LevelError, LevelError}
	if !slices.Equal(levels, want) {
		t.Fatalf("levels = %v, want %v (%v)", levels, want, got)
	}
	if got[5].line != "config: ksc.user: missing" || !strings.Contains(got[1].line, "cycle failed") {
		t.Errorf("lines = %v", got)
	}
}

// TestRunnerWithTheRuntime drives the real runtime through the state
// machine: running is reported once the runtime has started (its HTTP
// server answers), and Stop ends it with exit code 0.
func TestRunnerWithTheRuntime(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	w := demo.NewTigerpaw(now)
	defer w.Srv.Close()
	log := slog.New(slog.DiscardHandler)
	fake, _, err := demo.NewConsole("ksc", now, log, func(_ string, roots *x509.CertPool) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	tp, err := tigerpaw.NewClient(w.Srv.URL, tigerpaw.WithKeys(w.Srv.PublicKey, w.Srv.PrivateKey), tigerpaw.WithHTTPClient(w.Srv.HTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	var gotArgs []string
	p := Program{Name: "d", DataDir: "kt", Run: func(ctx context.Context, args []string, _, _ io.Writer, opts ...service.Option) int {
		gotArgs = args
		cfg := &service.Config{Integration: "demo", BillingEvery: service.Duration(time.Hour), ServiceOrdersEvery: service.Duration(time.Hour)}
		opts = append([]service.Option{service.WithLogger(log), service.WithListen("127.0.0.1:0"), service.WithSource(fake.Source), service.WithTigerpaw(tp),
			service.WithStores(mapping.NewMemoryStore(), serviceorder.NewMemoryStore(), console.NewMemoryRules(w.Rules()))}, opts...)
		s, err := service.New(cfg, opts...)
		if err != nil {
			t.Error(err)
			return 2
		}
		defer s.Close()
		go func() {
			for s.Addr() == "" {
				time.Sleep(time.Millisecond)
			}
			addr <- s.Addr()
		}()
		if err := s.Run(ctx); err != nil {
			t.Error(err)
			return 1
		}
		return 0
	}}
	rec, reqs, final := startMachine(time.Hour, p.runner([]string{"-listen", "x"}, io.Discard, io.Discard))
	if st := rec.next(t, false); st.State != StartPending {
		t.Fatalf("first status = %+v", st)
	}
	if st := rec.next(t, false); st.State != Running {
		t.Fatalf("second status = %+v", st)
	}
	// Running is reported after Start: the server is listening.
	resp, err := http.Get("http://" + <-addr + "/healthz")
	if err != nil {
		t.Fatalf("/healthz once running: %v", err)
	}
	resp.Body.Close()
	reqs <- Stop
	if st := rec.next(t, false); st.State != StopPending {
		t.Fatalf("after Stop: %+v", st)
	}
	if st := <-final; st.State != Stopped || st.ExitCode != 0 {
		t.Errorf("final = %+v", st)
	}
	if !slices.Equal(gotArgs, []string{"-listen", "x"}) {
		t.Errorf("Run's args = %q", gotArgs)
	}
}
