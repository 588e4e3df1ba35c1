package tigerpawtest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mspkit/kaspersky-tigerpaw/internal/latency"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

// MaxClockSkew is how far X-TSI-Date may be from the server's clock.
const MaxClockSkew = 5 * time.Minute

// DefaultPageSize is the page size of a search that asks for none, and
// MaxPageSize the largest page the fake serves (assumed values; the answer's
// PageSize says which size was used).
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// MaxReferenceLength is the longest service order Reference the fake accepts
// (an assumption: Tigerpaw's column width is not documented).
const MaxReferenceLength = 50

// Server is a fake Tigerpaw server. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the server, to pass to tigerpaw.NewClient.
	URL string
	// PublicKey and PrivateKey are the REST API keys the server accepts.
	PublicKey  string
	PrivateKey string

	ts         *httptest.Server
	closeOnce  sync.Once
	now        func() time.Time
	loc        *time.Location
	lockStatus int

	mu     sync.Mutex
	st     *state
	faults []*faultRule
	counts map[string]int

	latency latency.Latency
}

// Option configures a Server.
type Option func(*Server)

// WithKeys sets the key pair the server accepts (random by default).
func WithKeys(publicKey, privateKey string) Option {
	return func(s *Server) { s.PublicKey, s.PrivateKey = publicKey, privateKey }
}

// WithClock sets the server's clock, used to check X-TSI-Date and to date new
// objects. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Server) {
		if now != nil {
			s.now = now
		}
	}
}

// WithTimeZone sets the server's time zone, in which it writes and reads
// date-times without a zone. The default is UTC.
func WithTimeZone(loc *time.Location) Option {
	return func(s *Server) {
		if loc != nil {
			s.loc = loc
		}
	}
}

// WithLockRefusalStatus sets the HTTP status of the refusal of an update to a
// locked service order: 200 (with Success false, the default), 409 or 423.
func WithLockRefusalStatus(code int) Option {
	return func(s *Server) {
		if code == http.StatusOK || code == http.StatusConflict || code == http.StatusLocked {
			s.lockStatus = code
		}
	}
}

// New starts a fake server; the caller must Close it. In tests prefer NewServer.
func New(opts ...Option) *Server {
	s := &Server{
		PublicKey:  "tp-public-" + randomHex(8),
		PrivateKey: randomHex(32),
		now:        time.Now,
		loc:        time.UTC,
		lockStatus: http.StatusOK,
		st:         newState(),
		counts:     map[string]int{},
	}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.ts.URL
	return s
}

// NewServer starts a fake server that is closed when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := New(opts...)
	t.Cleanup(s.Close)
	return s
}

// Close shuts the server down. Closing twice is harmless.
func (s *Server) Close() { s.closeOnce.Do(s.ts.Close) }

// HTTPClient returns an HTTP client suited to the server.
func (s *Server) HTTPClient() *http.Client { return s.ts.Client() }

// Client returns a tigerpaw.Client of this server with its keys, its clock (so
// signatures are dated by the server's time, see WithClock) and time zone, no
// rate limit and fast retries (1ms base delay), followed by opts. It fails the
// test if the client cannot be built.
func (s *Server) Client(t testing.TB, opts ...tigerpaw.Option) *tigerpaw.Client {
	t.Helper()
	base := []tigerpaw.Option{
		tigerpaw.WithKeys(s.PublicKey, s.PrivateKey),
		tigerpaw.WithHTTPClient(s.ts.Client()),
		tigerpaw.WithRateLimit(rate.Inf, 1),
		tigerpaw.WithRetryPolicy(tigerpaw.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}),
		tigerpaw.WithTimeZone(s.loc),
		tigerpaw.WithClock(s.now),
	}
	c, err := tigerpaw.NewClient(s.URL, append(base, opts...)...)
	if err != nil {
		t.Fatalf("tigerpawtest: client: %v", err)
	}
	return c
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Fault is what FailNext does to a matching request.
type Fault struct {
	// Status, when not 0, is the HTTP status answered instead of the real answer,
	// with Body (a JSON {"Message"} by default) and a Retry-After header when
	// RetryAfter is set.
	Status     int
	Body       string
	RetryAfter string
	// Delay is waited before answering (or dropping).
	Delay time.Duration
	// Drop closes the connection without an answer.
	Drop bool
	// AfterApply performs the request (the write is applied) before the fault
	// replaces its answer, so the client sees an error for a write that happened.
	AfterApply bool
	// Rewrite, when set (and Status is 0 and Drop false), serves the request for
	// real and passes the JSON body of its answer through Rewrite before
	// sending it, with the real status: a test can change one field, drop one,
	// duplicate an element of a real list, or replace the list by null. A write
	// is applied before its answer is rewritten. Rewrite runs without the
	// server's lock held; it must not call the Server.
	Rewrite func(body []byte) []byte
}

