package tigerpaw

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors. Test for them with errors.Is; the errors returned by the client
// are *APIError values or wrap them.
var (
	// ErrUnauthorized means Tigerpaw rejected the keys or the signature (HTTP 401).
	ErrUnauthorized = errors.New("tigerpaw: unauthorized")
	// ErrNotFound means the object does not exist (HTTP 404).
	ErrNotFound = errors.New("tigerpaw: not found")
	// ErrLocked means a service order is open in the Tigerpaw UI, which locks it
	// against API edits. Try again later.
	ErrLocked = errors.New("tigerpaw: service order locked")
	// ErrOutcomeUnknown means the request may have been applied although the
	// call failed: the connection broke after the request was sent, or an HTTP
	// 5xx or 408 came back. Before repeating a create, look the object up
	// (ServiceOrdersService.FindByReference, ChargesService.List).
	ErrOutcomeUnknown = errors.New("tigerpaw: outcome unknown")
)

// APIError is an answer of the Tigerpaw server that the client treats as a
// failure: a status outside 2xx, or a 2xx whose envelope's Success does not
// say true.
type APIError struct {
	// Method and Path identify the request (the path without query).
	Method string
	Path   string
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Message is Tigerpaw's Message field, when the body had one.
	Message string
	// Body is an excerpt of the response body, at most 512 bytes.
	Body string
	// RetryAfter is the wait the server asked for with Retry-After (seconds or
	// an HTTP date), at most 24 hours; zero when it sent none.
	RetryAfter time.Duration
}

// Error describes the failure with the request and Tigerpaw's message.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tigerpaw: %s %s: ", e.Method, e.Path)
	if e.StatusCode >= 200 && e.StatusCode <= 299 {
		fmt.Fprintf(&b, "refused (HTTP %d, Success false)", e.StatusCode)
	} else {
		fmt.Fprintf(&b, "HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	switch {
	case e.Message != "":
		fmt.Fprintf(&b, ": %s", e.Message)
	case e.Body != "":
		fmt.Fprintf(&b, ": body %q", e.Body)
	}
	return b.String()
}

// Is makes errors.Is match ErrUnauthorized, ErrNotFound, ErrLocked and, for
// HTTP 5xx and 408, ErrOutcomeUnknown.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrOutcomeUnknown:
		return e.StatusCode >= 500 || e.StatusCode == http.StatusRequestTimeout
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrLocked:
		return e.StatusCode == http.StatusConflict || e.StatusCode == http.StatusLocked ||
			lockWord.MatchString(e.Message)
	}
	return false
}

// LockedError is the refusal of an update to a service order that the
// client found locked in the Tigerpaw UI, with the rep who holds the lock (as
// the order's ServiceOrderLock says). It matches ErrLocked with errors.Is, and
// Err (the refusal, usually an *APIError) stays reachable with errors.As.
type LockedError struct {
	// Number is the service order number.
	Number int
	// RepNumber and RepName are the locking rep (LockingRepNumber,
	// LockingRepName); RepName may be empty.
	RepNumber int
	RepName   string
	// Err is the refusal.
	Err error
}

// Error names the order, the locking rep and the refusal.
func (e *LockedError) Error() string {
	msg := fmt.Sprintf("tigerpaw: service order %d is locked by rep %d (%s): %v", e.Number, e.RepNumber, e.RepName, ErrLocked)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is matches ErrLocked.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Unwrap returns the refusal.
func (e *LockedError) Unwrap() error { return e.Err }

// Temporary reports whether the failure is one that a later attempt may not see:
// HTTP 429, 502, 503 or 504.
func (e *APIError) Temporary() bool {
	switch e.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// lockWord finds a mention of a lock in a refusal ("locked", "Lock", "locking"),
// but not words that merely contain the letters ("block", "clock").
var lockWord = regexp.MustCompile(`(?i)\block(ed|ing|s)?\b`)

// envelope is the part of Tigerpaw's write and search answers that says whether
// the call succeeded. Each member is kept raw and read on its own, so that one
// of an unexpected type does not hide the other.
type envelope struct {
	Success json.RawMessage
	Message json.RawMessage
}

// message is the envelope's Message: its text, or an excerpt of it when it is
// not text.
func (e envelope) message() string {
	var msg string
	if json.Unmarshal(e.Message, &msg) != nil && len(e.Message) > 0 {
		return excerpt(e.Message)
	}
	return msg
}

// succeeded reports whether the envelope does not deny success: Success is
// absent, null, true or "true" (a boolean written as text, as Tigerpaw's
// models invite). Anything else (false, "false", a number) is no evidence
// that the call succeeded.
func (e envelope) succeeded() bool {
	switch strings.TrimSpace(string(e.Success)) {
	case "", "null", "true":
		return true
	}
	var text string
	return json.Unmarshal(e.Success, &text) == nil && strings.EqualFold(strings.TrimSpace(text), "true")
}

// newAPIError builds an APIError from an answer, reading Message when the body is
// a JSON object that has one.
func newAPIError(method, path string, status int, body []byte) *APIError {
	e := &APIError{Method: method, Path: path, StatusCode: status, Body: excerpt(body)}
	var env envelope
	if json.Unmarshal(body, &env) == nil {
		e.Message = env.message()
	}
	return e
}

// checkEnvelope returns an APIError when a 2xx body is an object whose Success
// does not say true (see envelope.succeeded).
func checkEnvelope(method, path string, status int, body []byte) *APIError {
	if !strings.HasPrefix(strings.TrimSpace(string(body)), "{") {
		return nil
	}
	var env envelope
	if json.Unmarshal(body, &env) != nil || env.succeeded() {
		return nil // not JSON (the decoder of the answer reports it), or no denial
	}
	return &APIError{Method: method, Path: path, StatusCode: status, Message: env.message(), Body: excerpt(body)}
}

// excerpt returns at most maxErrorExcerpt bytes of body, cut on a rune boundary.
func excerpt(body []byte) string {
	if len(body) <= maxErrorExcerpt {
		return strings.ToValidUTF8(string(body), "?")
	}
	cut := maxErrorExcerpt
	for cut > 0 && !utf8.RuneStart(body[cut]) {
		cut--
	}
	return strings.ToValidUTF8(string(body[:cut]), "?") + "…"
}

// transportError is a failure to get an answer at all.
type transportError struct {
	method, path string
	err          error
	// beforeSend is true when the request provably never reached the server
	// (the connection could not be made), so even a create may be repeated.
	beforeSend bool
}

// Error names the request and the transport failure.
func (e *transportError) Error() string {
	return fmt.Sprintf("tigerpaw: %s %s: %v", e.method, e.path, e.err)
}

// Unwrap returns the transport failure.
func (e *transportError) Unwrap() error { return e.err }

// Is matches ErrOutcomeUnknown unless the request never left the client.
func (e *transportError) Is(target error) bool { return target == ErrOutcomeUnknown && !e.beforeSend }

// notSent reports whether err says the connection was never established.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
