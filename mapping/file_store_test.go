package mapping_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/mapping/mappingtest"
)

func newFileStore(t *testing.T, dir string) *mapping.FileStore {
	t.Helper()
	s, err := mapping.NewFileStore(dir)
	must(t, err)
	return s
}

// tempFiles returns the names of the temporary files in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	must(t, err)
	var out []string
	for _, e := range entries {
		// Temporary files are ".<file>.tmp-<random>" (".tmp-<random>" before).
		if strings.HasPrefix(e.Name(), ".") && strings.Contains(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestFileStoreCrashDuringSave(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := newFileStore(t, dir)
	v1 := mappingtest.Sample("main", []string{"vs-1", "vs-2"}, 1001, 1002)
	v1.Revision = mustSaveTo(t, s, v1)
	before, err := os.ReadFile(s.Path("main"))
	must(t, err)

	// The process dies after writing half of the new version to the temporary
	// file, before the rename.
	crash := errors.New("power cut")
	mapping.SetBeforeRename(s, func(tmp *os.File) error {
		info, err := tmp.Stat()
		if err != nil {
			return err
		}
		if err := tmp.Truncate(info.Size() / 2); err != nil {
			return err
		}
		return crash
	})
	v2 := v1.Clone()
	v2.Tenants = append(v2.Tenants, mapping.Tenant{ID: "vs-3", Name: "new"})
	if _, err := s.Save(t.Context(), v2); !errors.Is(err, crash) {
		t.Fatalf("Save() = %v, want the crash", err)
	}
	if left := tempFiles(t, dir); len(left) != 1 {
		t.Fatalf("temporary files after the crash = %v, want the half-written one", left)
	}
	after, err := os.ReadFile(s.Path("main"))
	must(t, err)
	if !cmp.Equal(before, after) {
		t.Fatal("the crash changed the stored file")
	}
	// The half-written file does not disturb the store in this process…
	list, err := s.List(t.Context())
	must(t, err)
	if len(list) != 1 || list[0].Revision != 1 || len(list[0].Tenants) != 2 {
		t.Errorf("List after the crash = %+v", list)
	}

	// …nor after a restart, which removes it.
	restarted := newFileStore(t, dir)
	if left := tempFiles(t, dir); len(left) != 0 {
		t.Errorf("temporary files after the restart = %v", left)
	}
	got, err := restarted.Load(t.Context(), "main")
	must(t, err)
	if d := cmp.Diff(v1, got); d != "" {
		t.Errorf("configuration after the crash (-v1 +got):\n%s", d)
	}
	// And the next save works from the old revision.
	v2.Revision = got.Revision
	if rev := mustSaveTo(t, restarted, v2); rev != 2 {
		t.Errorf("revision after the crash and a save = %d, want 2", rev)
	}
}

func TestFileStoreIgnoresLeftOverTempFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := newFileStore(t, dir)
	v1 := mappingtest.Sample("main", []string{"vs-1"}, 1001)
	mustSaveTo(t, s, v1)
	data, err := mapping.Marshal(mappingtest.Sample("main", []string{"vs-9"}))
	must(t, err)
	half := filepath.Join(dir, ".tmp-4711")
	must(t, os.WriteFile(half, data[:len(data)/2], 0o600))

	list, err := s.List(t.Context())
	must(t, err)
	if len(list) != 1 || list[0].Tenants[0].ID != "vs-1" {
		t.Errorf("List with a left-over temporary file = %+v", list)
	}
	newFileStore(t, dir)
	if _, err := os.Stat(half); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("NewFileStore left %s: %v", half, err)
	}
}

func TestFileStoreFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := newFileStore(t, dir)
	names := map[string]string{
		"main":      "main.json",
		"Mid/slash": "Mid%2Fslash.json",
		".dot":      "%2Edot.json",
		"Müller":    "M%C3%BCller.json",
		"a b_c-d":   "a%20b_c-d.json",
	}
	for name, file := range names {
		if got := filepath.Base(s.Path(name)); got != file {
			t.Errorf("Path(%q) = %s, want %s", name, got, file)
		}
		c := mappingtest.Sample(name, []string{name + "-vs"})
		c.Revision = mustSaveTo(t, s, c)
		data, err := os.ReadFile(filepath.Join(dir, file))
		must(t, err)
		back, err := mapping.Unmarshal(data)
		must(t, err)
		if d := cmp.Diff(c, back); d != "" {
			t.Errorf("file %s (-want +got):\n%s", file, d)
		}
		info, err := os.Stat(filepath.Join(dir, file))
		must(t, err)
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("file %s has mode %v, want 0600", file, perm)
		}
	}
	if left := tempFiles(t, dir); len(left) != 0 {
		t.Errorf("temporary files after saves = %v", left)
	}
}

func TestFileStoreDamagedFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := newFileStore(t, dir)
	mustSaveTo(t, s, mappingtest.Sample("good", []string{"vs-1"}))
	must(t, os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{\"version\": 1,\n  \"nmae\": 1}"), 0o600))

	_, err := s.Load(t.Context(), "bad")
	var de *mapping.DecodeError
	if !errors.As(err, &de) || de.Line != 2 || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("Load of a damaged file = %v, want a DecodeError naming the file and line 2", err)
	}
	if _, err := s.List(t.Context()); !errors.As(err, &de) {
		t.Errorf("List with a damaged file = %v", err)
	}
	if _, err := s.Save(t.Context(), mappingtest.Sample("other", nil)); !errors.As(err, &de) {
		t.Errorf("Save with a damaged file in the store = %v; it cannot check the rules across integrations", err)
	}
	if err := s.Delete(t.Context(), "bad", 0); !errors.As(err, &de) {
		t.Errorf("Delete of a damaged file = %v", err)
	}

	// A file that holds another integration than its name says.
	data, err := os.ReadFile(s.Path("good"))
	must(t, err)
	must(t, os.Remove(filepath.Join(dir, "bad.json")))
	must(t, os.WriteFile(s.Path("copy"), data, 0o600))
	if _, err := s.Load(t.Context(), "copy"); !errors.Is(err, mapping.ErrInvalid) {
		t.Errorf("Load of a misnamed file = %v, want ErrInvalid", err)
	}
	if _, err := s.Load(t.Context(), ""); !errors.Is(err, mapping.ErrRequired) {
		t.Errorf("Load without a name = %v", err)
	}
	if err := s.Delete(t.Context(), "", 1); !errors.Is(err, mapping.ErrRequired) {
		t.Errorf("Delete without a name = %v", err)
	}
}

