package kaspersky

import (
	"errors"
	"fmt"
)

// ErrInconsistentInventory is wrapped by the error of CheckInventory: the
// inventory contradicts itself, so one of the reads that made it is likely
// short or malformed.
var ErrInconsistentInventory = errors.New("kaspersky: inconsistent inventory")

// CheckInventory reports whether an inventory is self-consistent enough to act
// on: every device has an id, no device is listed twice, and every device a
// license binds (ActiveDevices, ReserveDevices) is among the devices read.
//
// Billing deletes charges and the service order engine closes orders for what
// is absent from an inventory, so a read that lost devices must not pass as a
// customer who lost them. A console that reports no device while its license
// keys still bind some is the plainest case: the device read came back short.
// The error wraps ErrInconsistentInventory and names the tenant and what is
// inconsistent; nil means the inventory holds together (an empty inventory does).
func CheckInventory(inv *Inventory) error {
	if inv == nil {
		return fmt.Errorf("%w: no inventory", ErrInconsistentInventory)
	}
	ids := make(map[string]bool, len(inv.Devices))
	for i := range inv.Devices {
		id := inv.Devices[i].ID
		switch {
		case id == "":
			return fmt.Errorf("tenant %q: device %d of %d has no id: %w", inv.Tenant.ID, i+1, len(inv.Devices), ErrInconsistentInventory)
		case ids[id]:
			return fmt.Errorf("tenant %q: device %q is listed twice: %w", inv.Tenant.ID, id, ErrInconsistentInventory)
		}
		ids[id] = true
	}
	bound := map[string]bool{}
	var firstMissing, missingLicense string
	missing := 0
	for li := range inv.Licenses {
		l := &inv.Licenses[li]
		for _, list := range [2][]string{l.ActiveDevices, l.ReserveDevices} {
			for _, id := range list {
				if id == "" || bound[id] {
					continue
				}
				bound[id] = true
				if !ids[id] {
					if missing == 0 {
						firstMissing, missingLicense = id, l.ID
					}
					missing++
				}
			}
		}
	}
	switch {
	case missing == 0:
		return nil
	case len(inv.Devices) == 0:
		return fmt.Errorf("tenant %q: the console reported no device while its license keys bind %d devices: %w",
			inv.Tenant.ID, len(bound), ErrInconsistentInventory)
	}
	return fmt.Errorf("tenant %q: license keys bind %d devices that are not among the %d devices read (license %q binds device %q): %w",
		inv.Tenant.ID, missing, len(inv.Devices), missingLicense, firstMissing, ErrInconsistentInventory)
}
