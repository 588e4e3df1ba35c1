package ksc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrUnauthorized means the server refused the credentials, or refused a
	// call again right after a fresh session was started, or logins are
	// suspended after such a refusal (see WithAuthHoldOff). It matches
	// kaspersky.ErrUnauthorized too.
	ErrUnauthorized = fmt.Errorf("ksc: unauthorized: %w", kaspersky.ErrUnauthorized)
	// ErrIncomplete is wrapped by every error of a read that cannot be proven
	// complete or whose answer does not have the documented shape: a result
	// set that yields fewer (or more) items than the server announced, an
	// empty page before the announced end, a count that cannot be read, a
	// missing or null list, a null element, an element without its identity
	// field (host id, key serial, event id), an answer of the wrong shape. The
	// error names the method and the field. Such a read must not be taken for
	// an empty one: callers act on absences (delete charges, close orders).
	// It matches kaspersky.ErrIncomplete too.
	ErrIncomplete = fmt.Errorf("ksc: incomplete or malformed answer: %w", kaspersky.ErrIncomplete)
	// ErrClosed is returned by calls made after Close.
	ErrClosed = errors.New("ksc: client closed")
	// ErrSessionLost means a result set could not be read to its end because its
	// session ended repeatedly while it was being read.
	ErrSessionLost = errors.New("ksc: session lost while reading a result set")
	// ErrUnknownTenant is returned by the Source for a tenant id that is not a
	// virtual server of the server.
	ErrUnknownTenant = errors.New("ksc: unknown tenant")
	// ErrTenantDisabled is returned by the Source for a virtual server that is
	// disabled on the Administration Server.
	ErrTenantDisabled = errors.New("ksc: tenant's virtual server is disabled")
)

// PxgError is an error the KSC server reported in a PxgError object. It is
// returned whatever the HTTP status that came with it; any of its fields may be
// zero when the server left it out.
type PxgError struct {
	// Method is the Open API method that failed, e.g. "HostGroup.FindHosts".
	Method string
	// HTTPStatus is the status of the response that carried the error.
	HTTPStatus int
	Code       int
	Subcode    int
	Module     string
	File       string
	Line       int
	// Message is the server's (English) message.
	Message string
	// Format, FormatID, LocModule and Args are the localisable form of the
	// message (locdata): Format holds %1..%n placeholders for Args.
	Format    string
	FormatID  int
	LocModule string
	Args      []string
}

// Text returns the human text of the error: the localised format with its
// arguments substituted when the server sent one, else the message.
func (e *PxgError) Text() string {
	if e.Format != "" {
		return renderLocFormat(e.Format, e.Args)
	}
	return e.Message
}

// Error implements error.
func (e *PxgError) Error() string {
	var b strings.Builder
	b.WriteString("ksc: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteString(": ")
	}
	text := e.Text()
	if text == "" {
		text = "server error"
	}
	b.WriteString(text)
	fmt.Fprintf(&b, " (code %d", e.Code)
	if e.Subcode != 0 {
		fmt.Fprintf(&b, ", subcode %d", e.Subcode)
	}
	if e.Module != "" {
		fmt.Fprintf(&b, ", module %s", e.Module)
	}
	b.WriteByte(')')
	return b.String()
}

// renderLocFormat replaces %1..%n in format by args[0..n-1]. A placeholder
// without a matching argument is kept as it is.
func renderLocFormat(format string, args []string) string {
	if !strings.Contains(format, "%") {
		return format
	}
	var b strings.Builder
	b.Grow(len(format))
	for i := 0; i < len(format); {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			i++
			continue
		}
		j := i + 1
		for j < len(format) && format[j] >= '0' && format[j] <= '9' && j-i <= 3 {
			j++
		}
		if j == i+1 {
			b.WriteByte(c)
			i++
			continue
		}
		n, _ := strconv.Atoi(format[i+1 : j])
		if n >= 1 && n <= len(args) {
			b.WriteString(args[n-1])
		} else {
			b.WriteString(format[i:j])
		}
		i = j
	}
	return b.String()
}

// HTTPError is a non-2xx response that carried no PxgError.
type HTTPError struct {
	Method     string
	StatusCode int
	// Body is the start of the response body, for diagnosis.
	Body string
	// RetryAfter is the wait the server asked for with Retry-After (seconds or
	// an HTTP date), at most 24 hours; zero when it sent none.
	RetryAfter time.Duration
}

// Error implements error.
func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("ksc: %s: HTTP %d %s", e.Method, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %v)", e.RetryAfter)
	}
	return msg
}

