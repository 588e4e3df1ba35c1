package ksc

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// Source reads KSC virtual servers as kaspersky tenants. It implements
// kaspersky.Source and is safe for concurrent use.
type Source struct {
	c *Client

	mu      sync.Mutex
	tenants map[string]VirtualServer // by tenant id
	// unreadable holds, by tenant id, why a listed virtual server's
	// inventory cannot be trusted (no managed group, listed twice as two
	// different virtual servers).
	unreadable map[string]error
}

var _ kaspersky.Source = (*Source)(nil)

// NewSource returns a Source reading through c, whose own virtual server (usually
// the main server) lists the tenants.
func NewSource(c *Client) *Source {
	return &Source{c: c, tenants: map[string]VirtualServer{}, unreadable: map[string]error{}}
}

// tenantID is the stable id of a virtual server: its unique name, or its
// numeric id when the server sent no unique name.
func tenantID(vs VirtualServer) string {
	if vs.UID != "" {
		return vs.UID
	}
	return "vs-" + strconv.FormatInt(vs.ID, 10)
}

// Tenants lists the enabled virtual servers as tenants of kind
// KindVirtualServer, in the server's order. Disabled virtual servers manage no
// devices and are left out; reading one fails with ErrTenantDisabled. A
// virtual server without its managed devices group (KLVSRV_GROUPS), or whose
// id is listed twice as two different virtual servers, is listed, but reading
// it fails with an error wrapping ErrIncomplete rather than reading another
// group's devices (or none).
func (s *Source) Tenants(ctx context.Context) ([]kaspersky.Tenant, error) {
	list, err := s.c.VirtualServers(ctx)
	if err != nil {
		return nil, err
	}
	const method = "VServers.GetVServers"
	m := make(map[string]VirtualServer, len(list))
	bad := map[string]error{}
	out := make([]kaspersky.Tenant, 0, len(list))
	for _, vs := range list {
		id := tenantID(vs)
		if first, dup := m[id]; dup {
			if first != vs && bad[id] == nil {
				bad[id] = incomplete(method, "virtual server %q is listed twice, as %q (group %d) and %q (group %d)",
					id, first.DisplayName, first.ManagedGroupID, vs.DisplayName, vs.ManagedGroupID)
			}
			continue
		}
		m[id] = vs
		if !vs.HasManagedGroup {
			bad[id] = incomplete(method, "virtual server %q (%s) has no KLVSRV_GROUPS: its managed devices group is unknown", id, vs.DisplayName)
		}
		if !vs.Enabled {
			continue
		}
		out = append(out, kaspersky.Tenant{ID: id, Name: vs.DisplayName, Kind: kaspersky.KindVirtualServer})
	}
	s.mu.Lock()
	s.tenants, s.unreadable = m, bad
	s.mu.Unlock()
	return out, nil
}

// vserver resolves a tenant id, listing the virtual servers again when it is not
// known yet.
func (s *Source) vserver(ctx context.Context, id string) (VirtualServer, error) {
	s.mu.Lock()
	vs, ok := s.tenants[id]
	bad := s.unreadable[id]
	s.mu.Unlock()
	if ok && vs.Enabled && bad == nil {
		return vs, nil
	}
	if _, err := s.Tenants(ctx); err != nil {
		return VirtualServer{}, err
	}
	s.mu.Lock()
	vs, ok = s.tenants[id]
	bad = s.unreadable[id]
	s.mu.Unlock()
	if bad != nil {
		return VirtualServer{}, bad
	}
	if !ok {
		return VirtualServer{}, fmt.Errorf("%w: %q", ErrUnknownTenant, id)
	}
	if !vs.Enabled {
		return VirtualServer{}, fmt.Errorf("%w: %q (%s)", ErrTenantDisabled, id, vs.DisplayName)
	}
	return vs, nil
}

