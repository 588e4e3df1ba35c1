package filelock

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/internal/filelock/filelocktest"
)

// holdElsewhere locks path through a file of its own, as another process
// would (flock and LockFileEx locks belong to an open file, not a process),
// writing owner into it; the lock goes when the test ends.
func holdElsewhere(t *testing.T, path string, owner Owner) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := lockFile(f); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(owner)
	if _, err := f.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unlockFile(f)
		f.Close()
	})
}

func skipWithoutOSLock(t *testing.T) {
	switch runtime.GOOS {
	case "darwin", "dragonfly", "freebsd", "linux", "netbsd", "openbsd", "windows":
	default:
		t.Skip("no OS file lock on " + runtime.GOOS)
	}
}

func TestAcquireHeldNamesTheHolder(t *testing.T) {
	skipWithoutOSLock(t)
	path := filepath.Join(t.TempDir(), "store.lock")
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	holdElsewhere(t, path, Owner{PID: 4242, Host: "db1", Started: since})
	l, err := Acquire(path)
	if err == nil {
		l.Release()
		t.Fatal("Acquire of a lock held elsewhere succeeded")
	}
	if !errors.Is(err, ErrHeld) {
		t.Fatalf("error %v does not match ErrHeld", err)
	}
	var he *HeldError
	if !errors.As(err, &he) || he.Owner.PID != 4242 || he.Owner.Host != "db1" || !he.Owner.Started.Equal(since) {
		t.Fatalf("error = %#v, want a HeldError naming pid 4242 on db1", err)
	}
	want := "lock file " + path + " is held by pid 4242 on host db1 since 2026-01-02T03:04:05Z"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestAcquireWritesOwnerAndReleases(t *testing.T) {
	skipWithoutOSLock(t)
	path := filepath.Join(t.TempDir(), "store.lock")
	l, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	if o := readOwner(path); o.PID != os.Getpid() || o.Started.IsZero() {
		t.Errorf("lock file names %+v, want pid %d", o, os.Getpid())
	}
	// Another open file cannot take it while held …
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := lockFile(f); !errors.Is(err, errWouldBlock) {
		t.Fatalf("lock through another file while held: %v, want it to block", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	// … and can once released; the file stays, emptied.
	if err := lockFile(f); err != nil {
		t.Fatalf("lock after Release: %v", err)
	}
	unlockFile(f)
	if data, err := os.ReadFile(path); err != nil || len(data) != 0 {
		t.Errorf("lock file after Release: %q, %v; want it kept and empty", data, err)
	}
}

// TestAcquireTakesOverAStaleFile: a lock file left by a process that died
// (its pid still written, no lock on it) is taken over.
func TestAcquireTakesOverAStaleFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.lock")
	if err := os.WriteFile(path, []byte(`{"pid":999999,"host":"gone","started":"2020-01-01T00:00:00Z"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire over a stale lock file: %v", err)
	}
	defer l.Release()
	if o := readOwner(path); o.PID != os.Getpid() {
		t.Errorf("lock file names %+v after the take-over, want pid %d", o, os.Getpid())
	}
}

// TestAcquireSharedInProcess: handles of one process share the lock, which
// goes with the last of them.
func TestAcquireSharedInProcess(t *testing.T) {
	skipWithoutOSLock(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "store.lock")
	a, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Acquire(filepath.Join(dir, ".", "store.lock"))
	if err != nil {
		t.Fatalf("second Acquire in the process: %v", err)
	}
	a.Release()
	a.Release() // a no-op: b still holds it
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := lockFile(f); !errors.Is(err, errWouldBlock) {
		t.Fatalf("lock released while a handle holds it: %v", err)
	}
	b.Release()
	if err := lockFile(f); err != nil {
		t.Fatalf("lock after the last Release: %v", err)
	}
	unlockFile(f)
}

func TestWaitGivesUp(t *testing.T) {
	skipWithoutOSLock(t)
	path := filepath.Join(t.TempDir(), "store.lock")
	holdElsewhere(t, path, Owner{PID: 77})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := Wait(ctx, path, 10*time.Millisecond)
	if !errors.Is(err, ErrHeld) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "pid 77") {
		t.Fatalf("Wait = %v, want ErrHeld naming pid 77 and the deadline", err)
	}
}

func TestWaitTakesAReleasedLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.lock")
	done := make(chan struct{})
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		unlockFile(f)
		close(done)
	}()
	l, err := Wait(t.Context(), path, 5*time.Millisecond)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	<-done
	l.Release()
}

const helperEnv = "KT_FILELOCK_HELPER"

// TestHelperProcess holds the lock named by KT_FILELOCK_HELPER until its
// standard input closes, then exits without releasing it; it is run by
// TestAcquireAcrossProcesses.
func TestHelperProcess(t *testing.T) {
	if !filelocktest.Serve(helperEnv, func(path string) error { _, err := Acquire(path); return err }) {
		t.Skip("a helper of TestAcquireAcrossProcesses")
	}
}

func TestAcquireAcrossProcesses(t *testing.T) {
	skipWithoutOSLock(t)
	path := filepath.Join(t.TempDir(), "store.lock")
	_, stop := filelocktest.Start(t, "TestHelperProcess", helperEnv, path)
	_, err := Acquire(path)
	var he *HeldError
	if !errors.As(err, &he) || he.Owner.PID == os.Getpid() || he.Owner.PID <= 0 {
		t.Fatalf("Acquire while another process holds the lock = %v, want a HeldError naming it", err)
	}
	stop() // the holder exits without releasing
	l, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire after the holder died: %v", err)
	}
	l.Release()
}

// A holder that has just taken the lock writes its owner line a moment
// later: the refusal waits for it rather than naming "an unknown process".
func TestHeldOwnerWaitsForTheLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.lock")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		_ = os.WriteFile(path, []byte(`{"pid":4242,"host":"db1","started":"2026-01-02T03:04:05Z"}`+"\n"), 0o600)
	}()
	if o := heldOwner(path); o.PID != 4242 || o.Host != "db1" {
		t.Errorf("heldOwner = %+v, want pid 4242 on db1", o)
	}
	// A file that never names anyone is given up on after ownerWait.
	empty := filepath.Join(t.TempDir(), "other.lock")
	if err := os.WriteFile(empty, []byte("not ours"), 0o600); err != nil {
		t.Fatal(err)
	}
	if o := heldOwner(empty); o.PID != 0 {
		t.Errorf("heldOwner of a foreign file = %+v", o)
	}
}