// Is lets errors.Is(err, ErrUnauthorized) and errors.Is(err,
// kaspersky.ErrUnauthorized) match 401 responses.
func (e *HTTPError) Is(target error) bool {
	return (target == ErrUnauthorized || target == kaspersky.ErrUnauthorized) && e.StatusCode == http.StatusUnauthorized
}

// incomplete returns an error wrapping ErrIncomplete about method.
func incomplete(method, format string, args ...any) error {
	return fmt.Errorf("ksc: %s: %w: %s", method, ErrIncomplete, fmt.Sprintf(format, args...))
}

const maxErrorBody = 512

// maxPxgErrorBytes is the largest PxgError object that is decoded.
const maxPxgErrorBytes = 64 << 10

func capBody(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > maxErrorBody {
		b = b[:maxErrorBody]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
		return strings.ToValidUTF8(string(b), "?") + "…"
	}
	return strings.ToValidUTF8(string(b), "?")
}

var pxgErrorKey = []byte(`"PxgError"`)

// findPxgError returns the PxgError a response body carries, or nil. It checks
// the top level of the body only, so that data mentioning the word does not
// count.
func findPxgError(method string, status int, body []byte) *PxgError {
	if !bytes.Contains(body, pxgErrorKey) {
		return nil
	}
	var top struct {
		PxgError json.RawMessage `json:"PxgError"`
	}
	if err := json.Unmarshal(body, &top); err != nil {
		// Not JSON we can read; try the permissive way on the raw object.
		return nil
	}
	raw := bytes.TrimSpace(top.PxgError)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return parsePxgError(method, status, raw)
}

// parsePxgError reads the error object leniently: every field is optional, and
// numbers may come as strings or wrapped.
func parsePxgError(method string, status int, raw []byte) *PxgError {
	e := &PxgError{Method: method, HTTPStatus: status}
	if len(raw) > maxPxgErrorBytes {
		// A real error object is a few hundred bytes; decoding a huge one into
		// generic values would take many times its size.
		e.Message = fmt.Sprintf("PxgError of %d bytes not read: ", len(raw)) + capBody(raw)
		return e
	}
	v, err := DecodeValue(raw)
	if err != nil {
		e.Message = "unreadable PxgError: " + capBody(raw)
		return e
	}
	p, ok := v.(Params)
	if !ok {
		if s, isStr := v.(string); isStr {
			e.Message = s
		} else {
			e.Message = "unreadable PxgError: " + capBody(raw)
		}
		return e
	}
	e.Code = intOf(p["code"])
	e.Subcode = intOf(p["subcode"])
	e.Module = stringOf(p["module"])
	e.File = stringOf(p["file"])
	e.Line = intOf(p["line"])
	e.Message = stringOf(p["message"])
	if loc, ok := p["locdata"].(Params); ok {
		e.Format = stringOf(loc["format"])
		e.FormatID = intOf(loc["format-id"])
		e.LocModule = stringOf(loc["locmodule"])
		if args, ok := loc["args"].([]any); ok {
			e.Args = make([]string, len(args))
			for i, a := range args {
				e.Args[i] = stringOf(a)
			}
		}
	}
	return e
}

func intOf(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case int64:
		if x > math.MaxInt32 || x < math.MinInt32 {
			return 0
		}
		return int(x)
	case float64:
		if x > math.MaxInt32 || x < math.MinInt32 || x != x {
			return 0
		}
		return int(x)
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(x))
		if err == nil {
			return n
		}
	}
	return 0
}

func stringOf(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case bool:
		return strconv.FormatBool(x)
	case Params, []any:
		b, err := EncodeValue(x)
		if err == nil {
			return string(b)
		}
	}
	return fmt.Sprint(v)
}

// bodyScanner is a result that can read some response bodies faster than
// encoding/json. scanBody reports false, leaving the result untouched, for any
// body it cannot read exactly as encoding/json would; that body is then decoded
// by encoding/json.
type bodyScanner interface {
	scanBody(body []byte) bool
}

// decodeResponse turns one HTTP response into the method's result: a PxgError
// whatever the status, an HTTPError for any other non-2xx status, else the body
// decoded into out (when out is not nil). An empty 2xx body reads as {}.
func decodeResponse(method string, status int, body []byte, out any) error {
	if pe := findPxgError(method, status, body); pe != nil {
		return pe
	}
	if status < 200 || status > 299 {
		return &HTTPError{Method: method, StatusCode: status, Body: capBody(body)}
	}
	if out == nil {
		return nil
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if sc, ok := out.(bodyScanner); ok && sc.scanBody(body) {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("ksc: %s: decode response: %w: %w", method, ErrIncomplete, err)
	}
	return nil
}
