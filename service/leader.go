package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/mspkit/kaspersky-tigerpaw/store/postgres"
)

// leading runs cycle when this replica holds the leader lease (always with
// file stores). A replica whose lease another holds skips the cycle: it is a
// standby, logged and shown in /status, and not a failure. A failure to
// take the lease (e.g. the database is down) fails the cycle, which writes
// nothing and runs again at its next time. The cycle runs on a context that
// ends when the lease is lost, so that it stops before its next write.
func (d *Service) leading(ctx context.Context, job string, cycle func(context.Context) error) error {
	if err := d.st.lead(ctx); err != nil {
		if isLeaseHeld(err) {
			d.log.Info("standby: another replica holds the leader lease; cycle skipped", "cycle", job)
			d.status.setStandby(job)
			return nil
		}
		err = fmt.Errorf("leader lease: %w", err)
		d.observeFailure(job, err)
		return err
	}
	cctx, cancel := d.st.hold(ctx)
	defer cancel()
	err := cycle(cctx)
	if cause := context.Cause(cctx); errors.Is(cause, ErrNotLeader) && ctx.Err() == nil {
		err = errors.Join(err, fmt.Errorf("cycle stopped: %w", cause))
	}
	return err
}

// isLeaseHeld reports whether err says another replica holds the lease.
func isLeaseHeld(err error) bool { return errors.Is(err, postgres.ErrLeaseHeld) }
