package hubtest

import (
	"cmp"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is an in-process fake of the Business Hub contract. It is safe for
// concurrent use.
type Server struct {
	// URL is the base URL of the server, e.g. "https://127.0.0.1:41234".
	URL string

	srv *httptest.Server
	tls bool

	mu        sync.Mutex
	now       func() time.Time
	ttl       time.Duration
	pageSize  int
	users     map[string]string    // e-mail → password
	tokens    map[string]time.Time // token → expiry
	companies []Company
	company   map[string]*companyState
	faults    []*Fault
	counts    map[string]int // "METHOD path" → requests
}

type companyState struct {
	devices   []Device
	licenses  []License
	events    []Event
	o365      []Office365Event
	o365State *Office365Status
}

// Option configures a Server.
type Option func(*Server)

// WithTLS makes the server serve HTTPS with a self-signed certificate; see
// [Server.CertPool] and [Server.Client].
func WithTLS() Option { return func(s *Server) { s.tls = true } }

// WithPageSize caps the page size the server answers with (default 100). A
// request asking for more, or for none, gets this many items per page.
func WithPageSize(n int) Option {
	return func(s *Server) {
		if n > 0 {
			s.pageSize = n
		}
	}
}

// WithTokenTTL sets how long tokens stay valid (default one hour).
func WithTokenTTL(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.ttl = d
		}
	}
}

// WithClock sets the clock that token expiry is computed and checked with
// (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(s *Server) {
		if now != nil {
			s.now = now
		}
	}
}

// NewServer starts a fake server. Close it when done.
func NewServer(opts ...Option) *Server {
	s := &Server{
		now:      time.Now,
		ttl:      time.Hour,
		pageSize: 100,
		users:    map[string]string{},
		tokens:   map[string]time.Time{},
		company:  map[string]*companyState{},
		counts:   map[string]int{},
	}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	// Clients that refuse the certificate are expected in tests; do not log
	// their handshakes.
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if s.tls {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Client returns an HTTP client that trusts the server's certificate (a plain
// client when the server serves HTTP).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// CertPool returns a pool holding the server's self-signed certificate, or nil
// when the server serves plain HTTP.
func (s *Server) CertPool() *x509.CertPool {
	if !s.tls {
		return nil
	}
	p := x509.NewCertPool()
	p.AddCert(s.srv.Certificate())
	return p
}

// SetPageSize changes the page size cap; see [WithPageSize].
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n > 0 {
		s.pageSize = n
	}
}

// AddUser lets a user log in with the e-mail and password; adding a user again
// changes the password.
func (s *Server) AddUser(email, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[strings.ToLower(email)] = password
}

// ExpireTokens makes every token issued so far invalid: the next request with
// one gets 401.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// ErrUnknownCompany is returned when seeding data for a company that was not
// added.
var ErrUnknownCompany = errors.New("hubtest: unknown company")

// AddCompany adds a company, or renames an existing one.
func (s *Server) AddCompany(c Company) error {
	if c.ID == "" {
		return errors.New("hubtest: AddCompany: ID is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.company[c.ID]; ok {
		for i := range s.companies {
			if s.companies[i].ID == c.ID {
				s.companies[i] = c
			}
		}
		return nil
	}
	s.companies = append(s.companies, c)
	s.company[c.ID] = &companyState{}
	return nil
}

func (s *Server) state(id string) (*companyState, error) {
	cs, ok := s.company[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownCompany, id)
	}
	return cs, nil
}

// AddDevice adds devices to a company.
func (s *Server) AddDevice(companyID string, d ...Device) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.state(companyID)
	if err != nil {
		return err
	}
	cs.devices = append(cs.devices, d...)
	return nil
}

// SetDevices replaces the devices of a company.
func (s *Server) SetDevices(companyID string, d ...Device) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.state(companyID)
	if err != nil {
		return err
	}
	cs.devices = slices.Clone(d)
	return nil
}

