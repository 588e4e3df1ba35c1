package tigerpaw

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAPIErrorIs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                        string
		err                         *APIError
		unauthorized, notFound, lck bool
		temporary                   bool
	}{
		{name: "401", err: &APIError{StatusCode: 401}, unauthorized: true},
		{name: "404", err: &APIError{StatusCode: 404}, notFound: true},
		{name: "409", err: &APIError{StatusCode: 409}, lck: true},
		{name: "423", err: &APIError{StatusCode: 423}, lck: true},
		{name: "lock message on 200", err: &APIError{StatusCode: 200, Message: "Service Order is LOCKED by Jane"}, lck: true},
		{name: "other refusal", err: &APIError{StatusCode: 200, Message: "Status is required"}},
		{name: "429", err: &APIError{StatusCode: 429}, temporary: true},
		{name: "502", err: &APIError{StatusCode: 502}, temporary: true},
		{name: "503", err: &APIError{StatusCode: 503}, temporary: true},
		{name: "504", err: &APIError{StatusCode: 504}, temporary: true},
		{name: "500", err: &APIError{StatusCode: 500}},
	}
	for _, tc := range tests {
		wrapped := fmt.Errorf("context: %w", tc.err)
		if got := errors.Is(wrapped, ErrUnauthorized); got != tc.unauthorized {
			t.Errorf("%s: Is(ErrUnauthorized) = %v", tc.name, got)
		}
		if got := errors.Is(wrapped, ErrNotFound); got != tc.notFound {
			t.Errorf("%s: Is(ErrNotFound) = %v", tc.name, got)
		}
		if got := errors.Is(wrapped, ErrLocked); got != tc.lck {
			t.Errorf("%s: Is(ErrLocked) = %v", tc.name, got)
		}
		if got := tc.err.Temporary(); got != tc.temporary {
			t.Errorf("%s: Temporary() = %v", tc.name, got)
		}
		if got, want := errors.Is(wrapped, ErrOutcomeUnknown), tc.err.StatusCode >= 500; got != want {
			t.Errorf("%s: Is(ErrOutcomeUnknown) = %v, want %v", tc.name, got, want)
		}
	}
}

