package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// MappingStore is a mapping.Store in the table mapping_configs. Writes check
// the fence of the DB's lease when one is set (see [Fenced]).
type MappingStore struct {
	db    *DB
	fence *Fence
}

// Mapping returns the mapping store of db; fence, when not nil, is checked in
// every write.
func (db *DB) Mapping(fence *Fence) *MappingStore { return &MappingStore{db: db, fence: fence} }

var _ mapping.Store = (*MappingStore)(nil)

// Load implements mapping.Store.
func (s *MappingStore) Load(ctx context.Context, name string) (mapping.Config, error) {
	if err := ctx.Err(); err != nil {
		return mapping.Config{}, err
	}
	var data string
	err := s.db.pool.QueryRow(ctx, `SELECT data FROM mapping_configs WHERE name = $1`, name).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return mapping.Config{}, fmt.Errorf("mapping: integration %q: %w", name, mapping.ErrNotFound)
	}
	if err != nil {
		return mapping.Config{}, fmt.Errorf("postgres: load integration %q: %w", name, err)
	}
	return mapping.Unmarshal([]byte(data))
}

// List implements mapping.Store.
func (s *MappingStore) List(ctx context.Context) ([]mapping.Config, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return listConfigs(ctx, s.db.pool)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func listConfigs(ctx context.Context, q querier) ([]mapping.Config, error) {
	rows, err := q.Query(ctx, `SELECT data FROM mapping_configs ORDER BY name COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list integrations: %w", err)
	}
	datas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: list integrations: %w", err)
	}
	out := make([]mapping.Config, 0, len(datas))
	for _, d := range datas {
		c, err := mapping.Unmarshal([]byte(d))
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Save implements mapping.Store. The table is locked for the transaction so
// that the checks across integrations see every concurrent save.
func (s *MappingStore) Save(ctx context.Context, cfg mapping.Config) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := mapping.CheckName(cfg.Name); err != nil {
		return 0, err
	}
	switch {
	case cfg.Revision < 0:
		return 0, fmt.Errorf("mapping: save %q: revision %d is negative: %w", cfg.Name, cfg.Revision, mapping.ErrInvalid)
	case cfg.Revision == math.MaxInt64:
		return 0, fmt.Errorf("mapping: save %q: revision %d is the largest there is: %w", cfg.Name, cfg.Revision, mapping.ErrInvalid)
	}
	var rev int64
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		if err := s.fence.check(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `LOCK TABLE mapping_configs IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		all, err := listConfigs(ctx, tx)
		if err != nil {
			return err
		}
		var cur mapping.Config
		exists := false
		for _, c := range all {
			if c.Name == cfg.Name {
				cur, exists = c, true
			}
		}
		switch {
		case !exists && cfg.Revision != 0:
			return fmt.Errorf("mapping: save %q at revision %d: the integration is no longer stored: %w", cfg.Name, cfg.Revision, mapping.ErrConflict)
		case exists && cfg.Revision != cur.Revision:
			return fmt.Errorf("mapping: save %q at revision %d: the stored revision is %d: %w", cfg.Name, cfg.Revision, cur.Revision, mapping.ErrConflict)
		}
		if err := mapping.CrossCheck(cfg, all); err != nil {
			return err
		}
		next := cfg.Clone()
		next.Revision++
		data, err := mapping.Marshal(next)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO mapping_configs (name, revision, data) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET revision = EXCLUDED.revision, data = EXCLUDED.data`,
			next.Name, next.Revision, string(data)); err != nil {
			return fmt.Errorf("postgres: save integration %q: %w", cfg.Name, err)
		}
		rev = next.Revision
		return nil
	})
	if err != nil {
		return 0, err
	}
	return rev, nil
}

// Delete implements mapping.Store.
func (s *MappingStore) Delete(ctx context.Context, name string, revision int64) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if err := s.fence.check(ctx, tx); err != nil {
			return err
		}
		var cur int64
		err := tx.QueryRow(ctx, `SELECT revision FROM mapping_configs WHERE name = $1 FOR UPDATE`, name).Scan(&cur)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("mapping: integration %q: %w", name, mapping.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("postgres: delete integration %q: %w", name, err)
		}
		if cur != revision {
			return fmt.Errorf("mapping: delete %q at revision %d: the stored revision is %d: %w", name, revision, cur, mapping.ErrConflict)
		}
		_, err = tx.Exec(ctx, `DELETE FROM mapping_configs WHERE name = $1`, name)
		return err
	})
}
