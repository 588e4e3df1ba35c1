package serviceorder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// Runner runs service order cycles: it evaluates what it is given against the
// Store's state, applies the actions through a [Desk], and records the outcome
// in the [Store]. A Runner is safe for concurrent use; cycles run one at a time.
// Use one Runner per Store and Tigerpaw: the lookup before a create does not
// guard against another Runner creating the same order at the same moment, so
// two Runners whose cycles overlap may open an order twice.
//
// Every create is preceded by a lookup of the order's key, so neither a crash
// nor a lost Store makes a duplicate. One thing a lost Store does lose: an order
// whose status description cleared before the next cycle is no longer known,
// and stays open for a person to close.
type Runner struct {
	desk  Desk
	store Store
	now   func() time.Time
	log   *slog.Logger
	mu    sync.Mutex
	// closedStatus and newStatus are those of the running cycle's rules.
	closedStatus, newStatus string
	// eval evaluates the cycles (under mu), remembering from one cycle to
	// the next what spares work in the next.
	eval Evaluator
}

// RunnerOption configures a [Runner].
type RunnerOption func(*Runner)

// WithClock sets the clock the Runner decides by (time.Now by default).
func WithClock(now func() time.Time) RunnerOption {
	return func(r *Runner) {
		if now != nil {
			r.now = now
		}
	}
}

// WithLogger sets the logger (discarding by default).
func WithLogger(l *slog.Logger) RunnerOption {
	return func(r *Runner) {
		if l != nil {
			r.log = l
		}
	}
}

