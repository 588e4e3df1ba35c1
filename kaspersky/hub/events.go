package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strings"
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
// /api/v1/companies/{id}/events?since=…); the zero since asks for all. An
// event without its time (absent, null, empty or the zero time) ends the read
// with an error wrapping ErrIncomplete that names the event's id.
func (c *Client) Events(ctx context.Context, companyID string, since time.Time) iter.Seq2[Event, error] {
	p, err := companyPath(companyID, "events")
	if err != nil {
		return failed[Event](err)
	}
	return list(ctx, c, p, sinceQuery(since), decodeEvent)
}

// Office365Events lists the Office 365 events of a company raised at or after
// since (GET /api/v1/companies/{id}/office365/events?since=…). An event
// without its time ends the read as in Events.
func (c *Client) Office365Events(ctx context.Context, companyID string, since time.Time) iter.Seq2[Office365Event, error] {
	p, err := companyPath(companyID, "office365/events")
	if err != nil {
		return failed[Office365Event](err)
	}
	return list(ctx, c, p, sinceQuery(since), decodeOffice365Event)
}

// decodeEvent decodes a KES Cloud event; its time is required (see
// eventTime).
func decodeEvent(raw []byte, _ *int) (Event, error) {
	var w struct {
		Event
		Time json.RawMessage `json:"time"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return Event{}, err
	}
	e := w.Event
	t, err := eventTime(e.ID, w.Time)
	if err != nil {
		return Event{}, err
	}
	e.Time = t
	return e, nil
}

// decodeOffice365Event decodes an Office 365 event; its time is required (see
// eventTime).
func decodeOffice365Event(raw []byte, _ *int) (Office365Event, error) {
	var w struct {
		Office365Event
		Time json.RawMessage `json:"time"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return Office365Event{}, err
	}
	e := w.Office365Event
	t, err := eventTime(e.ID, w.Time)
	if err != nil {
		return Office365Event{}, err
	}
	e.Time = t
	return e, nil
}

// eventTime reads the time of event id. An event without a time would read as
// raised in the year 1: a read with since drops it as too old, and the service
// order engine would drop it if it came through, so the order it should open
// would never open. A time that is absent, null, empty or the zero time is an
// error naming the event. An event without an id reads without error here:
// the list's identity check names it.
func eventTime(id string, raw json.RawMessage) (time.Time, error) {
	raw = bytes.TrimSpace(raw)
	var t time.Time
	switch {
	case len(raw) == 0 || string(raw) == "null" || string(raw) == `""`:
	default:
		if err := json.Unmarshal(raw, &t); err != nil {
			if strings.TrimSpace(id) == "" {
				return time.Time{}, fmt.Errorf("time: %w", err)
			}
			return time.Time{}, fmt.Errorf("event %q: time: %w", capText(id), err)
		}
	}
	if t.IsZero() && strings.TrimSpace(id) != "" {
		return time.Time{}, fmt.Errorf("event %q: time is missing, null, empty or zero: when it was raised is unknown", capText(id))
	}
	return t, nil
}
