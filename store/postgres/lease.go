package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrLeaseHeld is returned by [DB.Acquire] when another holder has an
// unexpired lease.
var ErrLeaseHeld = errors.New("postgres: lease held by another replica")

// ErrFenced is wrapped by the error of a store write or lease renewal made
// with a fence whose lease expired or was taken over: the writer is no longer
// the leader and must stop.
var ErrFenced = errors.New("postgres: stale fencing token: the lease was lost")

// Fence is a held lease: its name, holder and fencing token. Tokens only
// grow: each takeover gets the previous token plus one. Stores given a Fence
// check, inside the write's transaction, that the lease row still has this
// token and has not expired, so a paused old leader cannot write after a new
// one took over.
type Fence struct {
	db     *DB
	name   string
	holder string
	ttl    time.Duration
	token  int64
}

// Token returns the fencing token.
func (f *Fence) Token() int64 { return f.token }

// Acquire takes the lease name for holder for ttl when it is free or expired
// (a new, larger token) or already held by holder (same token, renewed);
// otherwise it fails with ErrLeaseHeld.
func (db *DB) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (*Fence, error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("postgres: lease %q: ttl %v: must be positive", name, ttl)
	}
	var token int64
	var got string
	err := db.tx(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO leases (name, holder, token, expires)
			VALUES ($1, $2, 1, now() + $3 * interval '1 microsecond')
			ON CONFLICT (name) DO UPDATE SET
				holder = EXCLUDED.holder,
				token = CASE WHEN leases.holder = EXCLUDED.holder AND leases.expires > now() THEN leases.token ELSE leases.token + 1 END,
				expires = EXCLUDED.expires
			WHERE leases.expires <= now() OR leases.holder = EXCLUDED.holder
			RETURNING token, holder`, name, holder, ttl.Microseconds()).Scan(&token, &got)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: lease %q: %w", name, ErrLeaseHeld)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: acquire lease %q: %w", name, err)
	}
	return &Fence{db: db, name: name, holder: holder, ttl: ttl, token: token}, nil
}

// Renew extends the lease by its ttl from now; ErrFenced when it expired or
// was taken over meanwhile.
func (f *Fence) Renew(ctx context.Context) error {
	tag, err := f.db.pool.Exec(ctx, `UPDATE leases SET expires = now() + $3 * interval '1 microsecond'
		WHERE name = $1 AND token = $2 AND expires > now()`, f.name, f.token, f.ttl.Microseconds())
	if err != nil {
		return fmt.Errorf("postgres: renew lease %q: %w", f.name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: renew lease %q with token %d: %w", f.name, f.token, ErrFenced)
	}
	return nil
}

// Release gives the lease up (it expires now) if still held with this token.
func (f *Fence) Release(ctx context.Context) error {
	_, err := f.db.pool.Exec(ctx, `UPDATE leases SET expires = now() WHERE name = $1 AND token = $2`, f.name, f.token)
	if err != nil {
		return fmt.Errorf("postgres: release lease %q: %w", f.name, err)
	}
	return nil
}

// check fails with ErrFenced unless the lease row holds f's token and has not
// expired; it locks the row for the transaction so that no takeover can
// commit between the check and the write. A nil fence checks nothing.
func (f *Fence) check(ctx context.Context, tx pgx.Tx) error {
	if f == nil {
		return nil
	}
	var token int64
	var live bool
	err := tx.QueryRow(ctx, `SELECT token, expires > now() FROM leases WHERE name = $1 FOR SHARE`, f.name).Scan(&token, &live)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: write with lease %q token %d: no lease row: %w", f.name, f.token, ErrFenced)
	}
	if err != nil {
		return fmt.Errorf("postgres: check lease %q: %w", f.name, err)
	}
	switch {
	case token != f.token:
		return fmt.Errorf("postgres: write with lease %q token %d: the current token is %d: %w", f.name, f.token, token, ErrFenced)
	case !live:
		return fmt.Errorf("postgres: write with lease %q token %d: the lease expired: %w", f.name, f.token, ErrFenced)
	}
	return nil
}
