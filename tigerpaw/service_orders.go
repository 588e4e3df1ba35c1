package tigerpaw

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ServiceOrdersService creates, reads, updates, closes and finds service orders.
// Use it as Client.ServiceOrders.
type ServiceOrdersService struct{ c *Client }

// ServiceOrder is the core of a service order record.
type ServiceOrder struct {
	AccountNumber       int
	Status              string
	Priority            string
	ServiceOrderType    string
	DispatchBoardNumber int
	TechnicianAssigned  int
	TakenBy             int
	BriefDescription    string
	WorkRequested       string
	WorkPerformed       string
	Reference           string
	DateTimeOpened      DateTime
	DateTimeClosed      DateTime
}

// ServiceOrderLock says who has a service order open in the Tigerpaw UI.
type ServiceOrderLock struct {
	LockingRepNumber int
	LockingRepName   string
}

// ServiceOrderSummary is a service order as Tigerpaw returns it.
type ServiceOrderSummary struct {
	ServiceOrderNumber    int
	ServiceOrder          ServiceOrder
	AccountName           string
	PrimaryTechnicianName string
	OpenTasks             int
	// ServiceOrderLock is set while the order is open in the Tigerpaw UI; updates
	// are refused then.
	ServiceOrderLock *ServiceOrderLock
}

// Locked reports whether the order is locked by the Tigerpaw UI.
func (s *ServiceOrderSummary) Locked() bool { return s.ServiceOrderLock != nil }

// NewServiceOrder is a service order to create. Status, Priority and
// ServiceOrderType are names from the master tables; DispatchBoardNumber is a
// board id and TechnicianAssigned a rep number. Reference should carry a short,
// stable key of the caller so the order can be found again (FindByReference).
type NewServiceOrder struct {
	AccountNumber       int              `json:"AccountNumber"`
	TechnicianAssigned  int              `json:"TechnicianAssigned,omitempty"`
	TakenBy             int              `json:"TakenBy,omitempty"`
	Status              string           `json:"Status"`
	Priority            string           `json:"Priority"`
	ServiceOrderType    string           `json:"ServiceOrderType,omitempty"`
	DispatchBoardNumber int              `json:"DispatchBoardNumber,omitempty"`
	BriefDescription    string           `json:"BriefDescription"`
	WorkRequested       string           `json:"WorkRequested,omitempty"`
	Reference           string           `json:"Reference,omitempty"`
	DateTimeOpened      *WrappedDateTime `json:"DateTimeOpened,omitempty"`
}

// ServiceOrderUpdate holds the fields of an order to change; nil fields are not
// sent.
type ServiceOrderUpdate struct {
	Status             *string          `json:"Status,omitempty"`
	Priority           *string          `json:"Priority,omitempty"`
	TechnicianAssigned *int             `json:"TechnicianAssigned,omitempty"`
	BriefDescription   *string          `json:"BriefDescription,omitempty"`
	WorkPerformed      *string          `json:"WorkPerformed,omitempty"`
	CompleteOpenTasks  *bool            `json:"CompleteOpenTasks,omitempty"`
	DateTimeClosed     *WrappedDateTime `json:"DateTimeClosed,omitempty"`
}

// CloseServiceOrder says how to close an order: Status is the configured closed
// status (required); WorkPerformed is optional; CompleteOpenTasks completes the
// order's open tasks; ClosedAt, when set, is sent as DateTimeClosed.
type CloseServiceOrder struct {
	Status            string
	WorkPerformed     string
	CompleteOpenTasks bool
	ClosedAt          time.Time
}

// serviceOrderAnswer is the answer of create and update.
type serviceOrderAnswer struct {
	ServiceOrderSummary *ServiceOrderSummary
}

