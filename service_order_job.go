package kasperskytigerpaw

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// ServiceOrderJob runs one service order cycle of an integration: it reads the
// devices, licenses, Office 365 state and new events of every tenant mapped to
// a Tigerpaw account, and hands them to a serviceorder.Runner, which opens and closes
// orders according to the rules.
//
// Events are read from EventOverlap before the last time the tenant's events
// were read (the Runner's store remembers it), so that events the console
// records late are not missed; events read again are recognised and make no
// second order. The first time, after a last read time in the future (left by
// a clock that ran ahead), and never further back than this, events are read
// from as far back as the longest event lifetime of the rules: older events
// would be skipped anyway.
//
// A tenant whose console answers with nothing at all (no device, license or
// mailbox) is treated as unread for its statuses: its orders are not closed on
// such an answer, only when devices come back without the problem.
type ServiceOrderJob struct {
	// Source reads the Kaspersky console. Required.
	Source kaspersky.Source
	// Runner applies the actions and keeps the state. Required.
	Runner *serviceorder.Runner
	// Now is the clock of the reads; nil means time.Now. Give the Runner the same
	// clock (serviceorder.WithClock).
	Now func() time.Time
	// Logger receives the job's logs; nil discards them.
	Logger *slog.Logger
	// Concurrency bounds the tenants read at once; 0 means 4.
	Concurrency int
	// EventOverlap is how far before the last read time events are read
	// again, for events the console records after the fact (a device that
	// uploads its events when it is back online, a console clock behind ours).
	// 0 means DefaultEventOverlap; a negative value reads from the last read
	// time exactly.
	EventOverlap time.Duration
	// OnCycle, when set, receives what each Run did (see CycleResult), e.g.
	// metrics.Metrics.Observe (package metrics).
	OnCycle func(CycleResult)
}

// DefaultEventOverlap is the EventOverlap of a ServiceOrderJob that sets none.
const DefaultEventOverlap = time.Hour

// Run reads every mapped tenant and runs one cycle. A tenant that cannot be
// read, whose inventory is not self-consistent (kaspersky.CheckInventory) or
// is another tenant's (the console named another tenant), is still passed to the Runner, marked unread, so that none of its orders is
// closed for want of data; its events are read again next time. Once the
// console refuses the credentials, no further tenant is read in the cycle.
//
// The error wraps ErrCycleFailed when the cycle failed as a whole: every
// tenant's read failed, the console refused the credentials (the Runner
// still runs, for the orders it owes from earlier cycles), or the cycle
// achieved nothing (every tenant unread or with a failed action, and no
// order created, found, closed, released, noted or reopened). Otherwise it is
// the Runner's; tenants not read make the cycle partial, which OnCycle's
// CycleResult says.
func (j *ServiceOrderJob) Run(ctx context.Context, cfg mapping.Config, rules serviceorder.Rules) (res serviceorder.Result, err error) {
	var unread map[string]error
	if j.OnCycle != nil {
		start := j.now()
		defer func() {
			j.OnCycle(serviceOrderCycleResult(start, j.now().Sub(start), cfg, res, err, unread, rules.Flood()))
		}()
	}
	if j.Source == nil || j.Runner == nil {
		return serviceorder.Result{}, errors.New("kasperskytigerpaw: ServiceOrderJob needs a Source and a Runner")
	}
	accounts := serviceorder.Accounts{}
	var tenants []mapping.Tenant
	for _, t := range cfg.Tenants {
		if t.Account != nil && t.Account.Number > 0 {
			accounts[t.ID] = t.Account.Number
			tenants = append(tenants, t)
		}
	}
	lastReads, err := j.Runner.LastReads(ctx)
	if err != nil {
		return serviceorder.Result{}, err
	}
	horizon := rules.LongestLifetime()
	inputs := make([]serviceorder.TenantInput, len(tenants))
	errs := readTenants(ctx, len(tenants), j.Concurrency, func(ctx context.Context, i int) error {
		var err error
		inputs[i], err = j.readTenant(ctx, tenants[i], lastReads[tenants[i].ID], horizon)
		return err
	})
	if err := ctx.Err(); err != nil {
		return serviceorder.Result{}, err
	}
	unread = map[string]error{}
	var refused error
	for i, t := range tenants {
		if errs[i] == nil {
			continue
		}
		unread[t.ID] = errs[i]
		if errs[i] == errNotReadRefused {
			// Not read at all: unread for the Runner.
			inputs[i] = serviceorder.TenantInput{Tenant: kaspersky.Tenant{ID: t.ID, Name: t.Name}}
			j.logger().WarnContext(ctx, "tenant not read; its status orders are left as they are", "tenant", t.ID, "err", errs[i])
		}
		if refused == nil && credentialsRefused(errs[i]) {
			refused = errs[i]
		}
	}
	res, err = j.Runner.Run(ctx, serviceorder.Cycle{Rules: rules, Accounts: accounts, Tenants: inputs})
	var failed error
	switch {
	case refused != nil:
		failed = fmt.Errorf("%w: service orders: %w", ErrCycleFailed, refused)
	case len(tenants) > 0 && len(unread) == len(tenants):
		failed = fmt.Errorf("%w: service orders: no tenant could be read (%d); tenant %q: %w", ErrCycleFailed, len(tenants), tenants[0].ID, unread[tenants[0].ID])
	case ordersAchievedNothing(tenants, unread, res):
		failed = fmt.Errorf("%w: service orders: every tenant failed (%d) and no order was created, found or closed", ErrCycleFailed, len(tenants))
	}
	if failed != nil {
		j.logger().ErrorContext(ctx, "the service order cycle failed", "err", failed)
		return res, errors.Join(failed, err)
	}
	return res, err
}

