package hub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// Source reads Business Hub companies as kaspersky tenants. It implements
// kaspersky.Source and is safe for concurrent use.
type Source struct {
	c *Client

	mu    sync.Mutex
	names map[string]string // company id → name
}

var _ kaspersky.Source = (*Source)(nil)

// NewSource returns a Source reading through c.
func NewSource(c *Client) *Source {
	return &Source{c: c, names: map[string]string{}}
}

// Tenants lists the companies as tenants of kind KindCompany, in the server's
// order. A company list that is not provably complete (a company without an
// id, an id listed twice, fewer companies than announced, …) is an error
// wrapping ErrIncomplete.
func (s *Source) Tenants(ctx context.Context) ([]kaspersky.Tenant, error) {
	names := map[string]string{}
	var out []kaspersky.Tenant
	for co, err := range s.c.Companies(ctx) {
		if err != nil {
			return nil, fmt.Errorf("hub: companies: %w", err)
		}
		names[co.ID] = co.Name
		out = append(out, kaspersky.Tenant{ID: co.ID, Name: co.Name, Kind: kaspersky.KindCompany})
	}
	s.mu.Lock()
	s.names = names
	s.mu.Unlock()
	return out, nil
}

// tenant resolves a company id, listing the companies again when it is not
// known yet.
func (s *Source) tenant(ctx context.Context, id string) (kaspersky.Tenant, error) {
	s.mu.Lock()
	name, ok := s.names[id]
	s.mu.Unlock()
	if !ok {
		if _, err := s.Tenants(ctx); err != nil {
			return kaspersky.Tenant{}, err
		}
		s.mu.Lock()
		name, ok = s.names[id]
		s.mu.Unlock()
		if !ok {
			return kaspersky.Tenant{}, fmt.Errorf("hub: company %q: %w", id, ErrNotFound)
		}
	}
	return kaspersky.Tenant{ID: id, Name: name, Kind: kaspersky.KindCompany}, nil
}

// Inventory reads the devices, licenses and Office 365 state of one company.
// Office365 is nil when the company has no Office 365 protection (the status
// answers 404); billing then counts the mailboxes of the per-mailbox
// licenses, so such a license without its mailboxes (absent or null) fails
// the inventory with ErrIncomplete. A device
// status, platform or kind, a license type or a license state outside the
// contract fails the inventory with ErrUnexpectedValue, naming the item, the
// field and the value: read tolerantly, a status would read as OK and close
// the device's orders, a platform or kind would bill the device under another
// category (or count it as a computer rather than a phone), a type would read
// as a license that never bills. A device without a platform, or a Windows
// device without a kind, fails it with ErrIncomplete. A product outside the
// contract is mapped tolerantly and logged once per value.
func (s *Source) Inventory(ctx context.Context, tenantID string) (kaspersky.Inventory, error) {
	t, err := s.tenant(ctx, tenantID)
	if err != nil {
		return kaspersky.Inventory{}, err
	}
	inv := kaspersky.Inventory{Tenant: t, ReadAt: s.c.now().UTC()}
	devices, err := Collect(s.c.Devices(ctx, tenantID))
	if err != nil {
		return kaspersky.Inventory{}, fmt.Errorf("hub: inventory of %q: devices: %w", tenantID, err)
	}
	u := s.unknowns(tenantID)
	inv.Devices = make([]kaspersky.Device, 0, len(devices))
	for _, d := range devices {
		if err := checkCategory(d); err != nil {
			return kaspersky.Inventory{}, fmt.Errorf("hub: inventory of %q: %w", tenantID, err)
		}
		if err := checkStatus(d); err != nil {
			return kaspersky.Inventory{}, fmt.Errorf("hub: inventory of %q: %w", tenantID, err)
		}
		inv.Devices = append(inv.Devices, DeviceOf(tenantID, d))
	}
	licenses, err := Collect(s.c.Licenses(ctx, tenantID))
	if err != nil {
		return kaspersky.Inventory{}, fmt.Errorf("hub: inventory of %q: licenses: %w", tenantID, err)
	}
	for _, l := range licenses {
		u.check("license product", l.Product, "kes-cloud", "kes-cloud-plus", "kes-cloud-pro", "office365")
		kl, err := LicenseOf(l, devices)
		if err != nil {
			return kaspersky.Inventory{}, fmt.Errorf("hub: inventory of %q: %w", tenantID, err)
		}
		inv.Licenses = append(inv.Licenses, kl)
	}
	st, err := s.c.Office365Status(ctx, tenantID)
	switch {
	case errors.Is(err, ErrNotFound):
		// Without a status, billing counts the licenses' mailboxes: one
		// that does not say how many would bill none.
		for i, l := range licenses {
			if err := checkMailboxes(l, &inv.Licenses[i]); err != nil {
				return kaspersky.Inventory{}, fmt.Errorf("hub: inventory of %q: %w", tenantID, err)
			}
		}
	case err != nil:
		return kaspersky.Inventory{}, fmt.Errorf("hub: inventory of %q: Office 365 status: %w", tenantID, err)
	default:
		inv.Office365 = &kaspersky.Office365Status{
			MailboxesProtected: st.MailboxesProtected,
			LicenseOK:          st.LicenseOK,
			ProtectedMailboxes: st.ProtectedMailboxes,
		}
	}
	return inv, nil
}

