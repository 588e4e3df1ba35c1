package main

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
func (d *daemon) leading(ctx context.Context, job string, cycle func(context.Context) error) error {
	if d.lead == nil {
		return cycle(ctx)
	}
	if err := d.lead(ctx); err != nil {
		if errors.Is(err, postgres.ErrLeaseHeld) {
			d.log.Info("standby: another replica holds the leader lease; cycle skipped", "cycle", job)
			d.status.setStandby(job)
			return nil
		}
		err = fmt.Errorf("leader lease: %w", err)
		d.observeFailure(job, err)
		return err
	}
	cctx, cancel := d.hold(ctx)
	defer cancel()
	err := cycle(cctx)
	if cause := context.Cause(cctx); errors.Is(cause, errNotLeader) && ctx.Err() == nil {
		err = errors.Join(err, fmt.Errorf("cycle stopped: %w", cause))
	}
	return err
}
