// Package kaspersky is the solution-neutral domain of the module: the facts that a
// Kaspersky console (Kaspersky Security Center or Kaspersky Business Hub) reports
// about a tenant, in one shape, so that billing and service orders do not care which
// console the MSP runs.
//
// The package does no I/O. A console client (package kaspersky/ksc, kaspersky/hub)
// implements [Source]; the rest of the module reads tenants, their [Inventory]
// (devices, licenses, Office 365 state) and their [Event]s through it.
//
// Sources report facts only. Deciding what is billable (unexpired, active,
// commercial, used as the active key) is the job of package billing; deciding which
// facts open a service order is the job of package serviceorder.
//
// Applications are identified by a stable [AppID]. [Catalog] lists the applications
// the module knows, with their licensing model; [ApplicationByName] resolves a
// console's product name (whatever its spelling) to a catalog entry, or derives a
// stable id for a product the catalog does not know yet.
package kaspersky
