package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/internal/filelock/filelocktest"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/service/demo"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

const storeHolderEnv = "KT_DAEMON_STORE_HOLDER"

// TestStoreHolderProcess holds the file stores of an e2e world (the mapping
// directory and the state file, as "dir|stateFile" in KT_DAEMON_STORE_HOLDER)
// as a running daemon does, until its standard input closes.
func TestStoreHolderProcess(t *testing.T) {
	if !filelocktest.Serve(storeHolderEnv, func(v string) error {
		dir, state, _ := strings.Cut(v, "|")
		if _, err := mapping.NewFileStore(dir); err != nil {
			return err
		}
		_, err := serviceorder.OpenFileStore(state)
		return err
	}) {
		t.Skip("a helper of the dry run tests")
	}
}

// holdStores runs a process that holds the file stores of w, as a service
// on them does, and returns its pid.
func (w *e2eWorld) holdStores(t *testing.T) int {
	t.Helper()
	dir := filepath.Dir(w.config)
	pid, _ := filelocktest.Start(t, "TestStoreHolderProcess", storeHolderEnv,
		filepath.Join(dir, "mapping")+"|"+filepath.Join(dir, "orders.json"))
	return pid
}

// snapshotDir returns the content of every file under dir (the daemon's
// configuration, its stores and their lock files), by path; a directory is
// an entry too.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			files[path+"/"] = ""
			return nil
		}
		data, err := os.ReadFile(path)
		files[path] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// wantSameFiles reports every file that was added, removed or changed.
func wantSameFiles(t *testing.T, before, after map[string]string) {
	t.Helper()
	for p, b := range before {
		a, ok := after[p]
		switch {
		case !ok:
			t.Errorf("the dry run removed %s", p)
		case a != b:
			t.Errorf("the dry run changed %s:\nbefore: %q\nafter:  %q", p, b, a)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("the dry run created %s", p)
		}
	}
}

// TestBinaryDryRunBesideLockHolder: -dry-run while another process holds the
// file stores (a service running on them) prints the plan and exits 0 at
// once, without waiting for the locks, and writes nothing: neither to
// Tigerpaw nor to any file.
func TestBinaryDryRunBesideLockHolder(t *testing.T) {
	t.Parallel()
	w := newE2EWorld(t)
	w.holdStores(t)
	dir := filepath.Dir(w.config)
	before := snapshotDir(t, dir)
	// -lock-wait would make a dry run that waits for the locks refuse at
	// once; a dry run takes none.
	cmd, out := w.start(t, "-dry-run", "-lock-wait", "1ms")
	err := cmd.Wait()
	if code := exitCode(err); code != exitOK {
		t.Fatalf("-dry-run beside a lock holder exited %d, want 0:\n%s", code, out.String())
	}
	plan := "+ agreement " + strconv.Itoa(w.tp.Agreement[0]) + " item KESB-ADV-WS qty 90 @ 4.20"
	if !strings.Contains(out.String(), plan) {
		t.Errorf("the dry run's output lacks %q:\n%s", plan, out.String())
	}
	if strings.Contains(out.String(), "waiting") {
		t.Errorf("the dry run waited for the locks:\n%s", out.String())
	}
	if n := demo.FakeWrites(w.tp.Srv); n != 0 {
		t.Errorf("the dry run made %d writes in Tigerpaw", n)
	}
	wantSameFiles(t, before, snapshotDir(t, dir))
}

// TestBinaryDryRunLeavesFilesAsTheyAre: after a service's cycle wrote its
// state, history and lock files, a dry run (no other process running)
// leaves every file byte-identical, the temporary file of a save in
// progress included, and creates none.
func TestBinaryDryRunLeavesFilesAsTheyAre(t *testing.T) {
	t.Parallel()
	w := newE2EWorld(t)
	w.runOnce(t)
	dir := filepath.Dir(w.config)
	// A save of another process in progress: its temporary file is not the
	// dry run's to remove.
	tmp := filepath.Join(dir, "mapping", ".main.json.tmp-123456")
	if err := os.WriteFile(tmp, []byte(`{"name": "ma`), 0o600); err != nil {
		t.Fatal(err)
	}
	before := snapshotDir(t, dir)
	if _, ok := before[filepath.Join(dir, "orders.json")]; !ok {
		t.Fatalf("the -once run wrote no state file: %v", before)
	}
	writes := demo.FakeWrites(w.tp.Srv)
	cmd, out := w.start(t, "-dry-run")
	if code := exitCode(cmd.Wait()); code != exitOK {
		t.Fatalf("-dry-run exited %d, want 0:\n%s", code, out.String())
	}
	if n := demo.FakeWrites(w.tp.Srv) - writes; n != 0 {
		t.Errorf("the dry run made %d writes in Tigerpaw", n)
	}
	wantSameFiles(t, before, snapshotDir(t, dir))
}

// TestBinaryDryRunCorruptMapping: a dry run over a half-written mapping file
// (beside a service holding the stores) fails with an error naming the file,
// and leaves it, and every other file, as it was.
func TestBinaryDryRunCorruptMapping(t *testing.T) {
	t.Parallel()
	w := newE2EWorld(t)
	dir := filepath.Dir(w.config)
	file := filepath.Join(dir, "mapping", "main.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data[:len(data)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	w.holdStores(t)
	before := snapshotDir(t, dir)
	cmd, out := w.start(t, "-dry-run", "-lock-wait", "1ms")
	if code := exitCode(cmd.Wait()); code != exitFailed {
		t.Errorf("-dry-run over a half-written mapping file exited %d, want %d:\n%s", code, exitFailed, out.String())
	}
	if !strings.Contains(out.String(), file) {
		t.Errorf("the error does not name %s:\n%s", file, out.String())
	}
	if n := demo.FakeWrites(w.tp.Srv); n != 0 {
		t.Errorf("the dry run made %d writes in Tigerpaw", n)
	}
	wantSameFiles(t, before, snapshotDir(t, dir))
}

// TestBinaryOnceBesideLockHolder: -once still takes the locks: beside a
// process holding the stores it waits -lock-wait, then refuses (exit 2)
// naming the holder, and writes nothing.
func TestBinaryOnceBesideLockHolder(t *testing.T) {
	t.Parallel()
	w := newE2EWorld(t)
	pid := w.holdStores(t)
	cmd, out := w.start(t, "-once", "-lock-wait", "300ms")
	if code := exitCode(cmd.Wait()); code != exitConfig {
		t.Fatalf("-once beside a lock holder exited %d, want %d:\n%s", code, exitConfig, out.String())
	}
	for _, want := range []string{"another process holds the store; waiting", "waited 300ms", "pid " + strconv.Itoa(pid), "refusing to start"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output does not say %q:\n%s", want, out.String())
		}
	}
	if n := demo.FakeWrites(w.tp.Srv); n != 0 {
		t.Errorf("-once made %d writes in Tigerpaw while refused", n)
	}
}
