package kaspersky

import (
	"context"
	"fmt"
	"time"
)

// TenantKind tells which console a tenant comes from.
type TenantKind int

// The kinds of tenant.
const (
	// KindVirtualServer is a Kaspersky Security Center virtual server.
	KindVirtualServer TenantKind = iota + 1
	// KindCompany is a Kaspersky Business Hub company.
	KindCompany
)

// String returns the console's name for the kind.
func (k TenantKind) String() string {
	switch k {
	case KindVirtualServer:
		return "virtual server"
	case KindCompany:
		return "company"
	}
	return fmt.Sprintf("TenantKind(%d)", int(k))
}

// Tenant is one customer in a Kaspersky console: a KSC virtual server or a Business
// Hub company. Its ID is stable for the life of the tenant in its console.
type Tenant struct {
	ID   string
	Name string
	Kind TenantKind
}

// Inventory is what a console reports about one tenant at one moment: its devices,
// its licenses and, for Business Hub, the state of Kaspersky Security for Microsoft
// Office 365.
type Inventory struct {
	Tenant   Tenant
	Devices  []Device
	Licenses []License
	// Office365 is nil when the tenant has no Office 365 protection to report.
	Office365 *Office365Status
	// ReadAt is when the source read the inventory.
	ReadAt time.Time
}

// Office365Status is the state of Kaspersky Security for Microsoft Office 365 for a
// tenant.
type Office365Status struct {
	// MailboxesProtected is false while the "mailboxes protection is not provided"
	// condition holds.
	MailboxesProtected bool
	// LicenseOK is false while the "license-related issue occurred" condition holds.
	LicenseOK bool
	// ProtectedMailboxes is the number of protected mailboxes, the billed quantity of
	// a per-mailbox application.
	ProtectedMailboxes int
}

// Source is the read side of a Kaspersky console. Implementations must be safe for
// concurrent use and honour ctx.
type Source interface {
	// Tenants lists the tenants the console manages.
	Tenants(ctx context.Context) ([]Tenant, error)
	// Inventory reads the devices, licenses and Office 365 state of one tenant.
	Inventory(ctx context.Context, tenantID string) (Inventory, error)
	// Events returns the tenant's events raised at or after since, oldest first.
	// An event may be returned again by a later call; its ID identifies it.
	Events(ctx context.Context, tenantID string, since time.Time) ([]Event, error)
}