// Create creates a service order (POST /api/ServiceOrders) and returns it; its
// number is ServiceOrderNumber. It is never retried after the request may have
// reached the server: after an error, look the order up with FindByReference
// before creating it again.
func (s *ServiceOrdersService) Create(ctx context.Context, so NewServiceOrder) (*ServiceOrderSummary, error) {
	if err := positive("service order AccountNumber", so.AccountNumber); err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, v string }{
		{"Status", so.Status}, {"Priority", so.Priority}, {"BriefDescription", so.BriefDescription},
	} {
		if strings.TrimSpace(f.v) == "" {
			return nil, fmt.Errorf("tigerpaw: create service order: %s is empty", f.name)
		}
	}
	if so.DateTimeOpened != nil {
		w := WrappedDateTime{DateTime: so.DateTimeOpened.DateTime.In(s.c.loc)}
		so.DateTimeOpened = &w
	}
	const path = "/api/ServiceOrders"
	body, err := s.c.do(ctx, &request{method: http.MethodPost, path: path, body: so})
	if err != nil {
		return nil, err
	}
	sum, err := s.answer(http.MethodPost, path, body)
	if err == nil {
		err = sameOrder(path, so, sum)
	}
	if err != nil {
		return nil, fmt.Errorf("%w; the order may have been created: look it up by Reference before creating it again", err)
	}
	return sum, nil
}

// sameOrder checks that the answer of a create carries the order sent: its
// Reference and AccountNumber, where the answer gives them. An answer that
// carries another order (another request's answer, a proxy's) would have the
// caller take that order for its own, and later close it.
func sameOrder(path string, sent NewServiceOrder, got *ServiceOrderSummary) error {
	ref, want := strings.TrimSpace(got.ServiceOrder.Reference), strings.TrimSpace(sent.Reference)
	switch {
	case ref != "" && want != "" && !strings.EqualFold(ref, want):
		return malformed(http.MethodPost, path, "service order %d has Reference %q, want %q (the one created)", got.ServiceOrderNumber, ref, want)
	case got.ServiceOrder.AccountNumber != 0 && got.ServiceOrder.AccountNumber != sent.AccountNumber:
		return malformed(http.MethodPost, path, "service order %d has AccountNumber %d, want %d (the one created)",
			got.ServiceOrderNumber, got.ServiceOrder.AccountNumber, sent.AccountNumber)
	}
	return nil
}

// answer reads the ServiceOrderSummary of a create or update answer.
func (s *ServiceOrdersService) answer(method, path string, body []byte) (*ServiceOrderSummary, error) {
	var out serviceOrderAnswer
	if err := s.c.decode(method, path, body, &out); err != nil {
		return nil, err
	}
	if out.ServiceOrderSummary == nil || out.ServiceOrderSummary.ServiceOrderNumber <= 0 {
		return nil, fmt.Errorf("tigerpaw: %s %s: answer has no ServiceOrderSummary with a ServiceOrderNumber", method, path)
	}
	return out.ServiceOrderSummary, nil
}

// Get returns a service order with its lock (GET /api/serviceorders/{n}).
func (s *ServiceOrdersService) Get(ctx context.Context, number int) (*ServiceOrderSummary, error) {
	if err := positive("service order number", number); err != nil {
		return nil, err
	}
	var so ServiceOrderSummary
	path := pathf("/api/serviceorders/%d", number)
	if err := s.c.getJSON(ctx, path, nil, &so); err != nil {
		return nil, err
	}
	if err := sameNumber(path, "ServiceOrderNumber", so.ServiceOrderNumber, number); err != nil {
		return nil, err
	}
	return &so, nil
}

// Update changes the given fields of an order (PUT /api/serviceorders/{n}) and
// returns the order as updated. A refusal because the order is open in the
// Tigerpaw UI is an error matching ErrLocked: recognised from the refusal itself
// (HTTP 409/423, or a Message mentioning a lock) or, for any other refusal, from
// ServiceOrderLock on the order read back; in that second case the error is a
// *LockedError naming the locking rep.
func (s *ServiceOrdersService) Update(ctx context.Context, number int, u ServiceOrderUpdate) (*ServiceOrderSummary, error) {
	if err := positive("service order number", number); err != nil {
		return nil, err
	}
	if u == (ServiceOrderUpdate{}) {
		return nil, errors.New("tigerpaw: update service order: no field to change")
	}
	if u.DateTimeClosed != nil {
		w := WrappedDateTime{DateTime: u.DateTimeClosed.DateTime.In(s.c.loc)}
		u.DateTimeClosed = &w
	}
	path := pathf("/api/serviceorders/%d", number)
	body, err := s.c.do(ctx, &request{method: http.MethodPut, path: path, body: u, retry: true})
	if err != nil {
		return nil, s.lockedOr(ctx, number, err)
	}
	if sum, err := s.answer(http.MethodPut, path, body); err == nil && sum.ServiceOrderNumber == number {
		return sum, nil
	}
	// The update was accepted but the answer does not carry the order (or
	// carries another one): read it, which checks the number.
	return s.Get(ctx, number)
}

