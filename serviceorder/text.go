package serviceorder

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// MaxBriefLen is the longest brief description, in characters, the engine writes.
const MaxBriefLen = 80

const timeLayout = "2006-01-02 15:04:05 MST"

// timeText formats times as the order texts show them, remembering the last
// one: the texts of a cycle mostly show the cycle's own time.
type timeText struct {
	t    time.Time
	text []byte
	set  bool
}

// append appends t, in UTC, to b.
func (tt *timeText) append(b []byte, t time.Time) []byte {
	if !tt.set || !tt.t.Equal(t) {
		// Equal instants read the same in UTC. Without its monotonic clock
		// reading, tt.t is compared with t by wall clock, as it is shown.
		tt.t, tt.set = t.Round(0), true
		tt.text = t.UTC().AppendFormat(tt.text[:0], timeLayout)
	}
	return append(b, tt.text...)
}

// reset forgets the time remembered.
func (tt *timeText) reset() { tt.t, tt.set = time.Time{}, false }

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

// appendTenantLine appends the line that names tenant t in an order's text.
func appendTenantLine(b []byte, t kaspersky.Tenant) []byte {
	name := t.Name
	if name == "" {
		name = t.ID
	}
	b = append(b, name...)
	b = append(b, " ("...)
	if t.Kind != 0 {
		b = append(b, t.Kind.String()...)
		b = append(b, ' ')
	}
	b = append(b, t.ID...)
	return append(b, ')')
}

// briefNeedsCleaning reports whether brief would collapse the white space of
// b.
func briefNeedsCleaning(b []byte) bool {
	return bytes.ContainsAny(b, "\t\n\r\v\f") || bytes.Contains(b, []byte("  ")) || len(bytes.TrimSpace(b)) != len(b)
}

// splitTexts returns an order's brief (brief of the raw text b[n:]) and full
// text (b[:n]), in one allocation unless the brief needs its white space
// cleaned or is not valid UTF-8.
func splitTexts(b []byte, n int) (string, string) {
	raw := b[n:]
	if briefNeedsCleaning(raw) || !utf8.Valid(raw) {
		return brief(string(raw)), string(b[:n])
	}
	if utf8.RuneCount(raw) > MaxBriefLen {
		// Cut as brief does: the first MaxBriefLen-3 characters, then "...".
		cut := 0
		for range MaxBriefLen - 3 {
			_, size := utf8.DecodeRune(raw[cut:])
			cut += size
		}
		b = append(b[:n+cut], "..."...)
	}
	s := string(b)
	return s[n:], s[:n]
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
// the hot path of Evaluate, hence appends to a stack buffer and one allocation.
func statusOrderText(t kaspersky.Tenant, d *kaspersky.Device, desc kaspersky.StatusDescription, seen time.Time, key Key, tt *timeText) (string, string) {
	dev := deviceName(d.Name, d.ID)
	text := statusText(desc.Code, desc.Text)
	console := statusConsole(t.Kind)
	level := d.Status.String()
	var stack [1024]byte
	b := append(stack[:0], console...)
	b = append(b, " reports "...)
	b = strconv.AppendQuote(b, text)
	b = append(b, " on device "...)
	b = append(b, dev...)
	b = append(b, " (device status "...)
	b = append(b, level...)
	b = append(b, ").\n\nTenant: "...)
	b = appendTenantLine(b, t)
	b = append(b, "\nDevice: "...)
	b = append(b, dev...)
	b = append(b, " (id "...)
	b = append(b, d.ID...)
	b = append(b, ")\nStatus description: "...)
	b = append(b, text...)
	b = append(b, "\nDevice status: "...)
	b = append(b, level...)
	b = append(b, "\nDetected: "...)
	b = tt.append(b, seen)
	b = append(b, "\nConsole: "...)
	b = append(b, console...)
	b = append(b, "\n\nThis service order closes automatically when the status description no longer applies to the device.\nReference: "...)
	b = append(b, key...)
	b = append(b, '\n')
	n := len(b)
	b = append(b, "Kaspersky: "...)
	b = append(b, text...)
	b = append(b, " on "...)
	b = append(b, dev...)
	return splitTexts(b, n)
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
	origin := ev.Origin.String()
	var stack [1024]byte
	b := append(stack[:0], origin...)
	if ev.Origin == kaspersky.OriginOffice365 {
		b = append(b, " reports: "...)
	} else {
		b = append(b, " reports a "...)
		b = append(b, ev.Severity.String()...)
		b = append(b, " event: "...)
	}
	b = append(b, what...)
	b = append(b, ".\n\nTenant: "...)
	b = appendTenantLine(b, t)
	b = append(b, '\n')
	dev := deviceName(ev.DeviceName, ev.DeviceID)
	if ev.DeviceID != "" || ev.DeviceName != "" {
		b = append(b, "Device: "...)
		b = append(b, dev...)
		b = append(b, " (id "...)
		b = append(b, ev.DeviceID...)
		b = append(b, ")\n"...)
	}
	b = append(b, "Event: "...)
	b = append(b, what...)
	b = append(b, '\n')
	if ev.Severity != kaspersky.SeverityNone {
		b = append(b, "Severity: "...)
		b = append(b, ev.Severity.String()...)
		b = append(b, '\n')
	}
	if ev.Text != "" {
		b = append(b, "Details: "...)
		b = append(b, strings.TrimSpace(ev.Text)...)
		b = append(b, '\n')
	}
	b = append(b, "Event time: "...)
	b = ev.Time.UTC().AppendFormat(b, timeLayout)
	b = append(b, "\nEvent id: "...)
	b = append(b, ev.ID...)
	b = append(b, "\nConsole: "...)
	b = append(b, origin...)
	b = append(b, "\n\n"...)
	if ev.O365Type.IsCondition() {
		b = append(b, "This service order closes automatically when the condition ends.\n"...)
	} else {
		b = append(b, "This service order is not closed automatically; close it when the event has been dealt with.\n"...)
	}
	b = append(b, "Reference: "...)
	b = append(b, key...)
	b = append(b, '\n')
	n := len(b)
	b = append(b, "Kaspersky: "...)
	if ev.Origin != kaspersky.OriginOffice365 {
		b = append(b, ev.Severity.String()...)
		b = append(b, ": "...)
	}
	b = append(b, what...)
	if dev != "" {
		b = append(b, " on "...)
		b = append(b, dev...)
	}
	return splitTexts(b, n)
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
	// ReasonLicenseRenewed: the license's expiry moved beyond the rule's
	// days (renewed or extended).
	ReasonLicenseRenewed
	// ReasonLicenseUnused: no device, user or mailbox uses the license any
	// more (it was replaced).
	ReasonLicenseUnused
	// ReasonLicenseGone: the console no longer reports the license.
	ReasonLicenseGone
	// ReasonUsageBack: the license's usage is back within what it allows.
	ReasonUsageBack
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
	case ReasonLicenseRenewed:
		return "the license has been renewed"
	case ReasonLicenseUnused:
		return "the license is no longer in use"
	case ReasonLicenseGone:
		return "the license is no longer reported by the console"
	case ReasonUsageBack:
		return "the license's usage is back within its limit"
	}
	return fmt.Sprintf("CloseReason(%d)", int(r))
}