// Inventory reads the devices and license keys of one virtual server. Each
// device carries its category, level and the status descriptions of its
// status mask; each key becomes a License with the devices using it as active
// or reserve key.
func (s *Source) Inventory(ctx context.Context, tenant string) (kaspersky.Inventory, error) {
	vs, err := s.vserver(ctx, tenant)
	if err != nil {
		return kaspersky.Inventory{}, err
	}
	c := s.c.ForVirtualServer(vs.DisplayName)
	inv := kaspersky.Inventory{
		Tenant: kaspersky.Tenant{ID: tenant, Name: vs.DisplayName, Kind: kaspersky.KindVirtualServer},
		ReadAt: s.c.core.now().UTC(),
	}
	hosts, err := c.Hosts(ctx, HostQuery{Filter: Eq("KLHST_WKS_GROUPID_GP", vs.ManagedGroupID)})
	if err != nil {
		return kaspersky.Inventory{}, fmt.Errorf("ksc: inventory of %q: hosts: %w", tenant, err)
	}
	inv.Devices = make([]kaspersky.Device, 0, len(hosts))
	for _, h := range hosts {
		inv.Devices = append(inv.Devices, DeviceOf(tenant, h, s.c.core.log))
	}
	keys, err := c.Keys(ctx)
	if err != nil {
		return kaspersky.Inventory{}, fmt.Errorf("ksc: inventory of %q: license keys: %w", tenant, err)
	}
	for _, k := range keys {
		kh, err := c.KeyHostList(ctx, k.Serial)
		if err != nil {
			return kaspersky.Inventory{}, fmt.Errorf("ksc: inventory of %q: hosts of key %s: %w", tenant, k.Serial, err)
		}
		inv.Licenses = append(inv.Licenses, LicenseOf(k, kh))
	}
	return inv, nil
}

// Events returns the tenant's events raised from since up to now, oldest first,
// with event_db_id as the id.
func (s *Source) Events(ctx context.Context, tenant string, since time.Time) ([]kaspersky.Event, error) {
	vs, err := s.vserver(ctx, tenant)
	if err != nil {
		return nil, err
	}
	now := s.c.core.now()
	if !since.IsZero() && since.After(now) {
		return nil, nil
	}
	evs, err := s.c.ForVirtualServer(vs.DisplayName).EventList(ctx, EventQuery{From: since, To: now})
	if err != nil {
		return nil, fmt.Errorf("ksc: events of %q: %w", tenant, err)
	}
	out := make([]kaspersky.Event, 0, len(evs))
	for _, e := range evs {
		out = append(out, EventOf(tenant, e))
	}
	return out, nil
}

// CategoryOf returns the device category of a host: Windows server when CTYPE
// has the Windows Server bit, Windows workstation when it has the Windows or NT
// bit, else non-Windows. Without a CTYPE the OS name decides.
func CategoryOf(h Host) kaspersky.Category {
	if h.HasCType {
		switch {
		case h.CType&CTypeWindowsServer != 0:
			return kaspersky.WindowsServer
		case h.CType&(CTypeWindows|CTypeNT) != 0:
			return kaspersky.WindowsWorkstation
		}
		return kaspersky.NonWindows
	}
	os := strings.ToLower(h.OSName)
	switch {
	case strings.Contains(os, "windows") && strings.Contains(os, "server"):
		return kaspersky.WindowsServer
	case strings.Contains(os, "windows"):
		return kaspersky.WindowsWorkstation
	}
	return kaspersky.NonWindows
}

// LevelOf translates KLHST_WKS_STATUS_ID. An absent or unknown status id reads
// as Warning when some status description holds, else OK.
func LevelOf(h Host) kaspersky.StatusLevel {
	if h.HasStatusID {
		switch h.StatusID {
		case HostOK:
			return kaspersky.StatusOK
		case HostCritical:
			return kaspersky.StatusCritical
		case HostWarning:
			return kaspersky.StatusWarning
		}
	}
	if h.StatusMask&(1<<len(kaspersky.KnownStatuses)-1) != 0 {
		return kaspersky.StatusWarning
	}
	return kaspersky.StatusOK
}

// DescriptionsOf returns the status descriptions of the bits set in a status
// mask, in bit order. Bits beyond the known ones are ignored.
func DescriptionsOf(mask uint64) []kaspersky.StatusDescription {
	var out []kaspersky.StatusDescription
	for i, d := range kaspersky.KnownStatuses {
		if mask&(1<<uint(i)) != 0 {
			out = append(out, d)
		}
	}
	return out
}

