// Package rotate is a log file that rotates by size: when a write would take
// the file past its limit, the file becomes name.1 (name.1 becomes name.2,
// and so on), the oldest beyond the count kept is removed, and writing goes
// on in a new file.
package rotate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// Writer is a rotating log file, safe for concurrent writes.
type Writer struct {
	path    string
	maxSize int64
	keep    int

	mu   sync.Mutex
	f    *os.File
	size int64
}

// Open opens (or creates, with its directory) the log file at path, appending.
// It rotates when a write would take it past maxSize bytes, and keeps keep
// rotated files besides the current one.
func Open(path string, maxSize int64, keep int) (*Writer, error) {
	if maxSize <= 0 {
		return nil, fmt.Errorf("log file %s: maximum size %d: want a positive number of bytes", path, maxSize)
	}
	if keep < 0 {
		return nil, fmt.Errorf("log file %s: files kept %d: want zero or more", path, keep)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("log file %s: %w", path, err)
	}
	w := &Writer{path: path, maxSize: maxSize, keep: keep}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Writer) open() error {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("log file: %w", err)
	}
	w.f, w.size = f, fi.Size()
	return nil
}

// Write writes p to the file, rotating first when p would take it past the
// maximum size (a write is never split across two files).
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return 0, fmt.Errorf("log file %s: %w", w.path, os.ErrClosed)
	}
	if w.size > 0 && w.size+int64(len(p)) > w.maxSize {
		if err := w.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := w.f.Write(p)
	w.size += int64(n)
	return n, err
}

// rotate shifts the files by one and opens a new current file.
func (w *Writer) rotate() error {
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("log file %s: closing it to rotate: %w", w.path, err)
	}
	w.f = nil
	var errs []error
	if w.keep == 0 {
		if err := os.Remove(w.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	} else {
		if err := os.Remove(w.name(w.keep)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		for i := w.keep - 1; i >= 0; i-- {
			if err := os.Rename(w.name(i), w.name(i+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	// Whatever failed, write on: a log that stops is worse than one that
	// grows past its limit.
	if err := w.open(); err != nil {
		return errors.Join(append(errs, err)...)
	}
	return nil
}

// name is the path of the i-th rotated file (0: the current one).
func (w *Writer) name(i int) string {
	if i == 0 {
		return w.path
	}
	return w.path + "." + strconv.Itoa(i)
}

// Close closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
