package kaspersky

import (
	"fmt"
	"time"
)

// Category is the billing category of a device.
type Category int

// The device categories. The zero value is not a category: sources always set one.
const (
	WindowsWorkstation Category = iota + 1
	WindowsServer
	NonWindows
)

// Categories lists the categories in their display order.
var Categories = [...]Category{WindowsWorkstation, WindowsServer, NonWindows}

// String returns the category as the product's window names it.
func (c Category) String() string {
	switch c {
	case WindowsWorkstation:
		return "Windows workstations"
	case WindowsServer:
		return "Windows servers"
	case NonWindows:
		return "Non-Windows devices"
	}
	return fmt.Sprintf("Category(%d)", int(c))
}

// Valid reports whether c is one of the three categories.
func (c Category) Valid() bool { return c >= WindowsWorkstation && c <= NonWindows }

// StatusLevel is a device's overall status in its console.
type StatusLevel int

// The status levels.
const (
	StatusOK StatusLevel = iota
	StatusWarning
	StatusCritical
)

// String returns the level as the consoles name it.
func (l StatusLevel) String() string {
	switch l {
	case StatusOK:
		return "OK"
	case StatusWarning:
		return "Warning"
	case StatusCritical:
		return "Critical"
	}
	return fmt.Sprintf("StatusLevel(%d)", int(l))
}

// Device is one managed device of a tenant.
type Device struct {
	// ID is the console's stable id of the device (KSC: KLHST_WKS_HOSTNAME).
	ID       string
	TenantID string
	Name     string
	Category Category
	// Mobile marks a phone or tablet; per-user licensing counts them apart.
	Mobile bool
	// UserID is the user the device is assigned to, for per-user licensing; empty
	// when the console has no such notion.
	UserID string
	Status StatusLevel
	// Descriptions are the status descriptions that currently hold for the device,
	// whatever its level. Each Code appears at most once.
	Descriptions []StatusDescription
	// LastSeen is when the device last connected; zero when unknown.
	LastSeen time.Time
}

// HasDescription reports whether the description with the given code currently
// holds for the device.
func (d *Device) HasDescription(code StatusCode) bool {
	for _, s := range d.Descriptions {
		if s.Code == code {
			return true
		}
	}
	return false
}
