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
// and answer {"items":[…],"nextPage":N|null}. Errors are non-2xx answers with
// {"error":{"code","message"}}.
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
// [ErrNotFound]. Lists are iterators (iter.Seq2) that stop with
// [ErrBadResponse] when the server names a page that does not move forward.
//
// The password and tokens appear in no error, log record or formatted value.
package hub