// AddLicense adds licenses to a company.
func (s *Server) AddLicense(companyID string, l ...License) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.state(companyID)
	if err != nil {
		return err
	}
	cs.licenses = append(cs.licenses, l...)
	return nil
}

// SetLicenses replaces the licenses of a company (a renewal, a changed
// capacity or usage).
func (s *Server) SetLicenses(companyID string, l ...License) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.state(companyID)
	if err != nil {
		return err
	}
	cs.licenses = slices.Clone(l)
	return nil
}

// AddEvent adds KES Cloud events to a company.
func (s *Server) AddEvent(companyID string, e ...Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.state(companyID)
	if err != nil {
		return err
	}
	cs.events = append(cs.events, e...)
	return nil
}

// AddOffice365Event adds Office 365 events to a company.
func (s *Server) AddOffice365Event(companyID string, e ...Office365Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.state(companyID)
	if err != nil {
		return err
	}
	cs.o365 = append(cs.o365, e...)
	return nil
}

// SetOffice365Status sets the Office 365 state of a company. A company without
// one answers the status request with 404.
func (s *Server) SetOffice365Status(companyID string, st Office365Status) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.state(companyID)
	if err != nil {
		return err
	}
	cs.o365State = &st
	return nil
}

// InjectFault applies f to the next f.Times matching requests. Faults are
// matched in the order they were injected; one request meets at most one.
func (s *Server) InjectFault(f Fault) {
	if f.Times < 1 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults drops the faults not used up yet.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Requests returns how many requests with the method and path (without query)
// the server received, faulted ones included.
func (s *Server) Requests(method, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[method+" "+path]
}

// Logins returns how many login requests the server received.
func (s *Server) Logins() int { return s.Requests(http.MethodPost, "/api/v1/login") }

func (s *Server) takeFault(method, path string, pageNo int) *Fault {
	for i, f := range s.faults {
		if (f.Method == "" || f.Method == method) && (f.Path == "" || f.Path == path) && (f.Page == 0 || f.Page == pageNo) {
			cp := *f
			f.Times--
			if f.Times == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
			return &cp
		}
	}
	return nil
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	pageNo := 1
	if v := r.URL.Query().Get("page"); v != "" {
		pageNo, _ = strconv.Atoi(v)
	}
	s.mu.Lock()
	s.counts[r.Method+" "+r.URL.Path]++
	f := s.takeFault(r.Method, r.URL.Path, pageNo)
	s.mu.Unlock()
	if f != nil {
		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				panic(http.ErrAbortHandler) // the client is gone: send nothing
			}
		}
		if f.Drop {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		if f.Body != nil {
			w.Header().Set("Content-Type", "application/json")
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			w.WriteHeader(cmp.Or(f.Status, http.StatusOK))
			_, _ = w.Write(f.Body)
			return
		}
		if f.Status != 0 {
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			code, msg := f.Code, f.Message
			if code == "" {
				code = "injected"
			}
			if msg == "" {
				msg = http.StatusText(f.Status)
			}
			writeError(w, f.Status, code, msg)
			return
		}
		if f.Rewrite != nil {
			rec := httptest.NewRecorder()
			s.handle(rec, r)
			for k, v := range rec.Header() {
				if k != "Content-Length" {
					w.Header()[k] = v
				}
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(f.Rewrite(rec.Body.Bytes()))
			return
		}
	}
	s.handle(w, r)
}

// handle serves a request without faults.
func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/v1/login" {
		if r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, "method-not-allowed", "use POST")
			return
		}
		s.login(w, r)
		return
	}
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "unauthorized", "missing, unknown or expired token")
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "method-not-allowed", "use GET")
		return
	}
	s.route(w, r)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	if err := dec.Decode(&in); err != nil || in.Email == "" {
		writeError(w, http.StatusBadRequest, "bad-request", "body must be {\"email\",\"password\"}")
		return
	}
	s.mu.Lock()
	pw, ok := s.users[strings.ToLower(in.Email)]
	if !ok || pw != in.Password {
		s.mu.Unlock()
		writeError(w, http.StatusUnauthorized, "invalid-credentials", "e-mail or password is wrong")
		return
	}
	tok := newToken()
	exp := s.now().Add(s.ttl).UTC()
	s.tokens[tok] = exp
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "expiresAt": exp})
}

