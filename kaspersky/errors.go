package kaspersky

import "errors"

// ErrUnauthorized is matched (with errors.Is) by every error a Source returns
// because the console refused its credentials: a wrong password, a locked or
// disabled account. Callers stop logging in again for the rest of a cycle
// when they see it, so that one wrong password does not become one failed
// login per tenant (and a locked account).
var ErrUnauthorized = errors.New("kaspersky: the console refused the credentials")

// ErrIncomplete is matched (with errors.Is) by every error a Source returns
// because an answer of the console could not be shown to be complete and
// whole: a page shorter than the count the console announced, a missing or
// null list, an element without its id. Such a read is never taken for an
// empty one: billing would delete charges and the service order engine close
// orders on the strength of it.
var ErrIncomplete = errors.New("kaspersky: the console's answer is incomplete or malformed")
