package kaspersky

import (
	"fmt"
	"time"
)

// Origin is the Kaspersky application an event comes from.
type Origin int

// The event origins.
const (
	// OriginKSC is Kaspersky Security Center.
	OriginKSC Origin = iota + 1
	// OriginKESCloud is Kaspersky Endpoint Security Cloud (Business Hub).
	OriginKESCloud
	// OriginOffice365 is Kaspersky Security for Microsoft Office 365 (Business Hub).
	OriginOffice365
)

// String names the origin as a technician knows it.
func (o Origin) String() string {
	switch o {
	case OriginKSC:
		return "Kaspersky Security Center"
	case OriginKESCloud:
		return "Kaspersky Endpoint Security Cloud"
	case OriginOffice365:
		return "Kaspersky Security for Microsoft Office 365"
	}
	return fmt.Sprintf("Origin(%d)", int(o))
}

// Severity is the severity of a KSC or KES Cloud event.
type Severity int

// The severities, in increasing order. Office 365 events have none (SeverityNone).
const (
	SeverityNone Severity = iota
	SeverityInfo
	SeverityWarning
	SeverityFunctionalFailure
	SeverityCritical
)

// Severities lists the severities in the product's display order.
var Severities = [...]Severity{SeverityCritical, SeverityFunctionalFailure, SeverityWarning, SeverityInfo}

// String names the severity as the product does.
func (s Severity) String() string {
	switch s {
	case SeverityNone:
		return "none"
	case SeverityInfo:
		return "Info"
	case SeverityWarning:
		return "Warning"
	case SeverityFunctionalFailure:
		return "Functional failure"
	case SeverityCritical:
		return "Critical"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// Office365EventType is the type of a Kaspersky Security for Microsoft Office 365
// event.
type Office365EventType string

// The Office 365 event types.
const (
	O365ExchangeConnection    Office365EventType = "exchange-connection"
	O365MailboxesNotProtected Office365EventType = "mailboxes-not-protected"
	O365LicenseIssue          Office365EventType = "license-issue"
	O365Malware               Office365EventType = "malware"
	O365Phishing              Office365EventType = "phishing"
	O365AttachmentFiltered    Office365EventType = "attachment-filtered"
)

// Office365EventTypes lists the Office 365 event types with the product's wording.
var Office365EventTypes = [...]struct {
	Type Office365EventType
	Text string
}{
	{O365ExchangeConnection, "Exchange Online connection problem"},
	{O365MailboxesNotProtected, "Mailboxes protection is not provided"},
	{O365LicenseIssue, "License-related issue occurred"},
	{O365Malware, "Malware detected in a mailbox"},
	{O365Phishing, "Phishing detected in a mailbox"},
	{O365AttachmentFiltered, "Attachment filtered in a mailbox"},
}

// IsCondition reports whether the type is a condition that ends ("mailboxes
// protection is not provided", "license-related issue occurred"); service orders
// for conditions close when the condition ends.
func (t Office365EventType) IsCondition() bool {
	return t == O365MailboxesNotProtected || t == O365LicenseIssue
}

// Event is one event of a console.
type Event struct {
	// ID is unique per source (KSC: event_db_id).
	ID       string
	TenantID string
	// DeviceID and DeviceName are empty for events not tied to a device.
	DeviceID   string
	DeviceName string
	Origin     Origin
	// Severity is set for KSC and KES Cloud events.
	Severity Severity
	// O365Type is set for Office 365 events.
	O365Type Office365EventType
	// Type and TypeName are the console's own event type and its display name.
	Type     string
	TypeName string
	Time     time.Time
	Text     string
	// Active, for condition events (O365Type.IsCondition()), tells whether the
	// condition still held when the source read the event.
	Active bool
}
