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
// by reference, get, close) and keeps its state in a [Store] ([MemoryStore],
// [FileStore], or your own, checked with serviceordertest.Run). Every order
// carries a short stable [Key] in its Reference, looked up before any create, so
// a crash or a lost Store never makes a duplicate; a close refused because the
// order is locked in Tigerpaw is retried on later cycles.
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
