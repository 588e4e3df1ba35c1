package atomicfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// temps lists the temporary files in dir.
func temps(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if IsTemp(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestWriteReplacesWhole(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	long := bytes.Repeat([]byte("0123456789"), 1000)
	if err := Write(path, long, 0o600); err != nil {
		t.Fatal(err)
	}
	// A shorter content replaces the longer one whole: no tail of the old one.
	if err := Write(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "short" {
		t.Errorf("content = %q, want %q", got, "short")
	}
	if left := temps(t, dir); len(left) != 0 {
		t.Errorf("temporary files after the writes: %v", left)
	}
}

func TestWritePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows keeps only the read-only bit")
	}
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		perm, want os.FileMode
	}{{0, 0o600}, {0o600, 0o600}, {0o644, 0o644}, {0o640, 0o640}} {
		path := filepath.Join(dir, "f"+tt.perm.String())
		// An existing file with other permissions gets the writer's.
		if err := os.WriteFile(path, []byte("old"), 0o666); err != nil {
			t.Fatal(err)
		}
		if err := (Writer{Perm: tt.perm}).Write(path, []byte("new")); err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != tt.want {
			t.Errorf("perm %v: file mode = %v, want %v", tt.perm, got, tt.want)
		}
	}
}

// TestWriteFailureKeepsOld fails each step in turn: before the rename the old
// content stays and no temporary file is left; the error names the path and
// wraps the cause.
func TestWriteFailureKeepsOld(t *testing.T) {
	t.Parallel()
	for _, step := range []string{"create", "chmod", "write", "sync", "close", "rename", "syncdir"} {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "s.json")
			if err := Write(path, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			cause := errors.New("disk full")
			w := Writer{fail: func(s string) error {
				if s == step {
					return cause
				}
				return nil
			}}
			err := w.Write(path, []byte("new"))
			if !errors.Is(err, cause) || !strings.Contains(err.Error(), path) {
				t.Errorf("Write() = %v, want an error naming %s and wrapping the cause", err, path)
			}
			got, rerr := os.ReadFile(path)
			if rerr != nil {
				t.Fatal(rerr)
			}
			want := "old"
			if step == "syncdir" {
				want = "new" // the failure comes after the rename
			}
			if string(got) != want {
				t.Errorf("content after a failed %s = %q, want %q", step, got, want)
			}
			if left := temps(t, dir); len(left) != 0 {
				t.Errorf("temporary files after a failed %s: %v", step, left)
			}
		})
	}
}

// TestWriteRealFailure makes the rename fail for real: the target is a
// non-empty directory.
func TestWriteRealFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	if err := os.MkdirAll(filepath.Join(path, "block"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("new"), 0o600); err == nil {
		t.Fatal("Write over a directory succeeded")
	}
	if info, err := os.Stat(filepath.Join(path, "block")); err != nil || !info.IsDir() {
		t.Errorf("the directory was disturbed: %v", err)
	}
	if left := temps(t, dir); len(left) != 0 {
		t.Errorf("temporary files after the failure: %v", left)
	}
	if err := Write(filepath.Join(dir, "missing", "s.json"), []byte("x"), 0o600); err == nil {
		t.Error("Write into a missing directory succeeded")
	}
}

// TestBeforeRenameCrash aborts a write as a crash would: the old content stays,
// the temporary file stays until RemoveTemps, which leaves other files alone.
func TestBeforeRenameCrash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "a[1].json")
	other := filepath.Join(dir, "b.json")
	for _, p := range []string{path, other} {
		if err := Write(p, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	crash := errors.New("power cut")
	w := Writer{BeforeRename: func(*os.File) error { return crash }}
	if err := w.Write(path, []byte("new")); !errors.Is(err, crash) {
		t.Fatalf("Write() = %v, want the crash", err)
	}
	if err := w.Write(other, []byte("new")); !errors.Is(err, crash) {
		t.Fatalf("Write() = %v, want the crash", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("content after the crash = %q", got)
	}
	if left := temps(t, dir); len(left) != 2 {
		t.Fatalf("temporary files after two crashes = %v, want 2", left)
	}
	if err := RemoveTemps(path); err != nil {
		t.Fatal(err)
	}
	left := temps(t, dir)
	if len(left) != 1 || !strings.HasPrefix(left[0], ".b.json.tmp-") {
		t.Errorf("after RemoveTemps of %s: %v, want only the other file's", path, left)
	}
	for _, p := range []string{path, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("RemoveTemps removed %s: %v", p, err)
		}
	}
}

func TestIsTemp(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		".s.json.tmp-123": true, ".a.tmp-x": true,
		"s.json": false, ".s.json": false, ".tmp-": false, ".s.json.tmp-": false, "s.json.tmp-1": false, ".lock": false,
	} {
		if got := IsTemp(name); got != want {
			t.Errorf("IsTemp(%q) = %v, want %v", name, got, want)
		}
	}
}
