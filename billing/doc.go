// Package billing is the money path of the module: it counts each tenant's
// billable usage of Kaspersky applications, turns it into the Additional Charges
// the tenant's Tigerpaw agreement should carry, compares them with the charges
// the agreement has, and writes the difference. It does no I/O of its own: it
// reads the neutral facts of package kaspersky and writes through the small
// ChargeWriter interface.
//
// The steps of a cycle, each a pure function that can be tested and reviewed:
//
//   - Count: billable usage per application and device category, from an
//     inventory at an injected time (only unexpired, active commercial keys and
//     active subscriptions, used as a device's active key, count; see Counter).
//   - Desired: one charge per mapped price book item with usage, priced at the
//     account's price level, in integer minor units (Money).
//   - Diff: a Plan of creates, updates, deletes and no-ops, ordered, with reasons,
//     printable (Plan.String) for a dry run. Only charges the integration owns
//     (their description starts with OwnerMarker) are ever touched.
//   - Apply: carries out a Plan through a ChargeWriter, retrying safely and
//     never creating a charge twice.
//
// The one call a user starts with is NewBiller, then Biller.Plan for a whole
// cycle and Apply to write it:
//
//	b, err := billing.NewBiller(book, prices)
//	plan, err := b.Plan(ctx, writer, accounts, inventories, time.Now())
//	fmt.Print(plan) // the dry run
//	res, err := billing.Apply(ctx, plan, writer)
//
// A Biller reuses its scratch space from one tenant to the next, so counting and
// diffing a million devices allocates next to nothing (see BenchmarkBilling1M).
package billing
