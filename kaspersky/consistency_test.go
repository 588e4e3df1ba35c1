package kaspersky

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckInventory(t *testing.T) {
	t.Parallel()
	dev := func(ids ...string) []Device {
		var out []Device
		for _, id := range ids {
			out = append(out, Device{ID: id})
		}
		return out
	}
	lic := func(id string, active, reserve []string) License {
		return License{ID: id, ActiveDevices: active, ReserveDevices: reserve}
	}
	tests := []struct {
		name string
		inv  Inventory
		want string // "" for consistent
	}{
		{"empty", Inventory{}, ""},
		{"devices without license", Inventory{Devices: dev("a", "b")}, ""},
		{"bound devices listed", Inventory{Devices: dev("a", "b"), Licenses: []License{lic("K", []string{"a"}, []string{"b"})}}, ""},
		{"a license binding nothing", Inventory{Licenses: []License{lic("K", nil, nil)}}, ""},
		{"no device while keys bind some", Inventory{Licenses: []License{lic("K", []string{"a", "b"}, []string{"c"}), lic("L", []string{"a"}, nil)}},
			"no device while its license keys bind 3 devices"},
		{"a bound device missing", Inventory{Devices: dev("a"), Licenses: []License{lic("K", []string{"a"}, []string{"z"})}},
			`bind 1 devices that are not among the 1 devices read (license "K" binds device "z")`},
		{"a device listed twice", Inventory{Devices: dev("a", "b", "a")}, `device "a" is listed twice`},
		{"a device without id", Inventory{Devices: dev("a", "")}, "device 2 of 2 has no id"},
	}
	for _, tt := range tests {
		tt.inv.Tenant.ID = "vs-9"
		err := CheckInventory(&tt.inv)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want consistent", tt.name, err)
		case tt.want != "" && (!errors.Is(err, ErrInconsistentInventory) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "vs-9")):
			t.Errorf("%s: %v, want ErrInconsistentInventory naming the tenant and %q", tt.name, err, tt.want)
		}
	}
	if err := CheckInventory(nil); !errors.Is(err, ErrInconsistentInventory) {
		t.Errorf("nil inventory: %v", err)
	}
}
