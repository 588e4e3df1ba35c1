package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"sync"

	"github.com/mspkit/kaspersky-tigerpaw/internal/atomicfile"
	"github.com/mspkit/kaspersky-tigerpaw/internal/strictjson"
)

// FileDecisions is a DecisionStore in one JSON file, replaced atomically on
// every write, so that a crash leaves the former or the new content. It is
// safe for concurrent use within a process; the daemon's lock on its state
// file keeps other processes out of the directory.
type FileDecisions struct {
	path string
	mu   sync.Mutex
}

// decisionsFile is the file's content.
type decisionsFile struct {
	Version   int        `json:"version"`
	Decisions []Decision `json:"decisions"`
}

// NewFileDecisions returns the store in the file at path; a missing file is
// an empty store.
func NewFileDecisions(path string) *FileDecisions { return &FileDecisions{path: path} }

var _ DecisionStore = (*FileDecisions)(nil)

func (s *FileDecisions) load() (map[string]Decision, error) {
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]Decision{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("billing: decisions file: %w", err)
	}
	var f decisionsFile
	if err := strictjson.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("billing: decisions file %s: %w", s.path, err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("billing: decisions file %s: version %d: want 1", s.path, f.Version)
	}
	out := make(map[string]Decision, len(f.Decisions))
	for _, d := range f.Decisions {
		if d.Key == "" {
			return nil, fmt.Errorf("billing: decisions file %s: a decision without a key", s.path)
		}
		out[d.Key] = d
	}
	return out, nil
}

func (s *FileDecisions) save(m map[string]Decision) error {
	f := decisionsFile{Version: 1, Decisions: make([]Decision, 0, len(m))}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		f.Decisions = append(f.Decisions, m[k])
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("billing: decisions file: encoding: %w", err)
	}
	if err := atomicfile.Write(s.path, data, 0o600); err != nil {
		return fmt.Errorf("billing: decisions file: %w", err)
	}
	return nil
}

// Decisions implements DecisionStore.
func (s *FileDecisions) Decisions(ctx context.Context) (map[string]Decision, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load()
}

// Decide implements DecisionStore.
func (s *FileDecisions) Decide(ctx context.Context, d Decision) error {
	if d.Key == "" {
		return errors.New("billing: decide: the decision has no key")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.load()
	if err != nil {
		return err
	}
	m[d.Key] = d
	return s.save(m)
}

// Forget implements DecisionStore.
func (s *FileDecisions) Forget(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.load()
	if err != nil {
		return err
	}
	n := len(m)
	for _, k := range keys {
		delete(m, k)
	}
	if len(m) == n {
		return nil
	}
	return s.save(m)
}
