package mapping

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mspkit/kaspersky-tigerpaw/internal/atomicfile"
	"github.com/mspkit/kaspersky-tigerpaw/internal/filelock"
)

// ErrStoreLocked is matched by the error of [NewFileStore] when another process
// owns the directory; the error names the lock file and its holder (pid, host,
// start time).
var ErrStoreLocked = errors.New("store is locked by another process")

// errClosed is the error of a FileStore's methods after Close.
var errClosed = errors.New("mapping: file store is closed")

// ErrReadOnly is matched by the error of Save and Delete on a store opened
// with [OpenFileStoreReadOnly]: it writes nothing.
var ErrReadOnly = errors.New("mapping: the file store is open read-only")

// LockFileName is the lock file of a FileStore, in its directory.
const LockFileName = ".lock"

// legacyTempPrefix starts the names of the temporary files that saves of
// earlier versions left on a crash; temporary files are now named as
// [atomicfile.IsTemp] says. Stored file names never start with a dot, so
// neither can collide with them.
const legacyTempPrefix = ".tmp-"

// FileStore is a [Store] that keeps each configuration as a file in its JSON form
// ([Marshal]) in one directory: name.json, with characters other than ASCII
// letters, digits, '-' and '_' (and a leading '.', and the first letter of a
// Windows device name such as CON or COM1) written as %XX.
//
// Save writes atomically: the new version goes to a temporary file in the same
// directory, which is synced, closed and renamed over the old file, and then the
// directory is synced. A crash at any point leaves either the old or the new
// version, never a mix; a left-over temporary file is ignored, and removed by
// the next [NewFileStore].
//
// One process at a time owns a directory: NewFileStore takes an exclusive lock
// on the file .lock in it (flock on Unix, LockFileEx on Windows), which names
// the owner's pid, host and start time, and holds it until Close (or until the
// process ends, however it ends). A second process is refused with an error
// matching [ErrStoreLocked] naming the holder; a lock file left by a process that
// died is taken over. FileStores over one directory in one process share the
// lock, and a lock in the process, so that the rules across integrations and
// the revision check hold. Names that differ
// only in letter case cannot both be stored, since case-insensitive file
// systems would keep them in one file. A file whose integration is not the one
// its name says (a copy made by hand) makes List and Save fail until it is
// moved out.
//
// [OpenFileStoreReadOnly] opens a directory for reading only, beside the
// process that owns it: it takes no lock and writes nothing.
type FileStore struct {
	dir  string
	lock *filelock.Lock
	// readOnly is set by OpenFileStoreReadOnly: Save and Delete refuse.
	readOnly bool
	// closed is set by Close.
	closed atomic.Bool
	// mu is shared by every FileStore of the same directory in the process.
	mu *sync.Mutex
	// beforeRename, when set (by tests), runs after the temporary file is
	// written and synced and before it is renamed; an error aborts the save as a
	// crash would, leaving the temporary file behind.
	beforeRename func(tmp *os.File) error
}

// NewFileStore returns a FileStore over dir, creating the directory (0o700) if
// needed, taking its lock and removing temporary files that a crashed save
// left behind. When another process holds the lock the error matches
// [ErrStoreLocked] and names the holder. Close the store to let the lock go.
func NewFileStore(dir string) (_ *FileStore, err error) {
	if dir == "" {
		return nil, fmt.Errorf("mapping: file store directory: %w", ErrRequired)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mapping: file store: %w", err)
	}
	lock, err := filelock.Acquire(filepath.Join(dir, LockFileName))
	if errors.Is(err, filelock.ErrHeld) {
		return nil, fmt.Errorf("mapping: file store %s: %w: %w", dir, ErrStoreLocked, err)
	}
	if err != nil {
		return nil, fmt.Errorf("mapping: file store %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			_ = lock.Release()
		}
	}()
	// Under the directory's lock: the temporary file of a save in progress
	// through another FileStore of this directory is not a left-over.
	mu := dirLock(dir)
	mu.Lock()
	defer mu.Unlock()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("mapping: file store: %w", err)
	}
	for _, e := range entries {
		if (atomicfile.IsTemp(e.Name()) || strings.HasPrefix(e.Name(), legacyTempPrefix)) && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return nil, fmt.Errorf("mapping: file store: removing a left-over temporary file: %w", err)
			}
		}
	}
	return &FileStore{dir: dir, lock: lock, mu: mu}, nil
}