// Events returns the company's KES Cloud and Office 365 events raised at or
// after since, merged and sorted by time (then id). Ids carry a prefix per
// stream ("kes:", "o365:") so that they are unique in the Source. Events do not
// carry device names: the contract's events hold the device id only.
func (s *Source) Events(ctx context.Context, tenantID string, since time.Time) ([]kaspersky.Event, error) {
	u := s.unknowns(tenantID)
	var out []kaspersky.Event
	for e, err := range s.c.Events(ctx, tenantID, since) {
		if err != nil {
			return nil, fmt.Errorf("hub: events of %q: %w", tenantID, err)
		}
		u.check("event severity", e.Severity, "info", "warning", "functional-failure", "critical")
		out = append(out, EventOf(tenantID, e))
	}
	for e, err := range s.c.Office365Events(ctx, tenantID, since) {
		if err != nil {
			return nil, fmt.Errorf("hub: Office 365 events of %q: %w", tenantID, err)
		}
		u.check("Office 365 event type", e.Type, "exchange-connection", "mailboxes-not-protected",
			"license-issue", "malware", "phishing", "attachment-filtered")
		out = append(out, Office365EventOf(tenantID, e))
	}
	if !since.IsZero() {
		out = slices.DeleteFunc(out, func(e kaspersky.Event) bool { return e.Time.Before(since) })
	}
	s.nameDevices(ctx, tenantID, out)
	slices.SortStableFunc(out, func(a, b kaspersky.Event) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// nameDevices fills in the device names of events, which the contract's events
// carry only as ids, so that a service order names the device as the console
// shows it. The names cost one device listing, and only when an event names a
// device; when it fails the events keep their ids alone.
func (s *Source) nameDevices(ctx context.Context, tenantID string, events []kaspersky.Event) {
	if !slices.ContainsFunc(events, func(e kaspersky.Event) bool { return e.DeviceID != "" && e.DeviceName == "" }) {
		return
	}
	names := map[string]string{}
	for d, err := range s.c.Devices(ctx, tenantID) {
		if err != nil {
			s.c.log.DebugContext(ctx, "hub: device names for events not read", slog.String("company", tenantID), slog.Any("error", err))
			return
		}
		names[d.ID] = d.Name
	}
	for i := range events {
		if events[i].DeviceName == "" {
			events[i].DeviceName = names[events[i].DeviceID]
		}
	}
}

// unknownValues logs, once per field and value, the values outside the
// contract that a read mapped tolerantly.
type unknownValues struct {
	log    *slog.Logger
	tenant string
	seen   map[string]bool
}

func (s *Source) unknowns(tenant string) *unknownValues {
	return &unknownValues{log: s.c.log, tenant: tenant, seen: map[string]bool{}}
}

func (u *unknownValues) check(field, value string, known ...string) {
	w := word(value)
	if slices.Contains(known, w) || u.seen[field+"\x00"+w] {
		return
	}
	u.seen[field+"\x00"+w] = true
	u.log.Warn("hub value outside the contract; mapped tolerantly", slog.String("company", u.tenant),
		slog.String("field", field), slog.String("value", capText(value)))
}

// word folds an enumeration value for comparison: trimmed, lower case, with
// "_" and spaces read as "-".
func word(s string) string {
	return wordReplacer.Replace(strings.ToLower(strings.TrimSpace(s)))
}

var wordReplacer = strings.NewReplacer("_", "-", " ", "-")

// CategoryOf returns the billing category of a device: a Windows workstation
// or server by platform "windows" and kind "workstation" or "server"; any other
// combination, unknown values included, is non-Windows. Source.Inventory does
// not get that far with values outside the contract: checkCategory refuses
// them.
func CategoryOf(d Device) kaspersky.Category {
	if word(d.Platform) == "windows" {
		switch word(d.Kind) {
		case "workstation":
			return kaspersky.WindowsWorkstation
		case "server":
			return kaspersky.WindowsServer
		}
	}
	return kaspersky.NonWindows
}

// IsMobile reports whether a device is a phone or tablet: kind "mobile", or no
// kind on an "android" or "ios" platform.
func IsMobile(d Device) bool {
	switch word(d.Kind) {
	case "mobile":
		return true
	case "":
		p := word(d.Platform)
		return p == "android" || p == "ios"
	}
	return false
}

// checkCategory refuses a device whose billing category or mobility cannot be
// told from values of the contract. Read tolerantly, an unknown platform or a
// Windows device of an unknown kind would bill as non-Windows, under another
// price book item than its own, and an unknown kind on another platform would
// count a phone as a computer in per-user licensing. The platform is one of
// "windows", "macos", "linux", "android" and "ios"; the kind is one of
// "workstation", "server" and "mobile", or absent on a platform other than
// Windows (a phone or tablet on "android" or "ios", a computer on the others,
// as IsMobile reads it). A value outside these wraps ErrUnexpectedValue; a
// missing platform, or a missing kind on Windows, wraps ErrIncomplete. The
// error names the device, the field and the value.
func checkCategory(d Device) error {
	platform := word(d.Platform)
	switch platform {
	case "windows", "macos", "linux", "android", "ios":
	case "":
		return fmt.Errorf("device %q: %w: platform is missing, null or empty: its billing category is unknown", d.ID, ErrIncomplete)
	default:
		return fmt.Errorf("device %q: %w: platform %q is not windows, macos, linux, android or ios", d.ID, ErrUnexpectedValue, capText(d.Platform))
	}
	switch word(d.Kind) {
	case "workstation", "server", "mobile":
	case "":
		if platform == "windows" {
			return fmt.Errorf("device %q: %w: kind is missing, null or empty on a Windows device: whether it bills as a workstation or a server is unknown", d.ID, ErrIncomplete)
		}
	default:
		return fmt.Errorf("device %q: %w: kind %q is not workstation, server or mobile", d.ID, ErrUnexpectedValue, capText(d.Kind))
	}
	return nil
}

// levelOf translates a status of the contract: "ok", "warning" or
// "critical"; ok is false for any other.
func levelOf(status string) (kaspersky.StatusLevel, bool) {
	switch word(status) {
	case "ok":
		return kaspersky.StatusOK, true
	case "warning":
		return kaspersky.StatusWarning, true
	case "critical":
		return kaspersky.StatusCritical, true
	}
	return kaspersky.StatusOK, false
}

// checkStatus refuses a device whose status is outside the contract: read as
// OK, it would close the device's orders. The error wraps ErrUnexpectedValue
// and names the device, the field and the value.
func checkStatus(d Device) error {
	if _, ok := levelOf(d.Status); !ok {
		return fmt.Errorf("device %q: %w: status %q is not ok, warning or critical", d.ID, ErrUnexpectedValue, capText(d.Status))
	}
	return nil
}

// LevelOf translates a device status. A status outside the contract reads as
// Warning when a status description holds, else OK (as package ksc does for
// an unknown status id); Source.Inventory does not get that far, it refuses
// such a device.
func LevelOf(d Device) kaspersky.StatusLevel {
	if level, ok := levelOf(d.Status); ok {
		return level
	}
	if len(d.StatusDescriptions) > 0 {
		return kaspersky.StatusWarning
	}
	return kaspersky.StatusOK
}

// statusAliases maps the contract's status description codes that differ from
// package kaspersky's codes onto them. Codes equal to a kaspersky code map to
// it directly.
var statusAliases = map[string]kaspersky.StatusCode{
	"real-time-protection-disabled":        kaspersky.StatusRTPNotRunning,
	"rtp-disabled":                         kaspersky.StatusRTPNotRunning,
	"security-application-not-installed":   kaspersky.StatusAppNotInstalled,
	"security-app-not-installed":           kaspersky.StatusAppNotInstalled,
	"security-application-not-running":     kaspersky.StatusAppNotRunning,
	"security-app-not-running":             kaspersky.StatusAppNotRunning,
	"databases-out-of-date":                kaspersky.StatusDatabasesOutdated,
	"bases-outdated":                       kaspersky.StatusDatabasesOutdated,
	"no-connection":                        kaspersky.StatusNotConnected,
	"not-connected-for-a-long-time":        kaspersky.StatusNotConnected,
	"invalid-encryption-status":            kaspersky.StatusInvalidEncryption,
	"encryption-invalid":                   kaspersky.StatusInvalidEncryption,
	"status-defined-by-application":        kaspersky.StatusDefinedByApp,
	"defined-by-application":               kaspersky.StatusDefinedByApp,
	"device-status-defined-by-app":         kaspersky.StatusDefinedByApp,
	"device-status-defined-by-application": kaspersky.StatusDefinedByApp,
}

// DescriptionsOf translates a device's status descriptions. A code whose
// meaning package kaspersky knows (e.g. "databases-outdated",
// "real-time-protection-disabled") becomes that StatusCode with kaspersky's
// wording; any other code is kept as its own StatusCode (folded to lower case
// and hyphens) with the text the server gave. A description without a code
// gets one derived from its text; one without either is dropped. Each code
// appears once, at its first place.
func DescriptionsOf(d Device) []kaspersky.StatusDescription {
	var out []kaspersky.StatusDescription
	for _, sd := range d.StatusDescriptions {
		code := word(sd.Code)
		text := strings.TrimSpace(sd.Text)
		if code == "" {
			code = strings.ReplaceAll(kaspersky.NormalizeName(text), " ", "-")
		}
		if code == "" {
			continue
		}
		desc := kaspersky.StatusDescription{Code: kaspersky.StatusCode(code), Text: text}
		if alias, ok := statusAliases[code]; ok {
			desc.Code = alias
		}
		if known, ok := kaspersky.LookupStatus(desc.Code); ok {
			desc = known
		} else if desc.Text == "" {
			desc.Text = code
		}
		if slices.ContainsFunc(out, func(o kaspersky.StatusDescription) bool { return o.Code == desc.Code }) {
			continue
		}
		out = append(out, desc)
	}
	return out
}

// DeviceOf translates a device of company tenantID.
func DeviceOf(tenantID string, d Device) kaspersky.Device {
	return kaspersky.Device{
		ID:           d.ID,
		TenantID:     tenantID,
		Name:         d.Name,
		Category:     CategoryOf(d),
		Mobile:       IsMobile(d),
		UserID:       d.UserID,
		Status:       LevelOf(d),
		Descriptions: DescriptionsOf(d),
	}
}

// ApplicationOf maps a license's product onto the catalog. A product outside
// the contract becomes the per-device application kaspersky.ApplicationByName
// derives for it ("x-…"), which bills nothing until someone maps it.
func ApplicationOf(product string) kaspersky.AppID {
	switch word(product) {
	case "kes-cloud":
		return kaspersky.AppKESCloud
	case "kes-cloud-plus":
		return kaspersky.AppKESCloudPlus
	case "kes-cloud-pro":
		return kaspersky.AppKESCloudPro
	case "office365", "office-365":
		return kaspersky.AppOffice365
	}
	app, _ := kaspersky.ApplicationByName(product)
	return app.ID
}

// KeyTypeOf maps a license type. A type outside the contract is KeyUnknown,
// which never bills; LicenseOf refuses such a license.
func KeyTypeOf(t string) kaspersky.KeyType {
	switch word(t) {
	case "commercial":
		return kaspersky.KeyCommercial
	case "trial":
		return kaspersky.KeyTrial
	case "subscription":
		return kaspersky.KeySubscription
	}
	return kaspersky.KeyUnknown
}

// StateOf maps a license state: "active", "paused" (or "suspended"),
// "cancelled" (or "canceled"), "soft-cancelled"; an empty state is
// StateUnspecified. Any other state is an error wrapping ErrUnexpectedValue:
// a commercial license of unspecified state would bill, so an unknown state is
// not guessed.
func StateOf(s string) (kaspersky.LicenseState, error) {
	switch word(s) {
	case "":
		return kaspersky.StateUnspecified, nil
	case "active":
		return kaspersky.StateActive, nil
	case "paused", "suspended":
		return kaspersky.StatePaused, nil
	case "cancelled", "canceled":
		return kaspersky.StateCancelled, nil
	case "soft-cancelled", "soft-canceled":
		return kaspersky.StateSoftCancelled, nil
	}
	return kaspersky.StateUnspecified, fmt.Errorf("%w: state %q is not active, paused or cancelled", ErrUnexpectedValue, capText(s))
}

// LicenseOf translates a license. devices are the company's devices: those
// whose user is among the license's users are its ActiveDevices (per-user
// licensing), in the order given. A type other than "commercial", "trial" or
// "subscription" is an error wrapping ErrUnexpectedValue: as KeyUnknown the
// license would never bill and its charges would drop. A subscription without
// a state is an error wrapping ErrIncomplete.
func LicenseOf(l License, devices []Device) (kaspersky.License, error) {
	typ := KeyTypeOf(l.Type)
	if typ == kaspersky.KeyUnknown {
		return kaspersky.License{}, fmt.Errorf("license %q: %w: type %q is not commercial, trial or subscription", l.ID, ErrUnexpectedValue, capText(l.Type))
	}
	state, err := StateOf(l.State)
	if err != nil {
		return kaspersky.License{}, fmt.Errorf("license %q: %w", l.ID, err)
	}
	if state == kaspersky.StateUnspecified && typ == kaspersky.KeySubscription {
		// A subscription bills only when active: without a state it would
		// silently stop billing.
		return kaspersky.License{}, fmt.Errorf("%w: license %q is a subscription without a state", ErrIncomplete, l.ID)
	}
	out := kaspersky.License{
		ID:          l.ID,
		Application: ApplicationOf(l.Product),
		ProductName: l.Product,
		Type:        typ,
		State:       state,
		Capacity:    max(l.Capacity, 0),
		Mailboxes:   max(l.Mailboxes, 0),
		Used:        max(l.Used, 0),
	}
	if !l.ExpiresAt.IsZero() {
		out.Expires = l.ExpiresAt.UTC()
	}
	if len(l.Users) > 0 {
		out.Users = slices.Clone(l.Users)
		users := make(map[string]bool, len(l.Users))
		for _, u := range l.Users {
			users[u] = true
		}
		for _, d := range devices {
			if d.UserID != "" && users[d.UserID] {
				out.ActiveDevices = append(out.ActiveDevices, d.ID)
			}
		}
	}
	return out, nil
}

// checkMailboxes refuses the license l (kl translated) of a company without
// Office 365 status when it is a per-mailbox license whose answer does not
// carry its mailboxes (absent, null or negative): billing counts them for such
// a company, and the contract gives them on every Office 365 license.
func checkMailboxes(l License, kl *kaspersky.License) error {
	if kaspersky.LicensingOf(kl.Application) != kaspersky.PerMailbox {
		return nil
	}
	switch {
	case !l.HasMailboxes:
		return fmt.Errorf("%w: license %q has no \"mailboxes\" (missing or null) and the company has no Office 365 status: the mailboxes to bill are unknown", ErrIncomplete, l.ID)
	case l.Mailboxes < 0:
		return fmt.Errorf("license %q: %w: mailboxes is %d, a count cannot be negative", l.ID, ErrUnexpectedValue, l.Mailboxes)
	}
	return nil
}

// SeverityOf maps a KES Cloud severity. A severity outside the contract is
// SeverityNone, so that it matches no severity rule rather than a wrong one;
// the event's Type still carries it.
func SeverityOf(s string) kaspersky.Severity {
	switch word(s) {
	case "info", "information", "informational":
		return kaspersky.SeverityInfo
	case "warning":
		return kaspersky.SeverityWarning
	case "functional-failure", "error":
		return kaspersky.SeverityFunctionalFailure
	case "critical":
		return kaspersky.SeverityCritical
	}
	return kaspersky.SeverityNone
}

// EventOf translates a KES Cloud event of company tenantID. Its id is
// "kes:" followed by the server's id.
func EventOf(tenantID string, e Event) kaspersky.Event {
	return kaspersky.Event{
		ID:       "kes:" + e.ID,
		TenantID: tenantID,
		DeviceID: e.DeviceID,
		Origin:   kaspersky.OriginKESCloud,
		Severity: SeverityOf(e.Severity),
		Type:     e.Type,
		TypeName: e.Type,
		Time:     e.Time.UTC(),
		Text:     e.Description,
	}
}

// Office365EventOf translates an Office 365 event of company tenantID. Its id
// is "o365:" followed by the server's id; a type outside the contract is kept
// as its own Office365EventType.
func Office365EventOf(tenantID string, e Office365Event) kaspersky.Event {
	t := kaspersky.Office365EventType(word(e.Type))
	name := e.Type
	for _, k := range kaspersky.Office365EventTypes {
		if k.Type == t {
			name = k.Text
		}
	}
	return kaspersky.Event{
		ID:       "o365:" + e.ID,
		TenantID: tenantID,
		Origin:   kaspersky.OriginOffice365,
		O365Type: t,
		Type:     e.Type,
		TypeName: name,
		Time:     e.Time.UTC(),
		Text:     e.Description,
		Active:   e.Active,
	}
}
