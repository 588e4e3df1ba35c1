package mapping_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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
