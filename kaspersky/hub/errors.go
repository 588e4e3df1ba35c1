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
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrUnauthorized means the server refused the credentials (HTTP 401 at
	// login), or refused a call again right after a fresh login.
	ErrUnauthorized = errors.New("hub: unauthorized")
	// ErrNotFound means the server answered 404: an unknown company, or a
	// company without Office 365 protection for its status.
	ErrNotFound = errors.New("hub: not found")
	// ErrBadResponse means a response could not be read: not JSON of the
	// expected shape, a login without a token, or a paged list whose next page
	// does not move forward.
	ErrBadResponse = errors.New("hub: bad response")
	// ErrUnexpectedValue means a field held a value outside the contract that
	// cannot be mapped safely (a license state the client does not know). The
	// error names the field and the value.
	ErrUnexpectedValue = errors.New("hub: unexpected value")
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

// Is lets errors.Is match ErrUnauthorized for 401 and ErrNotFound for 404.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
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

// decodeResponse turns one answer into the call's result: an *APIError for a
// non-2xx status, else the body decoded into out (when out is not nil).
func decodeResponse(method, path string, status int, body []byte, out any) error {
	if status < 200 || status > 299 {
		return apiErrorOf(method, path, status, body)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("hub: %s %s: %w: %w", method, path, ErrBadResponse, err)
	}
	return nil
}
