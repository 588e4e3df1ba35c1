package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"

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
// and returns the DB. Close it when done.
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
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	db := &DB{pool: pool, schema: schema}
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
