package mapping

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// The kinds of problem a configuration can have. Each [Problem] carries one as
// its Kind, so errors.Is(err, ErrNotRecurring) tells whether a validation error
// has that problem.
var (
	// ErrRequired: a required value is missing.
	ErrRequired = errors.New("required")
	// ErrInvalid: a value is out of its range (negative number, unknown solution,
	// malformed name).
	ErrInvalid = errors.New("invalid value")
	// ErrWrongKind: a tenant's kind does not match the solution (a company in a
	// Kaspersky Security Center integration).
	ErrWrongKind = errors.New("tenant kind does not match the solution")
	// ErrDuplicateTenant: a tenant is listed twice in one integration.
	ErrDuplicateTenant = errors.New("tenant added twice")
	// ErrTenantTaken: a tenant is already in another integration of the store; a
	// tenant can be in one integration only.
	ErrTenantTaken = errors.New("tenant is in another integration")
	// ErrAccountTaken: an account is mapped to more than one tenant; the mapping
	// is one-to-one.
	ErrAccountTaken = errors.New("account is mapped to another tenant")
	// ErrNotMapped: the tenant has no account (billing settings need one).
	ErrNotMapped = errors.New("tenant is not mapped to an account")
	// ErrNotFound: something referenced does not exist (a Tigerpaw account,
	// agreement, price level or price book item; a tenant of the configuration;
	// a saved configuration).
	ErrNotFound = errors.New("not found")
	// ErrAgreementAccount: the agreement chosen for billing is not one of the
	// account's agreements.
	ErrAgreementAccount = errors.New("agreement does not belong to the account")
	// ErrNotRecurring: the agreement chosen for billing is not recurring.
	ErrNotRecurring = errors.New("agreement is not recurring")
	// ErrNotCrossReferenced: an account with billing on is not cross-referenced
	// to the integration's External Product.
	ErrNotCrossReferenced = errors.New("account is not cross-referenced to the external product")
	// ErrUnknownApplication: the price book maps an application id that is
	// neither in kaspersky.Catalog nor derived for an unknown product ("x-…").
	ErrUnknownApplication = errors.New("unknown application")
	// ErrDuplicateApplication: the price book maps an application twice.
	ErrDuplicateApplication = errors.New("application mapped twice")
	// ErrSingleItemOnly: a per-user or per-mailbox application is mapped to
	// category items; such applications map to a single item only.
	ErrSingleItemOnly = errors.New("application is billed per user or per mailbox and maps to a single item")
	// ErrItemCount: a per-device application has one item while "bill devices by
	// category" is on (three are needed), or three while it is off (one is
	// needed).
	ErrItemCount = errors.New("wrong number of price book items for the billing mode")
)

// Problem is one broken rule of a configuration.
type Problem struct {
	// Kind is the rule that is broken: one of the Err… values of this package.
	Kind error
	// Field is the path of the offending value in the configuration's JSON form,
	// with tenants and applications named by id, e.g.
	// tenants[vs-1].account.billing.agreement or priceBook.apps[ksos].servers.
	Field string
	// Tenant is the id of the tenant concerned, if any.
	Tenant string
	// Account is the Tigerpaw account number concerned, if any.
	Account int
	// App is the application concerned, if any.
	App kaspersky.AppID
	// Integration names the other integration, for problems across integrations.
	Integration string
	// Reason says in words what is wrong.
	Reason string
}

// Error returns the field and the reason.
func (p Problem) Error() string {
	if p.Field == "" {
		return p.Reason
	}
	return p.Field + ": " + p.Reason
}

// Unwrap returns the kind, for errors.Is.
func (p Problem) Unwrap() error { return p.Kind }

// ValidationError is a configuration that breaks rules: it lists every problem
// found, not just the first. Use errors.As to get it, errors.Is with a kind
// (ErrNotRecurring, …) to test for one problem.
type ValidationError struct {
	// Integration is the name of the configuration.
	Integration string
	// Problems are in the order of the configuration: integration settings,
	// tenants, price book; then what Tigerpaw data revealed.
	Problems []Problem
}

// Error lists the problems.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mapping: configuration %q is invalid: ", e.Integration)
	if len(e.Problems) == 1 {
		b.WriteString("1 problem: ")
	} else {
		fmt.Fprintf(&b, "%d problems: ", len(e.Problems))
	}
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns the problems, so that errors.Is finds their kinds.
func (e *ValidationError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// Has reports whether a problem of the given kind concerns field.
func (e *ValidationError) Has(kind error, field string) bool {
	for _, p := range e.Problems {
		if errors.Is(p.Kind, kind) && p.Field == field {
			return true
		}
	}
	return false
}

// problems accumulates the problems of one configuration.
type problems struct {
	name string
	list []Problem
}

func (ps *problems) add(p Problem) { ps.list = append(ps.list, p) }

// err returns the accumulated problems as a *ValidationError, or nil.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	return &ValidationError{Integration: ps.name, Problems: ps.list}
}

// tenantField returns the path of a field of tenant id.
func tenantField(id, field string) string {
	if field == "" {
		return "tenants[" + id + "]"
	}
	return "tenants[" + id + "]." + field
}

// appField returns the path of a field of the price book mapping of app.
func appField(app kaspersky.AppID, field string) string {
	if field == "" {
		return "priceBook.apps[" + string(app) + "]"
	}
	return "priceBook.apps[" + string(app) + "]." + field
}