func TestNewFileStoreErrors(t *testing.T) {
	t.Parallel()
	if _, err := mapping.NewFileStore(""); !errors.Is(err, mapping.ErrRequired) {
		t.Errorf("NewFileStore(\"\") = %v", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	must(t, os.WriteFile(file, nil, 0o600))
	if _, err := mapping.NewFileStore(file); err == nil {
		t.Error("NewFileStore over a file succeeded")
	}
	dir := filepath.Join(t.TempDir(), "nested", "store")
	s := newFileStore(t, dir)
	mustSaveTo(t, s, mappingtest.Sample("main", nil))
	must(t, os.RemoveAll(dir))
	if _, err := s.List(t.Context()); err == nil {
		t.Error("List over a removed directory succeeded")
	}
	if _, err := s.Save(t.Context(), mappingtest.Sample("main", nil)); err == nil {
		t.Error("Save into a removed directory succeeded")
	}
}

func TestFileStoreWithEditor(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := world()
	ed := open(t, newFileStore(t, dir), d, "main")
	build(t, ed)
	must(t, ed.Save(t.Context()))
	// Another process opens the same directory later.
	again := open(t, newFileStore(t, dir), d, "main")
	if d := cmp.Diff(ed.Saved(), again.Saved()); d != "" {
		t.Errorf("reopened (-saved +reopened):\n%s", d)
	}
}

func mustSaveTo(t *testing.T, s mapping.Store, c mapping.Config) int64 {
	t.Helper()
	rev, err := s.Save(t.Context(), c)
	must(t, err)
	return rev
}

// TestFileStoreNamesDifferingInCase refuses an integration whose name differs
// from a stored one only in letter case: on the case-insensitive file systems
// of Windows and macOS both names are the same file, and the second save would
// replace the first integration.
func TestFileStoreNamesDifferingInCase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := newFileStore(t, dir)
	mustSaveTo(t, s, mappingtest.Sample("main", []string{"vs-1"}, 1001))
	_, err := s.Save(t.Context(), mappingtest.Sample("MAIN", []string{"vs-2"}, 1002))
	if !errors.Is(err, mapping.ErrInvalid) || !strings.Contains(err.Error(), `"main"`) {
		t.Errorf("Save of MAIN next to main = %v, want ErrInvalid naming the stored integration", err)
	}
	got, err := s.Load(t.Context(), "main")
	must(t, err)
	if got.Revision != 1 || got.Tenants[0].ID != "vs-1" {
		t.Errorf("main after the refused save = %+v", got)
	}
	list, err := s.List(t.Context())
	must(t, err)
	if len(list) != 1 {
		t.Errorf("List = %d configurations, want 1", len(list))
	}
}

// TestFileStoreConcurrentSaves saves the same revision from many goroutines:
// exactly one wins, the others get ErrConflict, and the file holds the winner.
func TestFileStoreConcurrentSaves(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := newFileStore(t, dir)
	base := mappingtest.Sample("main", []string{"vs-0"})
	base.Revision = mustSaveTo(t, s, base)
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			c := base.Clone()
			c.Tenants[0].Name = fmt.Sprintf("writer %d", i)
			_, err := s.Save(t.Context(), c)
			errs <- err
		}()
	}
	wins := 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			wins++
		case !errors.Is(err, mapping.ErrConflict):
			t.Errorf("Save = %v, want nil or ErrConflict", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d saves won, want 1", wins)
	}
	got, err := s.Load(t.Context(), "main")
	must(t, err)
	if got.Revision != base.Revision+1 || !strings.HasPrefix(got.Tenants[0].Name, "writer ") {
		t.Errorf("stored = revision %d, tenant %q", got.Revision, got.Tenants[0].Name)
	}
}

// TestFileStoreRevisionAtItsLimit loads a hand-written file whose revision is
// the largest int64: saving it again is refused, rather than written with a
// negative revision that no later save could match.
func TestFileStoreRevisionAtItsLimit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := newFileStore(t, dir)
	c := mappingtest.Sample("main", []string{"vs-1"})
	c.Revision = math.MaxInt64
	data, err := mapping.Marshal(c)
	must(t, err)
	must(t, os.WriteFile(s.Path("main"), data, 0o600))
	loaded, err := s.Load(t.Context(), "main")
	must(t, err)
	if _, err := s.Save(t.Context(), loaded); !errors.Is(err, mapping.ErrInvalid) {
		t.Errorf("Save at the largest revision = %v, want ErrInvalid", err)
	}
	again, err := s.Load(t.Context(), "main")
	must(t, err)
	if again.Revision != math.MaxInt64 {
		t.Errorf("stored revision = %d", again.Revision)
	}
}

