// Package tigerpaw is a typed client of the subset of Tigerpaw's REST API that the
// Kaspersky integration needs: accounts, master tables, agreements and their
// additional charges, the price book, and service orders.
//
// Start with [NewClient]:
//
//	c, err := tigerpaw.NewClient("https://tigerpaw.example.com",
//		tigerpaw.WithKeys(publicKey, privateKey))
//	if err != nil { ... }
//	if err := c.ValidateUser(ctx); err != nil { ... }
//	for acct, err := range c.Accounts.Search(ctx, tigerpaw.Search{}) { ... }
//
// Every request is signed with Tigerpaw's TSI scheme (X-TSI-Date and an HMAC-SHA256
// token in the Authorization header). Requests wait on a per-client rate limiter;
// reads, updates, deletes and searches are retried with exponential backoff and
// jitter on transport errors and on HTTP 429/502/503/504 (honouring Retry-After).
// Creates (service orders, additional charges) are retried only when the request
// provably never reached the server; after an ambiguous failure the caller must look
// the object up (for example [ServiceOrdersService.FindByReference]) before creating
// it again.
//
// # Wire conventions
//
// Tigerpaw writes JSON with Json.NET: date-times come without a zone and are read
// as [DateTime] in the server's time zone ([WithTimeZone], UTC by default);
// integers may come as "10.0" and are accepted; money is [Cents], an integer number
// of minor units, converted from the JSON number text exactly and rounded half away
// from zero. A write answered with HTTP 200 and "Success": false is an error.
//
// # Errors
//
// Failures of the server are reported as *[APIError]; test them with errors.Is
// against [ErrUnauthorized], [ErrNotFound] and [ErrLocked] (a service order open in
// the Tigerpaw UI refuses API edits; when the client learnt the lock from the
// order itself the error is a *[LockedError] naming the locking rep). [ErrOutcomeUnknown] marks a failed call that
// may nevertheless have been applied (connection lost after sending, HTTP 5xx):
// look a create up before repeating it.
// An answer that is not a complete answer (a missing or null list, a null
// element, an element without its identity field, fewer or more items than a
// paged read's TotalCount, a body over the caps [MaxResponseBytes],
// [MaxResponseItems], [MaxResponseValues]) is an error matching
// [ErrMalformedResponse]: never an empty list, never [ErrNotFound].
//
// # What is assumed
//
// Tigerpaw's REST reference is not public. The shapes here come from a
// Swagger-generated client of API version 18.2.1 (including the custom field
// definitions: categories with nested fields, created with CategoryName and
// CustomFieldLabel). The following are assumed by this package because 18.2.1
// does not document them: the writes of additional charges (POST, PUT, DELETE
// on /api/agreements/{n}/additionalcharges, answered with DetailId), the exact
// refusal of an update to a locked service order (recognised by a Message
// mentioning a lock, HTTP 409/423, or ServiceOrderLock set on the order), and
// paging details (StartRow is 0-based; a server may serve smaller pages than
// asked and says so in PageSize).
//
// Package tigerpawtest provides an in-process fake Tigerpaw for tests.
package tigerpaw
