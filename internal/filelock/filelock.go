// Package filelock makes one process the owner of a file store: [Acquire]
// takes an exclusive lock on a lock file next to the store (flock on Unix,
// LockFileEx on Windows) and writes its owner's pid, host and start time into
// it, so that a second process is refused with an error naming the holder.
//
// The operating system releases the lock when its process exits, however it
// exits: a lock file left behind by a process that crashed is not held, and
// the next Acquire takes it over. The file itself is never removed (removing
// a lock file races with a process that opened it to lock it).
//
// Within one process the lock is shared: a second Acquire of the same path
// returns another handle on the lock already held, and the lock is released
// when the last handle is. The stores of a process keep their own in-process
// locks for their writes.
//
//	l, err := filelock.Acquire("/var/lib/kt/orders.json.lock")
//	if errors.Is(err, filelock.ErrHeld) { … another process owns the store … }
//	defer l.Release()
package filelock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ErrHeld is matched (errors.Is) by the error of [Acquire] when another
// process holds the lock; the error is a [*HeldError] naming the holder.
var ErrHeld = errors.New("lock held by another process")

// errWouldBlock is what the platform's lock call returns when the lock is
// held elsewhere.
var errWouldBlock = errors.New("lock would block")

// Owner is what a lock file says of the process holding it.
type Owner struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host,omitempty"`
	Started time.Time `json:"started"`
}

// String describes the owner, e.g. "pid 4242 on host db1 since
// 2026-01-02T03:04:05Z"; "an unknown process" when the file did not say.
func (o Owner) String() string {
	if o.PID <= 0 {
		return "an unknown process"
	}
	s := fmt.Sprintf("pid %d", o.PID)
	if o.Host != "" {
		s += " on host " + o.Host
	}
	if !o.Started.IsZero() {
		s += " since " + o.Started.UTC().Format(time.RFC3339)
	}
	return s
}

// HeldError is the error of [Acquire] on a lock another process holds. It
// matches [ErrHeld].
type HeldError struct {
	// Path is the lock file.
	Path string
	// Owner is the holder as the lock file names it; zero when it did not (a
	// holder that has not written it yet, or a lock file of another program).
	Owner Owner
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("lock file %s is held by %s", e.Path, e.Owner)
}

// Is reports whether target is ErrHeld.
func (e *HeldError) Is(target error) bool { return target == ErrHeld }

// Lock is a handle on a held lock; Release it when the store closes.
type Lock struct {
	path string
	e    *entry
	once sync.Once
}

// entry is a lock file this process holds, shared by its handles.
type entry struct {
	key  string
	f    *os.File
	refs int
}

var (
	mu   sync.Mutex
	held = map[string]*entry{}
)

// started is when this process started, as far as the lock files tell.
var started = time.Now().UTC().Truncate(time.Second)

// Acquire takes the lock of the file at path, creating it (0o600) if needed;
// its directory must exist. When another process holds it, the error is a
// [*HeldError] matching [ErrHeld]. It does not wait: see [Wait].
func Acquire(path string) (*Lock, error) {
	key := canonical(path)
	mu.Lock()
	defer mu.Unlock()
	if e := held[key]; e != nil {
		e.refs++
		return &Lock{path: path, e: e}, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	if err := lockFile(f); err != nil {
		_ = f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, &HeldError{Path: path, Owner: heldOwner(path)}
		}
		return nil, fmt.Errorf("lock file %s: %w", path, err)
	}
	if err := writeOwner(f); err != nil {
		_ = unlockFile(f)
		_ = f.Close()
		return nil, fmt.Errorf("lock file %s: writing the owner: %w", path, err)
	}
	e := &entry{key: key, f: f, refs: 1}
	held[key] = e
	return &Lock{path: path, e: e}, nil
}

// Wait is Acquire repeated every interval while another process holds the
// lock, until ctx ends; it then returns the last [*HeldError] (with ctx's
// error). Errors other than a held lock end it at once.
func Wait(ctx context.Context, path string, interval time.Duration) (*Lock, error) {
	for {
		l, err := Acquire(path)
		if err == nil || !errors.Is(err, ErrHeld) {
			return l, err
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w (gave up waiting: %w)", err, ctx.Err())
		case <-t.C:
		}
	}
}

// Path returns the lock file.
func (l *Lock) Path() string { return l.path }

// Release lets the lock go; the last handle of the process unlocks the file
// (which is emptied, and kept). Releasing twice is a no-op.
func (l *Lock) Release() error {
	var err error
	l.once.Do(func() {
		mu.Lock()
		defer mu.Unlock()
		l.e.refs--
		if l.e.refs > 0 {
			return
		}
		delete(held, l.e.key)
		_ = l.e.f.Truncate(0)
		err = errors.Join(unlockFile(l.e.f), l.e.f.Close())
		if err != nil {
			err = fmt.Errorf("releasing lock file %s: %w", l.path, err)
		}
	})
	return err
}

// canonical is the key of a lock file in this process: its absolute path,
// through symbolic links of its directory.
func canonical(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

// writeOwner replaces the content of the held lock file with this process.
func writeOwner(f *os.File) error {
	host, _ := os.Hostname()
	data, err := json.Marshal(Owner{PID: os.Getpid(), Host: host, Started: started})
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err = f.WriteAt(append(data, '\n'), 0)
	return err
}

// ownerWait bounds how long heldOwner waits for a holder that has just taken
// the lock to write its owner line (it truncates the file, then writes).
const ownerWait = 250 * time.Millisecond

// heldOwner reads the owner of a lock another process holds, waiting up to
// ownerWait for one that has just taken it to write the line: a refusal
// should name the holder, not "an unknown process".
func heldOwner(path string) Owner {
	deadline := time.Now().Add(ownerWait)
	for {
		o := readOwner(path)
		if o.PID > 0 || time.Now().After(deadline) {
			return o
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// maxOwnerSize bounds the read of a lock file: an owner is a short line.
const maxOwnerSize = 4096

// readOwner reads the owner a lock file names; zero when it names none.
func readOwner(path string) Owner {
	f, err := os.Open(path)
	if err != nil {
		return Owner{}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxOwnerSize))
	if err != nil {
		return Owner{}
	}
	var o Owner
	if err := json.Unmarshal(bytes.TrimSpace(data), &o); err != nil {
		return Owner{}
	}
	return o
}