// lockedOr turns a refusal of an update into a *LockedError (matching
// ErrLocked) naming the locking rep when the order turns out to be locked.
func (s *ServiceOrdersService) lockedOr(ctx context.Context, number int, err error) error {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Temporary() || errors.Is(err, ErrLocked) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnauthorized) {
		return err
	}
	so, gerr := s.Get(ctx, number)
	if gerr != nil || !so.Locked() {
		return err
	}
	return &LockedError{Number: number, RepNumber: so.ServiceOrderLock.LockingRepNumber, RepName: so.ServiceOrderLock.LockingRepName, Err: err}
}

// Close sets an order to the closed status (PUT /api/serviceorders/{n}). When
// the order is open in the Tigerpaw UI the error matches ErrLocked; keep the close
// pending and try again later.
func (s *ServiceOrdersService) Close(ctx context.Context, number int, cl CloseServiceOrder) (*ServiceOrderSummary, error) {
	if strings.TrimSpace(cl.Status) == "" {
		return nil, errors.New("tigerpaw: close service order: Status (the closed status) is empty")
	}
	u := ServiceOrderUpdate{Status: &cl.Status}
	if cl.WorkPerformed != "" {
		u.WorkPerformed = &cl.WorkPerformed
	}
	if cl.CompleteOpenTasks {
		t := true
		u.CompleteOpenTasks = &t
	}
	if !cl.ClosedAt.IsZero() {
		u.DateTimeClosed = &WrappedDateTime{DateTime: DateTime{cl.ClosedAt}}
	}
	return s.Update(ctx, number, u)
}

// serviceOrderFoundSpec reads the results of the reference search strictly:
// each carries its ServiceOrderNumber and its ServiceOrder.Reference, the
// field the search is filtered on.
var serviceOrderFoundSpec = listSpec[ServiceOrderSummary]{
	what:     "service order",
	required: []string{"ServiceOrderNumber", "ServiceOrder.Reference"},
	check: func(so *ServiceOrderSummary) error {
		return positiveField("ServiceOrderNumber", so.ServiceOrderNumber)
	},
}

// FindByReference returns the orders whose Reference is ref, ignoring case and
// surrounding spaces (Tigerpaw stores text in SQL Server, whose usual collation
// ignores case, and a fixed-width column pads it). Tigerpaw's reference search
// (POST /api/serviceorders/search/reference) may match prefixes; its results are
// filtered here, so "KT-1" does not find "KT-12". An answer without the
// ServiceOrders list, or with a result lacking its number or reference, is an
// error wrapping ErrMalformedResponse, never "not found".
func (s *ServiceOrdersService) FindByReference(ctx context.Context, ref string) ([]ServiceOrderSummary, error) {
	if strings.TrimSpace(ref) == "" {
		return nil, errors.New("tigerpaw: find service order: reference is empty")
	}
	const path = "/api/serviceorders/search/reference"
	seq := paginate(ctx, s.c, "service orders by reference", 0, func(ctx context.Context, row, size int) (page[ServiceOrderSummary], error) {
		body, err := s.c.do(ctx, &request{method: http.MethodPost, path: path, query: pageQuery(row, size), body: ref, retry: true})
		if err != nil {
			return page[ServiceOrderSummary]{}, err
		}
		return decodePage(s.c, http.MethodPost, path, body, "ServiceOrders", serviceOrderFoundSpec)
	})
	var out []ServiceOrderSummary
	for so, err := range seq {
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(strings.TrimSpace(so.ServiceOrder.Reference), strings.TrimSpace(ref)) {
			out = append(out, so)
		}
	}
	return out, nil
}