// OpenFileStoreReadOnly returns a FileStore over dir that reads and never
// writes: it takes no lock (another process, the daemon, may own the
// directory and save meanwhile), creates nothing, leaves temporary files where
// they are, and its Save and Delete fail with an error matching
// [ErrReadOnly]. A missing directory is an empty store. Each read is
// consistent without the lock, since every save replaces a whole file by a
// rename: Load sees one configuration as it was before or after a save, never
// a mix; List reads the files one after the other, so two saves made while it
// reads may be seen one and not the other. Close is a no-op but for making
// the methods fail.
func OpenFileStoreReadOnly(dir string) (*FileStore, error) {
	if dir == "" {
		return nil, fmt.Errorf("mapping: file store directory: %w", ErrRequired)
	}
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("mapping: file store: %w", err)
	case !info.IsDir():
		return nil, fmt.Errorf("mapping: file store %s: not a directory", dir)
	}
	return &FileStore{dir: dir, readOnly: true}, nil
}

// Close lets the directory's lock go (once the last FileStore of the process
// over the directory is closed); the store's methods fail after it. Closing
// twice is a no-op.
func (s *FileStore) Close() error {
	if s.closed.Swap(true) || s.lock == nil {
		return nil
	}
	return s.lock.Release()
}

// open reports an error once the store is closed.
func (s *FileStore) open() error {
	if s.closed.Load() {
		return errClosed
	}
	return nil
}

// mutex returns the lock of the store's directory.
func (s *FileStore) mutex() *sync.Mutex {
	if s.mu != nil {
		return s.mu
	}
	return dirLock(s.dir)
}

// dirLocks holds one mutex per directory (by its resolved absolute path), so
// that two FileStores over one directory in a process serialise their writes.
var dirLocks sync.Map // string → *sync.Mutex

// dirLock returns the mutex of a directory.
func dirLock(dir string) *sync.Mutex {
	key := dir
	if abs, err := filepath.Abs(dir); err == nil {
		key = abs
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			key = real
		}
	}
	mu, _ := dirLocks.LoadOrStore(key, new(sync.Mutex))
	return mu.(*sync.Mutex)
}

// Path returns the file that holds the configuration with the given name.
func (s *FileStore) Path(name string) string {
	return filepath.Join(s.dir, fileName(name))
}

// fileName escapes an integration name into a file name. The first letter of a
// name that Windows reserves for a device (CON, NUL, COM1, …) is escaped too,
// since "con.json" is no file there.
func fileName(name string) string {
	var b strings.Builder
	device := windowsDevice(name)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if i == 0 && device {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String() + ".json"
}

// windowsDevice reports whether name is a device name Windows reserves in
// every directory, with or without an extension.
func windowsDevice(name string) bool {
	switch u := strings.ToUpper(name); {
	case u == "CON" || u == "PRN" || u == "AUX" || u == "NUL":
		return true
	case len(u) == 4 && (strings.HasPrefix(u, "COM") || strings.HasPrefix(u, "LPT")):
		return u[3] >= '1' && u[3] <= '9'
	}
	return false
}

// Load implements [Store].
func (s *FileStore) Load(ctx context.Context, name string) (Config, error) {
	if err := ctx.Err(); err != nil {
		return Config{}, err
	}
	if err := s.open(); err != nil {
		return Config{}, err
	}
	if err := CheckName(name); err != nil {
		return Config{}, err
	}
	mu := s.mutex()
	mu.Lock()
	defer mu.Unlock()
	c, err := s.read(s.Path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return Config{}, notFound(name)
	}
	if err == nil && c.Name != name {
		err = fmt.Errorf("mapping: file %s holds integration %q, not %q: %w", s.Path(name), c.Name, name, ErrInvalid)
	}
	return c, err
}

// read reads and decodes one file.
func (s *FileStore) read(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("mapping: file store: %w", err)
	}
	c, err := Unmarshal(data)
	if err != nil {
		return Config{}, fmt.Errorf("mapping: file store: %s: %w", path, err)
	}
	return c, nil
}

