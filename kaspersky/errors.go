package kaspersky

import "errors"

// ErrUnauthorized is matched (with errors.Is) by every error a Source returns
// because the console refused its credentials: a wrong password, a locked or
// disabled account. Callers stop logging in again for the rest of a cycle
// when they see it, so that one wrong password does not become one failed
// login per tenant (and a locked account).
var ErrUnauthorized = errors.New("kaspersky: the console refused the credentials")
