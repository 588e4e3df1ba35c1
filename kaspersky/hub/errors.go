package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// sentinel is a sentinel error that also matches a more general one.
type sentinel struct {
	msg     string
	parents []error
}

func (e *sentinel) Error() string   { return e.msg }
func (e *sentinel) Unwrap() []error { return e.parents }

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrUnauthorized means the server refused the credentials (HTTP 401 or
	// 403 at login), refused a call again right after a fresh login, or that
	// logins are suspended after such a refusal (see WithAuthHoldOff). It
	// matches kaspersky.ErrUnauthorized too.
	ErrUnauthorized error = &sentinel{"hub: unauthorized", []error{kaspersky.ErrUnauthorized}}
	// ErrNotFound means the server answered 404: an unknown company, or a
	// company without Office 365 protection for its status.
	ErrNotFound = errors.New("hub: not found")
	// ErrBadResponse means a response could not be read: not JSON of the
	// expected shape, a login without a token, or a paged list whose next page
	// does not move forward.
	ErrBadResponse = errors.New("hub: bad response")
	// ErrIncomplete means a paged list could not be shown to be complete and
	// whole, so it is not returned at all: a page that is not an object, a
	// missing or null items list, a null item or one without its id, an id
	// listed twice, a page holding more items than asked for, a total that
	// is missing, changes between pages (twice: a list that changes once is
	// read again), or does not match the items received, an empty page
	// before the end, a next page that does not move forward. The error
	// names the page or the item and the reason. It matches ErrBadResponse
	// too, and kaspersky.ErrIncomplete.
	ErrIncomplete error = &sentinel{"hub: list incomplete or malformed", []error{ErrBadResponse, kaspersky.ErrIncomplete}}
	// ErrUnexpectedValue means a field held a value outside the contract that
	// cannot be mapped safely: a device status, platform or kind, a license
	// type or a license state the client does not know. The error names the
	// item, the field and the value. It matches kaspersky.ErrIncomplete (an
	// answer the jobs change nothing from), not ErrBadResponse.
	ErrUnexpectedValue error = &sentinel{"hub: unexpected value", []error{kaspersky.ErrIncomplete}}
)

// APIError is a non-2xx answer of the server. Code and Message come from the
// body's {"error":{"code","message"}} object and are empty when the body had
// none; Body keeps the start of the body for diagnosis.
type APIError struct {
	// Method and Path are those of the request, e.g. "GET" and
	// "/api/v1/companies/c1/devices" (without the query).
	Method     string
	Path       string
	StatusCode int
	Code       string
	Message    string
	// Body is the start of the response body, at most 512 bytes.
	Body string
	// RetryAfter is the wait the server asked for with Retry-After (seconds or
	// an HTTP date), at most 24 hours; zero when it sent none.
	RetryAfter time.Duration
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hub: %s %s: HTTP %d", e.Method, e.Path, e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + t)
	}
	switch {
	case e.Code != "" || e.Message != "":
		if e.Code != "" {
			b.WriteString(": " + e.Code)
		}
		if e.Message != "" {
			b.WriteString(": " + e.Message)
		}
	case e.Body != "":
		b.WriteString(": " + e.Body)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %v)", e.RetryAfter)
	}
	return b.String()
}

// Is lets errors.Is match ErrUnauthorized (and kaspersky.ErrUnauthorized) for
// 401 and ErrNotFound for 404.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized, kaspersky.ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	}
	return false
}

const maxErrorBody = 512

// capBody returns the start of b as valid UTF-8 text.
func capBody(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) <= maxErrorBody {
		return strings.ToValidUTF8(string(b), "?")
	}
	b = b[:maxErrorBody]
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1]
	}
	return strings.ToValidUTF8(string(b), "?") + "…"
}

// apiErrorOf builds the error of a non-2xx answer. The body's error object is
// read when it is there; anything else in the body is only kept capped.
func apiErrorOf(method, path string, status int, body []byte) *APIError {
	e := &APIError{Method: method, Path: path, StatusCode: status, Body: capBody(body)}
	var env struct {
		Error *struct {
			Code    json.RawMessage `json:"code"`
			Message json.RawMessage `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && env.Error != nil {
		e.Code = capText(textOf(env.Error.Code))
		e.Message = capText(textOf(env.Error.Message))
	}
	return e
}

// textOf reads a JSON string, or keeps any other JSON value as its text.
func textOf(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func capText(s string) string { return capBody([]byte(s)) }

// bodyDecoder is a result that decodes its body itself, strictly and within
// bounds (pages, the Office 365 status).
type bodyDecoder interface {
	decodeBody(body []byte) error
}

// decodeResponse turns one answer into the call's result: an *APIError for a
// non-2xx status, else the body decoded into out (when out is not nil).
func decodeResponse(method, path string, status int, body []byte, out any) error {
	if status < 200 || status > 299 {
		return apiErrorOf(method, path, status, body)
	}
	if out == nil {
		return nil
	}
	if bd, ok := out.(bodyDecoder); ok {
		if err := bd.decodeBody(body); err != nil {
			return fmt.Errorf("hub: %s %s: %w", method, path, err)
		}
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("hub: %s %s: %w: %w", method, path, ErrBadResponse, err)
	}
	return nil
}
