package serviceorder_test

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/internal/filelock/filelocktest"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

const lockHelperEnv = "KT_SERVICEORDER_LOCK_HELPER"

// TestLockHelperProcess opens the store file named by
// KT_SERVICEORDER_LOCK_HELPER and holds it until its standard input closes;
// TestFileStoreOneProcess runs it as a second process.
func TestLockHelperProcess(t *testing.T) {
	if !filelocktest.Serve(lockHelperEnv, func(path string) error { _, err := serviceorder.OpenFileStore(path); return err }) {
		t.Skip("a helper of TestFileStoreOneProcess")
	}
}

// TestFileStoreOneProcess: while another process has the store open,
// OpenFileStore is refused with ErrStoreLocked naming the lock file and the
// holder's pid; once that process ends (without Close, as a crash), its lock
// file is taken over.
func TestFileStoreOneProcess(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	s, err := serviceorder.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(t.Context(), serviceorder.Change{Put: []serviceorder.Order{serviceordertest.SampleOrder(1)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(t.Context(), serviceorder.Change{Put: []serviceorder.Order{serviceordertest.SampleOrder(2)}}); err == nil {
		t.Error("Apply after Close succeeded")
	}

	pid, stop := filelocktest.Start(t, "TestLockHelperProcess", lockHelperEnv, path)

	_, err = serviceorder.OpenFileStore(path)
	if !errors.Is(err, serviceorder.ErrStoreLocked) {
		t.Fatalf("OpenFileStore while another process holds it = %v, want ErrStoreLocked", err)
	}
	for _, want := range []string{path + ".lock", "pid " + strconv.Itoa(pid)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}

	stop()
	again, err := serviceorder.OpenFileStore(path)
	if err != nil {
		t.Fatalf("OpenFileStore after the holder died: %v", err)
	}
	defer again.Close()
	if st, _ := again.Load(t.Context()); len(st.Orders) != 1 {
		t.Errorf("state after the take-over has %d orders, want 1", len(st.Orders))
	}
}