// closeText returns the WorkPerformed text of an automatic close.
func closeText(o *Order, reason CloseReason, now time.Time, tt *timeText) string {
	var stack [512]byte
	b := append(stack[:0], "Closed automatically by the Kaspersky integration at "...)
	b = tt.append(b, now)
	b = append(b, ": "...)
	switch o.Kind {
	case KindStatus:
		b = strconv.AppendQuote(b, statusText(o.Code, ""))
		b = append(b, " on device "...)
		b = append(b, deviceName(o.DeviceName, o.DeviceID)...)
	case KindLicense:
		b = append(b, "license "...)
		b = append(b, o.License...)
		b = append(b, ' ')
		b = append(b, conditionText(o.Condition)...)
	default:
		b = append(b, "Office 365: "...)
		b = append(b, office365Text(o.O365Type)...)
	}
	b = append(b, "; "...)
	b = append(b, reason.String()...)
	b = append(b, '.')
	return string(b)
}

// coverMarker starts the line of a group order's text and notes that says up
// to which repeat they cover; the Runner reads it back after a crash or a lost
// Store, so that no repeat is noted twice.
const coverMarker = "Kaspersky repeats covered up to: "

// appendCover appends the marker line for last.
func appendCover(b []byte, last time.Time) []byte {
	b = append(b, coverMarker...)
	b = last.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '\n')
}

// coveredIn returns the latest time the marker lines of texts cover; zero
// when none has one.
func coveredIn(texts ...string) time.Time {
	var out time.Time
	for _, t := range texts {
		for {
			i := strings.Index(t, coverMarker)
			if i < 0 {
				break
			}
			t = t[i+len(coverMarker):]
			end := strings.IndexAny(t, "\r\n")
			if end < 0 {
				end = len(t)
			}
			if at, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(t[:end])); err == nil && at.After(out) {
				out = at
			}
		}
	}
	return out
}

// groupOrderText returns the brief and full text of a group order opened for
// count repeats of latest's type on its device between first and last.
func groupOrderText(t kaspersky.Tenant, latest *kaspersky.Event, count int, first, last time.Time, key Key) (string, string) {
	b, work := eventOrderText(t, latest, key)
	var buf []byte
	buf = append(buf, work...)
	buf = append(buf, "\nThis service order collects the repeats of this event on this device: later repeats are added to it as notes while it is open.\nRepeats: "...)
	buf = strconv.AppendInt(buf, int64(count), 10)
	buf = append(buf, " between "...)
	buf = first.UTC().AppendFormat(buf, timeLayout)
	buf = append(buf, " and "...)
	buf = last.UTC().AppendFormat(buf, timeLayout)
	buf = append(buf, '\n')
	buf = appendCover(buf, last)
	if count > 1 {
		b = brief(fmt.Sprintf("%s (x%d)", b, count))
	}
	return b, string(buf)
}

