package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/internal/atomicfile"
	"github.com/mspkit/kaspersky-tigerpaw/internal/strictjson"
)

// FileStore is a Store in a directory: one JSON file per day
// (2026-11-29.json) holding that day's snapshots of every tenant, replaced
// atomically by each cycle of the day, so that a crash leaves the former or
// the new content. Pruning deletes the files of old days. It is safe for
// concurrent use within a process; the daemon's lock on its state file keeps
// other processes out.
type FileStore struct {
	dir string
	mu  sync.Mutex
}

// dayFile is the content of one day's file.
type dayFile struct {
	Version   int        `json:"version"`
	Snapshots []Snapshot `json:"snapshots"`
}

// OpenFileStore returns the store in dir, creating the directory when
// missing.
func OpenFileStore(dir string) (*FileStore, error) {
	if dir == "" {
		return nil, errors.New("history: file store: the directory is empty")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("history: file store: %w", err)
	}
	return &FileStore{dir: dir}, nil
}

var _ Store = (*FileStore)(nil)

func (s *FileStore) path(day string) string { return filepath.Join(s.dir, day+".json") }

func (s *FileStore) readDay(day string) ([]Snapshot, error) {
	data, err := os.ReadFile(s.path(day))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history: day %s: %w", day, err)
	}
	var f dayFile
	if err := strictjson.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("history: day %s: %s: %w", day, s.path(day), err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("history: day %s: %s: version %d: want 1", day, s.path(day), f.Version)
	}
	return f.Snapshots, nil
}

// days lists the days that have a file, in order.
func (s *FileStore) days() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("history: file store: %w", err)
	}
	var out []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() {
			continue
		}
		if _, err := time.Parse(DayLayout, name); err == nil {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Record implements Store.
func (s *FileStore) Record(ctx context.Context, snaps []Snapshot) error {
	if err := Check(snaps); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	byDay := map[string][]Snapshot{}
	for _, sn := range snaps {
		byDay[sn.Day] = append(byDay[sn.Day], sn)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, day := range slices.Sorted(maps.Keys(byDay)) {
		cur, err := s.readDay(day)
		if err != nil {
			return err
		}
		for _, sn := range byDay[day] {
			i := slices.IndexFunc(cur, func(x Snapshot) bool { return x.TenantID == sn.TenantID })
			if i >= 0 {
				cur[i] = sn
			} else {
				cur = append(cur, sn)
			}
		}
		slices.SortFunc(cur, func(a, b Snapshot) int { return strings.Compare(a.TenantID, b.TenantID) })
		data, err := json.Marshal(dayFile{Version: 1, Snapshots: cur})
		if err != nil {
			return fmt.Errorf("history: day %s: encoding: %w", day, err)
		}
		if err := atomicfile.Write(s.path(day), data, 0o600); err != nil {
			return fmt.Errorf("history: day %s: %w", day, err)
		}
	}
	return nil
}

// Query implements Store.
func (s *FileStore) Query(ctx context.Context, tenant string, from, to time.Time) ([]Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lo, hi := Day(from), Day(to)
	s.mu.Lock()
	defer s.mu.Unlock()
	days, err := s.days()
	if err != nil {
		return nil, err
	}
	var out []Snapshot
	for _, day := range days {
		if day < lo || day > hi {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		snaps, err := s.readDay(day)
		if err != nil {
			return nil, err
		}
		for _, sn := range snaps {
			if tenant == "" || sn.TenantID == tenant {
				out = append(out, sn)
			}
		}
	}
	return out, nil
}

// Prune implements Store.
func (s *FileStore) Prune(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	cut := Day(before)
	s.mu.Lock()
	defer s.mu.Unlock()
	days, err := s.days()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, day := range days {
		if day >= cut {
			break
		}
		snaps, err := s.readDay(day)
		if err != nil {
			return n, err
		}
		if err := os.Remove(s.path(day)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, fmt.Errorf("history: prune day %s: %w", day, err)
		}
		n += len(snaps)
	}
	return n, nil
}