// List implements [Store].
func (s *FileStore) List(ctx context.Context) ([]Config, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.open(); err != nil {
		return nil, err
	}
	mu := s.mutex()
	mu.Lock()
	defer mu.Unlock()
	return s.list(ctx)
}

func (s *FileStore) list(ctx context.Context) ([]Config, error) {
	entries, err := os.ReadDir(s.dir)
	if s.readOnly && errors.Is(err, fs.ErrNotExist) {
		return nil, nil // nothing saved yet
	}
	if err != nil {
		return nil, fmt.Errorf("mapping: file store: %w", err)
	}
	var out []Config
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, ".") || !strings.HasSuffix(n, ".json") || !e.Type().IsRegular() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		path := filepath.Join(s.dir, n)
		c, err := s.read(path)
		if err != nil {
			return nil, err
		}
		if fileName(c.Name) != n {
			// A copy made by hand: two files holding one integration would make
			// the revision check and the rules across integrations read either.
			return nil, fmt.Errorf("mapping: file store: file %s holds integration %q, whose file is %s: move it out of the directory: %w",
				path, c.Name, fileName(c.Name), ErrInvalid)
		}
		out = append(out, c)
	}
	sortConfigs(out)
	return out, nil
}

// Save implements [Store].
func (s *FileStore) Save(ctx context.Context, cfg Config) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := s.open(); err != nil {
		return 0, err
	}
	if s.readOnly {
		return 0, fmt.Errorf("mapping: file store %s: saving %q: %w", s.dir, cfg.Name, ErrReadOnly)
	}
	if err := CheckName(cfg.Name); err != nil {
		return 0, err
	}
	mu := s.mutex()
	mu.Lock()
	defer mu.Unlock()
	all, err := s.list(ctx)
	if err != nil {
		return 0, err
	}
	var cur Config
	exists := false
	for _, c := range all {
		if c.Name == cfg.Name {
			cur, exists = c, true
		}
	}
	if !exists {
		// On the case-insensitive file systems of Windows and macOS two names
		// that differ only in case are one file: the save would replace the
		// other integration.
		for _, c := range all {
			if strings.EqualFold(fileName(c.Name), fileName(cfg.Name)) {
				return 0, fmt.Errorf("mapping: file store: integration name %q differs only in letter case from the stored %q: %w", cfg.Name, c.Name, ErrInvalid)
			}
		}
	}
	if err := admit(cfg, cur, exists, all); err != nil {
		return 0, err
	}
	cfg = cfg.Clone()
	cfg.Revision++
	data, err := Marshal(cfg)
	if err != nil {
		return 0, err
	}
	w := atomicfile.Writer{Perm: 0o600, BeforeRename: s.beforeRename}
	if err := w.Write(s.Path(cfg.Name), data); err != nil {
		return 0, fmt.Errorf("mapping: file store: saving %q: %w", cfg.Name, err)
	}
	return cfg.Revision, nil
}

// Delete implements [Store].
func (s *FileStore) Delete(ctx context.Context, name string, revision int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.open(); err != nil {
		return err
	}
	if s.readOnly {
		return fmt.Errorf("mapping: file store %s: deleting %q: %w", s.dir, name, ErrReadOnly)
	}
	if err := CheckName(name); err != nil {
		return err
	}
	mu := s.mutex()
	mu.Lock()
	defer mu.Unlock()
	path := s.Path(name)
	cur, err := s.read(path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := admitDelete(name, revision, cur, exists); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("mapping: file store: deleting %q: %w", name, err)
	}
	if err := atomicfile.SyncDir(s.dir); err != nil {
		return fmt.Errorf("mapping: file store: deleting %q: %w", name, err)
	}
	return nil
}