// ordersAchievedNothing reports whether a cycle achieved nothing: every
// tenant was left unread or had an action fail, and no order was created,
// found, closed, released, noted or reopened.
func ordersAchievedNothing(tenants []mapping.Tenant, unread map[string]error, res serviceorder.Result) bool {
	if len(tenants) == 0 || len(res.Failed) == 0 {
		return false
	}
	if len(res.Created)+len(res.Recovered)+len(res.Closed)+len(res.Released)+len(res.Noted)+len(res.Reopened) > 0 {
		return false
	}
	failedTenants := make(map[string]bool, len(res.Failed))
	for _, f := range res.Failed {
		failedTenants[f.TenantID] = true
	}
	for _, t := range tenants {
		if unread[t.ID] == nil && !failedTenants[t.ID] {
			return false // read, and nothing of it failed
		}
	}
	return true
}

// readTenant reads a tenant's inventory and events. Its error says why the
// inventory cannot be acted on or the events were not read; the input is
// still the Runner's, marked unread as far as it was not read.
func (j *ServiceOrderJob) readTenant(ctx context.Context, t mapping.Tenant, lastRead time.Time, horizon time.Duration) (serviceorder.TenantInput, error) {
	log := j.logger()
	in := serviceorder.TenantInput{Tenant: kaspersky.Tenant{ID: t.ID, Name: t.Name}}
	inv, err := j.Source.Inventory(ctx, t.ID)
	var invErr error
	switch {
	case err != nil:
		log.WarnContext(ctx, "cannot read the tenant's inventory; its status orders are left as they are", "tenant", t.ID, "err", err)
		if credentialsRefused(err) {
			return in, err // reading its events would be refused too
		}
		invErr = fmt.Errorf("inventory not read: %w", err)
	case inv.Tenant.ID != "" && inv.Tenant.ID != t.ID:
		// Its devices are another tenant's: acting on them would open that
		// tenant's orders on this account and close this one's.
		invErr = fmt.Errorf("the console answered with the inventory of tenant %q", inv.Tenant.ID)
		log.WarnContext(ctx, "the console answered with another tenant's inventory; its status orders are left as they are", "tenant", t.ID, "err", invErr)
	case emptyInventory(&inv):
		// An answer with nothing in it is more likely a console or permission
		// problem than a customer whose every device left at once: closing all
		// its orders now would reopen them all on the next good answer.
		log.WarnContext(ctx, "the console reported no device, license or mailbox for the tenant; its status orders are left as they are", "tenant", t.ID)
		invErr = ErrEmptyInventory
	default:
		if cerr := kaspersky.CheckInventory(&inv); cerr != nil {
			// Devices missing from a read that contradicts itself are not
			// devices whose problems ended.
			log.WarnContext(ctx, "the tenant's inventory is not consistent; its status orders are left as they are", "tenant", t.ID, "err", cerr)
			invErr = cerr
			break
		}
		in.InventoryOK = true
		in.Devices = inv.Devices
		in.Office365 = inv.Office365
		in.Licenses = inv.Licenses
		if inv.Tenant.Name != "" {
			in.Tenant = inv.Tenant
			in.Tenant.ID = t.ID
		}
		if inv.Tenant.Kind != 0 {
			in.Tenant.Kind = inv.Tenant.Kind
		}
	}
	readAt := j.now()
	since := readAt.Add(-horizon)
	// A last read time in the future was written by a clock that ran ahead:
	// when events were really read last is unknown, so read the whole horizon.
	if !lastRead.IsZero() && !lastRead.After(readAt) {
		overlap := j.EventOverlap
		switch {
		case overlap == 0:
			overlap = DefaultEventOverlap
		case overlap < 0:
			overlap = 0
		}
		if from := lastRead.Add(-overlap); from.After(since) {
			since = from
		}
	}
	events, err := j.Source.Events(ctx, t.ID, since)
	if err != nil {
		log.WarnContext(ctx, "cannot read the tenant's events; they are read again next cycle", "tenant", t.ID, "err", err)
		if credentialsRefused(err) {
			return in, err
		}
		return in, errors.Join(invErr, fmt.Errorf("events not read: %w", err))
	}
	in.Events = events
	in.ReadAt = readAt
	return in, invErr
}

func (j *ServiceOrderJob) now() time.Time { return clockOr(j.Now)() }

func (j *ServiceOrderJob) logger() *slog.Logger { return loggerOr(j.Logger) }