func (s *Server) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	if !ok {
		return false
	}
	if !s.now().Before(exp) {
		delete(s.tokens, tok)
		return false
	}
	return true
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/v1/companies")
	if !ok {
		writeError(w, http.StatusNotFound, "not-found", "no such endpoint")
		return
	}
	if rest == "" || rest == "/" {
		s.mu.Lock()
		items := slices.Clone(s.companies)
		s.mu.Unlock()
		page(w, r, s.currentPageSize(), items)
		return
	}
	parts := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	id, what := parts[0], strings.Join(parts[1:], "/")
	s.mu.Lock()
	cs, ok := s.company[id]
	if !ok {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "company-not-found", fmt.Sprintf("company %q does not exist", id))
		return
	}
	var (
		devices  []Device
		licenses []License
		events   []Event
		o365     []Office365Event
		status   *Office365Status
	)
	switch what {
	case "devices":
		devices = slices.Clone(cs.devices)
	case "licenses":
		licenses = slices.Clone(cs.licenses)
	case "events":
		events = slices.Clone(cs.events)
	case "office365/events":
		o365 = slices.Clone(cs.o365)
	case "office365/status":
		if cs.o365State != nil {
			st := *cs.o365State
			status = &st
		}
	}
	s.mu.Unlock()
	size := s.currentPageSize()
	switch what {
	case "devices":
		page(w, r, size, devices)
	case "licenses":
		page(w, r, size, licenses)
	case "events":
		since, ok := parseSince(w, r)
		if !ok {
			return
		}
		events = slices.DeleteFunc(events, func(e Event) bool { return e.Time.Before(since) })
		slices.SortStableFunc(events, func(a, b Event) int { return a.Time.Compare(b.Time) })
		page(w, r, size, events)
	case "office365/events":
		since, ok := parseSince(w, r)
		if !ok {
			return
		}
		o365 = slices.DeleteFunc(o365, func(e Office365Event) bool { return e.Time.Before(since) })
		slices.SortStableFunc(o365, func(a, b Office365Event) int { return a.Time.Compare(b.Time) })
		page(w, r, size, o365)
	case "office365/status":
		if status == nil {
			writeError(w, http.StatusNotFound, "office365-not-enabled", fmt.Sprintf("company %q has no Office 365 protection", id))
			return
		}
		writeJSON(w, http.StatusOK, status)
	default:
		writeError(w, http.StatusNotFound, "not-found", "no such endpoint")
	}
}

func (s *Server) currentPageSize() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pageSize
}

func parseSince(w http.ResponseWriter, r *http.Request) (time.Time, bool) {
	v := r.URL.Query().Get("since")
	if v == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad-request", fmt.Sprintf("since %q is not an RFC 3339 time", v))
		return time.Time{}, false
	}
	return t, true
}

// page answers with one page of items: ?page=N (from 1) and ?pageSize=M, capped
// at limit, with the total of the whole list.
func page[T any](w http.ResponseWriter, r *http.Request, limit int, items []T) {
	q := r.URL.Query()
	p, size := 1, limit
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "bad-request", fmt.Sprintf("page %q is not a positive integer", v))
			return
		}
		p = n
	}
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "bad-request", fmt.Sprintf("pageSize %q is not a positive integer", v))
			return
		}
		size = min(n, limit)
	}
	start := len(items)
	if p-1 <= len(items)/size {
		start = min((p-1)*size, len(items))
	}
	end := min(start+size, len(items))
	var next *int
	if end < len(items) {
		n := p + 1
		next = &n
	}
	out := items[start:end]
	if out == nil {
		out = []T{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out, "nextPage": next, "total": len(items)})
}
