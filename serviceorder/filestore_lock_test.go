package serviceorder_test

import (
	"errors"
	"os"
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

// dirFiles returns the content of every file in dir, by name.
func dirFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(data)
	}
	return out
}

// TestFileStoreReadOnlyBesideOwner: while another process owns the store,
// OpenFileStoreReadOnly and NewFileRulesReadOnly read it at once; their
// writes fail with ErrReadOnly; nothing in the directory changes, the
// temporary files of the other process's writes included; a store file cut
// in the middle is an error naming it.
func TestFileStoreReadOnlyBesideOwner(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	rulesPath := filepath.Join(dir, "rules.json")
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
	rules, err := serviceorder.NewFileRules(rulesPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rules.SaveRules(t.Context(), serviceorder.DefaultRules(), 0); err != nil {
		t.Fatal(err)
	}
	filelocktest.Start(t, "TestLockHelperProcess", lockHelperEnv, path)
	for _, tmp := range []string{".state.json.tmp-1", ".rules.json.tmp-2"} {
		if err := os.WriteFile(filepath.Join(dir, tmp), []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	before := dirFiles(t, dir)

	ro, err := serviceorder.OpenFileStoreReadOnly(path)
	if err != nil {
		t.Fatalf("OpenFileStoreReadOnly while another process owns the store: %v", err)
	}
	defer ro.Close()
	if st, err := ro.Load(t.Context()); err != nil || len(st.Orders) != 1 {
		t.Errorf("Load = %d orders, %v; want 1", len(st.Orders), err)
	}
	if err := ro.Apply(t.Context(), serviceorder.Change{Put: []serviceorder.Order{serviceordertest.SampleOrder(2)}}); !errors.Is(err, serviceorder.ErrReadOnly) {
		t.Errorf("Apply on a read-only store: err = %v, want ErrReadOnly", err)
	}
	rr, err := serviceorder.NewFileRulesReadOnly(rulesPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, rev, err := rr.LoadRules(t.Context()); err != nil || rev != 1 {
		t.Errorf("LoadRules = revision %d, %v; want 1", rev, err)
	}
	if _, err := rr.SaveRules(t.Context(), serviceorder.DefaultRules(), 1); !errors.Is(err, serviceorder.ErrReadOnly) {
		t.Errorf("SaveRules on a read-only store: err = %v, want ErrReadOnly", err)
	}

	data := before["state.json"]
	if err := os.WriteFile(path, []byte(data[:len(data)/2]), 0o600); err != nil {
		t.Fatal(err)
	}
	before = dirFiles(t, dir)
	if _, err := serviceorder.OpenFileStoreReadOnly(path); !errors.Is(err, serviceorder.ErrCorruptStore) || !strings.Contains(err.Error(), path) {
		t.Errorf("OpenFileStoreReadOnly of a half-written file: err = %v, want ErrCorruptStore naming %s", err, path)
	}
	after := dirFiles(t, dir)
	for name, b := range before {
		if after[name] != b {
			t.Errorf("the read-only stores changed %s", name)
		}
	}
	if len(after) != len(before) {
		t.Errorf("files before %d, after %d", len(before), len(after))
	}
}
