package rotate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRotation writes lines of 10 bytes into files of at most 25: two lines a
// file, the newest in the current file, three rotated files kept.
func TestRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs", "d.log")
	w, err := Open(path, 25, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := fmt.Fprintf(w, "line %03d\n\n", i); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"d.log":   "line 008\n\nline 009\n\n",
		"d.log.1": "line 006\n\nline 007\n\n",
		"d.log.2": "line 004\n\nline 005\n\n",
		"d.log.3": "line 002\n\nline 003\n\n",
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("%d files, want %d: %v", len(entries), len(want), entries)
	}
	for name, content := range want {
		if got := read(t, filepath.Join(filepath.Dir(path), name)); got != content {
			t.Errorf("%s = %q, want %q", name, got, content)
		}
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("a write after Close succeeded")
	}
}

// TestReopenAppends: a restarted process appends to its file and counts
// its size.
func TestReopenAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.log")
	if err := os.WriteFile(path, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := Open(path, 15, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Write([]byte("abcd"))
	w.Write([]byte("efgh")) // 18 > 15: rotates
	if got := read(t, path+".1"); got != "0123456789abcd" {
		t.Errorf("rotated file = %q", got)
	}
	if got := read(t, path); got != "efgh" {
		t.Errorf("current file = %q", got)
	}
	// A write larger than the limit goes whole into a file of its own.
	big := strings.Repeat("z", 40)
	w.Write([]byte(big))
	if got := read(t, path); got != big {
		t.Errorf("current file = %q", got)
	}
}

func TestKeepNone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.log")
	w, err := Open(path, 4, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Write([]byte("abc\n"))
	w.Write([]byte("def\n"))
	if got := read(t, path); got != "def\n" {
		t.Errorf("current file = %q", got)
	}
	if _, err := os.Stat(path + ".1"); err == nil {
		t.Error("a rotated file is kept with keep 0")
	}
}

func TestConcurrentWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.log")
	w, err := Open(path, 100, 50)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				fmt.Fprintf(w, "g%d line %02d\n", g, i)
			}
		})
	}
	wg.Wait()
	w.Close()
	var all strings.Builder
	for i := 50; i >= 0; i-- {
		name := path
		if i > 0 {
			name = fmt.Sprintf("%s.%d", path, i)
		}
		if b, err := os.ReadFile(name); err == nil {
			all.Write(b)
		}
	}
	if lines := strings.Count(all.String(), "\n"); lines != 200 {
		t.Errorf("%d lines across the files, want 200", lines)
	}
}

func TestOpenRejects(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "a.log"), 0, 1); err == nil {
		t.Error("maximum size 0 accepted")
	}
	if _, err := Open(filepath.Join(dir, "a.log"), 10, -1); err == nil {
		t.Error("keep -1 accepted")
	}
}
