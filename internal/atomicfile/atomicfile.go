// Package atomicfile replaces files so that a crash leaves either the old or
// the new content, never a mix: the one writer of every file store of the
// module.
package atomicfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tempInfix separates the target's name from the random part in the name of a
// temporary file: ".<name>.tmp-<random>".
const tempInfix = ".tmp-"

// Writer replaces files atomically. The zero value writes files with mode
// 0o600.
type Writer struct {
	// Perm is the mode of the written file (0: 0o600). It is set exactly, not
	// masked by the umask; on Windows only the read-only bit counts.
	Perm fs.FileMode
	// BeforeRename, when set (by tests), runs after the temporary file is
	// written and synced and before it is closed and renamed. An error aborts
	// the write as a crash would: the temporary file is closed and left behind
	// (see [RemoveTemps]), the target is untouched, and Write returns the error.
	BeforeRename func(tmp *os.File) error

	// fail, when set (by this package's tests), is asked before each step
	// ("create", "chmod", "write", "sync", "close", "rename", "syncdir") and
	// its error replaces the step's.
	fail func(step string) error
}

// Write replaces the file at path with data, as a [Writer] with mode perm does.
func Write(path string, data []byte, perm fs.FileMode) error {
	return Writer{Perm: perm}.Write(path, data)
}

// Write replaces the file at path with data: it writes a temporary file in the
// same directory (named ".<name>.tmp-<random>", see [IsTemp]), sets its mode,
// syncs and closes it, renames it over path, and syncs the directory so that
// the rename survives a crash (directories are not synced on Windows, which
// cannot). A crash at any point leaves the old content or the new one, whole.
//
// On an error before the rename the target is untouched and the temporary file
// is removed. An error of the last step (the directory's sync) comes after
// the rename: the new content is in place but a crash may still undo it.
// Errors name the path and the step.
func (w Writer) Write(path string, data []byte) (err error) {
	dir, name := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := w.create(dir, name)
	if err != nil {
		return fmt.Errorf("writing %s: creating a temporary file: %w", path, err)
	}
	// kept is set once the temporary file is renamed, or abandoned as a crash
	// would abandon it; otherwise it is closed and removed.
	kept, closed := false, false
	defer func() {
		if kept {
			return
		}
		if !closed {
			_ = tmp.Close()
		}
		_ = os.Remove(tmp.Name())
	}()
	perm := w.Perm
	if perm == 0 {
		perm = 0o600
	}
	if err := w.step("chmod", func() error { return tmp.Chmod(perm) }); err != nil {
		return fmt.Errorf("writing %s: setting the mode: %w", path, err)
	}
	if err := w.step("write", func() error { _, err := tmp.Write(data); return err }); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := w.step("sync", tmp.Sync); err != nil {
		return fmt.Errorf("writing %s: syncing: %w", path, err)
	}
	if w.BeforeRename != nil {
		if err := w.BeforeRename(tmp); err != nil {
			_ = tmp.Close()
			kept = true
			return err
		}
	}
	closed = true
	if err := w.step("close", tmp.Close); err != nil {
		return fmt.Errorf("writing %s: closing: %w", path, err)
	}
	if err := w.step("rename", func() error { return os.Rename(tmp.Name(), path) }); err != nil {
		return fmt.Errorf("writing %s: replacing it: %w", path, err)
	}
	kept = true
	if err := w.step("syncdir", func() error { return SyncDir(dir) }); err != nil {
		return fmt.Errorf("writing %s: the file is replaced but its directory could not be synced: %w", path, err)
	}
	return nil
}

func (w Writer) create(dir, name string) (*os.File, error) {
	if w.fail != nil {
		if err := w.fail("create"); err != nil {
			return nil, err
		}
	}
	return os.CreateTemp(dir, "."+name+tempInfix+"*")
}

// step runs fn, or fails with the test's error.
func (w Writer) step(name string, fn func() error) error {
	if w.fail != nil {
		if err := w.fail(name); err != nil {
			return err
		}
	}
	return fn()
}

// IsTemp reports whether a file name (without its directory) is one of the
// temporary files of [Writer.Write]; such a file that outlives its write was
// left by a crash.
func IsTemp(name string) bool {
	i := strings.LastIndex(name, tempInfix)
	return strings.HasPrefix(name, ".") && i > 1 && i+len(tempInfix) < len(name)
}

// RemoveTemps removes the temporary files that interrupted writes of path left
// in its directory. Call it when no write of path is in progress (e.g. when
// opening a store under its lock).
func RemoveTemps(path string) error {
	dir, name := filepath.Split(path)
	pattern := filepath.Join(dir, escapeGlob("."+name+tempInfix)+"*")
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return fmt.Errorf("removing the temporary files of %s: %w", path, err)
	}
	for _, m := range matches {
		info, err := os.Lstat(m)
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		if err := os.Remove(m); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("removing the temporary file %s: %w", m, err)
		}
	}
	return nil
}

// escapeGlob quotes the characters filepath.Match treats specially.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			if filepath.Separator == '\\' {
				// No escapes on Windows: a class of one character matches it.
				b.WriteString("[" + string(r) + "]")
				continue
			}
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
