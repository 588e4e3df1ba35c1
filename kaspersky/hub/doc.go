// Package hub is a typed client of a Kaspersky Business Hub contract, with a
// [Source] that adapts it to kaspersky.Source.
//
// # A contract of this module, not Kaspersky's protocol
//
// Kaspersky publishes no API for Business Hub, Kaspersky Endpoint Security
// Cloud or Kaspersky Security for Microsoft Office 365. This package does not
// speak Kaspersky's own (undocumented) protocol: it speaks a small JSON contract
// that this module defines from Business Hub's public data model (companies,
// devices, licenses, KES Cloud events, Office 365 events and status), and
// package kaspersky/hubtest serves the same contract for tests. To read a real
// Business Hub, put a service that speaks this contract in front of it, or, if
// you have access to the real protocol, implement kaspersky.Source yourself
// and use it instead of [Source]; nothing else in the module depends on this
// package.
//
// The contract: POST /api/v1/login {"email","password"} answers
// {"token","expiresAt"}; every other call is a GET with "Authorization: Bearer
// <token>". Lists are paged with ?page=N&pageSize=M, pages counting from 1,
// and answer {"items":[…],"nextPage":N|null,"total":T}, where total is the
// number of items in the whole list (every page carries it; it is required).
// Errors are non-2xx answers with {"error":{"code","message"}}.
//
// A license (GET /api/v1/companies/{id}/licenses) is {"id","product","type",
// "state","expiresAt","capacity","users","mailboxes","used"}: expiresAt is
// when it stops (absent when never), capacity how many devices, users or
// mailboxes it allows, users the ids of the users assigned it, mailboxes the
// number of protected mailboxes (office365), and used, optional, how many
// devices, users or mailboxes Business Hub counts against it. The service
// order license rules read expiresAt, capacity and the usage (the largest of
// used, the users and the mailboxes). When a company has no Office 365
// status (404), billing counts the mailboxes of its Office 365 licenses: a
// license then must carry mailboxes (0 is a count; absent or
// null is an error wrapping [ErrIncomplete]).
//
// Start with [NewClient]:
//
//	c, err := hub.NewClient("https://hub.example.com",
//		hub.WithCredentials(hub.Credentials{Email: "msp@example.com", Password: pw}))
//	if err != nil { … }
//	src := hub.NewSource(c)
//	tenants, err := src.Tenants(ctx)
//	inv, err := src.Inventory(ctx, tenants[0].ID)
//
// The client verifies the server's certificate (against the system roots or the
// pool of WithRootCAs) unless the caller supplies an *http.Client of their own.
// It logs in on first use, one login at a time, and logs in again before the
// token's expiresAt or once when a call answers 401. Reads are retried on
// transport errors and on 429, 502, 503 and 504, honouring Retry-After, with
// jittered exponential backoff; waits honour the context. Non-2xx answers are
// returned as [*APIError]; errors.Is matches [ErrUnauthorized] and
// [ErrNotFound].
//
// # A list is complete or it is an error
//
// Lists are iterators (iter.Seq2), but a list is read whole and checked
// before its first item is yielded, so that no caller acts on part of one.
// A list whose answers do not prove it complete yields a single error
// wrapping [ErrIncomplete] (which matches [ErrBadResponse] too), naming the
// list, the page or item and the reason: a page that is not a JSON object, a
// missing or null items list or total, a null item or one without its id, a
// device without its status, a license without its product or type, an
// event without its time (absent, null, empty or zero: read as raised in the
// year 1, a read with a since would drop it), an id listed twice, a page holding more items than the page size asked for,
// more items than the total or fewer at the end, an empty page before the
// end, a next page that does not move forward. A total that changes between
// two pages means the list changed while it was read: the list is read again
// from page 1, once; a second change is an error. The Office 365 status must
// carry its three fields; a missing one is an error wrapping ErrBadResponse.
//
// A value outside the contract that decides billing or service orders is an
// error for the company's inventory, wrapping [ErrUnexpectedValue] and naming
// the item, the field and the value: a device status other than "ok",
// "warning" or "critical" (read as OK it would close the device's orders), a
// device platform other than "windows", "macos", "linux", "android" or "ios"
// or a kind other than "workstation", "server" or "mobile" (a Windows device
// of an unknown kind would bill as non-Windows, under another price book
// item; an unknown kind would count a phone as a computer), a license type
// other than "commercial", "trial" or "subscription" (a license that never
// bills), an unknown license state. A device without a platform, or a Windows
// device without a kind, is an error wrapping [ErrIncomplete]; a kind may be
// left out on the other platforms. Other values outside the contract (a
// product, an event severity or type) are mapped tolerantly and logged once
// per value.
//
// # Bounds
//
// A response body is read up to 32 MiB; a longer one is an error. A page is
// decoded one item at a time straight from the body: at most the page size
// asked for (WithPageSize, at most 10000) items, and at most 1 Mi elements of
// the lists nested in them (devices' status descriptions, licenses' users)
// per page, counted before they are decoded. Whatever a body holds, its
// decode therefore allocates at most about four times the body size cap
// (128 MiB; a 30 MB page of empty objects costs a few kilobytes, one of a
// single item with millions of nested elements about 64 MiB), in addition to
// reading the body itself. A list may announce at most 1 Mi items in all; the
// items of a list are held until it has been read whole.
//
// # Credentials and transport
//
// When the server refuses the credentials at login (HTTP 401 or 403), the
// client sends no further login for a hold-off (DefaultAuthHoldOff, five
// minutes; see [WithAuthHoldOff]): every call in that time fails at once with
// an error wrapping ErrUnauthorized that says logins are suspended. Errors
// that wrap ErrUnauthorized also match kaspersky.ErrUnauthorized. A base URL
// of http:// is refused, since the password would travel in clear, unless
// [WithInsecureHTTP] is given.
//
// The password and tokens appear in no error, log record or formatted value.
package hub
