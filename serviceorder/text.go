package serviceorder

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// MaxBriefLen is the longest brief description, in characters, the engine writes.
const MaxBriefLen = 80

const timeLayout = "2006-01-02 15:04:05 MST"

// statusConsole names the console that reports a tenant's device statuses.
func statusConsole(k kaspersky.TenantKind) string {
	switch k {
	case kaspersky.KindVirtualServer:
		return kaspersky.OriginKSC.String()
	case kaspersky.KindCompany:
		return kaspersky.OriginKESCloud.String()
	}
	return "Kaspersky console"
}

func brief(s string) string {
	if strings.ContainsAny(s, "\t\n\r\v\f") || strings.Contains(s, "  ") || strings.TrimSpace(s) != s {
		s = strings.Join(strings.Fields(s), " ")
	}
	if utf8.RuneCountInString(s) <= MaxBriefLen {
		return s
	}
	r := []rune(s)
	return string(r[:MaxBriefLen-3]) + "..."
}

func tenantLine(t kaspersky.Tenant) string {
	name := t.Name
	if name == "" {
		name = t.ID
	}
	if t.Kind != 0 {
		return name + " (" + t.Kind.String() + " " + t.ID + ")"
	}
	return name + " (" + t.ID + ")"
}

func deviceName(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

func statusText(code kaspersky.StatusCode, fallback string) string {
	if fallback != "" {
		return fallback
	}
	if d, ok := kaspersky.LookupStatus(code); ok {
		return d.Text
	}
	return string(code)
}

// statusOrderText returns the brief and full text of a status order. It is on
// the hot path of Evaluate, hence plain concatenation rather than fmt.
func statusOrderText(t kaspersky.Tenant, d *kaspersky.Device, desc kaspersky.StatusDescription, seen time.Time, key Key) (string, string) {
	dev := deviceName(d.Name, d.ID)
	text := statusText(desc.Code, desc.Text)
	console := statusConsole(t.Kind)
	level := d.Status.String()
	var b strings.Builder
	b.Grow(512)
	for _, s := range [...]string{
		console, " reports ", strconv.Quote(text), " on device ", dev, " (device status ", level, ").\n\n",
		"Tenant: ", tenantLine(t), "\n",
		"Device: ", dev, " (id ", d.ID, ")\n",
		"Status description: ", text, "\n",
		"Device status: ", level, "\n",
		"Detected: ", seen.UTC().Format(timeLayout), "\n",
		"Console: ", console, "\n\n",
		"This service order closes automatically when the status description no longer applies to the device.\n",
		"Reference: ", string(key), "\n",
	} {
		b.WriteString(s)
	}
	return brief("Kaspersky: " + text + " on " + dev), b.String()
}

// eventOrderText returns the brief and full text of an event or condition order.
func eventOrderText(t kaspersky.Tenant, ev *kaspersky.Event, key Key) (string, string) {
	what := ev.TypeName
	if ev.Origin == kaspersky.OriginOffice365 {
		what = office365Text(ev.O365Type)
	}
	if what == "" {
		what = ev.Type
	}
	var b strings.Builder
	if ev.Origin == kaspersky.OriginOffice365 {
		fmt.Fprintf(&b, "%s reports: %s.\n\n", ev.Origin, what)
	} else {
		fmt.Fprintf(&b, "%s reports a %s event: %s.\n\n", ev.Origin, ev.Severity, what)
	}
	fmt.Fprintf(&b, "Tenant: %s\n", tenantLine(t))
	if ev.DeviceID != "" || ev.DeviceName != "" {
		fmt.Fprintf(&b, "Device: %s (id %s)\n", deviceName(ev.DeviceName, ev.DeviceID), ev.DeviceID)
	}
	fmt.Fprintf(&b, "Event: %s\n", what)
	if ev.Severity != kaspersky.SeverityNone {
		fmt.Fprintf(&b, "Severity: %s\n", ev.Severity)
	}
	if ev.Text != "" {
		fmt.Fprintf(&b, "Details: %s\n", strings.TrimSpace(ev.Text))
	}
	fmt.Fprintf(&b, "Event time: %s\n", ev.Time.UTC().Format(timeLayout))
	fmt.Fprintf(&b, "Event id: %s\n", ev.ID)
	fmt.Fprintf(&b, "Console: %s\n\n", ev.Origin)
	if ev.O365Type.IsCondition() {
		b.WriteString("This service order closes automatically when the condition ends.\n")
	} else {
		b.WriteString("This service order is not closed automatically; close it when the event has been dealt with.\n")
	}
	fmt.Fprintf(&b, "Reference: %s\n", key)
	subject := what
	if dev := deviceName(ev.DeviceName, ev.DeviceID); dev != "" {
		subject += " on " + dev
	}
	if ev.Origin != kaspersky.OriginOffice365 {
		subject = ev.Severity.String() + ": " + subject
	}
	return brief("Kaspersky: " + subject), b.String()
}

// CloseReason is why the engine closes an order.
type CloseReason int

// The reasons to close.
const (
	// ReasonCleared: the status description no longer holds on the device.
	ReasonCleared CloseReason = iota + 1
	// ReasonRuleOff: the description still holds, but the rule for it at the
	// device's current level is off.
	ReasonRuleOff
	// ReasonDeviceGone: the device is no longer reported.
	ReasonDeviceGone
	// ReasonConditionEnded: the Office 365 condition ended.
	ReasonConditionEnded
)

// String describes the reason.
func (r CloseReason) String() string {
	switch r {
	case ReasonCleared:
		return "the status description no longer applies"
	case ReasonRuleOff:
		return "service orders are turned off for this status description at the device's current status"
	case ReasonDeviceGone:
		return "the device is no longer reported by the console"
	case ReasonConditionEnded:
		return "the condition has ended"
	}
	return fmt.Sprintf("CloseReason(%d)", int(r))
}

// closeText returns the WorkPerformed text of an automatic close.
func closeText(o *Order, reason CloseReason, now time.Time) string {
	var what string
	switch o.Kind {
	case KindStatus:
		what = fmt.Sprintf("%q on device %s", statusText(o.Code, ""), deviceName(o.DeviceName, o.DeviceID))
	default:
		what = fmt.Sprintf("Office 365: %s", office365Text(o.O365Type))
	}
	return fmt.Sprintf("Closed automatically by the Kaspersky integration at %s: %s; %s.", now.UTC().Format(timeLayout), what, reason)
}
