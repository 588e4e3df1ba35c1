package serviceorder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"github.com/mspkit/kaspersky-tigerpaw/internal/atomicfile"
	"github.com/mspkit/kaspersky-tigerpaw/internal/filelock"
	"github.com/mspkit/kaspersky-tigerpaw/internal/strictjson"
)

// ErrStoreLocked is matched by the error of OpenFileStore when another process owns
// the store file; the error names the lock file and its holder (pid, host,
// start time).
var ErrStoreLocked = errors.New("serviceorder: store is locked by another process")

// errClosed is the error of a FileStore's methods after Close.
var errClosed = errors.New("serviceorder: file store is closed")

// ErrReadOnly is matched by the error of a write to a store opened read-only
// ([OpenFileStoreReadOnly], [NewFileRulesReadOnly]): it writes nothing.
var ErrReadOnly = errors.New("serviceorder: the store is open read-only")

// ErrCorruptStore is wrapped by the error OpenFileStore returns when the store
// file cannot be read as a store (truncated, not JSON, another format). The file
// is left as it is.
var ErrCorruptStore = errors.New("serviceorder: store file is corrupt")

const (
	fileFormat  = "kaspersky-tigerpaw/serviceorder"
	fileVersion = 1
)

type fileContent struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	State   State  `json:"state"`
}

// FileStore is a [Store] in one JSON file. Every Apply rewrites the file
// atomically (a temporary file in the same directory, fsync, rename, fsync of the
// directory), so after a crash the file holds either the old or the new state.
//
// One process owns a file at a time, since the state is read when the store is
// opened: OpenFileStore takes an exclusive lock on the file path+".lock"
// (flock on Unix, LockFileEx on Windows), which names the owner's pid, host
// and start time, and holds it until Close (or until the process ends,
// however it ends). A second process is refused with an error matching
// [ErrStoreLocked] naming the holder; a lock file left by a process that died is
// taken over. FileStores over one file in one process share the lock (and
// not the state: open one per file).
//
// [OpenFileStoreReadOnly] reads the state beside the process that owns the
// file: it takes no lock and writes nothing.
type FileStore struct {
	path   string
	lock   *filelock.Lock
	mu     sync.Mutex
	state  State
	closed bool
	// readOnly is set by OpenFileStoreReadOnly: Apply refuses.
	readOnly bool
}

// OpenFileStore opens the store in the file at path, which need not exist yet
// (the directory must). A file that cannot be read as a store is an error
// wrapping [ErrCorruptStore] and is not modified. Temporary files left by an
// interrupted write are removed. When another process holds the store's lock
// the error matches [ErrStoreLocked] and names the holder. Close the store to let
// the lock go.
func OpenFileStore(path string) (_ *FileStore, err error) {
	lock, err := filelock.Acquire(path + ".lock")
	if errors.Is(err, filelock.ErrHeld) {
		return nil, fmt.Errorf("%w: %s: %w", ErrStoreLocked, path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("serviceorder: store %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = lock.Release()
		}
	}()
	st, err := readStoreFile(path)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.RemoveTemps(path); err != nil {
		return nil, fmt.Errorf("serviceorder: store %s: %w", path, err)
	}
	return &FileStore{path: path, lock: lock, state: st}, nil
}

// OpenFileStoreReadOnly reads the store in the file at path, as OpenFileStore
// does, but takes no lock (the process that owns the file may run and write
// meanwhile) and writes nothing: temporary files stay, and Apply fails with
// an error matching [ErrReadOnly]. The state is the file's when opened: every
// write replaces the whole file by a rename, so it is one whole state, never
// a mix of two. A missing file is an empty store.
func OpenFileStoreReadOnly(path string) (*FileStore, error) {
	st, err := readStoreFile(path)
	if err != nil {
		return nil, err
	}
	return &FileStore{path: path, state: st, readOnly: true}, nil
}

// readStoreFile reads the state in the file at path (empty when the file is
// missing).
func readStoreFile(path string) (State, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return State{}.Clone(), nil // a new store
	case err != nil:
		return State{}, fmt.Errorf("serviceorder: reading store file: %w", err)
	}
	var c fileContent
	if err := strictjson.Unmarshal(data, &c); err != nil {
		return State{}, fmt.Errorf("%w: %s: %w", ErrCorruptStore, path, err)
	}
	if c.Format != fileFormat || c.Version != fileVersion {
		return State{}, fmt.Errorf("%w: %s: format %q version %d, want %q version %d", ErrCorruptStore, path, c.Format, c.Version, fileFormat, fileVersion)
	}
	for k, o := range c.State.Orders {
		check := Change{Put: []Order{o}}
		if err := check.Check(); err != nil || o.Key != k {
			return State{}, fmt.Errorf("%w: %s: order %q is malformed", ErrCorruptStore, path, k)
		}
	}
	return c.State.Clone(), nil
}

// Path returns the file of the store.
func (s *FileStore) Path() string { return s.path }

// Close lets the store's lock go (once the last FileStore of the process over
// the file is closed); Load and Apply fail after it. Closing twice is a no-op.
func (s *FileStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.lock == nil {
		return nil
	}
	return s.lock.Release()
}

// Load returns a copy of the state.
func (s *FileStore) Load(ctx context.Context) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return State{}, errClosed
	}
	return s.state.Clone(), nil
}

// Apply applies c and writes the new state to the file. If the write fails the
// file and the state are as before.
func (s *FileStore) Apply(ctx context.Context, c Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.Check(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	if s.readOnly {
		return fmt.Errorf("serviceorder: store %s: %w", s.path, ErrReadOnly)
	}
	next := s.state.Clone()
	c.apply(&next)
	if err := s.write(next); err != nil {
		return err
	}
	s.state = next
	return nil
}

func (s *FileStore) write(st State) error {
	data, err := json.Marshal(fileContent{Format: fileFormat, Version: fileVersion, State: st})
	if err != nil {
		return fmt.Errorf("serviceorder: encoding store: %w", err)
	}
	return writeFileAtomic(s.path, data)
}

// writeFileAtomic replaces the file at path by data through the module's one
// atomic writer: after a crash the file holds its old or its new content.
func writeFileAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("serviceorder: %w", err)
	}
	return nil
}
