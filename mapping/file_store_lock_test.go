package mapping_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/internal/filelock/filelocktest"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/mapping/mappingtest"
)

const lockHelperEnv = "KT_MAPPING_LOCK_HELPER"

// TestLockHelperProcess opens the file store named by KT_MAPPING_LOCK_HELPER
// and holds it until its standard input closes; TestFileStoreOneProcess runs
// it as a second process.
func TestLockHelperProcess(t *testing.T) {
	if !filelocktest.Serve(lockHelperEnv, func(dir string) error { _, err := mapping.NewFileStore(dir); return err }) {
		t.Skip("a helper of TestFileStoreOneProcess")
	}
}

// TestFileStoreOneProcess: while another process has the directory open, a
// NewFileStore is refused with ErrStoreLocked naming the lock file and the
// holder's pid, and nothing in the directory is touched; once that process
// ends (without Close, as a crash), its lock file is taken over.
func TestFileStoreOneProcess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := newFileStore(t, dir)
	mustSaveTo(t, s, mappingtest.Sample("main", nil))
	must(t, s.Close())
	if _, err := s.List(t.Context()); err == nil {
		t.Error("List after Close succeeded")
	}

	pid, stop := filelocktest.Start(t, "TestLockHelperProcess", lockHelperEnv, dir)
	// A temporary file of the other process's save in progress: not ours to remove.
	inProgress := filepath.Join(dir, ".tmp-other")
	must(t, os.WriteFile(inProgress, []byte("{}"), 0o600))
	_, err := mapping.NewFileStore(dir)
	if !errors.Is(err, mapping.ErrStoreLocked) {
		t.Fatalf("NewFileStore while another process holds the directory = %v, want ErrStoreLocked", err)
	}
	for _, want := range []string{filepath.Join(dir, mapping.LockFileName), "pid " + strconv.Itoa(pid)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if _, err := os.Stat(inProgress); err != nil {
		t.Errorf("the refused NewFileStore removed the other process's temporary file: %v", err)
	}

	stop()
	again := newFileStore(t, dir)
	defer again.Close()
	if _, err := again.Load(t.Context(), "main"); err != nil {
		t.Errorf("Load after the take-over: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, mapping.LockFileName))
	must(t, err)
	if !strings.Contains(string(data), `"pid":`+strconv.Itoa(os.Getpid())) {
		t.Errorf("lock file after the take-over = %q, want this process's pid", data)
	}
}

// readDir returns the content of every file in dir, by name.
func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	must(t, err)
	out := map[string]string{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		must(t, err)
		out[e.Name()] = string(data)
	}
	return out
}

// TestFileStoreReadOnlyBesideOwner: while another process owns the
// directory, OpenFileStoreReadOnly opens it at once and reads the saved
// configurations; Save and Delete fail with ErrReadOnly; nothing in the
// directory changes, the other process's temporary file included; a
// half-written file is an error naming it.
func TestFileStoreReadOnlyBesideOwner(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := newFileStore(t, dir)
	saved := mappingtest.Sample("main", nil)
	mustSaveTo(t, s, saved)
	must(t, s.Close())
	filelocktest.Start(t, "TestLockHelperProcess", lockHelperEnv, dir)
	must(t, os.WriteFile(filepath.Join(dir, ".main.json.tmp-42"), []byte(`{"na`), 0o600))
	before := readDir(t, dir)

	ro, err := mapping.OpenFileStoreReadOnly(dir)
	if err != nil {
		t.Fatalf("OpenFileStoreReadOnly while another process owns the directory: %v", err)
	}
	defer ro.Close()
	got, err := ro.Load(t.Context(), "main")
	if err != nil || got.Name != "main" || got.Revision != 1 {
		t.Errorf("Load = %+v, %v; want main at revision 1", got, err)
	}
	if all, err := ro.List(t.Context()); err != nil || len(all) != 1 {
		t.Errorf("List = %d configurations, %v; want 1", len(all), err)
	}
	if _, err := ro.Save(t.Context(), got); !errors.Is(err, mapping.ErrReadOnly) {
		t.Errorf("Save on a read-only store: err = %v, want ErrReadOnly", err)
	}
	if err := ro.Delete(t.Context(), "main", got.Revision); !errors.Is(err, mapping.ErrReadOnly) {
		t.Errorf("Delete on a read-only store: err = %v, want ErrReadOnly", err)
	}

	// A file cut in the middle (written by hand, or copied while written).
	file := filepath.Join(dir, "main.json")
	data := before["main.json"]
	must(t, os.WriteFile(file, []byte(data[:len(data)/2]), 0o600))
	before = readDir(t, dir)
	if _, err := ro.Load(t.Context(), "main"); err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("Load of a half-written file: err = %v, want an error naming %s", err, file)
	}
	if diff := cmp.Diff(before, readDir(t, dir)); diff != "" {
		t.Errorf("the read-only store changed the directory (-before +after):\n%s", diff)
	}
}

// TestFileStoreReadOnlyMissingDirectory: a directory that does not exist is
// an empty read-only store, and is not created.
func TestFileStoreReadOnlyMissingDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "mapping")
	ro, err := mapping.OpenFileStoreReadOnly(dir)
	must(t, err)
	if _, err := ro.Load(t.Context(), "main"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("Load: err = %v, want ErrNotFound", err)
	}
	if all, err := ro.List(t.Context()); err != nil || len(all) != 0 {
		t.Errorf("List = %v, %v; want nothing", all, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the read-only store created its directory: %v", err)
	}
}