// NewRunner returns a Runner over desk and store.
func NewRunner(desk Desk, store Store, opts ...RunnerOption) (*Runner, error) {
	if desk == nil {
		return nil, errors.New("serviceorder: NewRunner: desk is nil")
	}
	if store == nil {
		return nil, errors.New("serviceorder: NewRunner: store is nil")
	}
	r := &Runner{desk: desk, store: store, now: time.Now, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

// Cycle is what one run is given: the saved rules, the tenant→account mapping
// and what was read about each tenant.
type Cycle struct {
	Rules    Rules
	Accounts Accounts
	Tenants  []TenantInput
}

// OrderRef names an order a cycle acted on.
type OrderRef struct {
	Key      Key
	Kind     Kind
	TenantID string
	// Number is the Tigerpaw order number; 0 when none is known.
	Number int
	// LockedBy names who holds the lock of a pending close's order, when the
	// Desk said (DeskOrder.LockedBy or a *LockedError); "" otherwise and for
	// every other kind of result.
	LockedBy string
}

// Failure is an action that failed; it is retried on a later cycle.
type Failure struct {
	TenantID string
	Key      Key
	Action   ActionType
	Err      error
}

// Error describes the failure, naming the tenant, action and key when set (a
// failure to record a cycle's results has none).
func (f Failure) Error() string {
	var b strings.Builder
	if f.TenantID != "" {
		b.WriteString("tenant " + f.TenantID + ": ")
	}
	if f.Action != 0 {
		b.WriteString(f.Action.String() + " " + string(f.Key) + ": ")
	}
	return b.String() + fmt.Sprint(f.Err)
}

// Unwrap returns the cause.
func (f Failure) Unwrap() error { return f.Err }

// Result reports what a cycle did.
type Result struct {
	// Created are orders created in Tigerpaw.
	Created []OrderRef
	// Recovered are orders the cycle was about to create and found in Tigerpaw
	// by their reference (created before a crash or a lost Store).
	Recovered []OrderRef
	// Closed are orders closed in Tigerpaw.
	Closed []OrderRef
	// Pending are closes refused because the order is locked; they are retried
	// on later cycles.
	Pending []OrderRef
	// Released are orders no longer tracked without a close of the engine:
	// already closed or deleted in Tigerpaw, or never created.
	Released []OrderRef
	// Failed are actions that failed; each is retried on a later cycle.
	Failed []Failure
	// Noted are group orders that got a note about repeats (one per order
	// and cycle at most).
	Noted []OrderRef
	// Reopened are closed group orders set back to the new status because a
	// repeat came within their rule's reopen window.
	Reopened []OrderRef
	// Summaries are the flood guard's summary orders created (or found by
	// reference) this cycle; they are in Created or Recovered too.
	Summaries []OrderRef
	// Suppressed counts the events the flood guard listed in summaries
	// instead of opening orders for them.
	Suppressed int
	// Deferred counts the status, condition and license orders the flood
	// guard left for a later cycle.
	Deferred int
}

// Err joins the failures, or returns nil.
func (r *Result) Err() error {
	errs := make([]error, len(r.Failed))
	for i, f := range r.Failed {
		errs[i] = f
	}
	return errors.Join(errs...)
}

// LastReads returns the read time of each tenant's last fully applied cycle, as
// recorded from [TenantInput.ReadAt]; read a tenant's events since then.
func (r *Runner) LastReads(ctx context.Context) (map[string]time.Time, error) {
	st, err := r.store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("serviceorder: loading state: %w", err)
	}
	return st.TenantReads, nil
}

// Run runs one cycle: it evaluates c against the stored state, records every
// intent to create in one Store write, applies the actions tenant by tenant
// (closes before creates) and records the outcomes in batches. It returns an
// error only when the cycle could not run (invalid rules, the Store cannot be
// read or the intent not recorded) or ctx ended midway, in which case what was
// done in Tigerpaw is still recorded. Failures of single actions or tenants are
// in the Result and do not stop the other tenants; a tenant with a failure keeps
// its last read time.
func (r *Runner) Run(ctx context.Context, c Cycle) (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var res Result
	if err := c.Rules.Validate(); err != nil {
		return res, err
	}
	st, err := r.store.Load(ctx)
	if err != nil {
		return res, fmt.Errorf("serviceorder: loading state: %w", err)
	}
	r.closedStatus, r.newStatus = c.Rules.General.ClosedStatus, c.Rules.General.NewStatus
	now := r.now()
	plan := r.eval.Evaluate(Input{Now: now, Rules: c.Rules, Accounts: c.Accounts, Tenants: c.Tenants, State: st})
	res.Suppressed, res.Deferred = plan.Suppressed, plan.Deferred

	// Record every intent to create (and the creation-delay bookkeeping) in one
	// write, before anything is written to Tigerpaw.
	var intent Change
	for i := range plan.Actions {
		a := &plan.Actions[i]
		switch a.Type {
		case ActionCreate, ActionWatch, ActionKeep, ActionGroup:
			intent.Put = append(intent.Put, a.Order)
			if a.Type == ActionCreate && len(a.Covers) > 0 {
				// A summary's events: covered from the moment it is decided,
				// so that a retry does not open them or summarise them again.
				if intent.Events == nil {
					intent.Events = map[Key]time.Time{}
				}
				maps.Copy(intent.Events, a.Covers)
			}
		case ActionForget:
			intent.Delete = append(intent.Delete, a.Order.Key)
		}
	}
	if !intent.Empty() {
		if err := r.store.Apply(ctx, intent); err != nil {
			return res, fmt.Errorf("serviceorder: recording intent: %w", err)
		}
	}

	// Apply tenant by tenant; record the outcomes in batches. The outcomes of
	// actions done in Tigerpaw are recorded even when ctx ends meanwhile.
	failed := map[string]bool{}
	done := Change{Events: map[Key]time.Time{}}
	var batch []string
	flush := func(what string) {
		if done.Empty() {
			return
		}
		if err := r.store.Apply(context.WithoutCancel(ctx), done); err != nil {
			// Tigerpaw is ahead of the Store: the next cycle finds the created
			// orders by reference and sees the closed ones closed.
			res.Failed = append(res.Failed, Failure{Err: fmt.Errorf("recording %s: %w", what, err)})
			r.log.LogAttrs(ctx, slog.LevelWarn, "cannot record service order results", slog.Any("error", err))
			for _, tid := range batch {
				failed[tid] = true
			}
		}
		done, batch = Change{Events: map[Key]time.Time{}}, batch[:0]
	}
	refused := false
	for start := 0; start < len(plan.Actions) && ctx.Err() == nil; {
		tid := plan.Actions[start].Order.TenantID
		end := start
		for end < len(plan.Actions) && plan.Actions[end].Order.TenantID == tid {
			end++
		}
		if refused {
			// Tigerpaw refused the credentials: asking again for every tenant
			// would only be refused again (and may lock the account).
			failed[tid] = true
			res.Failed = append(res.Failed, Failure{TenantID: tid, Err: fmt.Errorf("not applied: %w", ErrUnauthorized)})
		} else if !r.applyTenant(ctx, tid, now, plan.Actions[start:end], &res, &done) {
			failed[tid] = true
			refused = slices.ContainsFunc(res.Failed, func(f Failure) bool { return errors.Is(f.Err, ErrUnauthorized) })
		}
		batch = append(batch, tid)
		if len(done.Put)+len(done.Delete)+len(done.Events) >= flushEvery {
			flush("results")
		}
		start = end
	}
	flush("results")

	if err := ctx.Err(); err != nil {
		return res, err
	}
	final := Change{
		Events:            plan.Processed,
		PruneEventsBefore: now.Add(-c.Rules.LongestLifetime()),
		TenantReads:       map[string]time.Time{},
	}
	seen := make(map[string]bool, len(c.Tenants))
	for _, t := range c.Tenants {
		// As in Evaluate: only tenants in the integration, and only the first
		// input of a tenant given twice, were evaluated.
		id := t.Tenant.ID
		first := !seen[id]
		seen[id] = true
		if first && c.Accounts[id] > 0 && !failed[id] && !t.ReadAt.IsZero() {
			final.TenantReads[id] = t.ReadAt
		}
	}
	done = final
	flush("processed events and read times")
	return res, nil
}

// flushEvery is how many recorded outcomes the Runner collects before it writes
// them to the Store.
const flushEvery = 256

// applyTenant applies one tenant's actions, collecting the outcomes in done, and
// reports whether all succeeded.
func (r *Runner) applyTenant(ctx context.Context, tid string, now time.Time, actions []Action, res *Result, done *Change) bool {
	ok := true
	fail := func(a *Action, err error) {
		ok = false
		res.Failed = append(res.Failed, Failure{TenantID: tid, Key: a.Order.Key, Action: a.Type, Err: err})
		r.log.LogAttrs(ctx, slog.LevelWarn, "service order action failed",
			slog.String("tenant", tid), slog.String("key", string(a.Order.Key)), slog.String("action", a.Type.String()), slog.Any("error", err))
	}
	// Closes first, then creates (the plan's order within a tenant).
	for i := range actions {
		a := &actions[i]
		if ctx.Err() != nil {
			return false
		}
		var err error
		switch a.Type {
		case ActionClose:
			err = r.close(ctx, a, res, done)
		case ActionCreate:
			err = r.create(ctx, a, res, done)
		case ActionGroup:
			err = r.group(ctx, a, now, res, done)
		}
		if err != nil {
			fail(a, err)
			if errors.Is(err, ErrUnauthorized) {
				return false
			}
		}
	}
	return ok
}

// matches returns the orders of found whose reference is k, ignoring case and
// the prefix matches Tigerpaw's search may add, lowest number first.
func matches(found []DeskOrder, k Key) []DeskOrder {
	var out []DeskOrder
	for _, o := range found {
		if isKey(o.Reference, k) {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b DeskOrder) int { return a.Number - b.Number })
	return out
}

// carries reports whether an order read by its number is the order of key k:
// its reference is k (ignoring case and surrounding spaces), or it gives none
// (a Desk that cannot say).
func carries(o *DeskOrder, k Key) bool {
	return strings.TrimSpace(o.Reference) == "" || isKey(o.Reference, k)
}

// isKey reports whether an order's reference is k, ignoring case and
// surrounding spaces.
func isKey(ref string, k Key) bool {
	return strings.EqualFold(strings.TrimSpace(ref), string(k))
}

// isClosed reports whether an order is closed: closed by Tigerpaw's account, or
// in the configured closed status (a close through the API may not set a close
// date).
func (r *Runner) isClosed(o *DeskOrder) bool {
	return o.Closed || (r.closedStatus != "" && strings.EqualFold(strings.TrimSpace(o.Status), r.closedStatus))
}

func ref(o *Order, number int) OrderRef {
	return OrderRef{Key: o.Key, Kind: o.Kind, TenantID: o.TenantID, Number: number}
}

func (r *Runner) create(ctx context.Context, a *Action, res *Result, done *Change) error {
	o := a.Order
	found, err := r.desk.FindByReference(ctx, string(o.Key))
	if err != nil {
		return fmt.Errorf("looking up reference: %w", err)
	}
	number := 0
	for _, m := range matches(found, o.Key) {
		if !o.Kind.level() || !r.isClosed(&m) {
			number = m.Number
			break
		}
	}
	if o.Kind == KindSummary {
		defer func() { res.Summaries = append(res.Summaries, ref(&o, number)) }()
	}
	if number != 0 {
		res.Recovered = append(res.Recovered, ref(&o, number))
		r.log.LogAttrs(ctx, slog.LevelInfo, "service order found by reference", slog.String("key", string(o.Key)), slog.Int("number", number))
	} else {
		number, err = r.desk.Create(ctx, *o.Request)
		if err != nil {
			return fmt.Errorf("creating: %w", err)
		}
		res.Created = append(res.Created, ref(&o, number))
		r.log.LogAttrs(ctx, slog.LevelInfo, "service order created", slog.String("key", string(o.Key)), slog.Int("number", number), slog.String("brief", o.Request.Brief))
	}
	switch o.Kind {
	case KindEvent:
		done.Delete = append(done.Delete, o.Key)
		done.Events[o.Key] = o.EventTime
		return nil
	case KindSummary:
		done.Delete = append(done.Delete, o.Key)
		return nil
	case KindCondition:
		done.Events[EventKey(o.TenantID, kaspersky.OriginOffice365, o.EventID)] = o.EventTime
	}
	o.Phase, o.Number, o.Request = PhaseOpen, number, nil
	done.Put = append(done.Put, o)
	return nil
}

func (r *Runner) close(ctx context.Context, a *Action, res *Result, done *Change) error {
	o := a.Order
	release := func() {
		done.Delete = append(done.Delete, o.Key)
		res.Released = append(res.Released, ref(&o, o.Number))
	}
	pending := func(number int, by string) {
		o.Phase, o.Number, o.Reason = PhaseClosing, number, a.Reason
		done.Put = append(done.Put, o)
		p := ref(&o, number)
		p.LockedBy = by
		res.Pending = append(res.Pending, p)
		r.log.LogAttrs(ctx, slog.LevelInfo, "service order locked; close pending", slog.String("key", string(o.Key)), slog.Int("number", number), slog.String("locked_by", by))
	}
	// lookup lists the open orders that carry the key, but skip.
	lookup := func(skip int) ([]int, error) {
		found, err := r.desk.FindByReference(ctx, string(o.Key))
		if err != nil {
			return nil, fmt.Errorf("looking up reference: %w", err)
		}
		var numbers []int
		for _, m := range matches(found, o.Key) {
			if !r.isClosed(&m) && m.Number != skip {
				numbers = append(numbers, m.Number)
			}
		}
		return numbers, nil
	}
	numbers := []int{o.Number}
	looked := o.Number == 0
	if looked {
		// The create's outcome is unknown: close whatever open order has the key.
		var err error
		if numbers, err = lookup(0); err != nil {
			return err
		}
	}
	for i := 0; i < len(numbers); i++ {
		n := numbers[i]
		cur, err := r.desk.Get(ctx, n)
		switch {
		case errors.Is(err, ErrNotFound):
			continue
		case err != nil:
			return fmt.Errorf("reading order %d: %w", n, err)
		case !carries(&cur, o.Key):
			// Not the order of the key (the number came from a wrong
			// answer, or a person reused the order): it is left alone, and
			// the order that carries the key is looked for.
			r.log.LogAttrs(ctx, slog.LevelWarn, "service order carries another reference; not closed",
				slog.String("key", string(o.Key)), slog.Int("number", n), slog.String("reference", cur.Reference))
			if !looked {
				looked = true
				more, err := lookup(n)
				if err != nil {
					return err
				}
				numbers = append(numbers, more...)
			}
			continue
		case r.isClosed(&cur):
			continue
		case cur.Locked:
			pending(n, cur.LockedBy)
			return nil
		}
		err = r.desk.Close(ctx, n, a.Close)
		switch {
		case errors.Is(err, ErrLocked):
			by := cur.LockedBy
			var le *LockedError
			if errors.As(err, &le) && le.LockedBy != "" {
				by = le.LockedBy
			}
			pending(n, by)
			return nil
		case errors.Is(err, ErrNotFound):
			continue
		case err != nil:
			return fmt.Errorf("closing order %d: %w", n, err)
		}
		o.Number = n
		res.Closed = append(res.Closed, ref(&o, n))
		r.log.LogAttrs(ctx, slog.LevelInfo, "service order closed", slog.String("key", string(o.Key)), slog.Int("number", n), slog.String("reason", a.Reason.String()))
		done.Delete = append(done.Delete, o.Key)
		return nil
	}
	release()
	return nil
}

// group applies an ActionGroup: the repeats go to the open order with the key
// as a note; with none open, the latest closed order is set back to the new
// status with a note when it was closed within the reopen window; otherwise a
// new order is created. Repeats the order's own text and notes cover already
// (read back when the Store does not know them for sure) are not noted again.
func (r *Runner) group(ctx context.Context, a *Action, now time.Time, res *Result, done *Change) error {
	o := a.Order
	verify := a.Verify
	var target, closed *DeskOrder
	if o.Number > 0 {
		cur, err := r.desk.Get(ctx, o.Number)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return fmt.Errorf("reading order %d: %w", o.Number, err)
		case !carries(&cur, o.Key):
			// Not the order of the key: found by reference below.
		case r.isClosed(&cur):
			closed = &cur
		default:
			target = &cur
		}
	}
	if target == nil {
		found, err := r.desk.FindByReference(ctx, string(o.Key))
		if err != nil {
			return fmt.Errorf("looking up reference: %w", err)
		}
		for _, m := range matches(found, o.Key) {
			switch {
			case !r.isClosed(&m):
				if target == nil {
					// Not the Store's order: what it covers is read back.
					target, verify = &m, true
				}
			case closed == nil || m.Number > closed.Number:
				closed = &m
			}
		}
	}
	pick := func(covered time.Time) *PendingNote {
		if len(a.Repeats) == 0 {
			if o.Note != nil && o.Note.Last.After(covered) {
				n := *o.Note
				n.Reopen = false
				return &n
			}
			return nil
		}
		var n PendingNote
		for _, t := range a.Repeats {
			if t.After(covered) {
				if n.Count == 0 {
					n.First = t
				}
				n.Count++
				n.Last = t
			}
		}
		if n.Count == 0 {
			return nil
		}
		return &n
	}
	finish := func(number int, covered time.Time) {
		o.Phase, o.Number, o.Covered, o.Note, o.Request = PhaseOpen, number, covered, nil, nil
		done.Put = append(done.Put, o)
		maps.Copy(done.Events, a.Covers)
	}
	note := func(number int, n *PendingNote) error {
		if err := r.desk.AddNote(ctx, number, NewNote{Topic: NoteTopic, Text: noteText(n)}); err != nil {
			return fmt.Errorf("adding a note to order %d: %w", number, err)
		}
		res.Noted = append(res.Noted, ref(&o, number))
		r.log.LogAttrs(ctx, slog.LevelInfo, "service order noted", slog.String("key", string(o.Key)), slog.Int("number", number), slog.Int("repeats", n.Count))
		return nil
	}
	if target != nil {
		covered := o.Covered
		if verify {
			c, err := r.coveredOn(ctx, target)
			if err != nil {
				return err
			}
			covered = later(covered, c)
		}
		n := pick(covered)
		if n == nil {
			finish(target.Number, covered)
			return nil
		}
		if err := note(target.Number, n); err != nil {
			return err
		}
		finish(target.Number, n.Last)
		return nil
	}
	covered := o.Covered
	if closed != nil && (verify || closed.Number != o.Number) {
		c, err := r.coveredOn(ctx, closed)
		if err != nil {
			return err
		}
		covered = later(covered, c)
	}
	n := pick(covered)
	if n == nil {
		// Nothing new, and nothing open: nothing to track.
		done.Delete = append(done.Delete, o.Key)
		maps.Copy(done.Events, a.Covers)
		return nil
	}
	if closed != nil && a.ReopenWindow > 0 && !closed.ClosedAt.IsZero() && now.Sub(closed.ClosedAt) <= a.ReopenWindow {
		if err := r.desk.Reopen(ctx, closed.Number, ReopenRequest{Status: r.newStatus}); err != nil {
			return fmt.Errorf("reopening order %d: %w", closed.Number, err)
		}
		res.Reopened = append(res.Reopened, ref(&o, closed.Number))
		r.log.LogAttrs(ctx, slog.LevelInfo, "service order reopened", slog.String("key", string(o.Key)), slog.Int("number", closed.Number))
		n.Reopen = true
		if err := note(closed.Number, n); err != nil {
			// Open again, its note unknown: the next cycle reads the notes.
			o.Phase, o.Number, o.Note = PhaseOpen, closed.Number, n
			done.Put = append(done.Put, o)
			return err
		}
		finish(closed.Number, n.Last)
		return nil
	}
	if o.Request == nil {
		done.Delete = append(done.Delete, o.Key)
		return nil
	}
	number, err := r.desk.Create(ctx, *o.Request)
	if err != nil {
		return fmt.Errorf("creating: %w", err)
	}
	res.Created = append(res.Created, ref(&o, number))
	r.log.LogAttrs(ctx, slog.LevelInfo, "service order created", slog.String("key", string(o.Key)), slog.Int("number", number), slog.String("brief", o.Request.Brief))
	finish(number, n.Last)
	return nil
}

// coveredOn reads what repeats an order's text and notes cover.
func (r *Runner) coveredOn(ctx context.Context, d *DeskOrder) (time.Time, error) {
	notes, err := r.desk.Notes(ctx, d.Number)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading the notes of order %d: %w", d.Number, err)
	}
	texts := make([]string, 0, len(notes)+1)
	texts = append(texts, d.Work)
	for _, n := range notes {
		texts = append(texts, n.Text)
	}
	return coveredIn(texts...), nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
