package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/mspkit/kaspersky-tigerpaw/console"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// openFileRules opens the rules store of the file store: the file at path,
// which need not exist (an empty store until the first save).
func openFileRules(path string) (console.RulesStore, error) {
	f := &fileRules{path: path, rules: serviceorder.DefaultRules()}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return f, nil
	case err != nil:
		return nil, asConfigError(fmt.Errorf("config: rulesFile: %w", err))
	}
	var r serviceorder.Rules
	if err := decodeStrict(data, &r); err != nil {
		return nil, asConfigError(fmt.Errorf("rules %s: %w", path, err))
	}
	f.rules, f.rev = r, 1
	return f, nil
}

// openDatabaseRules opens the rules store of the PostgreSQL store, seeded
// from rulesFile when given.
func openDatabaseRules(_ context.Context, _ *leader, rulesFile string, _ *slog.Logger) (console.RulesStore, error) {
	if rulesFile == "" {
		return console.NewMemoryRules(serviceorder.DefaultRules()), nil
	}
	r, err := loadRules(rulesFile)
	if err != nil {
		return nil, err
	}
	return console.NewMemoryRules(r), nil
}

// fileRules is a console.RulesStore that writes every save to the rules
// file, atomically (a temporary file renamed over it).
type fileRules struct {
	path  string
	mu    sync.Mutex
	rules serviceorder.Rules
	rev   int64
}

// LoadRules implements console.RulesStore.
func (f *fileRules) LoadRules(ctx context.Context) (serviceorder.Rules, int64, error) {
	if err := ctx.Err(); err != nil {
		return serviceorder.Rules{}, 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rules.Clone(), f.rev, nil
}

// SaveRules implements console.RulesStore.
func (f *fileRules) SaveRules(ctx context.Context, r serviceorder.Rules, revision int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if revision != f.rev {
		return 0, fmt.Errorf("rules file %s: saving at revision %d, current revision is %d: %w", f.path, revision, f.rev, console.ErrConflict)
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return 0, fmt.Errorf("rules file %s: %w", f.path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), ".rules-*.json")
	if err != nil {
		return 0, fmt.Errorf("rules file %s: %w", f.path, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), f.path)
	}
	if err != nil {
		return 0, fmt.Errorf("rules file %s: %w", f.path, err)
	}
	f.rules = r.Clone()
	f.rev++
	return f.rev, nil
}
