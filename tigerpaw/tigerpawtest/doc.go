// Package tigerpawtest is an in-process fake Tigerpaw REST server (net/http/httptest)
// for tests of code that talks to Tigerpaw, in this module or in a user's own.
//
// Start with [NewServer] in a test, seed it, and use [Server.Client] (or your own
// tigerpaw.NewClient with [Server.URL], [Server.PublicKey] and [Server.PrivateKey]):
//
//	srv := tigerpawtest.NewServer(t)
//	srv.AddAccount(tigerpawtest.Account{Number: 100, Name: "Contoso"})
//	c := srv.Client(t)
//	acct, err := c.Accounts.Get(ctx, 100)
//
// The fake is stateful and strict where a real server would be:
//
//   - It verifies the TSI signature of every request with its own implementation:
//     a wrong key, a signature over another path or method, or an X-TSI-Date more
//     than five minutes from the server's clock is answered 401.
//   - It keeps accounts (types, custom fields, external product cross-references),
//     agreements, additional charges, price book items with prices per level, price
//     levels, reps, service order statuses, dispatch boards, priorities, service
//     order types, custom field definitions and service orders. [Server.Snapshot]
//     returns the state as plain values for cmp.Diff.
//   - A test can lock a service order as if it were open in the Tigerpaw UI
//     ([Server.LockServiceOrder]); updates to it are refused until it is unlocked.
//   - [Server.FailNext] injects faults into the next matching requests: a status,
//     a delay, a dropped connection, optionally after the write was applied, or
//     (Fault.Rewrite) the real answer with its JSON body rewritten, to serve a
//     malformed or inconsistent variant of real data.
//   - [Server.Count] tells how many requests matched a method and path template.
//
// The fake writes JSON like Json.NET does: date-times without a zone, quantities
// and prices as decimals ("5.0", "12.5000"). Route matching is case-insensitive,
// as on IIS. A POST or PUT without Content-Length (a chunked body) is answered 411.
//
// # Assumed behaviour
//
// Tigerpaw's REST reference is not public, so these behaviours are assumptions of
// the fake (see wire-tigerpaw.md of the module's design):
//
//   - Business refusals are HTTP 200 with "Success": false and a Message; unknown
//     objects are 404.
//   - Additional charge writes exist (POST, PUT, DELETE). A charge is refused on a
//     non-recurring agreement (BillingPeriod 0) and with a SpecialItemId that is no
//     price book ItemId; DetailIds are unique server-wide; a PUT changes only the
//     fields it carries.
//   - An update of a locked service order is refused with HTTP 200, Success false
//     and a Message saying the order is locked (WithLockRefusalStatus picks 409 or
//     423 instead).
//   - The reference search matches prefixes, ignoring case; a Reference longer than
//     50 characters is refused.
//   - Paging: StartRow is 0-based; NextRow is the next start row, 0 on the last
//     page; pages hold at most MaxPageSize items and PageSize tells the size used.
//   - Creating a custom field category whose name exists (ignoring case), or a
//     field whose label exists in its category, is refused.
package tigerpawtest
