package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/history"
)

// DecisionStore is a billing.DecisionStore in the table billing_decisions:
// one row per decision, under a store name so that several integrations can
// share a schema. Writes check the fence when one is set.
type DecisionStore struct {
	db    *DB
	name  string
	fence *Fence
}

// Decisions returns the decision store named name; fence, when not nil, is
// checked in every write.
func (db *DB) Decisions(name string, fence *Fence) *DecisionStore {
	return &DecisionStore{db: db, name: name, fence: fence}
}

var _ billing.DecisionStore = (*DecisionStore)(nil)

// Decisions implements billing.DecisionStore.
func (s *DecisionStore) Decisions(ctx context.Context) (map[string]billing.Decision, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.db.pool.Query(ctx, `SELECT key, data FROM billing_decisions WHERE store = $1`, s.name)
	if err != nil {
		return nil, fmt.Errorf("postgres: decisions %q: %w", s.name, err)
	}
	defer rows.Close()
	out := map[string]billing.Decision{}
	for rows.Next() {
		var key, data string
		if err := rows.Scan(&key, &data); err != nil {
			return nil, fmt.Errorf("postgres: decisions %q: %w", s.name, err)
		}
		var d billing.Decision
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			return nil, fmt.Errorf("postgres: decisions %q: key %s: the stored JSON: %w", s.name, key, err)
		}
		d.Key = key
		out[key] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: decisions %q: %w", s.name, err)
	}
	return out, nil
}

// Decide implements billing.DecisionStore.
func (s *DecisionStore) Decide(ctx context.Context, d billing.Decision) error {
	if d.Key == "" {
		return fmt.Errorf("postgres: decisions %q: decide: the decision has no key", s.name)
	}
	data, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("postgres: decisions %q: encoding: %w", s.name, err)
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if err := s.fence.check(ctx, tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO billing_decisions (store, key, data) VALUES ($1, $2, $3)
			ON CONFLICT (store, key) DO UPDATE SET data = EXCLUDED.data`, s.name, d.Key, string(data))
		if err != nil {
			return fmt.Errorf("postgres: decisions %q: decide: %w", s.name, err)
		}
		return nil
	})
}

// Forget implements billing.DecisionStore.
func (s *DecisionStore) Forget(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if err := s.fence.check(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM billing_decisions WHERE store = $1 AND key = ANY($2)`, s.name, keys); err != nil {
			return fmt.Errorf("postgres: decisions %q: forget: %w", s.name, err)
		}
		return nil
	})
}

// HistoryStore is a history.Store in the table usage_history: one row per
// store name, tenant and day. Writes check the fence when one is set.
type HistoryStore struct {
	db    *DB
	name  string
	fence *Fence
}

// History returns the usage history named name; fence, when not nil, is
// checked in every write.
func (db *DB) History(name string, fence *Fence) *HistoryStore {
	return &HistoryStore{db: db, name: name, fence: fence}
}

var _ history.Store = (*HistoryStore)(nil)

// Record implements history.Store: the snapshots are stored in one
// transaction, each replacing the one of its tenant and day.
func (s *HistoryStore) Record(ctx context.Context, snaps []history.Snapshot) error {
	if err := history.Check(snaps); err != nil {
		return err
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if err := s.fence.check(ctx, tx); err != nil {
			return err
		}
		for _, sn := range snaps {
			data, err := json.Marshal(sn)
			if err != nil {
				return fmt.Errorf("postgres: history %q: tenant %q day %s: encoding: %w", s.name, sn.TenantID, sn.Day, err)
			}
			_, err = tx.Exec(ctx, `INSERT INTO usage_history (store, tenant, day, data) VALUES ($1, $2, $3::date, $4)
				ON CONFLICT (store, tenant, day) DO UPDATE SET data = EXCLUDED.data`, s.name, sn.TenantID, sn.Day, string(data))
			if err != nil {
				return fmt.Errorf("postgres: history %q: tenant %q day %s: %w", s.name, sn.TenantID, sn.Day, err)
			}
		}
		return nil
	})
}

// Query implements history.Store.
func (s *HistoryStore) Query(ctx context.Context, tenant string, from, to time.Time) ([]history.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.db.pool.Query(ctx, `SELECT data FROM usage_history
		WHERE store = $1 AND ($2 = '' OR tenant = $2) AND day BETWEEN $3::date AND $4::date
		ORDER BY day, tenant`, s.name, tenant, history.Day(from), history.Day(to))
	if err != nil {
		return nil, fmt.Errorf("postgres: history %q: %w", s.name, err)
	}
	defer rows.Close()
	var out []history.Snapshot
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("postgres: history %q: %w", s.name, err)
		}
		var sn history.Snapshot
		if err := json.Unmarshal([]byte(data), &sn); err != nil {
			return nil, fmt.Errorf("postgres: history %q: the stored JSON: %w", s.name, err)
		}
		out = append(out, sn)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: history %q: %w", s.name, err)
	}
	return out, nil
}

// Prune implements history.Store.
func (s *HistoryStore) Prune(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		if err := s.fence.check(ctx, tx); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM usage_history WHERE store = $1 AND day < $2::date`, s.name, history.Day(before))
		if err != nil {
			return fmt.Errorf("postgres: history %q: prune: %w", s.name, err)
		}
		n = tag.RowsAffected()
		return nil
	})
	return int(n), err
}
