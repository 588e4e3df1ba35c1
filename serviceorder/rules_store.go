package serviceorder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"sync"

	"github.com/mspkit/kaspersky-tigerpaw/internal/atomicfile"
	"github.com/mspkit/kaspersky-tigerpaw/internal/strictjson"
)

// ErrRevisionConflict is wrapped by the error of [RulesStore.SaveRules] when
// the revision given is not the stored one: someone else saved in between (or
// the caller never read the rules).
var ErrRevisionConflict = errors.New("serviceorder: rules revision conflict")

// RulesStore keeps the service order rules with a revision for optimistic
// concurrency: a save names the revision it was based on and fails when
// another save came first. Implementations must be safe for concurrent use,
// honour ctx and return copies. Package serviceordertest has a conformance
// suite (RunRules) for implementations.
//
// An empty store holds the rules of a fresh integration, [DefaultRules]
// (every rule off, no General settings), at revision 0; the first save is
// made at revision 0 and returns 1. Those rules do not pass [Rules.Validate]:
// [Rules.Missing] says what the integration still needs.
type RulesStore interface {
	// LoadRules returns the stored rules and their revision.
	LoadRules(ctx context.Context) (Rules, int64, error)
	// SaveRules stores r if revision is the stored revision and returns the
	// new one (revision+1); otherwise it stores nothing and fails with an
	// error wrapping [ErrRevisionConflict]. It does not validate r.
	SaveRules(ctx context.Context, r Rules, revision int64) (int64, error)
}

// SeedRules stores r in s only when s holds no saved rules (revision 0), as a
// first save. It reports whether it stored r; a store that already has rules
// is left as it is and is not an error. It is how rules read from a file at
// start reach a shared store once.
func SeedRules(ctx context.Context, s RulesStore, r Rules) (bool, error) {
	_, err := s.SaveRules(ctx, r, 0)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrRevisionConflict):
		return false, nil
	}
	return false, err
}

// checkRevision fails unless revision is cur, the stored revision.
func checkRevision(where string, revision, cur int64) error {
	if revision != cur {
		return fmt.Errorf("%s: saving rules at revision %d, the stored revision is %d: %w", where, revision, cur, ErrRevisionConflict)
	}
	if cur == math.MaxInt64 {
		return fmt.Errorf("%s: saving rules: revision %d is the largest there is", where, cur)
	}
	return nil
}

// MemoryRules is a [RulesStore] in memory. The zero value is an empty store.
type MemoryRules struct {
	mu    sync.Mutex
	rules Rules
	rev   int64
}

// NewMemoryRules returns an empty in-memory rules store.
func NewMemoryRules() *MemoryRules { return &MemoryRules{} }

var _ RulesStore = (*MemoryRules)(nil)