// NoteTopic is the topic of the notes the engine adds to group orders.
const NoteTopic = "Kaspersky: repeated event"

// noteText returns the text of a note about n's repeats.
func noteText(n *PendingNote) string {
	var b []byte
	if n.Reopen {
		b = append(b, "The event happened again after this service order was closed; it is set back to the new status.\n"...)
	}
	b = append(b, "Repeated "...)
	b = strconv.AppendInt(b, int64(n.Count), 10)
	if n.Count == 1 {
		b = append(b, " time, at "...)
		b = n.Last.UTC().AppendFormat(b, timeLayout)
	} else {
		b = append(b, " times between "...)
		b = n.First.UTC().AppendFormat(b, timeLayout)
		b = append(b, " and "...)
		b = n.Last.UTC().AppendFormat(b, timeLayout)
	}
	b = append(b, ".\nLatest: "...)
	b = n.Last.UTC().AppendFormat(b, timeLayout)
	b = append(b, '\n')
	b = appendCover(b, n.Last)
	return string(b)
}

// summaryOrderText returns the brief and full text of a flood guard summary:
// counts of the events not opened, per event type and device.
func summaryOrderText(t kaspersky.Tenant, counts map[string]int, limit int, now time.Time, key Key) (string, string) {
	type row struct {
		what string
		n    int
	}
	rows := make([]row, 0, len(counts))
	total := 0
	for w, n := range counts {
		rows = append(rows, row{w, n})
		total += n
	}
	slices.SortFunc(rows, func(a, b row) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return cmp.Compare(a.what, b.what)
	})
	var b []byte
	b = append(b, "The Kaspersky integration opened "...)
	b = strconv.AppendInt(b, int64(limit), 10)
	b = append(b, " service orders for this tenant in one cycle, its limit; these "...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, " events opened none and are listed here instead.\n\nTenant: "...)
	b = appendTenantLine(b, t)
	b = append(b, "\nCycle: "...)
	b = now.UTC().AppendFormat(b, timeLayout)
	b = append(b, "\n\n"...)
	for _, r := range rows {
		b = strconv.AppendInt(b, int64(r.n), 10)
		b = append(b, " x "...)
		b = append(b, r.what...)
		b = append(b, '\n')
	}
	b = append(b, "\nThese events will not open service orders later. Reference: "...)
	b = append(b, key...)
	b = append(b, '\n')
	return brief(fmt.Sprintf("Kaspersky: %d events not opened (flood limit %d)", total, limit)), string(b)
}

// conditionText describes a license condition in a sentence.
func conditionText(c LicenseCondition) string {
	switch c {
	case LicenseExpiring:
		return "expires soon"
	case LicenseOverused:
		return "is used by more devices than it allows"
	}
	return string(c)
}

// licenseOrderText returns the brief and full text of a license order.
func licenseOrderText(t kaspersky.Tenant, l *kaspersky.License, c LicenseCondition, r *LicenseRule, now time.Time, key Key) (string, string) {
	product := l.ProductName
	if product == "" {
		product = string(l.Application)
	}
	var b []byte
	b = append(b, "Kaspersky license "...)
	b = append(b, l.ID...)
	b = append(b, " ("...)
	b = append(b, product...)
	b = append(b, ") "...)
	b = append(b, conditionText(c)...)
	b = append(b, ".\n\nTenant: "...)
	b = appendTenantLine(b, t)
	b = append(b, "\nLicense: "...)
	b = append(b, l.ID...)
	b = append(b, "\nProduct: "...)
	b = append(b, product...)
	b = append(b, "\nType: "...)
	b = append(b, l.Type.String()...)
	if !l.Expires.IsZero() {
		b = append(b, "\nExpires: "...)
		b = l.Expires.UTC().AppendFormat(b, timeLayout)
	}
	b = append(b, "\nIn use: "...)
	b = strconv.AppendInt(b, int64(l.Usage()), 10)
	if l.Capacity > 0 {
		b = append(b, " of "...)
		b = strconv.AppendInt(b, int64(l.Capacity), 10)
	}
	b = append(b, "\nDetected: "...)
	b = now.UTC().AppendFormat(b, timeLayout)
	b = append(b, "\n\n"...)
	var short string
	switch c {
	case LicenseExpiring:
		days := r.Window() / (24 * time.Hour)
		b = append(b, "The rule opens an order "...)
		b = strconv.AppendInt(b, int64(days), 10)
		b = append(b, " days before a key in use expires. This service order closes automatically when the license is renewed or no longer in use.\n"...)
		short = "Kaspersky: license " + l.ID + " expires " + l.Expires.UTC().Format("2006-01-02")
	default:
		b = append(b, "This service order closes automatically when the usage is back within the license's limit.\n"...)
		short = fmt.Sprintf("Kaspersky: license %s over-used (%d of %d)", l.ID, l.Usage(), l.Capacity)
	}
	b = append(b, "Reference: "...)
	b = append(b, key...)
	b = append(b, '\n')
	return brief(short), string(b)
}
