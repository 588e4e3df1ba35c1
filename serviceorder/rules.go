package serviceorder

import (
	"fmt"
	"slices"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// DefaultLifetimeDays is the default lifetime of an event rule: events older than
// this are not turned into service orders.
const DefaultLifetimeDays = 1

// MaxLifetimeDays is the longest lifetime an event rule accepts.
const MaxLifetimeDays = 365

// Office365Lifetime is how long an Office 365 event stays relevant. The product has
// no lifetime setting for Office 365 events; the engine applies the default
// lifetime to them so that an outage does not flood Tigerpaw with old events and
// the memory of processed events stays bounded.
const Office365Lifetime = DefaultLifetimeDays * 24 * time.Hour

// MaxCreationDelay is the longest creation delay the status rules accept.
const MaxCreationDelay = 7 * 24 * time.Hour

// General holds the settings every automatically created service order uses. All
// three are required.
type General struct {
	// Rep is the Tigerpaw rep number new orders are assigned to (TechnicianAssigned).
	Rep int `json:"rep"`
	// NewStatus is the Tigerpaw status name of new orders.
	NewStatus string `json:"newStatus"`
	// ClosedStatus is the Tigerpaw status name set when the engine closes an order.
	ClosedStatus string `json:"closedStatus"`
}

// OrderSettings are the Tigerpaw fields a rule gives the orders it creates.
type OrderSettings struct {
	// Enabled turns order creation on for the rule. Off by default.
	Enabled bool `json:"enabled"`
	// Board is the Tigerpaw dispatch board id; 0 means none.
	Board int `json:"board,omitzero"`
	// Priority is the Tigerpaw priority name; required when Enabled.
	Priority string `json:"priority,omitzero"`
	// Type is the Tigerpaw service order type name; empty means none.
	Type string `json:"type,omitzero"`
}

// EventRuleID identifies an event rule: an origin with a severity (Kaspersky
// Security Center, Kaspersky Endpoint Security Cloud) or Office 365 with an event
// type.
type EventRuleID struct {
	Origin   kaspersky.Origin             `json:"origin"`
	Severity kaspersky.Severity           `json:"severity,omitzero"`
	O365Type kaspersky.Office365EventType `json:"o365Type,omitzero"`
}

// String names the rule as the settings window shows it.
func (id EventRuleID) String() string {
	if id.Origin == kaspersky.OriginOffice365 {
		return fmt.Sprintf("%s events: %s", id.Origin, office365Text(id.O365Type))
	}
	return fmt.Sprintf("%s events: %s", id.Origin, id.Severity)
}

// Valid reports whether id names a rule the product has.
func (id EventRuleID) Valid() bool {
	switch id.Origin {
	case kaspersky.OriginKSC, kaspersky.OriginKESCloud:
		return id.O365Type == "" && slices.Contains(kaspersky.Severities[:], id.Severity)
	case kaspersky.OriginOffice365:
		if id.Severity != kaspersky.SeverityNone {
			return false
		}
		for _, t := range kaspersky.Office365EventTypes {
			if t.Type == id.O365Type {
				return true
			}
		}
	}
	return false
}

// EventRuleFor returns the id of the rule that governs ev.
func EventRuleFor(ev *kaspersky.Event) EventRuleID {
	if ev.Origin == kaspersky.OriginOffice365 {
		return EventRuleID{Origin: ev.Origin, O365Type: ev.O365Type}
	}
	return EventRuleID{Origin: ev.Origin, Severity: ev.Severity}
}

// Grouping is how an event rule turns events into service orders.
type Grouping string

// The groupings. The empty Grouping is [GroupEachEvent].
const (
	// GroupEachEvent opens one order per event (the default).
	GroupEachEvent Grouping = "eachEvent"
	// GroupDevice opens one order per device and event type while it is open:
	// a repeat of the same event type on the same device adds a note to the
	// open order (at most one note per order per cycle) instead of opening
	// another one.
	GroupDevice Grouping = "deviceAndType"
)

// MaxReopenHours is the longest reopen window an event rule accepts (30 days).
const MaxReopenHours = 30 * 24

// EventRule decides whether events of one kind become service orders.
type EventRule struct {
	ID EventRuleID `json:"id"`
	OrderSettings
	// LifetimeDays is how many days an event stays relevant (default 1). It is
	// zero for Office 365 rules, which have no such setting (see
	// [Office365Lifetime]).
	LifetimeDays int `json:"lifetimeDays,omitzero"`
	// Grouping is GroupEachEvent (also when empty: one order per event, the
	// behaviour of rules saved before grouping existed) or GroupDevice.
	Grouping Grouping `json:"grouping,omitzero"`
	// ReopenHours is the reopen window of a grouped rule, in hours: a repeat
	// that comes within this long after its order was closed sets the closed
	// order back to the new status with a note, instead of opening a new
	// order. Zero (the default) turns the window off. Only GroupDevice rules
	// have one.
	ReopenHours int `json:"reopenHours,omitzero"`
}

// Grouped reports whether the rule groups repeats on one order.
func (r *EventRule) Grouped() bool { return r.Grouping == GroupDevice }

// ReopenWindow returns the rule's reopen window; zero when off.
func (r *EventRule) ReopenWindow() time.Duration {
	if !r.Grouped() {
		return 0
	}
	return time.Duration(r.ReopenHours) * time.Hour
}

// Lifetime returns how long events of the rule stay relevant.
func (r *EventRule) Lifetime() time.Duration {
	if r.ID.Origin == kaspersky.OriginOffice365 {
		return Office365Lifetime
	}
	return time.Duration(r.LifetimeDays) * 24 * time.Hour
}

// StatusRuleID identifies a computer status rule: a level (Warning or Critical)
// and a status description.
type StatusRuleID struct {
	Level kaspersky.StatusLevel `json:"level"`
	Code  kaspersky.StatusCode  `json:"code"`
}

// String names the rule as the settings window shows it.
func (id StatusRuleID) String() string {
	text := string(id.Code)
	if d, ok := kaspersky.LookupStatus(id.Code); ok {
		text = d.Text
	}
	return fmt.Sprintf("%s status: %s", id.Level, text)
}

// Valid reports whether id has a Warning or Critical level and a non-empty code.
// Codes outside [kaspersky.KnownStatuses] are accepted so that a console's newer
// descriptions can be configured.
func (id StatusRuleID) Valid() bool {
	return (id.Level == kaspersky.StatusWarning || id.Level == kaspersky.StatusCritical) && id.Code != ""
}

// StatusRule decides whether a status description holding at a level opens a
// service order.
type StatusRule struct {
	ID StatusRuleID `json:"id"`
	OrderSettings
}

// LicenseCondition is what a license rule watches.
type LicenseCondition string

// The license conditions.
const (
	// LicenseExpiring: a key or subscription in use expires within the
	// rule's days (or has expired and is still in use).
	LicenseExpiring LicenseCondition = "expiring"
	// LicenseOverused: more devices (users, mailboxes) use a license than it
	// allows.
	LicenseOverused LicenseCondition = "overused"
)

// LicenseConditions lists the conditions in display order.
var LicenseConditions = [...]LicenseCondition{LicenseExpiring, LicenseOverused}

// DefaultLicenseDays is the default of [LicenseRule.Days]: an order opens 30
// days before a key or subscription expires.
const DefaultLicenseDays = 30

// MaxLicenseDays is the largest [LicenseRule.Days] accepted.
const MaxLicenseDays = 365

// LicenseRuleID identifies a license rule: a solution (the kind of tenant
// whose licenses it watches: kaspersky.KindVirtualServer for Kaspersky
// Security Center, kaspersky.KindCompany for Business Hub) and a condition.
type LicenseRuleID struct {
	Solution  kaspersky.TenantKind `json:"solution"`
	Condition LicenseCondition     `json:"condition"`
}

// String names the rule as the settings window shows it.
func (id LicenseRuleID) String() string {
	sol := "Kaspersky Security Center"
	if id.Solution == kaspersky.KindCompany {
		sol = "Kaspersky Business Hub"
	} else if id.Solution != kaspersky.KindVirtualServer {
		sol = id.Solution.String()
	}
	what := string(id.Condition)
	switch id.Condition {
	case LicenseExpiring:
		what = "a key or subscription expires"
	case LicenseOverused:
		what = "more devices use a license than it allows"
	}
	return sol + " licenses: " + what
}

// Valid reports whether id names a rule the product has.
func (id LicenseRuleID) Valid() bool {
	return (id.Solution == kaspersky.KindVirtualServer || id.Solution == kaspersky.KindCompany) &&
		slices.Contains(LicenseConditions[:], id.Condition)
}

// LicenseRule decides whether a license condition opens a service order: one
// order per tenant, license and condition, closed when the condition no
// longer holds.
type LicenseRule struct {
	ID LicenseRuleID `json:"id"`
	OrderSettings
	// Days is, for LicenseExpiring, how many days ahead of the expiry the order
	// opens (0 means DefaultLicenseDays). It is 0 for LicenseOverused.
	Days int `json:"days,omitzero"`
}

// Window returns how long before the expiry an expiring rule opens its order.
func (r *LicenseRule) Window() time.Duration {
	d := r.Days
	if d == 0 {
		d = DefaultLicenseDays
	}
	return time.Duration(d) * 24 * time.Hour
}

// DefaultFloodLimit is the default of [Rules.FloodLimit].
const DefaultFloodLimit = 25

// MaxFloodLimit is the largest [Rules.FloodLimit] accepted.
const MaxFloodLimit = 10000

// Rules is the whole service order configuration. The zero value has no rules;
// start from [DefaultRules].
type Rules struct {
	General General `json:"general"`
	// Events lists the event rules, in display order.
	Events []EventRule `json:"events"`
	// Statuses lists the computer status rules, in display order.
	Statuses []StatusRule `json:"statuses"`
	// Licenses lists the license rules, in display order. Rules saved before
	// license rules existed have none: every license rule is off.
	Licenses []LicenseRule `json:"licenses,omitempty"`
	// CreationDelay holds back a status order until its status description has
	// held this long; a description that clears within the delay opens no order.
	// Zero (the default) creates the order on the first cycle that sees it.
	// In JSON it is a number of nanoseconds.
	CreationDelay time.Duration `json:"creationDelay,omitzero"`
	// FloodLimit is how many orders one cycle may open for one tenant; zero
	// means DefaultFloodLimit. Beyond it the tenant's remaining events are
	// listed in one summary order per tenant and cycle, and status and
	// license orders wait for a later cycle.
	FloodLimit int `json:"floodLimit,omitzero"`
}

// Flood returns the flood limit in force: FloodLimit, or DefaultFloodLimit
// when it is zero.
func (r *Rules) Flood() int {
	if r.FloodLimit <= 0 {
		return DefaultFloodLimit
	}
	return r.FloodLimit
}

// DefaultRules returns the product's defaults: no general settings, every rule
// off, event lifetimes of one day, one order per event, no reopen window, no
// creation delay, the default flood limit, license rules at 30 days.
func DefaultRules() Rules {
	r := Rules{FloodLimit: DefaultFloodLimit}
	for _, s := range []Section{SectionKSCEvents, SectionKESCloudEvents, SectionOffice365Events} {
		r.Events = append(r.Events, defaultEventRules(s)...)
	}
	for _, s := range []Section{SectionWarningStatuses, SectionCriticalStatuses} {
		r.Statuses = append(r.Statuses, defaultStatusRules(s)...)
	}
	for _, s := range []Section{SectionKSCLicenses, SectionHubLicenses} {
		r.Licenses = append(r.Licenses, defaultLicenseRules(s)...)
	}
	return r
}

func defaultLicenseRules(s Section) []LicenseRule {
	sol := kaspersky.KindVirtualServer
	if s == SectionHubLicenses {
		sol = kaspersky.KindCompany
	}
	return []LicenseRule{
		{ID: LicenseRuleID{Solution: sol, Condition: LicenseExpiring}, Days: DefaultLicenseDays},
		{ID: LicenseRuleID{Solution: sol, Condition: LicenseOverused}},
	}
}

func defaultEventRules(s Section) []EventRule {
	var out []EventRule
	switch s {
	case SectionKSCEvents, SectionKESCloudEvents:
		origin := kaspersky.OriginKSC
		if s == SectionKESCloudEvents {
			origin = kaspersky.OriginKESCloud
		}
		for _, sev := range kaspersky.Severities {
			out = append(out, EventRule{ID: EventRuleID{Origin: origin, Severity: sev}, LifetimeDays: DefaultLifetimeDays})
		}
	case SectionOffice365Events:
		for _, t := range kaspersky.Office365EventTypes {
			out = append(out, EventRule{ID: EventRuleID{Origin: kaspersky.OriginOffice365, O365Type: t.Type}})
		}
	}
	return out
}

func defaultStatusRules(s Section) []StatusRule {
	level := kaspersky.StatusWarning
	if s == SectionCriticalStatuses {
		level = kaspersky.StatusCritical
	}
	out := make([]StatusRule, 0, len(kaspersky.KnownStatuses))
	for _, d := range kaspersky.KnownStatuses {
		out = append(out, StatusRule{ID: StatusRuleID{Level: level, Code: d.Code}})
	}
	return out
}

// Clone returns a deep copy of r.
func (r Rules) Clone() Rules {
	r.Events = slices.Clone(r.Events)
	r.Statuses = slices.Clone(r.Statuses)
	r.Licenses = slices.Clone(r.Licenses)
	return r
}

// License returns the license rule with the given id.
func (r Rules) License(id LicenseRuleID) (LicenseRule, bool) {
	for _, l := range r.Licenses {
		if l.ID == id {
			return l, true
		}
	}
	return LicenseRule{}, false
}

// Event returns the event rule with the given id.
func (r Rules) Event(id EventRuleID) (EventRule, bool) {
	for _, e := range r.Events {
		if e.ID == id {
			return e, true
		}
	}
	return EventRule{}, false
}

// Status returns the status rule with the given id.
func (r Rules) Status(id StatusRuleID) (StatusRule, bool) {
	for _, s := range r.Statuses {
		if s.ID == id {
			return s, true
		}
	}
	return StatusRule{}, false
}

// LongestLifetime returns the longest time any event stays relevant under r
// (at least [Office365Lifetime]): events older than this can never make an
// order, so a first read of a tenant's events need not go further back.
func (r *Rules) LongestLifetime() time.Duration {
	longest := Office365Lifetime
	for i := range r.Events {
		longest = max(longest, r.Events[i].Lifetime())
	}
	return longest
}

// Section is one page of the settings window; Cancel and ResetToDefaults work per
// section.
type Section int

// The sections.
const (
	// SectionGeneral holds [General], the creation delay and the flood limit.
	SectionGeneral Section = iota + 1
	SectionKSCEvents
	SectionKESCloudEvents
	SectionOffice365Events
	SectionWarningStatuses
	SectionCriticalStatuses
	// SectionKSCLicenses holds the license rules of Kaspersky Security Center.
	SectionKSCLicenses
	// SectionHubLicenses holds the license rules of Business Hub.
	SectionHubLicenses
)

// Sections lists every section in display order.
var Sections = [...]Section{SectionGeneral, SectionKSCEvents, SectionKESCloudEvents, SectionOffice365Events, SectionWarningStatuses, SectionCriticalStatuses, SectionKSCLicenses, SectionHubLicenses}

// String names the section.
func (s Section) String() string {
	switch s {
	case SectionGeneral:
		return "General"
	case SectionKSCEvents:
		return "Kaspersky Security Center events"
	case SectionKESCloudEvents:
		return "Kaspersky Endpoint Security Cloud events"
	case SectionOffice365Events:
		return "Kaspersky Security for Microsoft Office 365 events"
	case SectionWarningStatuses:
		return "Warning status"
	case SectionCriticalStatuses:
		return "Critical status"
	case SectionKSCLicenses:
		return "Kaspersky Security Center licenses"
	case SectionHubLicenses:
		return "Kaspersky Business Hub licenses"
	}
	return fmt.Sprintf("Section(%d)", int(s))
}

func (s Section) valid() bool { return s >= SectionGeneral && s <= SectionHubLicenses }

// licenseSection returns the section a license rule belongs to.
func licenseSection(id LicenseRuleID) Section {
	if id.Solution == kaspersky.KindCompany {
		return SectionHubLicenses
	}
	return SectionKSCLicenses
}

// eventSection returns the section an event rule belongs to.
func eventSection(id EventRuleID) Section {
	switch id.Origin {
	case kaspersky.OriginKSC:
		return SectionKSCEvents
	case kaspersky.OriginKESCloud:
		return SectionKESCloudEvents
	}
	return SectionOffice365Events
}

// statusSection returns the section a status rule belongs to.
func statusSection(id StatusRuleID) Section {
	if id.Level == kaspersky.StatusCritical {
		return SectionCriticalStatuses
	}
	return SectionWarningStatuses
}

func office365Text(t kaspersky.Office365EventType) string {
	for _, e := range kaspersky.Office365EventTypes {
		if e.Type == t {
			return e.Text
		}
	}
	return string(t)
}
