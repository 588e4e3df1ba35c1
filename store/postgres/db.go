package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options say which database and schema to open.
type Options struct {
	// DSN is a libpq connection string or URL. It is never logged nor put in
	// an error.
	DSN string
	// Schema is the schema holding the tables; "kt" when empty. It is created
	// when missing.
	Schema string
	// ReadOnly opens the database for reading only (a dry run): no
	// migration (the tables must exist: a schema without them is an error),
	// and every transaction of the connections is read-only
	// (default_transaction_read_only), so that the server refuses any write.
	ReadOnly bool
}

// DB is an open database with the integration's tables.
type DB struct {
	pool   *pgxpool.Pool
	schema string
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// CheckSchema reports whether name can be the schema of Options ("" is the
// default, kt): lower-case letters, digits and underscores, not starting with
// a digit, at most 63.
func CheckSchema(name string) error {
	if name != "" && !schemaName.MatchString(name) {
		return fmt.Errorf("postgres: schema %q: want lower-case letters, digits and underscores, at most 63", name)
	}
	return nil
}

// Open connects to the database, creates the schema and tables when missing
// (unless o.ReadOnly) and returns the DB. Close it when done.
func Open(ctx context.Context, o Options) (*DB, error) {
	schema := o.Schema
	if schema == "" {
		schema = "kt"
	}
	if err := CheckSchema(schema); err != nil {
		return nil, err
	}
	if o.DSN == "" {
		return nil, errors.New("postgres: dsn: empty")
	}
	cfg, err := pgxpool.ParseConfig(o.DSN)
	if err != nil {
		// The parse error may quote the DSN, which may hold a password.
		return nil, errors.New("postgres: dsn: not a valid connection string")
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	if o.ReadOnly {
		cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	db := &DB{pool: pool, schema: schema}
	if o.ReadOnly {
		if err := db.checkTables(ctx); err != nil {
			pool.Close()
			return nil, err
		}
		return db, nil
	}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the connections.
func (db *DB) Close() { db.pool.Close() }

// Schema returns the schema holding the tables.
func (db *DB) Schema() string { return db.schema }

var migration = []string{
	`CREATE TABLE IF NOT EXISTS mapping_configs (
		name text PRIMARY KEY,
		revision bigint NOT NULL,
		data text NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS so_orders (
		store text NOT NULL,
		key text NOT NULL,
		data text NOT NULL,
		PRIMARY KEY (store, key))`,
	`CREATE TABLE IF NOT EXISTS so_events (
		store text NOT NULL,
		key text NOT NULL,
		sec bigint NOT NULL,
		nsec integer NOT NULL,
		PRIMARY KEY (store, key))`,
	`CREATE TABLE IF NOT EXISTS so_tenant_reads (
		store text NOT NULL,
		tenant text NOT NULL,
		at text NOT NULL,
		PRIMARY KEY (store, tenant))`,
	`CREATE TABLE IF NOT EXISTS so_stores (
		store text PRIMARY KEY)`,
	`CREATE TABLE IF NOT EXISTS so_rules (
		store text PRIMARY KEY,
		revision bigint NOT NULL,
		data text NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS billing_decisions (
		store text NOT NULL,
		key text NOT NULL,
		data text NOT NULL,
		PRIMARY KEY (store, key))`,
	`CREATE TABLE IF NOT EXISTS usage_history (
		store text NOT NULL,
		tenant text NOT NULL,
		day date NOT NULL,
		data text NOT NULL,
		PRIMARY KEY (store, tenant, day))`,
	`CREATE TABLE IF NOT EXISTS leases (
		name text PRIMARY KEY,
		holder text NOT NULL,
		token bigint NOT NULL,
		expires timestamptz NOT NULL)`,
}

// migrate creates the schema and tables; concurrent opens serialise on an
// advisory lock so that CREATE ... IF NOT EXISTS cannot race.
func (db *DB) migrate(ctx context.Context) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('kt-migrate'))`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{db.schema}.Sanitize()); err != nil {
			return err
		}
		for _, q := range migration {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}

// tables are the tables the migration creates.
var tables = []string{"mapping_configs", "so_orders", "so_events", "so_tenant_reads", "so_stores", "so_rules",
	"billing_decisions", "usage_history", "leases"}

// checkTables reports an error naming the schema and the first missing table
// when the migration has not made them (a read-only open does not migrate).
func (db *DB) checkTables(ctx context.Context) error {
	rows, err := db.pool.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, db.schema)
	if err != nil {
		return fmt.Errorf("postgres: schema %s: listing the tables: %w", db.schema, err)
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("postgres: schema %s: listing the tables: %w", db.schema, err)
	}
	for _, t := range tables {
		if !slices.Contains(have, t) {
			return fmt.Errorf("postgres: schema %s: table %s is missing: the store was never opened for writing (start the service once)", db.schema, t)
		}
	}
	return nil
}

// tx runs fn in a transaction, committed when fn returns nil.
func (db *DB) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, db.pool, fn)
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return err
}