// TestFileStoreCopiedFile finds a copy of an integration's file under another
// name (a backup made by hand): List and Save report it rather than read two
// integrations of one name, whose revisions would then decide at random
// whether a save conflicts.
func TestFileStoreCopiedFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := newFileStore(t, dir)
	c := mappingtest.Sample("main", []string{"vs-1"})
	c.Revision = mustSaveTo(t, s, c)
	data, err := os.ReadFile(s.Path("main"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "main-backup.json"), data, 0o600))
	if _, err := s.List(t.Context()); !errors.Is(err, mapping.ErrInvalid) || !strings.Contains(err.Error(), "main-backup.json") {
		t.Errorf("List = %v, want ErrInvalid naming the copy", err)
	}
	if _, err := s.Save(t.Context(), c); !errors.Is(err, mapping.ErrInvalid) {
		t.Errorf("Save = %v, want ErrInvalid", err)
	}
	got, err := s.Load(t.Context(), "main")
	must(t, err)
	if got.Revision != c.Revision {
		t.Errorf("Load = revision %d, want %d", got.Revision, c.Revision)
	}
}

// TestFileStoreTwoValuesOneDirectory opens one directory twice in a process (a
// daemon and an admin handler, say): concurrent saves of one revision through
// both still let exactly one win.
func TestFileStoreTwoValuesOneDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stores := []*mapping.FileStore{newFileStore(t, dir), newFileStore(t, dir+"/.")}
	base := mappingtest.Sample("main", []string{"vs-0"})
	base.Revision = mustSaveTo(t, stores[0], base)
	for round := range 20 {
		const n = 6
		errs := make(chan error, n)
		for i := range n {
			go func() {
				c := base.Clone()
				c.Tenants[0].Name = fmt.Sprintf("round %d writer %d", round, i)
				_, err := stores[i%2].Save(t.Context(), c)
				errs <- err
			}()
		}
		wins := 0
		for range n {
			switch err := <-errs; {
			case err == nil:
				wins++
			case !errors.Is(err, mapping.ErrConflict):
				t.Fatalf("round %d: Save = %v, want nil or ErrConflict", round, err)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d saves of revision %d won, want 1", round, wins, base.Revision)
		}
		base.Revision++
	}
}

// TestFileStoreWindowsDeviceNames keeps integrations named like the devices
// Windows reserves (CON, NUL, COM1, …) in ordinary files: "con.json" is the
// console on Windows, and a save there would vanish.
func TestFileStoreWindowsDeviceNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := newFileStore(t, dir)
	for name, file := range map[string]string{
		"con": "%63on.json", "NUL": "%4EUL.json", "Com1": "%43om1.json", "lpt9": "%6Cpt9.json", "aux": "%61ux.json", "PRN": "%50RN.json",
		"console": "console.json", "com10": "com10.json", "nul_": "nul_.json",
	} {
		if got := filepath.Base(s.Path(name)); got != file {
			t.Errorf("Path(%q) = %s, want %s", name, got, file)
		}
		c := mappingtest.Sample(name, []string{name + "-vs"})
		c.Revision = mustSaveTo(t, s, c)
		got, err := s.Load(t.Context(), name)
		must(t, err)
		if d := cmp.Diff(c, got); d != "" {
			t.Errorf("Load(%q) (-want +got):\n%s", name, d)
		}
	}
}

// TestNewFileStoreDuringASave opens a second FileStore over a directory while
// the first is between writing its temporary file and renaming it: the save in
// progress is not a crash's left-over, and completes.
func TestNewFileStoreDuringASave(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := newFileStore(t, dir)
	opened := make(chan error, 1)
	mapping.SetBeforeRename(s, func(*os.File) error {
		go func() {
			_, err := mapping.NewFileStore(dir)
			opened <- err
		}()
		select {
		case err := <-opened:
			return fmt.Errorf("NewFileStore did not wait for the save: %v", err)
		case <-time.After(50 * time.Millisecond):
			return nil
		}
	})
	c := mappingtest.Sample("main", []string{"vs-1"})
	if _, err := s.Save(t.Context(), c); err != nil {
		t.Fatalf("Save while a second store opens: %v", err)
	}
	if err := <-opened; err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(t.Context(), "main"); err != nil {
		t.Error(err)
	}
}
