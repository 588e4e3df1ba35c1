package kaspersky

import (
	"fmt"
	"time"
)

// KeyType is the type of a license key.
type KeyType int

// The key types. The numeric values are the module's own; sources translate.
const (
	KeyUnknown KeyType = iota
	KeyCommercial
	KeySubscription
	KeyTrial
	KeyBeta
	KeyTest
	KeyOEM
)

// String names the key type.
func (k KeyType) String() string {
	switch k {
	case KeyUnknown:
		return "unknown"
	case KeyCommercial:
		return "commercial"
	case KeySubscription:
		return "subscription"
	case KeyTrial:
		return "trial"
	case KeyBeta:
		return "beta"
	case KeyTest:
		return "test"
	case KeyOEM:
		return "OEM"
	}
	return fmt.Sprintf("KeyType(%d)", int(k))
}

// LicenseState is the state of a license, as its console reports it. Subscriptions
// always carry one; other keys may report StateUnspecified.
type LicenseState int

// The license states.
const (
	StateUnspecified LicenseState = iota
	StateActive
	StatePaused
	StateSoftCancelled
	StateCancelled
)

// String names the state.
func (s LicenseState) String() string {
	switch s {
	case StateUnspecified:
		return "unspecified"
	case StateActive:
		return "active"
	case StatePaused:
		return "paused"
	case StateSoftCancelled:
		return "soft cancelled"
	case StateCancelled:
		return "cancelled"
	}
	return fmt.Sprintf("LicenseState(%d)", int(s))
}

// License is a license key (KSC) or license (Business Hub) as a set of facts. A
// source reports every license it sees, billable or not.
type License struct {
	// ID is the key's serial number or the license's id.
	ID string
	// Application is the licensed application.
	Application AppID
	// ProductName is the product name as the console reported it.
	ProductName string
	Type        KeyType
	State       LicenseState
	// Expires is when the license stops being valid; zero when the console reports
	// no date.
	Expires time.Time
	// Capacity is the number of devices, users or mailboxes the license allows; 0 when
	// unknown.
	Capacity int
	// ActiveDevices are the ids of the devices that use this license as their active
	// (current) key.
	ActiveDevices []string
	// ReserveDevices are the ids of the devices that hold it as a reserve key.
	ReserveDevices []string
	// Users are the ids of the users assigned the license (per-user licensing).
	Users []string
	// Mailboxes is the number of mailboxes the license covers (per-mailbox licensing);
	// the billed count comes from Office365Status.ProtectedMailboxes.
	Mailboxes int
	// Used is how many devices (users, mailboxes) use the license as its
	// console counts them (KSC: KLLIC_NHOSTS_ASCURRENT; Business Hub: the
	// contract's "used"); 0 when the console does not say.
	Used int
}

// Usage returns how many devices, users or mailboxes use the license: the
// largest of Used, the active devices, the users and the mailboxes. Reserve
// devices do not count. A license with Usage 0 is not in use.
func (l *License) Usage() int {
	return max(l.Used, len(l.ActiveDevices), len(l.Users), l.Mailboxes)
}

// ExpiredAt reports whether the license has expired at now. A license without an
// expiry date never expires.
func (l *License) ExpiredAt(now time.Time) bool {
	return !l.Expires.IsZero() && !now.Before(l.Expires)
}
