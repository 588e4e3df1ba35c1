package ksc

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"time"
)

// EventSeverity is GNRL_EA_SEVERITY.
type EventSeverity int

// The event severities as KSC numbers them.
const (
	SeverityInfo     EventSeverity = 1
	SeverityWarning  EventSeverity = 2
	SeverityError    EventSeverity = 3 // shown as "Functional failure"
	SeverityCritical EventSeverity = 4
)

// Event is an event record of EventProcessing.
type Event struct {
	// ID is event_db_id, unique per server.
	ID          int64
	Type        string // event_type
	TypeName    string // event_type_display_name
	Time        time.Time
	HostID      string // hostname (KLHST_WKS_HOSTNAME)
	HostName    string // hostdn
	Severity    EventSeverity
	Description string // GNRL_EA_DESCRIPTION
	ProductName string // product_name
}

// EventFields are the attributes event queries ask for.
var EventFields = []string{
	"event_db_id", "event_type", "event_type_display_name", "rise_time", "hostname", "hostdn",
	"GNRL_EA_SEVERITY", "GNRL_EA_DESCRIPTION", "product_name",
}

type eventWire struct {
	ID          flexInt  `json:"event_db_id"`
	Type        string   `json:"event_type"`
	TypeName    string   `json:"event_type_display_name"`
	Rise        flexTime `json:"rise_time"`
	Host        string   `json:"hostname"`
	HostDN      string   `json:"hostdn"`
	Severity    flexInt  `json:"GNRL_EA_SEVERITY"`
	Description string   `json:"GNRL_EA_DESCRIPTION"`
	Product     string   `json:"product_name"`
}

func (w *eventWire) event() Event {
	return Event{
		ID: w.ID.v, Type: w.Type, TypeName: w.TypeName, Time: w.Rise.t, HostID: w.Host, HostName: w.HostDN,
		Severity: EventSeverity(w.Severity.v), Description: w.Description, ProductName: w.Product,
	}
}

// EventQuery selects events.
type EventQuery struct {
	// From and To bound the rise time, both inclusive at one-second precision
	// (KSC keeps whole seconds); a zero bound is open.
	From, To time.Time
	// Severities keeps only events of these severities; empty keeps all.
	Severities []EventSeverity
}

