package ksctest

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/internal/latency"
)

// Server is an in-process fake of the KSC Open API over TLS with a self-signed
// certificate. It keeps state (virtual servers, hosts, keys, events, sessions
// and open result sets), speaks KSC's wire shapes, and lets tests inject faults.
// It is safe for concurrent use.
type Server struct {
	// URL is the base URL to give ksc.NewClient.
	URL string

	srv *httptest.Server

	mu                  sync.Mutex
	users               []User
	vservers            []VirtualServer
	hosts               map[string][]Host
	keys                map[string][]Key
	keyHosts            map[string][]KeyHost
	events              map[string][]Event
	sessions            map[string]*fakeSession
	handles             map[string]*resultSet
	faults              map[string][]Fault
	counts              map[string]int
	seq                 int
	eventRangeInclusive bool

	latency latency.Latency
}

type fakeSession struct {
	vs   string
	user string
}

// NewServer starts a fake server. Close it when done.
func NewServer() *Server {
	s := &Server{
		hosts:    map[string][]Host{},
		keys:     map[string][]Key{},
		keyHosts: map[string][]KeyHost{},
		events:   map[string][]Event{},
		sessions: map[string]*fakeSession{},
		handles:  map[string]*resultSet{},
		faults:   map[string][]Fault{},
		counts:   map[string]int{},
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	// Handshake failures of clients that do not trust the certificate are
	// expected in tests; keep them out of the test output.
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.StartTLS()
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Certificate returns the server's self-signed certificate.
func (s *Server) Certificate() *x509.Certificate { return s.srv.Certificate() }

// CertPool returns a pool holding the server's certificate, for
// ksc.WithRootCAs.
func (s *Server) CertPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.srv.Certificate())
	return p
}

// AddUser lets a user sign in.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users = append(s.users, u)
}

// AddVirtualServer adds a virtual server. Its data is seeded under its
// display name.
func (s *Server) AddVirtualServer(vs VirtualServer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vservers = append(s.vservers, vs)
}

// AddHost adds a host to the virtual server with the given display name ("" is
// the main server).
func (s *Server) AddHost(vs string, h Host) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hosts[vs] = append(s.hosts[vs], h)
}

// UpdateHost replaces the host of the virtual server with the same Hostname,
// e.g. to change its status between two reads. It reports whether the host
// was found.
func (s *Server) UpdateHost(vs string, h Host) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.hosts[vs] {
		if s.hosts[vs][i].Hostname == h.Hostname {
			s.hosts[vs][i] = h
			return true
		}
	}
	return false
}

// RemoveHost removes a host from a virtual server and reports whether it was
// there.
func (s *Server) RemoveHost(vs, hostname string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, h := range s.hosts[vs] {
		if h.Hostname == hostname {
			s.hosts[vs] = append(s.hosts[vs][:i:i], s.hosts[vs][i+1:]...)
			return true
		}
	}
	return false
}

// SetKeyHosts replaces the hosts using the key with the given serial.
func (s *Server) SetKeyHosts(serial string, hosts []KeyHost) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keyHosts[serial] = append([]KeyHost(nil), hosts...)
}

// AddKey adds a license key to a virtual server.
func (s *Server) AddKey(vs string, k Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[vs] = append(s.keys[vs], k)
}

// UpdateKey replaces the key with k's serial on a virtual server (a renewal:
// a later limit date, another count). It reports whether the key was there.
func (s *Server) UpdateKey(vs string, k Key) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.keys[vs] {
		if s.keys[vs][i].Serial == k.Serial {
			s.keys[vs][i] = k
			return true
		}
	}
	return false
}

// AddKeyHost records that a host uses the key with the given serial.
func (s *Server) AddKeyHost(serial string, kh KeyHost) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keyHosts[serial] = append(s.keyHosts[serial], kh)
}

// AddEvent adds an event to a virtual server.
func (s *Server) AddEvent(vs string, e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events[vs] = append(s.events[vs], e)
}

// SetEventRangeInclusive makes EventProcessing.GetRecordRange treat nEnd as
// inclusive, as some servers may.
func (s *Server) SetEventRangeInclusive(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eventRangeInclusive = on
}

// SetLatency makes the server wait fixed plus a uniform draw from [0, jitter]
// before it handles each request (login and session calls included), as a real
// server's network and processing time: it is no fault and is not counted as
// one. A request whose client hangs up during the wait is not answered. Zero
// values (the default) answer at once.
func (s *Server) SetLatency(fixed, jitter time.Duration) { s.latency.Set(fixed, jitter) }