func TestAPIErrorMessage(t *testing.T) {
	t.Parallel()
	e := newAPIError("PUT", "/api/serviceorders/5", 200, []byte(`{"Success":false,"Message":"locked by Jane"}`))
	if got, want := e.Error(), "tigerpaw: PUT /api/serviceorders/5: refused (HTTP 200, Success false): locked by Jane"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = newAPIError("GET", "/api/x", 500, []byte("<html>boom</html>"))
	if got, want := e.Error(), `tigerpaw: GET /api/x: HTTP 500 Internal Server Error: body "<html>boom</html>"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = newAPIError("GET", "/api/x", 502, nil)
	if got, want := e.Error(), "tigerpaw: GET /api/x: HTTP 502 Bad Gateway"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// A LockedError matches ErrLocked, keeps its refusal reachable and reads as
// the error lockedOr built before the type existed.
func TestLockedError(t *testing.T) {
	t.Parallel()
	refusal := &APIError{Method: "PUT", Path: "/api/serviceorders/5", StatusCode: 200, Message: "The record could not be saved."}
	err := fmt.Errorf("closing: %w", &LockedError{Number: 5, RepNumber: 7, RepName: "Jane Tech", Err: refusal})
	if !errors.Is(err, ErrLocked) || errors.Is(err, ErrNotFound) {
		t.Errorf("Is(ErrLocked) = %v, Is(ErrNotFound) = %v", errors.Is(err, ErrLocked), errors.Is(err, ErrNotFound))
	}
	var le *LockedError
	if !errors.As(err, &le) || le.RepNumber != 7 || le.RepName != "Jane Tech" || le.Number != 5 {
		t.Fatalf("As(*LockedError) = %+v", le)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae != refusal {
		t.Errorf("the refusal is not reachable: %v", ae)
	}
	old := fmt.Errorf("tigerpaw: service order %d is locked by rep %d (%s): %w: %w", 5, 7, "Jane Tech", ErrLocked, refusal)
	if got, want := le.Error(), old.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := (&LockedError{Number: 5}).Error(), "tigerpaw: service order 5 is locked by rep 0 (): tigerpaw: service order locked"; got != want {
		t.Errorf("without a refusal: Error() = %q, want %q", got, want)
	}
}

func TestExcerptCapsOnRuneBoundary(t *testing.T) {
	t.Parallel()
	body := []byte(strings.Repeat("é", 400)) // 800 bytes
	got := excerpt(body)
	if !utf8.ValidString(got) {
		t.Errorf("excerpt is not valid UTF-8")
	}
	if len(got) > maxErrorExcerpt+len("…") {
		t.Errorf("excerpt has %d bytes, cap is %d", len(got), maxErrorExcerpt)
	}
	if got := excerpt([]byte{0xff, 'a'}); got != "?a" {
		t.Errorf("invalid UTF-8 excerpt = %q", got)
	}
}

func TestCheckEnvelope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body    string
		refused bool
	}{
		{`{"Success":false,"Message":"no"}`, true},
		{`{"success":false}`, true},
		{`{"Success":true}`, false},
		{`{"Accounts":[]}`, false},
		{`[{"Success":false}]`, false},
		{``, false},
		{`{"Success":null}`, false},
		{`{"Success":" True "}`, false},
		// A Success that does not say true is not a success: a boolean
		// written as text, a Message that is not text, a value that is no
		// boolean at all.
		{`{"Success":"false"}`, true},
		{`{"Success":"False","Message":"agreement closed"}`, true},
		{`{"Success":false,"Message":{"Text":"no"}}`, true},
		{`{"Success":false,"Message":42}`, true},
		{`{"Success":"maybe"}`, true},
		{`{"Success":0}`, true},
		{`{"Success":[]}`, true},
	}
	for _, tc := range tests {
		got := checkEnvelope("GET", "/p", 200, []byte(tc.body))
		if (got != nil) != tc.refused {
			t.Errorf("checkEnvelope(%s) = %v, want refused %v", tc.body, got, tc.refused)
		}
	}
}

func TestNotSent(t *testing.T) {
	t.Parallel()
	dial := &net.OpError{Op: "dial", Err: errors.New("connection refused")}
	read := &net.OpError{Op: "read", Err: errors.New("reset")}
	if errors.Is(&transportError{err: dial, beforeSend: true}, ErrOutcomeUnknown) ||
		!errors.Is(&transportError{err: read}, ErrOutcomeUnknown) {
		t.Error("ErrOutcomeUnknown: a request never sent is known not applied, a broken one is unknown")
	}
	if !notSent(fmt.Errorf("wrapped: %w", dial)) {
		t.Error("a dial error was not recognised as not sent")
	}
	if notSent(read) || notSent(errors.New("EOF")) {
		t.Error("a read error was taken as not sent")
	}
	te := &transportError{method: "GET", path: "/p", err: dial}
	if !errors.Is(te, dial) || !strings.Contains(te.Error(), "connection refused") {
		t.Errorf("transportError = %v", te)
	}
}

// TestAPIErrorKeepsMessageBesideOddSuccess: a refusal (non-2xx) whose Success
// is written as text, or whose Message is not text, keeps what its Message
// says: a lock is told by its words.
func TestAPIErrorKeepsMessageBesideOddSuccess(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{"Success":"false","Message":"Service order is locked by Jane Tech."}`: "Service order is locked by Jane Tech.",
		`{"Success":false,"Message":{"Text":"locked"}}`:                         `{"Text":"locked"}`,
		`{"Message":"no"}`: "no",
	} {
		if got := newAPIError("PUT", "/p", 409, []byte(body)).Message; got != want {
			t.Errorf("%s: Message %q, want %q", body, got, want)
		}
	}
}
