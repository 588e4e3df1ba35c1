package main

import (
	"bytes"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestVersion: -version prints the name, the module version, the commit and
// the Go version, and exits 0 without a configuration.
func TestVersion(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := runMain(t.Context(), []string{"-version"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
	}
	out := stdout.String()
	if !strings.HasPrefix(out, "kaspersky-tigerpawd ") || !strings.Contains(out, " commit ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("-version printed %q", out)
	}
}

// TestBinaryNotifySocket runs the daemon as systemd runs a unit of
// Type=notify with WatchdogSec: READY=1 once it has started (its HTTP server
// answers), WATCHDOG=1 while it runs, STOPPING=1 on SIGTERM, then exit 0.
func TestBinaryNotifySocket(t *testing.T) {
	t.Parallel()
	w := newE2EWorld(t)
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	w.env = append(w.env, "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=200000")
	cmd, out := w.start(t, "-listen", "127.0.0.1:0", "-log-format", "json")
	// Read the socket as systemd does, all along: a datagram socket whose
	// reader stops blocks its writers.
	states := make(chan string, 1000)
	go func() {
		defer close(states)
		buf := make([]byte, 1024)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			state, _, _ := strings.Cut(string(buf[:n]), "\n")
			states <- state
		}
	}()
	var got []string
	read := func() string {
		t.Helper()
		select {
		case s := <-states:
			got = append(got, s)
			return s
		case <-time.After(time.Minute):
			t.Fatalf("nothing on the notify socket in a minute after %q\n%s", got, out.String())
		}
		return ""
	}
	if s := read(); s != "READY=1" {
		t.Fatalf("first notification %q, want READY=1", s)
	}
	// The listening line reaches out through a pipe, maybe after READY=1
	// reached the socket: wait for it, then the daemon must answer. (That
	// READY=1 comes only once the runtime has started is checked in package
	// service, TestRunTellsItsPhases.)
	var m []string
	waitFor(t, "the listening line", func() bool {
		m = listeningAddr.FindStringSubmatch(out.String())
		return m != nil
	})
	if code, _ := httpGet(t, "http://"+m[1]+"/healthz"); code != 200 {
		t.Errorf("/healthz after READY=1: %d", code)
	}
	if s := read(); s != "WATCHDOG=1" {
		t.Errorf("after READY=1: %q, want WATCHDOG=1", s)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for s := read(); s != "STOPPING=1"; s = read() {
		if s != "WATCHDOG=1" {
			t.Fatalf("after SIGTERM: %q", s)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("the daemon after SIGTERM: %v\n%s", err, out.String())
	}
}