// InjectFault makes the next call of method (e.g. "HostGroup.FindHosts"; "" for
// any method) fail as f says. Faults queue up in the order injected, one per
// call: a zero Fault lets a call through unchanged, so that the fault after it
// hits the following call. With Body the answer is replaced; with Rewrite the
// call is performed and its answer rewritten (for answers that are short,
// malformed or shape-less on purpose).
func (s *Server) InjectFault(method string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], f)
}

// ExpireSessions ends every session, as a server restart or idle timeout
// would; their result sets go with them.
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.sessions {
		s.endSessionLocked(id)
	}
}

// Sessions returns the number of live sessions.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// OpenHandles returns the number of result-set handles not released yet.
func (s *Server) OpenHandles() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.handles)
}

// Requests returns how many requests named method (e.g. "Session.StartSession")
// the server received, faults included.
func (s *Server) Requests(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[method]
}

func (s *Server) endSessionLocked(id string) {
	delete(s.sessions, id)
	for h, rs := range s.handles {
		if rs.session == id {
			delete(s.handles, h)
		}
	}
}

func (s *Server) newIDLocked(prefix string) string {
	s.seq++
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", prefix, s.seq, hex.EncodeToString(b[:]))
}

const apiPrefix = "/api/v1.0/"

// request is one call being served.
type request struct {
	method  string
	args    map[string]any
	session string
	vs      string
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, apiPrefix) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	method := strings.TrimPrefix(r.URL.Path, apiPrefix)
	callVS, _ := vserverHeader(r)
	s.mu.Lock()
	if sess, ok := s.sessions[r.Header.Get("X-KSC-Session")]; ok {
		callVS = sess.vs
	}
	s.counts[method]++
	var fault *Fault
	for _, key := range []string{method, ""} {
		q := s.faults[key]
		for i, f := range q {
			if f.VirtualServer != "" && f.VirtualServer != callVS {
				continue
			}
			s.faults[key] = append(q[:i:i], q[i+1:]...)
			fault = &f
			break
		}
		if fault != nil {
			break
		}
	}
	s.mu.Unlock()
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	// Reading the body first lets the server notice a client that hangs up
	// during an injected delay.
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	// The latency runs after the body is read: only then does the server
	// notice a client that hangs up.
	if !s.latency.Wait(r.Context()) {
		// The client is gone. Aborting sends nothing: an empty answer
		// would look like a real one to a client that raced its deadline.
		panic(http.ErrAbortHandler)
	}
	if fault != nil {
		if fault.Delay > 0 {
			t := time.NewTimer(fault.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				panic(http.ErrAbortHandler) // the client is gone: send nothing
			}
		}
		if fault.Drop {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		if fault.ExpireSession {
			s.mu.Lock()
			s.endSessionLocked(r.Header.Get("X-KSC-Session"))
			s.mu.Unlock()
		}
		if fault.Body != nil {
			status := fault.Status
			if status == 0 {
				status = http.StatusOK
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write(fault.Body)
			return
		}
		if fault.Rewrite != nil {
			rec := httptest.NewRecorder()
			s.answer(rec, r, method, body)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			out := fault.Rewrite(rec.Body.Bytes())
			w.Header().Del("Content-Length")
			w.WriteHeader(rec.Code)
			_, _ = w.Write(out)
			return
		}
		if fault.PxgError != nil {
			status := fault.Status
			if status == 0 {
				status = http.StatusOK
			}
			writePxg(w, status, fault.PxgError)
			return
		}
		if fault.Status != 0 {
			if fault.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int(fault.RetryAfter/time.Second)))
			}
			http.Error(w, http.StatusText(fault.Status), fault.Status)
			return
		}
	}
	s.answer(w, r, method, body)
}

// answer performs the call and writes its answer.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, method string, body []byte) {
	vs, err := vserverHeader(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	args, err := parseArgs(body)
	if err != nil {
		writePxg(w, http.StatusBadRequest, &PxgError{Code: 1, Module: "KLSTD", Message: "malformed request body: " + err.Error()})
		return
	}
	switch method {
	case "login":
		if _, err := s.authenticate(r.Header.Get("Authorization"), vs); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		writeJSON(w, map[string]any{})
		return
	case "Session.StartSession":
		user, err := s.authenticate(r.Header.Get("Authorization"), vs)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		s.mu.Lock()
		id := s.newIDLocked("sess")
		s.sessions[id] = &fakeSession{vs: vs, user: user}
		s.mu.Unlock()
		writeJSON(w, map[string]any{"PxgRetVal": id})
		return
	}
	sid := r.Header.Get("X-KSC-Session")
	s.mu.Lock()
	sess, ok := s.sessions[sid]
	s.mu.Unlock()
	if sid == "" || !ok {
		http.Error(w, "session not found", http.StatusForbidden)
		return
	}
	req := &request{method: method, args: args, session: sid, vs: sess.vs}
	out, perr := s.dispatch(req)
	if perr != nil {
		writePxg(w, http.StatusInternalServerError, perr)
		return
	}
	writeJSON(w, out)
}