// Events iterates over the events of the window, oldest first, each once
// (de-duplicated by event_db_id), through an EventProcessing iterator that is
// released when the loop ends. The window and severity are applied by the
// server and checked again by the client, since servers read the bounds
// differently. An event without its rise_time (absent, null or empty) ends
// the read with an error wrapping ErrIncomplete that names its event_db_id.
func (c *Client) Events(ctx context.Context, q EventQuery) iter.Seq2[Event, error] {
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return func(yield func(Event, error) bool) {
			yield(Event{}, fmt.Errorf("ksc: Events: To %v is before From %v", q.To, q.From))
		}
	}
	filter := Params{}
	if !q.From.IsZero() {
		filter["KLEVP_EVENT_RISE_TIME_LEAST"] = q.From.UTC().Truncate(time.Second)
	}
	if !q.To.IsZero() {
		filter["KLEVP_EVENT_RISE_TIME_GREATEST"] = q.To.UTC().Truncate(time.Second)
	}
	if len(q.Severities) == 1 {
		filter["GNRL_EA_SEVERITY"] = int(q.Severities[0])
	}
	const rangeMethod = "EventProcessing.GetRecordRange"
	f := family[eventWire]{
		name:       "EventProcessing",
		readMethod: rangeMethod,
		idField:    "event_db_id",
		open: func(ctx context.Context) (handle, error) {
			const method, countMethod = "EventProcessingFactory.CreateEventProcessing2", "EventProcessing.GetRecordCount"
			var h handle
			args := Params{
				"pFilter":           filter,
				"vecFieldsToReturn": EventFields,
				"vecFieldsToOrder":  []Params{{"Name": "rise_time", "Asc": true}, {"Name": "event_db_id", "Asc": true}},
				"lifetimeSec":       int(c.core.lifetime / time.Second),
			}
			var out struct {
				ID string `json:"strIteratorId"`
			}
			check := func() error {
				if out.ID == "" {
					return incomplete(method, "response has no strIteratorId")
				}
				return nil
			}
			if err := c.openResultSet(ctx, method, args, &h.gen, "strIteratorId", &out, check, c.releaseEvents); err != nil {
				return h, err
			}
			h.id = out.ID
			var cnt struct {
				Count *countInt `json:"PxgRetVal"`
			}
			err := c.call(ctx, countMethod, Params{"strIteratorId": h.id}, &cnt, callOpts{idempotent: true, pin: &h.gen})
			if err == nil && (cnt.Count == nil || !cnt.Count.ok) {
				err = incomplete(countMethod, "response has no count (PxgRetVal)")
			}
			if err == nil && (cnt.Count.v < 0 || cnt.Count.v > maxSetItems) {
				err = incomplete(countMethod, "count %d is out of range", cnt.Count.v)
			}
			if err != nil {
				c.releaseEvents(ctx, h)
				return h, err
			}
			h.total = int(cnt.Count.v)
			return h, nil
		},
		read: func(ctx context.Context, h handle, pos int) (page[eventWire], error) {
			end := min(pos+c.core.chunk, h.total)
			var out struct {
				Events *eventArray[eventWire] `json:"pParamsEvents"`
			}
			args := Params{"strIteratorId": h.id, "nStart": pos, "nEnd": end}
			if err := c.call(ctx, rangeMethod, args, &out, callOpts{idempotent: true, pin: &h.gen}); err != nil {
				return page[eventWire]{}, err
			}
			if out.Events == nil {
				return page[eventWire]{}, incomplete(rangeMethod, "response has no pParamsEvents (missing or null)")
			}
			items, err := out.Events.list(rangeMethod, "pParamsEvents")
			if err != nil {
				return page[eventWire]{}, err
			}
			// The end may be read as inclusive: the next range starts at end anyway,
			// and the overlap is removed by event_db_id.
			return page[eventWire]{items: items, next: end}, nil
		},
		release: func(ctx context.Context, h handle) error {
			return c.call(ctx, "EventProcessing.ReleaseIterator", Params{"strIteratorId": h.id}, nil, callOpts{idempotent: true, pin: &h.gen})
		},
		repeatableRead: true,
		// An event without its time would be taken for one raised in the
		// year 1: the service order engine ignores an event that old, and
		// the event would never open its order.
		check: func(w eventWire) error {
			if w.Rise.t.IsZero() {
				return fmt.Errorf("rise_time is missing, null or empty: when the event was raised is unknown")
			}
			return nil
		},
		key: func(w eventWire) string {
			if !w.ID.ok {
				return ""
			}
			return strconv.FormatInt(w.ID.v, 10)
		},
	}
	return func(yield func(Event, error) bool) {
		for w, err := range iterate(ctx, c, f) {
			if err != nil {
				yield(Event{}, err)
				return
			}
			e := w.event()
			if !q.From.IsZero() && e.Time.Before(q.From.Truncate(time.Second)) {
				continue
			}
			if !q.To.IsZero() && e.Time.After(q.To) {
				continue
			}
			if len(q.Severities) > 0 && !slices.Contains(q.Severities, e.Severity) {
				continue
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}

func (c *Client) releaseEvents(ctx context.Context, h handle) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	_ = c.call(rctx, "EventProcessing.ReleaseIterator", Params{"strIteratorId": h.id}, nil, callOpts{idempotent: true, pin: &h.gen})
}

// EventList returns the events of the window, sorted by time and id.
func (c *Client) EventList(ctx context.Context, q EventQuery) ([]Event, error) {
	evs, err := collect(c.Events(ctx, q))
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(evs, func(a, b Event) int {
		if d := a.Time.Compare(b.Time); d != 0 {
			return d
		}
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return evs, nil
}
