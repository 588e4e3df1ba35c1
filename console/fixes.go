package console

import (
	"context"
	"errors"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

// errorFix is the fix of a cycle's error, in the MSP's words, and the
// console page where it is made ("" when it is made elsewhere).
type errorFix struct {
	Text string
	Link string // a console page, relative
	Fix  string // the link's words
}

// fixes match the errors a cycle reports to their fix, the first match
// winning: the more specific errors come first.
var fixes = []struct {
	kind error
	fix  errorFix
}{
	{mapping.ErrNotCrossReferenced, errorFix{Text: "In Tigerpaw, assign the integration's External Product to this account " +
		"(\"Assign External Products to an Account\" in Tigerpaw's help); the next cycle bills it."}},
	{mapping.ErrNotRecurring, errorFix{Text: "The agreement is no longer recurring: make it recurring again in Tigerpaw, or choose a recurring agreement for the account.",
		Link: "accounts", Fix: "Accounts"}},
	{mapping.ErrAgreementAccount, errorFix{Text: "The agreement no longer belongs to the account: choose one of the account's agreements.",
		Link: "accounts", Fix: "Accounts"}},
	{billing.ErrNoPrice, errorFix{Text: "The price book item has no price at the account's price level: add the price in Tigerpaw's price book, or choose another price level.",
		Link: "accounts", Fix: "Accounts"}},
	{billing.ErrInvalidPrice, errorFix{Text: "The price book item's price at the account's price level is not valid (negative, or listed twice): correct it in Tigerpaw's price book."}},
	{billing.ErrInconsistentCharges, errorFix{Text: "The agreement's additional charges in Tigerpaw contradict each other (edited by hand?): review them on the agreement in Tigerpaw; the next cycle tries again."}},
	{billing.ErrNotFound, errorFix{Text: "An additional charge was deleted in Tigerpaw while the cycle ran; the next cycle recreates what is missing."}},
	{mapping.ErrNotFound, errorFix{Text: "Something the mapping names was deleted in Tigerpaw (a price book item, an agreement or the account): choose another.",
		Link: "pricebook", Fix: "Price book items"}},
	{tigerpaw.ErrNotFound, errorFix{Text: "Something the mapping names was deleted in Tigerpaw (a price book item, an agreement or the account): choose another on the Price book items or Accounts tab.",
		Link: "pricebook", Fix: "Price book items"}},
	{billing.ErrNoInventory, errorFix{Text: "No device inventory could be read for this tenant: check that it still exists in the Kaspersky console and that the integration's user may read it. Its charges are kept as they are."}},
	{kaspersky.ErrUnauthorized, errorFix{Text: "The Kaspersky console refused the integration's credentials: correct the Kaspersky user name and password in the service's configuration, or unlock the account."}},
	{kaspersky.ErrIncomplete, errorFix{Text: "The Kaspersky console's answer was incomplete, or held a value this version does not know, so nothing was changed from it; the next cycle reads it again. If it persists, check the Administration Server or Business Hub, or update the integration."}},
	{kaspersky.ErrInconsistentInventory, errorFix{Text: "The Kaspersky console's inventory contradicted itself, so nothing was changed from it; the next cycle reads it again."}},
	{tigerpaw.ErrUnauthorized, errorFix{Text: "Tigerpaw refused the API user's credentials: correct them in the service's configuration, and check that the API user is active in Tigerpaw."}},
	{billing.ErrUnauthorized, errorFix{Text: "Tigerpaw refused the API user's credentials: correct them in the service's configuration, and check that the API user is active in Tigerpaw."}},
	{tigerpaw.ErrLocked, errorFix{Text: "The service order is open in Tigerpaw, which locks it: close it there; the integration tries again every cycle."}},
	{tigerpaw.ErrOutcomeUnknown, errorFix{Text: "Tigerpaw failed or did not answer in time; the next cycle checks what was done and tries again. If it persists, check that Tigerpaw is up."}},
	{context.DeadlineExceeded, errorFix{Text: "A server did not answer in time; the next cycle tries again. If it persists, check that Tigerpaw and the Kaspersky console are reachable."}},
}

// fixOf is the fix of err; ok is false for an error the console does not
// know.
func fixOf(err error) (errorFix, bool) {
	for _, f := range fixes {
		if errors.Is(err, f.kind) {
			return f.fix, true
		}
	}
	return errorFix{}, false
}