// ServiceOrderNote is a note of a service order, as GET
// /api/serviceorders/{n}/notes lists it (18.2.1).
type ServiceOrderNote struct {
	ServiceOrderNoteNumber int
	Topic                  string
	Note                   string
	DateCreated            DateTime
	LastModified           DateTime
	RepNumber              int
	RepName                string
}

// NewServiceOrderNote is a note to add. Tigerpaw stamps DateCreated itself when
// the note carries none (assumed: 18.2.1 lists DateCreated and StartTime in
// the body without saying whether they are required; this client sends
// neither). RepNumber, when set, names the rep the note is from.
type NewServiceOrderNote struct {
	Topic     string `json:"Topic"`
	Note      string `json:"Note"`
	RepNumber int    `json:"RepNumber,omitempty"`
}

// noteAnswer is the answer of POST /api/serviceorders/{n}/notes.
type noteAnswer struct {
	Note *ServiceOrderNote
}

// Notes lists the notes of a service order (GET /api/serviceorders/{n}/notes).
// An answer that is not a list, or a note without its number, is an error
// wrapping ErrMalformedResponse: a caller that reads notes back to avoid
// adding one twice must not take a broken answer for "no note".
func (s *ServiceOrdersService) Notes(ctx context.Context, number int) ([]ServiceOrderNote, error) {
	if err := positive("service order number", number); err != nil {
		return nil, err
	}
	path := pathf("/api/serviceorders/%d/notes", number)
	body, err := s.c.do(ctx, &request{method: http.MethodGet, path: path, retry: true})
	if err != nil {
		return nil, err
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("tigerpaw: GET %s: the answer is not a list of notes: %w", path, ErrMalformedResponse)
	}
	out := make([]ServiceOrderNote, len(raw))
	for i, r := range raw {
		if err := s.c.decode(http.MethodGet, path, r, &out[i]); err != nil {
			return nil, err
		}
		if out[i].ServiceOrderNoteNumber <= 0 {
			return nil, fmt.Errorf("tigerpaw: GET %s: note %d has no ServiceOrderNoteNumber: %w", path, i, ErrMalformedResponse)
		}
	}
	return out, nil
}

// AddNote adds a note to a service order (POST /api/serviceorders/{n}/notes).
// A note is not idempotent, so the request is never retried after it may have
// reached the server: after an error, read the notes back (Notes) and look
// for your own marker before adding it again.
func (s *ServiceOrdersService) AddNote(ctx context.Context, number int, n NewServiceOrderNote) (*ServiceOrderNote, error) {
	if err := positive("service order number", number); err != nil {
		return nil, err
	}
	if strings.TrimSpace(n.Note) == "" {
		return nil, errors.New("tigerpaw: add service order note: Note is empty")
	}
	path := pathf("/api/serviceorders/%d/notes", number)
	body, err := s.c.do(ctx, &request{method: http.MethodPost, path: path, body: n})
	if err != nil {
		return nil, s.lockedOr(ctx, number, err)
	}
	var out noteAnswer
	if err := s.c.decode(http.MethodPost, path, body, &out); err != nil {
		return nil, fmt.Errorf("%w; the note may have been added: read the notes back before adding it again", err)
	}
	if out.Note == nil {
		// Accepted (Success true) without the note echoed: not an error.
		return &ServiceOrderNote{Topic: n.Topic, Note: n.Note, RepNumber: n.RepNumber}, nil
	}
	return out.Note, nil
}

// Reopen sets a closed order back to status (the configured new status) and
// clears its close date (PUT /api/serviceorders/{n}). When the order is open in
// the Tigerpaw UI the error matches ErrLocked.
func (s *ServiceOrdersService) Reopen(ctx context.Context, number int, status string) (*ServiceOrderSummary, error) {
	if strings.TrimSpace(status) == "" {
		return nil, errors.New("tigerpaw: reopen service order: Status (the new status) is empty")
	}
	return s.Update(ctx, number, ServiceOrderUpdate{Status: &status})
}
