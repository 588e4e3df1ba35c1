package hub

import (
	"context"
	"iter"
	"net/url"
	"time"
)

// Event is a Kaspersky Endpoint Security Cloud event as the contract sends it.
type Event struct {
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	// Severity is "info", "warning", "functional-failure" or "critical".
	Severity    string `json:"severity"`
	Type        string `json:"type"`
	DeviceID    string `json:"deviceId"`
	Description string `json:"description"`
}

// Office365Event is a Kaspersky Security for Microsoft Office 365 event as the
// contract sends it.
type Office365Event struct {
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	// Type is "exchange-connection", "mailboxes-not-protected",
	// "license-issue", "malware", "phishing" or "attachment-filtered".
	Type        string `json:"type"`
	Description string `json:"description"`
	// Active tells, for the two condition types, whether the condition still
	// holds.
	Active bool `json:"active"`
}

// sinceQuery is ?since=<RFC3339>, or nothing for the zero time.
func sinceQuery(since time.Time) url.Values {
	if since.IsZero() {
		return nil
	}
	return url.Values{"since": {since.UTC().Format(time.RFC3339Nano)}}
}

// Events lists the KES Cloud events of a company raised at or after since (GET
// /api/v1/companies/{id}/events?since=…); the zero since asks for all.
func (c *Client) Events(ctx context.Context, companyID string, since time.Time) iter.Seq2[Event, error] {
	p, err := companyPath(companyID, "events")
	if err != nil {
		return failed[Event](err)
	}
	return list(ctx, c, p, sinceQuery(since), decodePlain[Event])
}

// Office365Events lists the Office 365 events of a company raised at or after
// since (GET /api/v1/companies/{id}/office365/events?since=…).
func (c *Client) Office365Events(ctx context.Context, companyID string, since time.Time) iter.Seq2[Office365Event, error] {
	p, err := companyPath(companyID, "office365/events")
	if err != nil {
		return failed[Office365Event](err)
	}
	return list(ctx, c, p, sinceQuery(since), decodePlain[Office365Event])
}
