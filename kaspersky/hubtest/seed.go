package hubtest

import "time"

// Company is a company of the fake Business Hub.
type Company struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// StatusDescription is one reason for a device's status, as the fake sends it.
type StatusDescription struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// Device is a device of a company. Platform is "windows", "macos", "linux",
// "android" or "ios"; Kind is "workstation", "server" or "mobile"; Status is
// "ok", "warning" or "critical". The fake sends the values as they are, so a
// test can send values outside the contract too.
type Device struct {
	ID                 string              `json:"id"`
	Name               string              `json:"name"`
	Platform           string              `json:"platform"`
	Kind               string              `json:"kind"`
	UserID             string              `json:"userId,omitempty"`
	Status             string              `json:"status"`
	StatusDescriptions []StatusDescription `json:"statusDescriptions"`
}

// License is a license of a company. Product is "kes-cloud", "kes-cloud-plus",
// "kes-cloud-pro" or "office365"; Type is "commercial", "trial" or
// "subscription"; State is "active", "paused" or "cancelled".
type License struct {
	ID        string    `json:"id"`
	Product   string    `json:"product"`
	Type      string    `json:"type"`
	State     string    `json:"state"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	Capacity  int       `json:"capacity"`
	Users     []string  `json:"users"`
	Mailboxes int       `json:"mailboxes"`
	// Used is sent as "used" when not zero: how many devices, users or
	// mailboxes count against the license.
	Used int `json:"used,omitempty"`
}

// Event is a Kaspersky Endpoint Security Cloud event of a company. Severity is
// "info", "warning", "functional-failure" or "critical".
type Event struct {
	ID          string    `json:"id"`
	Time        time.Time `json:"time"`
	Severity    string    `json:"severity"`
	Type        string    `json:"type"`
	DeviceID    string    `json:"deviceId,omitempty"`
	Description string    `json:"description"`
}

// Office365Event is a Kaspersky Security for Microsoft Office 365 event of a
// company. Type is "exchange-connection", "mailboxes-not-protected",
// "license-issue", "malware", "phishing" or "attachment-filtered"; Active tells,
// for the two condition types, whether the condition still holds.
type Office365Event struct {
	ID          string    `json:"id"`
	Time        time.Time `json:"time"`
	Type        string    `json:"type"`
	Description string    `json:"description"`
	Active      bool      `json:"active"`
}

// Office365Status is the Office 365 protection state of a company.
type Office365Status struct {
	MailboxesProtected bool `json:"mailboxesProtected"`
	LicenseOK          bool `json:"licenseOk"`
	ProtectedMailboxes int  `json:"protectedMailboxes"`
}

// Fault is a failure injected into requests. It applies to the next Times
// requests (at least one) whose method and path match; an empty Method or Path
// matches any. Path is the request path without its query, e.g.
// "/api/v1/companies/c1/devices".
//
// Besides failures, a fault can replace an answer (Body) or rewrite the real
// one (Rewrite), to serve the malformed and partial answers a real server
// gives on a bad day. A fault applies at most one of: Drop, Body, Status,
// Rewrite, in that order of precedence (Delay combines with any).
type Fault struct {
	Method string
	Path   string
	// Page, when not zero, matches only requests for that page of a list
	// (?page=N; a request without ?page= asks for page 1).
	Page int
	// Times is how many matching requests the fault applies to; values below 1
	// mean 1.
	Times int
	// Delay waits before the request is handled (or until the client gives up).
	Delay time.Duration
	// Drop closes the connection without an answer.
	Drop bool
	// Status answers with this HTTP status and an error body
	// {"error":{"code","message"}}.
	Status int
	// Code and Message fill the error body; they default to "injected" and the
	// status text.
	Code    string
	Message string
	// RetryAfter, when not empty, is sent as the Retry-After header, as it is
	// (whole seconds or an HTTP date).
	RetryAfter string
	// Body, when not nil, is the whole answer, sent as it is with
	// Content-Type application/json and status Status (200 when Status is
	// zero). The request is not served otherwise.
	Body []byte
	// Rewrite, when not nil, serves the request as usual and passes the JSON
	// body of the answer through Rewrite before it is sent; the status and
	// headers stay. Rewrite runs on the server's goroutine, outside the
	// server's lock; it may keep state of its own if it guards it.
	Rewrite func(body []byte) []byte
}
