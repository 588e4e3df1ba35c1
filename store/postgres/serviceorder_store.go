package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// ServiceOrderStore is a serviceorder.Store in the tables so_*, under a
// store name so that several integrations can share one schema.
type ServiceOrderStore struct {
	db    *DB
	name  string
	fence *Fence
}

// ServiceOrders returns the service order store named name; fence, when not
// nil, is checked in every write.
func (db *DB) ServiceOrders(name string, fence *Fence) *ServiceOrderStore {
	return &ServiceOrderStore{db: db, name: name, fence: fence}
}

var _ serviceorder.Store = (*ServiceOrderStore)(nil)

// Load implements serviceorder.Store; it reads in one repeatable-read
// transaction so that the state is consistent.
func (s *ServiceOrderStore) Load(ctx context.Context) (serviceorder.State, error) {
	st := serviceorder.State{Orders: map[serviceorder.Key]serviceorder.Order{}, Events: map[serviceorder.Key]time.Time{}, TenantReads: map[string]time.Time{}}
	if err := ctx.Err(); err != nil {
		return serviceorder.State{}, err
	}
	err := pgx.BeginTxFunc(ctx, s.db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT data FROM so_orders WHERE store = $1`, s.name)
		if err != nil {
			return err
		}
		datas, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, d := range datas {
			var o serviceorder.Order
			if err := json.Unmarshal([]byte(d), &o); err != nil {
				return fmt.Errorf("postgres: service order store %q: order row: %w", s.name, err)
			}
			st.Orders[o.Key] = o
		}
		rows, err = tx.Query(ctx, `SELECT key, sec, nsec FROM so_events WHERE store = $1`, s.name)
		if err != nil {
			return err
		}
		var k string
		var sec int64
		var nsec int32
		if _, err := pgx.ForEachRow(rows, []any{&k, &sec, &nsec}, func() error {
			st.Events[serviceorder.Key(k)] = time.Unix(sec, int64(nsec)).UTC()
			return nil
		}); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT tenant, at FROM so_tenant_reads WHERE store = $1`, s.name)
		if err != nil {
			return err
		}
		var tenant, at string
		_, err = pgx.ForEachRow(rows, []any{&tenant, &at}, func() error {
			t, err := time.Parse(time.RFC3339Nano, at)
			if err != nil {
				return fmt.Errorf("postgres: service order store %q: tenant %q read time: %w", s.name, tenant, err)
			}
			st.TenantReads[tenant] = t
			return nil
		})
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return serviceorder.State{}, ctx.Err()
		}
		return serviceorder.State{}, fmt.Errorf("postgres: load service order store %q: %w", s.name, err)
	}
	return st, nil
}

// Apply implements serviceorder.Store: the change in one transaction.
func (s *ServiceOrderStore) Apply(ctx context.Context, c serviceorder.Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.Check(); err != nil {
		return err
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if err := s.fence.check(ctx, tx); err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, k := range c.Delete {
			b.Queue(`DELETE FROM so_orders WHERE store = $1 AND key = $2`, s.name, string(k))
		}
		for _, o := range c.Put {
			data, err := json.Marshal(o)
			if err != nil {
				return fmt.Errorf("postgres: service order %s: %w", o.Key, err)
			}
			b.Queue(`INSERT INTO so_orders (store, key, data) VALUES ($1, $2, $3)
				ON CONFLICT (store, key) DO UPDATE SET data = EXCLUDED.data`, s.name, string(o.Key), string(data))
		}
		for k, t := range c.Events {
			b.Queue(`INSERT INTO so_events (store, key, sec, nsec) VALUES ($1, $2, $3, $4)
				ON CONFLICT (store, key) DO UPDATE SET sec = EXCLUDED.sec, nsec = EXCLUDED.nsec`, s.name, string(k), t.Unix(), int32(t.Nanosecond()))
		}
		if p := c.PruneEventsBefore; !p.IsZero() {
			b.Queue(`DELETE FROM so_events WHERE store = $1 AND (sec, nsec) < ($2, $3)`, s.name, p.Unix(), int32(p.Nanosecond()))
		}
		for tenant, t := range c.TenantReads {
			b.Queue(`INSERT INTO so_tenant_reads (store, tenant, at) VALUES ($1, $2, $3)
				ON CONFLICT (store, tenant) DO UPDATE SET at = EXCLUDED.at`, s.name, tenant, t.Format(time.RFC3339Nano))
		}
		if b.Len() == 0 {
			return nil
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("postgres: apply to service order store %q: %w", s.name, err)
		}
		return nil
	})
}
