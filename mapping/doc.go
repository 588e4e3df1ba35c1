// Package mapping is the configuration of an integration between a Kaspersky
// console and Tigerpaw, with the rules of Kaspersky's product: which tenants
// (KSC virtual servers or Business Hub companies) the integration holds, the
// one-to-one mapping of tenants to Tigerpaw accounts, the automatic billing
// settings of each account (on/off, recurring agreement, price level), and the
// mapping of Kaspersky applications to Tigerpaw price book items (one item each,
// or three with "bill devices by category").
//
// A program edits a saved configuration through an [Editor], the SDK's form of
// the product's configuration window:
//
//	ed, err := mapping.Open(ctx, store, dir, "main")
//	ed.SetSolution(mapping.SolutionKSC)
//	ed.AddTenant(tenant)
//	ed.MapAccount(tenant.ID, 1052932)
//	err = ed.Save(ctx) // validates everything, persists all or nothing, syncs custom fields
//
// Changes are staged; Save validates and persists; Cancel restores the last
// saved state; ResetToDefaults resets one section. Validation reports every
// problem at once in a *[ValidationError]; each [Problem] names the tenant,
// account or application and the field, and its Kind (ErrNotRecurring,
// ErrTenantTaken, …) works with errors.Is.
//
// The package sees Tigerpaw only through [Directory], implemented over
// tigerpaw.Client in the module's root package. Configurations are kept in a
// [Store] ([MemoryStore], [FileStore], or any implementation that passes
// mappingtest.Run), in a documented, versioned JSON form (see [FormatVersion]).
//
// Billing reads a saved configuration with [Config.BillingAccounts] and
// [PriceBook.Lookup] (the module's root package turns it into billing's input,
// kasperskytigerpaw.BillingInput). How many items an application takes is
// kaspersky.BilledByCategory; item ids compare as billing.SameItem says.
package mapping