type faultRule struct {
	method, template string
	left             int
	fault            Fault
}

// FailNext makes the next n requests matching method and pathTemplate fail with
// f. method "" or "*" matches every method, pathTemplate "*" every path; a
// template names its parameters in braces, with any name:
// "/api/agreements/{n}/additionalcharges". Matching ignores case.
func (s *Server) FailNext(method, pathTemplate string, n int, f Fault) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultRule{method: normMethod(method), template: normTemplate(pathTemplate), left: n, fault: f})
}

// ClearFaults removes every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Count returns how many requests matched method and pathTemplate (same matching
// as FailNext), whether they succeeded, failed authentication or were faulted.
func (s *Server) Count(method, pathTemplate string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, tpl := normMethod(method), normTemplate(pathTemplate)
	total := 0
	for k, v := range s.counts {
		km, kt, _ := strings.Cut(k, " ")
		if (m == "*" || m == km) && (tpl == "*" || tpl == kt) {
			total += v
		}
	}
	return total
}

// ResetCounts sets every request count to zero.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
}

func normMethod(m string) string {
	m = strings.ToUpper(strings.TrimSpace(m))
	if m == "" {
		return "*"
	}
	return m
}

// normTemplate lower-cases a template and replaces every {name} by {}.
func normTemplate(t string) string {
	t = strings.ToLower(strings.TrimSpace(t))
	if t == "*" || t == "" {
		return "*"
	}
	var b strings.Builder
	for len(t) > 0 {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			break
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			b.WriteString(t)
			break
		}
		b.WriteString(t[:i] + "{}")
		t = t[i+j+1:]
	}
	return strings.TrimRight(b.String(), "/")
}

func (s *Server) takeFault(method, template string) *Fault {
	for i, r := range s.faults {
		if (r.method == "*" || r.method == method) && (r.template == "*" || r.template == template) {
			r.left--
			if r.left <= 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			f := r.fault
			return &f
		}
	}
	return nil
}

// call is one request as a handler sees it.
type call struct {
	r    *http.Request
	ids  []int // the numeric parameters of the path, in order
	body []byte
}

// answer is a handler's result: status and a value to write as JSON.
type answer struct {
	status int
	body   any
}

func ok(v any) answer { return answer{status: http.StatusOK, body: v} }

func refuse(format string, args ...any) answer {
	return answer{status: http.StatusOK, body: map[string]any{"Success": false, "Message": fmt.Sprintf(format, args...)}}
}

func notFound(format string, args ...any) answer {
	return answer{status: http.StatusNotFound, body: map[string]any{"Message": fmt.Sprintf(format, args...)}}
}

func badRequest(format string, args ...any) answer {
	return answer{status: http.StatusBadRequest, body: map[string]any{"Message": fmt.Sprintf(format, args...)}}
}

func success(extra map[string]any) answer {
	m := map[string]any{"Success": true, "Message": ""}
	for k, v := range extra {
		m[k] = v
	}
	return ok(m)
}

