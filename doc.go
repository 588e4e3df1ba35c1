// Package kasperskytigerpaw connects Kaspersky's endpoint security consoles
// (Kaspersky Security Center virtual servers, Kaspersky Business Hub companies) to
// the Tigerpaw PSA, for managed service providers.
//
// It does what Kaspersky's "Security Integration Service for MSP" does for Tigerpaw,
// as a library:
//
//   - Automatic billing: count, per customer, the devices (users, mailboxes) that use
//     unexpired, active commercial licenses of each Kaspersky application, and keep
//     the Additional Charges of the customer's recurring Tigerpaw agreement equal to
//     that usage, priced from mapped price book items at the account's price level.
//   - Service orders: open Tigerpaw service orders for console events and computer
//     statuses according to rules, and close the status ones when the problem is
//     gone, retrying while an order is locked in the Tigerpaw UI.
//
// # Data flow of one cycle
//
//	kaspersky.Source (ksc or hub) ──► inventory ──► billing.Count ──► usage
//	mapping.Config ──────────────────────────────► billing.Desired ──► Diff(existing) ──► Plan ──► Apply ──► Additional Charges
//	statuses + events ──► serviceorder.Evaluate(rules, state, now) ──► actions ──► Runner ──► Service Orders
//
// # Where to start
//
// In this package, [BillingJob] runs a billing cycle of one integration (Plan is
// the dry run, Run plans and applies) and [ServiceOrderJob] runs a service order
// cycle; both read a Kaspersky console through a kaspersky.Source and write to
// Tigerpaw through the adapters of this package ([ChargeWriter], [Desk],
// [Lookups], [Directory]). The reference daemon in cmd/kaspersky-tigerpawd wires them
// into a program; `go run ./cmd/kaspersky-tigerpawd -demo` runs it on the fakes.
//
//   - Package kaspersky: the neutral domain and the Source interface.
//   - Package kaspersky/ksc: the Kaspersky Security Center Open API client and its
//     Source; kaspersky/ksctest is an in-process fake KSC for tests.
//   - Package kaspersky/hub: a client of the module's own Business Hub contract
//     (Kaspersky publishes no Business Hub API) and its Source; kaspersky/hubtest
//     is its fake.
//   - Package tigerpaw: the Tigerpaw REST client; tigerpaw/tigerpawtest is an
//     in-process fake Tigerpaw for tests.
//   - Package mapping: the integration's configuration (tenants, accounts, billing
//     settings, price book mapping) with the product's rules.
//   - Package billing: usage counting, desired charges, plans and an idempotent apply.
//   - Package serviceorder: the rule engine, its Runner and its Store.
//
// This root package is where both sides meet: the adapters that let billing,
// mapping and serviceorder talk to a tigerpaw.Client.
package kasperskytigerpaw