func vserverHeader(r *http.Request) (string, error) {
	h := r.Header.Get("X-KSC-VServer")
	if h == "" {
		return "", nil
	}
	b, err := base64.StdEncoding.DecodeString(h)
	if err != nil {
		return "", fmt.Errorf("X-KSC-VServer is not base64")
	}
	return string(b), nil
}

// authenticate checks a KSCBasic Authorization header and the virtual server
// it asks for; it returns the user name.
func (s *Server) authenticate(header, vs string) (string, error) {
	fields, err := parseKSCBasic(header)
	if err != nil {
		return "", err
	}
	user, err := base64.StdEncoding.DecodeString(fields["user"])
	if err != nil {
		return "", fmt.Errorf("malformed Authorization: user is not base64")
	}
	pass, err := base64.StdEncoding.DecodeString(fields["pass"])
	if err != nil {
		return "", fmt.Errorf("malformed Authorization: pass is not base64")
	}
	internal := fields["internal"] == "1"
	s.mu.Lock()
	defer s.mu.Unlock()
	if vs != "" {
		found := false
		for _, v := range s.vservers {
			if v.DisplayName == vs || v.UID == vs {
				found = v.Enabled
				break
			}
		}
		if !found {
			return "", fmt.Errorf("no such enabled virtual server")
		}
	}
	for _, u := range s.users {
		if u.Name == string(user) && u.Password == string(pass) && u.Internal == internal && (internal || strings.EqualFold(u.Domain, fields["domain"])) {
			return u.Name, nil
		}
	}
	return "", fmt.Errorf("invalid credentials")
}

// parseKSCBasic reads `KSCBasic user="…", pass="…", domain="…", internal="0|1"`
// strictly: every field present once, each quoted.
func parseKSCBasic(h string) (map[string]string, error) {
	rest, ok := strings.CutPrefix(h, "KSCBasic ")
	if !ok {
		return nil, fmt.Errorf("malformed Authorization: not KSCBasic")
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		k, v, ok := strings.Cut(part, "=")
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return nil, fmt.Errorf("malformed Authorization: field %q is not name=\"value\"", k)
		}
		v = v[1 : len(v)-1]
		if strings.Contains(v, `"`) {
			return nil, fmt.Errorf("malformed Authorization: quote inside %s", k)
		}
		if _, dup := fields[k]; dup {
			return nil, fmt.Errorf("malformed Authorization: %s twice", k)
		}
		fields[k] = v
	}
	for _, k := range []string{"user", "pass", "domain", "internal"} {
		if _, ok := fields[k]; !ok {
			return nil, fmt.Errorf("malformed Authorization: %s missing", k)
		}
	}
	if len(fields) != 4 {
		return nil, fmt.Errorf("malformed Authorization: unknown fields")
	}
	if i := fields["internal"]; i != "0" && i != "1" {
		return nil, fmt.Errorf("malformed Authorization: internal is %q", i)
	}
	return fields, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func writePxg(w http.ResponseWriter, status int, e *PxgError) {
	obj := map[string]any{"code": e.Code, "message": e.Message}
	if e.Subcode != 0 {
		obj["subcode"] = e.Subcode
	}
	if e.Module != "" {
		obj["module"] = e.Module
	}
	if e.File != "" {
		obj["file"] = e.File
		obj["line"] = e.Line
	}
	if e.Format != "" {
		args := e.Args
		if args == nil {
			args = []any{}
		}
		obj["locdata"] = wrapParams(map[string]any{
			"format": e.Format, "format-id": e.FormatID, "locmodule": e.LocModule, "args": args,
		})
	}
	b, _ := json.Marshal(map[string]any{"PxgError": obj})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// CertClientTransport returns an HTTP transport that trusts the server's
// certificate, for tests that build their own http.Client.
func (s *Server) CertClientTransport() http.RoundTripper {
	return s.srv.Client().Transport
}
