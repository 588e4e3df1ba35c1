// Package serviceorder decides when service orders are opened and closed in
// Tigerpaw for what Kaspersky's consoles report, and applies those decisions
// safely.
//
// The rules follow Kaspersky Security Integration with Tigerpaw: [General]
// settings (rep, new and closed status, all required), event rules per severity
// (Kaspersky Security Center, Kaspersky Endpoint Security Cloud) or per event type
// (Kaspersky Security for Microsoft Office 365), and computer status rules per
// level and status description; every rule is off by default. An [Editor] stages
// edits (bulk edits, Cancel and ResetToDefaults per [Section]) and saves them all
// or nothing after [Rules.ValidateWith] checked them against Tigerpaw's
// [Lookups].
//
// [Evaluate] is the pure rule engine: status orders exist exactly while their
// status description holds at an enabled level; an event makes at most one order
// while younger than its rule's lifetime; Office 365 condition orders close when
// the condition ends. A [Runner] applies the plan through a [Desk] (create, find
// by reference, get, close, notes, reopen) and keeps its state in a [Store] ([MemoryStore],
// [FileStore], or your own, checked with serviceordertest.Run). Every order
// carries a short stable [Key] in its Reference, looked up before any create, so
// a crash or a lost Store never makes a duplicate; a close refused because the
// order is locked in Tigerpaw is retried on later cycles.
//
// Beyond the original integration, three things keep Tigerpaw's board usable.
// An event rule may group repeats ([GroupDevice]): one order per device and
// event type ([GroupKey], derived from tenant, device and event type, not
// from event ids) while it is open, later repeats added to it as notes, at
// most one note per order and cycle; after it was closed, a repeat opens a new
// order, or, within the rule's reopen window, sets the closed order back to
// the new status with a note. Every text and note of a group order carries a
// marker line of the latest repeat it covers; a note is recorded as an intent
// before it is added and, when its outcome is unknown (or the order was found
// by reference after a crash or a lost Store), the order's notes are read back
// for the marker first, so that no repeat is noted twice. A flood guard caps
// the orders one cycle opens for one tenant ([Rules.FloodLimit], 25 by
// default): beyond it the tenant's remaining events go to one summary order
// ([SummaryKey], derived from the tenant and the earliest event it lists, so
// that a retried cycle finds it) and are recorded as processed with its
// intent; status, condition and license orders wait for a later cycle.
// [Result.Summaries], [Result.Suppressed] and [Result.Deferred] report it.
// License rules ([LicenseRule], one section per solution) open one order per
// tenant, license and condition while a key in use expires within N days or
// more devices use a license than it allows, and close it when the license is
// renewed or replaced, or its usage falls back; trials and keys not in use
// open nothing.
//
// A program starts with [NewRunner] and calls [Runner.Run] once per cycle:
//
//	store, err := serviceorder.OpenFileStore("/var/lib/kt/serviceorders.json")
//	// handle err (ErrStoreLocked: another process owns the file)
//	defer store.Close()
//	runner, err := serviceorder.NewRunner(desk, store)
//	// handle err
//	res, err := runner.Run(ctx, serviceorder.Cycle{Rules: rules, Accounts: accounts, Tenants: inputs})
package serviceorder