// SetLatency makes the server wait fixed plus a uniform draw from [0, jitter]
// before it handles each request, as a real server over the internet: it is
// no fault and is not counted as one. A request whose client hangs up during
// the wait is not answered. Zero values (the default) answer at once.
func (s *Server) SetLatency(fixed, jitter time.Duration) { s.latency.Set(fixed, jitter) }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if d := s.latency.Draw(); d > 0 {
		// The body is read first: only then does the server notice a
		// client that hangs up during the wait.
		body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			// The client is gone; aborting sends nothing, not an
			// empty answer that looks real.
			panic(http.ErrAbortHandler)
		}
	}
	// The path as it came on the wire, which is what the client signed.
	path, _, _ := strings.Cut(r.RequestURI, "?")
	if path == "" {
		path = r.URL.EscapedPath()
	}
	rt, ids, pathExists := match(r.Method, path)
	template := strings.ToLower(path)
	if rt != nil {
		template = rt.template
	}
	method := strings.ToUpper(r.Method)

	s.mu.Lock()
	s.counts[method+" "+template]++
	fault := s.takeFault(method, template)
	s.mu.Unlock()

	if fault != nil && !fault.AfterApply {
		if !s.sleep(r.Context(), fault.Delay) {
			panic(http.ErrAbortHandler) // the client is gone: send nothing
		}
		if fault.Drop {
			drop(w)
			return
		}
		if fault.Status != 0 {
			writeFault(w, fault)
			return
		}
	}
	if err := s.verify(r, path); err != nil {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"Message": "Authorization has been denied for this request."})
		return
	}
	var a answer
	switch {
	case rt == nil && pathExists:
		a = answer{status: http.StatusMethodNotAllowed, body: map[string]any{"Message": "The requested resource does not support http method '" + method + "'."}}
	case rt == nil:
		a = notFound("No HTTP resource was found that matches the request URI.")
	case (method == http.MethodPost || method == http.MethodPut) && r.ContentLength < 0:
		a = answer{status: http.StatusLengthRequired, body: map[string]any{"Message": "Content-Length is required."}}
	default:
		body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			a = badRequest("cannot read body")
			break
		}
		c := &call{r: r, ids: ids, body: body}
		s.mu.Lock()
		a = rt.handle(s, c)
		s.mu.Unlock()
	}
	if fault != nil && fault.AfterApply {
		if !s.sleep(r.Context(), fault.Delay) {
			panic(http.ErrAbortHandler) // the client is gone: send nothing
		}
		switch {
		case fault.Drop:
			drop(w)
			return
		case fault.Status != 0:
			writeFault(w, fault)
			return
		}
	}
	if fault != nil && fault.Rewrite != nil && fault.Status == 0 && !fault.Drop {
		status, body := encodeJSON(a.status, a.body)
		writeRaw(w, status, fault.Rewrite(body))
		return
	}
	writeJSON(w, a.status, a.body)
}

// sleep waits d unless the client goes away first.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func writeFault(w http.ResponseWriter, f *Fault) {
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	body := f.Body
	if body == "" {
		body = fmt.Sprintf(`{"Message":"injected fault: HTTP %d"}`, f.Status)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	status, b := encodeJSON(status, v)
	writeRaw(w, status, b)
}

// encodeJSON encodes an answer's body; a value that cannot be encoded becomes
// an HTTP 500.
func encodeJSON(status int, v any) (int, []byte) {
	b, err := json.Marshal(v)
	if err != nil {
		return http.StatusInternalServerError, []byte(`{"Message":"fake server: cannot encode answer"}`)
	}
	return status, b
}

// writeRaw sends a JSON body as it is.
func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// verify checks the TSI signature of r, independently of package tigerpaw.
func (s *Server) verify(r *http.Request, path string) error {
	date := r.Header.Get("X-TSI-Date")
	if date == "" {
		return errors.New("X-TSI-Date missing")
	}
	when, err := time.Parse(http.TimeFormat, date)
	if err != nil {
		return fmt.Errorf("X-TSI-Date: %w", err)
	}
	if d := s.now().Sub(when); d > MaxClockSkew || d < -MaxClockSkew {
		return errors.New("X-TSI-Date too far from the server's clock")
	}
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if !found || scheme != "TSI" {
		return errors.New("Authorization is not TSI")
	}
	decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	if err != nil {
		return errors.New("token is not base64")
	}
	i := strings.LastIndexByte(string(decoded), ':')
	if i < 0 {
		return errors.New("token has no ':'")
	}
	public, sig := string(decoded[:i]), string(decoded[i+1:])
	if public != s.PublicKey {
		return errors.New("unknown public key")
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return errors.New("signature is not base64")
	}
	mac := hmac.New(sha256.New, []byte(s.PrivateKey))
	io.WriteString(mac, strings.ToLower(r.Method)+"|"+strings.ToLower(path)+"|"+strings.ToLower(date))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return errors.New("signature mismatch")
	}
	return nil
}