// LoadRules implements [RulesStore].
func (m *MemoryRules) LoadRules(ctx context.Context) (Rules, int64, error) {
	if err := ctx.Err(); err != nil {
		return Rules{}, 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rev == 0 {
		return DefaultRules(), 0, nil
	}
	return m.rules.Clone(), m.rev, nil
}

// SaveRules implements [RulesStore].
func (m *MemoryRules) SaveRules(ctx context.Context, r Rules, revision int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := checkRevision("serviceorder: memory rules", revision, m.rev); err != nil {
		return 0, err
	}
	m.rules = r.Clone()
	m.rev++
	return m.rev, nil
}

const (
	rulesFileFormat  = "kaspersky-tigerpaw/serviceorder-rules"
	rulesFileVersion = 1
)

type rulesFileContent struct {
	Format   string `json:"format"`
	Version  int    `json:"version"`
	Revision int64  `json:"revision"`
	Rules    Rules  `json:"rules"`
}

// FileRules is a [RulesStore] in one JSON file holding the rules and their
// revision. Every save rewrites the file atomically (a temporary file in the
// same directory, fsync, rename, fsync of the directory), so after a crash
// the file holds either the old or the new rules. The file is read again by
// every load and save, so a FileRules never serves rules older than the
// file's; saves from one process are serialised, but two processes must not
// share a file.
//
// A missing file is an empty store. A file holding a bare [Rules] object (the
// hand-written rules file of earlier versions) reads as those rules at
// revision 1; the first save rewrites it in the store's format. A file that
// is neither (truncated, not JSON, another format) is an error wrapping
// [ErrCorruptStore] naming the file, never an empty set of rules, and the
// file is not modified.
type FileRules struct {
	path string
	mu   sync.Mutex
	// readOnly is set by NewFileRulesReadOnly: SaveRules refuses.
	readOnly bool
}

var _ RulesStore = (*FileRules)(nil)

// NewFileRules returns the rules store in the file at path, which need not
// exist yet (its directory must, by the first save). An existing file is read
// at once: one that cannot be read as rules is an error wrapping
// [ErrCorruptStore]. Temporary files left by an interrupted save are removed.
func NewFileRules(path string) (*FileRules, error) {
	f := &FileRules{path: path}
	if _, _, err := f.read(); err != nil {
		return nil, err
	}
	_ = atomicfile.RemoveTemps(path)
	return f, nil
}

// NewFileRulesReadOnly returns the rules store in the file at path for
// reading only, beside the process that owns the file: it writes nothing
// (temporary files stay) and SaveRules fails with an error matching
// [ErrReadOnly]. Each load reads the whole file, which saves replace by a
// rename: the rules as they were before or after a save, never a mix. An
// existing file is read at once, as NewFileRules does.
func NewFileRulesReadOnly(path string) (*FileRules, error) {
	f := &FileRules{path: path, readOnly: true}
	if _, _, err := f.read(); err != nil {
		return nil, err
	}
	return f, nil
}

// Path returns the file of the store.
func (f *FileRules) Path() string { return f.path }

// LoadRules implements [RulesStore].
func (f *FileRules) LoadRules(ctx context.Context) (Rules, int64, error) {
	if err := ctx.Err(); err != nil {
		return Rules{}, 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.read()
}

// SaveRules implements [RulesStore].
func (f *FileRules) SaveRules(ctx context.Context, r Rules, revision int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if f.readOnly {
		return 0, fmt.Errorf("serviceorder: rules file %s: %w", f.path, ErrReadOnly)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	_, cur, err := f.read()
	if err != nil {
		return 0, err
	}
	if err := checkRevision("serviceorder: rules file "+f.path, revision, cur); err != nil {
		return 0, err
	}
	data, err := json.MarshalIndent(rulesFileContent{Format: rulesFileFormat, Version: rulesFileVersion, Revision: cur + 1, Rules: r}, "", "  ")
	if err != nil {
		return 0, fmt.Errorf("serviceorder: rules file %s: encoding: %w", f.path, err)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := writeFileAtomic(f.path, append(data, '\n')); err != nil {
		return 0, err
	}
	return cur + 1, nil
}

// read returns the rules in the file and their revision.
func (f *FileRules) read() (Rules, int64, error) {
	data, err := os.ReadFile(f.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return DefaultRules(), 0, nil
	case err != nil:
		return Rules{}, 0, fmt.Errorf("serviceorder: reading rules file: %w", err)
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return Rules{}, 0, fmt.Errorf("%w: rules file %s: %w", ErrCorruptStore, f.path, err)
	}
	if probe == nil {
		return Rules{}, 0, fmt.Errorf("%w: rules file %s: null, want an object", ErrCorruptStore, f.path)
	}
	if _, ok := probe["format"]; !ok {
		// A bare Rules object, as written by hand.
		var r Rules
		if err := strictjson.Unmarshal(data, &r); err != nil {
			return Rules{}, 0, fmt.Errorf("%w: rules file %s: %w", ErrCorruptStore, f.path, err)
		}
		return r, 1, nil
	}
	var c rulesFileContent
	if err := strictjson.Unmarshal(data, &c); err != nil {
		return Rules{}, 0, fmt.Errorf("%w: rules file %s: %w", ErrCorruptStore, f.path, err)
	}
	if c.Format != rulesFileFormat || c.Version != rulesFileVersion {
		return Rules{}, 0, fmt.Errorf("%w: rules file %s: format %q version %d, want %q version %d",
			ErrCorruptStore, f.path, c.Format, c.Version, rulesFileFormat, rulesFileVersion)
	}
	if c.Revision < 1 {
		return Rules{}, 0, fmt.Errorf("%w: rules file %s: revision %d, want 1 or more", ErrCorruptStore, f.path, c.Revision)
	}
	return c.Rules, c.Revision, nil
}
