package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// RulesStore is a serviceorder.RulesStore in the table so_rules: one row per
// store name (the rules, as JSON, and their revision), so that several
// integrations can share one schema. Every replica reading the same name sees
// the same rules. Writes check the fence when one is set.
type RulesStore struct {
	db    *DB
	name  string
	fence *Fence
}

// Rules returns the rules store named name; fence, when not nil, is checked
// in every save. No row is an empty store (serviceorder.DefaultRules at
// revision 0). To seed it once from a rules file, call serviceorder.SeedRules:
// it stores the rules only when the database has none.
func (db *DB) Rules(name string, fence *Fence) *RulesStore {
	return &RulesStore{db: db, name: name, fence: fence}
}

var _ serviceorder.RulesStore = (*RulesStore)(nil)

// LoadRules implements serviceorder.RulesStore.
func (s *RulesStore) LoadRules(ctx context.Context) (serviceorder.Rules, int64, error) {
	if err := ctx.Err(); err != nil {
		return serviceorder.Rules{}, 0, err
	}
	var rev int64
	var data string
	err := s.db.pool.QueryRow(ctx, `SELECT revision, data FROM so_rules WHERE store = $1`, s.name).Scan(&rev, &data)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return serviceorder.DefaultRules(), 0, nil
	case err != nil:
		if ctx.Err() != nil {
			return serviceorder.Rules{}, 0, ctx.Err()
		}
		return serviceorder.Rules{}, 0, fmt.Errorf("postgres: load rules %q: %w", s.name, err)
	}
	var r serviceorder.Rules
	dec := json.NewDecoder(bytes.NewReader([]byte(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return serviceorder.Rules{}, 0, fmt.Errorf("postgres: rules %q at revision %d: the stored JSON: %w", s.name, rev, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return serviceorder.Rules{}, 0, fmt.Errorf("postgres: rules %q at revision %d: the stored JSON: data after the rules", s.name, rev)
	}
	return r, rev, nil
}

// SaveRules implements serviceorder.RulesStore. A save at revision 0 inserts
// the row; any other updates it only while it holds that revision, so of
// concurrent saves at one revision exactly one commits.
func (s *RulesStore) SaveRules(ctx context.Context, r serviceorder.Rules, revision int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if revision == math.MaxInt64 {
		return 0, fmt.Errorf("postgres: save rules %q: revision %d is the largest there is", s.name, revision)
	}
	data, err := json.Marshal(r)
	if err != nil {
		return 0, fmt.Errorf("postgres: save rules %q: encoding: %w", s.name, err)
	}
	err = s.db.tx(ctx, func(tx pgx.Tx) error {
		if err := s.fence.check(ctx, tx); err != nil {
			return err
		}
		q, args := `UPDATE so_rules SET revision = revision + 1, data = $3 WHERE store = $1 AND revision = $2`, []any{s.name, revision, string(data)}
		if revision == 0 {
			q, args = `INSERT INTO so_rules (store, revision, data) VALUES ($1, 1, $2) ON CONFLICT (store) DO NOTHING`, []any{s.name, string(data)}
		}
		tag, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("postgres: save rules %q: %w", s.name, err)
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		var cur int64
		err = tx.QueryRow(ctx, `SELECT revision FROM so_rules WHERE store = $1`, s.name).Scan(&cur)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("postgres: save rules %q: %w", s.name, err)
		}
		return fmt.Errorf("postgres: save rules %q at revision %d: the stored revision is %d: %w", s.name, revision, cur, serviceorder.ErrRevisionConflict)
	})
	if err != nil {
		return 0, err
	}
	return revision + 1, nil
}