// DeviceOf translates a host of a tenant into a device.
func DeviceOf(tenant string, h Host, log *slog.Logger) kaspersky.Device {
	if log != nil && h.StatusMask>>len(kaspersky.KnownStatuses) != 0 {
		log.Debug("ksc host has unknown status bits", slog.String("host", h.ID), slog.Uint64("mask", h.StatusMask))
	}
	name := h.DisplayName
	if name == "" {
		name = h.ID
	}
	return kaspersky.Device{
		ID: h.ID, TenantID: tenant, Name: name, Category: CategoryOf(h),
		Status: LevelOf(h), Descriptions: DescriptionsOf(h.StatusMask), LastSeen: h.LastVisible,
	}
}

// KeyTypeOf translates KLLIC_KEY_TYPE.
func KeyTypeOf(t KeyType) kaspersky.KeyType {
	switch t {
	case KeyTypeCommercial:
		return kaspersky.KeyCommercial
	case KeyTypeBeta:
		return kaspersky.KeyBeta
	case KeyTypeTrial:
		return kaspersky.KeyTrial
	case KeyTypeTest:
		return kaspersky.KeyTest
	case KeyTypeOEM:
		return kaspersky.KeyOEM
	case KeyTypeSubscription:
		return kaspersky.KeySubscription
	}
	return kaspersky.KeyUnknown
}

// StateOf translates the subscription state of a key; keys without one are
// StateUnspecified.
func StateOf(k Key) kaspersky.LicenseState {
	if !k.HasSubscriptionState {
		return kaspersky.StateUnspecified
	}
	switch k.SubscriptionState {
	case SubscriptionActive:
		return kaspersky.StateActive
	case SubscriptionPaused:
		return kaspersky.StatePaused
	case SubscriptionSoftCancelled:
		return kaspersky.StateSoftCancelled
	case SubscriptionHardCancelled:
		return kaspersky.StateCancelled
	}
	return kaspersky.StateUnspecified
}

// LicenseOf translates a key and the hosts using it into a license fact. Device
// ids are sorted; a host listed as both active and reserve counts as active.
func LicenseOf(k Key, hosts []KeyHost) kaspersky.License {
	app, _ := kaspersky.ApplicationByName(k.ProductName)
	exp := k.LimitDate
	if exp.IsZero() {
		exp = k.SubscriptionEnd
	}
	typ := KeyTypeOf(k.Type)
	if typ == kaspersky.KeyUnknown && k.IsSubscription {
		typ = kaspersky.KeySubscription
	}
	l := kaspersky.License{
		ID: k.Serial, Application: app.ID, ProductName: k.ProductName, Type: typ,
		State: StateOf(k), Expires: exp, Capacity: int(max(k.Count, 0)), Used: int(max(k.HostsAsCurrent, 0)),
	}
	active := map[string]bool{}
	for _, h := range hosts {
		if h.HostID == "" {
			continue
		}
		active[h.HostID] = active[h.HostID] || h.Current
	}
	for id, cur := range active {
		if cur {
			l.ActiveDevices = append(l.ActiveDevices, id)
		} else {
			l.ReserveDevices = append(l.ReserveDevices, id)
		}
	}
	slices.Sort(l.ActiveDevices)
	slices.Sort(l.ReserveDevices)
	return l
}

// SeverityOf translates GNRL_EA_SEVERITY; unknown values are SeverityNone.
func SeverityOf(s EventSeverity) kaspersky.Severity {
	switch s {
	case SeverityInfo:
		return kaspersky.SeverityInfo
	case SeverityWarning:
		return kaspersky.SeverityWarning
	case SeverityError:
		return kaspersky.SeverityFunctionalFailure
	case SeverityCritical:
		return kaspersky.SeverityCritical
	}
	return kaspersky.SeverityNone
}

// EventOf translates an event of a tenant.
func EventOf(tenant string, e Event) kaspersky.Event {
	return kaspersky.Event{
		ID: strconv.FormatInt(e.ID, 10), TenantID: tenant, DeviceID: e.HostID, DeviceName: e.HostName,
		Origin: kaspersky.OriginKSC, Severity: SeverityOf(e.Severity), Type: e.Type, TypeName: e.TypeName,
		Time: e.Time, Text: e.Description,
	}
}
