package sdnotify

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// listen opens a notification socket at name (a path, or '@' and an
// abstract name) and returns what to read from it.
func listen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	addr := name
	if addr[0] == '@' {
		addr = "\x00" + addr[1:]
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func read(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestNotifyPathAndAbstract(t *testing.T) {
	for _, name := range []string{
		filepath.Join(t.TempDir(), "notify"),
		"@kt-sdnotify-test-" + strconv.Itoa(os.Getpid()),
	} {
		conn := listen(t, name)
		t.Setenv("NOTIFY_SOCKET", name)
		n := FromEnv()
		if n == nil {
			t.Fatal("FromEnv() = nil with NOTIFY_SOCKET set")
		}
		if err := n.Notify(Ready, "STATUS=running"); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := read(t, conn); got != "READY=1\nSTATUS=running" {
			t.Errorf("%s: got %q", name, got)
		}
	}
}

func TestNoSocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	n := FromEnv()
	if n != nil {
		t.Fatalf("FromEnv() = %v without NOTIFY_SOCKET", n)
	}
	if err := n.Notify(Ready); err != nil {
		t.Errorf("a nil notifier: %v", err)
	}
	if err := New(filepath.Join(t.TempDir(), "absent")).Notify(Ready); err == nil {
		t.Error("no error notifying a socket nobody listens on")
	}
}

func TestWatchdogInterval(t *testing.T) {
	pid := strconv.Itoa(os.Getpid())
	for _, c := range []struct {
		usec, pid string
		want      time.Duration
		ok, err   bool
	}{
		{"", "", 0, false, false},
		{"30000000", "", 15 * time.Second, true, false},
		{"30000000", pid, 15 * time.Second, true, false},
		{"30000000", "1", 0, false, false},
		{"0", "", 0, false, true},
		{"soon", "", 0, false, true},
		{"30000000", "me", 0, false, true},
	} {
		t.Setenv("WATCHDOG_USEC", c.usec)
		t.Setenv("WATCHDOG_PID", c.pid)
		got, ok, err := WatchdogInterval()
		if got != c.want || ok != c.ok || (err != nil) != c.err {
			t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q: %v, %v, %v; want %v, %v, error %v", c.usec, c.pid, got, ok, err, c.want, c.ok, c.err)
		}
	}
}

// TestNotifyDoesNotHang: a socket whose reader lags makes a send fail, not
// block the service.
func TestNotifyDoesNotHang(t *testing.T) {
	name := filepath.Join(t.TempDir(), "notify")
	listen(t, name) // never read
	defer func(d time.Duration) { sendTimeout = d }(sendTimeout)
	sendTimeout = 50 * time.Millisecond
	n := New(name)
	var err error
	for i := 0; i < 10000 && err == nil; i++ {
		err = n.Notify(Watchdog)
	}
	if err == nil {
		t.Fatal("10000 datagrams to a socket nobody reads, and no error")
	}
}
