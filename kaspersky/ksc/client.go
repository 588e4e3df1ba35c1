package ksc

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	randv2 "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/internal/httpx"
	"github.com/mspkit/kaspersky-tigerpaw/internal/retry"
)

// maxResponseBody caps how much of a response is read (a chunk of 10,000 hosts is
// a few megabytes; the largest chunk WithChunkSize allows, 100,000 hosts, is
// about 40). Decoding a body takes at most a small multiple of its size: arrays
// are decoded element by element up to maxAnswerItems elements, and a PxgError
// is decoded only up to maxPxgErrorBytes.
const maxResponseBody = 64 << 20

// Client is a client of one KSC Administration Server's Open API, working on one
// virtual server (or the main server). It is safe for concurrent use. Clients
// returned by ForVirtualServer share the transport, the sessions and Close.
type Client struct {
	core *core
	vs   string
}

type core struct {
	endpoint string // https://host:port/api/v1.0/
	hc       *http.Client
	creds    Credentials // Password is always empty here; see password
	password func() string
	log      *slog.Logger
	limiter  Limiter
	retry    retry.Policy
	now      func() time.Time
	chunk    int
	lifetime time.Duration
	timeout  time.Duration

	reqPrefix string
	reqSeq    atomic.Uint64

	mu       sync.Mutex
	sessions map[string]*session
	closed   bool

	// holdOff is how long logins are suspended after the server refused the
	// credentials; 0 disables the suspension. clock is the real time it is
	// measured with.
	holdOff time.Duration
	clock   func() time.Time
	refusal refusals
}

// refusals records the server's refusals of the credentials. A refusal on the
// main server, or on a second virtual server, suspends every login; a refusal
// on one virtual server suspends the logins to it.
type refusals struct {
	mu  sync.Mutex
	all time.Time            // every login suspended until then
	vs  map[string]time.Time // logins to a virtual server suspended until then
}

// NewClient returns a client of the KSC Open API at baseURL (e.g.
// "https://ksc.example.com:13299"). WithCredentials is required. The server's
// certificate is verified against the system roots, or the pool given with
// WithRootCAs; verification is never turned off by the client.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("ksc: base URL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("ksc: base URL %q: scheme must be https", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("ksc: base URL %q: no host", baseURL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("ksc: base URL: must not carry credentials; use WithCredentials")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("ksc: base URL %q: must not have a query or fragment", u.Redacted())
	}
	cfg := config{
		retry:     retry.Policy(DefaultRetryPolicy()),
		now:       time.Now,
		chunkSize: 500,
		lifetime:  5 * time.Minute,
		timeout:   2 * time.Minute,
		holdOff:   DefaultAuthHoldOff,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if u.Scheme == "http" && !cfg.insecureHTTP {
		return nil, fmt.Errorf("ksc: base URL %q: scheme http would send the password and session ids in clear; use https (or WithInsecureHTTP to allow it)", u.Redacted())
	}
	if !cfg.credsSet {
		return nil, fmt.Errorf("ksc: NewClient: credentials are required (WithCredentials)")
	}
	hc := cfg.httpClient
	if hc == nil {
		// An idle connection kept per concurrent caller (see httpx).
		hc = &http.Client{Transport: httpx.NewTransport(cfg.rootCAs)}
	}
	logger := cfg.logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var pfx [4]byte
	_, _ = rand.Read(pfx[:])
	// The password is kept behind a function so that no formatting of the
	// client's internals can print it.
	pw := cfg.creds.Password
	creds := cfg.creds
	creds.Password = ""
	c := &core{
		endpoint:  strings.TrimRight(u.String(), "/") + "/api/v1.0/",
		hc:        hc,
		creds:     creds,
		password:  func() string { return pw },
		log:       logger,
		limiter:   cfg.limiter,
		retry:     cfg.retry,
		now:       cfg.now,
		chunk:     cfg.chunkSize,
		lifetime:  cfg.lifetime,
		timeout:   cfg.timeout,
		reqPrefix: hex.EncodeToString(pfx[:]),
		sessions:  map[string]*session{},
		holdOff:   cfg.holdOff,
		clock:     time.Now,
		refusal:   refusals{vs: map[string]time.Time{}},
	}
	if cfg.insecureHTTP && u.Scheme == "http" {
		logger.Warn("ksc client sends its password in clear over http", slog.String("url", u.Redacted()))
	}
	return &Client{core: c, vs: cfg.vserver}, nil
}

// String describes the client without secrets.
func (c Client) String() string {
	if c.core == nil {
		return "ksc.Client{}"
	}
	return fmt.Sprintf("ksc.Client{endpoint: %q, user: %q, virtual server: %q}", c.core.endpoint, c.core.creds.User, c.vs)
}

// GoString is String, so that %#v prints no secret.
func (c Client) GoString() string { return c.String() }

// VirtualServer returns the display name of the virtual server the client works
// on; "" is the main Administration Server.
func (c *Client) VirtualServer() string { return c.vs }

// ForVirtualServer returns a client that works on the named virtual server (its
// display name). It shares this client's transport and sessions.
func (c *Client) ForVirtualServer(name string) *Client {
	return &Client{core: c.core, vs: name}
}

// Close ends the sessions of this client and of all clients sharing it. Later
// calls fail with ErrClosed. The error, if any, is the first failure to end a
// session; every session is forgotten either way.
func (c *Client) Close(ctx context.Context) error {
	k := c.core
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return nil
	}
	k.closed = true
	sessions := k.sessions
	k.sessions = map[string]*session{}
	k.mu.Unlock()
	var first error
	for vs, s := range sessions {
		id, _, ok := s.current()
		if !ok {
			continue
		}
		s.invalidateAll()
		status, body, err := k.send(ctx, "Session.EndSession", []byte("{}"), requestAuth{session: id, vs: vs}, true)
		if err == nil && status != http.StatusForbidden {
			err = decodeResponse("Session.EndSession", status, body, nil)
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

// session is the KSC session of one (server, virtual server).
type session struct {
	start chan struct{} // held while a session is being started

	mu    sync.Mutex
	id    string
	gen   uint64
	valid bool
}

func newSession() *session { return &session{start: make(chan struct{}, 1)} }

func (s *session) current() (string, uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id, s.gen, s.valid
}

func (s *session) invalidate(gen uint64) {
	s.mu.Lock()
	if s.gen == gen {
		s.valid = false
		s.id = ""
	}
	s.mu.Unlock()
}

func (s *session) invalidateAll() {
	s.mu.Lock()
	s.valid = false
	s.id = ""
	s.mu.Unlock()
}

func (c *Client) session() (*session, error) {
	k := c.core
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil, ErrClosed
	}
	s, ok := k.sessions[c.vs]
	if !ok {
		s = newSession()
		k.sessions[c.vs] = s
	}
	return s, nil
}

// acquire returns the session id, starting a session when there is none. Only
// one goroutine starts a session at a time; the others wait, honouring ctx.
func (c *Client) acquire(ctx context.Context, s *session) (string, uint64, error) {
	if id, gen, ok := s.current(); ok {
		return id, gen, nil
	}
	select {
	case s.start <- struct{}{}:
	case <-ctx.Done():
		return "", 0, ctx.Err()
	}
	defer func() { <-s.start }()
	if id, gen, ok := s.current(); ok {
		return id, gen, nil
	}
	if err := c.core.loginSuspended(c.vs); err != nil {
		return "", 0, err
	}
	id, err := c.startSession(ctx)
	if err != nil {
		return "", 0, err
	}
	c.core.mu.Lock()
	closed := c.core.closed
	c.core.mu.Unlock()
	if closed {
		// Close ran while the session was being started: end it at once.
		_, _, _ = c.core.send(context.WithoutCancel(ctx), "Session.EndSession", []byte("{}"), requestAuth{session: id, vs: c.vs}, false)
		return "", 0, ErrClosed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.id = id
	s.gen++
	s.valid = true
	return id, s.gen, nil
}

func (c *Client) startSession(ctx context.Context) (string, error) {
	const method = "Session.StartSession"
	status, body, err := c.core.send(ctx, method, []byte("{}"), requestAuth{basic: true, vs: c.vs}, true)
	if err != nil {
		return "", err
	}
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		err := decodeResponse(method, status, body, nil)
		c.core.refused(c.vs)
		return "", fmt.Errorf("ksc: start session for user %q on virtual server %q: %w: %w", c.core.creds.User, c.vs, ErrUnauthorized, err)
	}
	var out struct {
		ID string `json:"PxgRetVal"`
	}
	if err := decodeResponse(method, status, body, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", fmt.Errorf("ksc: %s: response has no session id (PxgRetVal)", method)
	}
	c.core.log.Debug("ksc session started", slog.String("vserver", c.vs))
	return out.ID, nil
}

// refused records that the server refused the credentials for a login to vs.
func (c *core) refused(vs string) {
	if c.holdOff <= 0 {
		return
	}
	now := c.clock()
	until := now.Add(c.holdOff)
	c.refusal.mu.Lock()
	defer c.refusal.mu.Unlock()
	other := false
	for v, t := range c.refusal.vs {
		other = other || v != vs && now.Before(t)
	}
	if vs == "" || other {
		c.refusal.all = until
	}
	c.refusal.vs[vs] = until
	c.log.Warn("ksc refused the credentials; logins suspended", slog.String("user", c.creds.User),
		slog.String("vserver", vs), slog.Time("until", until), slog.Bool("all_servers", vs == "" || other))
}

// loginSuspended returns an error wrapping ErrUnauthorized while logins to vs
// are suspended after a refusal.
func (c *core) loginSuspended(vs string) error {
	if c.holdOff <= 0 {
		return nil
	}
	now := c.clock()
	c.refusal.mu.Lock()
	until := c.refusal.all
	if t := c.refusal.vs[vs]; t.After(until) {
		until = t
	}
	c.refusal.mu.Unlock()
	if !now.Before(until) {
		return nil
	}
	return fmt.Errorf("ksc: login of user %q on virtual server %q not attempted: logins are suspended after the server refused the credentials, until %s: %w",
		c.creds.User, vs, until.UTC().Format(time.RFC3339), ErrUnauthorized)
}

// errSessionRenewed is returned by a call pinned to a session generation when
// that session has ended (403) or been replaced.
var errSessionRenewed = errors.New("ksc: session renewed")

// errTransport marks failures where the request may or may not have reached the
// server.
var errTransport = errors.New("ksc: transport failure")

type callOpts struct {
	// idempotent calls may be retried on transient failures.
	idempotent bool
	// pin, when set, binds the call to that session generation: it is not re-run
	// under a new session and fails with errSessionRenewed instead.
	pin *uint64
	// usedGen, when set, receives the session generation the call ran under.
	usedGen *uint64
}

// call runs one Open API method on the client's virtual server and decodes its
// result into out. On HTTP 403 the session is started again once and the call
// repeated, unless it is pinned to a session.
func (c *Client) call(ctx context.Context, method string, args Params, out any, o callOpts) error {
	body, err := EncodeArgs(args)
	if err != nil {
		return fmt.Errorf("ksc: %s: arguments: %w", method, err)
	}
	s, err := c.session()
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		var id string
		var gen uint64
		if o.pin != nil {
			// A call bound to a session never starts a new one.
			var ok bool
			id, gen, ok = s.current()
			if !ok || gen != *o.pin {
				return errSessionRenewed
			}
		} else if id, gen, err = c.acquire(ctx, s); err != nil {
			return err
		}
		status, resp, err := c.core.send(ctx, method, body, requestAuth{session: id, vs: c.vs}, o.idempotent)
		if err != nil {
			return err
		}
		if status == http.StatusForbidden {
			s.invalidate(gen)
			if o.pin != nil {
				return errSessionRenewed
			}
			if attempt == 0 {
				c.core.log.Info("ksc session refused; starting a new one", slog.String("method", method), slog.String("vserver", c.vs))
				continue
			}
			derr := decodeResponse(method, status, resp, nil)
			return fmt.Errorf("ksc: %s: refused with a fresh session: %w: %w", method, ErrUnauthorized, derr)
		}
		if o.usedGen != nil {
			*o.usedGen = gen
		}
		return decodeResponse(method, status, resp, out)
	}
}

// requestAuth says how a request authenticates.
type requestAuth struct {
	basic   bool   // KSCBasic Authorization (StartSession)
	session string // X-KSC-Session
	vs      string // X-KSC-VServer
}

func (c *core) authorization() string {
	internal := "0"
	if c.creds.Internal {
		internal = "1"
	}
	return `KSCBasic user="` + base64.StdEncoding.EncodeToString([]byte(c.creds.User)) +
		`", pass="` + base64.StdEncoding.EncodeToString([]byte(c.password())) +
		`", domain="` + c.creds.Domain + `", internal="` + internal + `"`
}

// send posts body to the method and returns the status and body of the final
// attempt. Transient failures of idempotent calls are retried by the policy; a
// transient failure that ends the retries is returned as its *HTTPError.
func (c *core) send(ctx context.Context, method string, body []byte, auth requestAuth, idempotent bool) (int, []byte, error) {
	attempts := c.retry.MaxAttempts
	if !idempotent {
		attempts = 1
	}
	var lastErr error
	for attempt := 1; ; attempt++ {
		if err := retry.Pace(ctx, c.limiter); err != nil {
			if lastErr != nil {
				return 0, nil, fmt.Errorf("ksc: %s: rate limiter: %w (last failure: %w)", method, err, lastErr)
			}
			return 0, nil, fmt.Errorf("ksc: %s: rate limiter: %w", method, err)
		}
		status, resp, retryAfter, err := c.attempt(retry.WithAttempt(ctx, attempt), method, body, auth)
		if err == nil && !retryableStatus(status, resp) {
			return status, resp, nil
		}
		if ctx.Err() != nil {
			return 0, nil, fmt.Errorf("ksc: %s: %w", method, ctx.Err())
		}
		lastErr = err
		if err == nil {
			lastErr = &HTTPError{Method: method, StatusCode: status, Body: capBody(resp), RetryAfter: retryAfter}
		}
		if attempt >= attempts {
			return 0, nil, lastErr
		}
		wait, ok := c.retry.Delay(attempt, randv2.Float64(), retryAfter, c.retry.MaxDelay)
		if !ok {
			c.log.Warn("ksc server asks to wait longer than the retry policy allows", slog.String("method", method),
				slog.Duration("retry_after", retryAfter))
			return 0, nil, lastErr
		}
		c.log.Warn("ksc call failed; retrying", slog.String("method", method), slog.Int("attempt", attempt),
			slog.Duration("wait", wait), slog.String("error", lastErr.Error()))
		if err := retry.Sleep(ctx, wait); err != nil {
			return 0, nil, fmt.Errorf("ksc: %s: %w (last failure: %w)", method, err, lastErr)
		}
	}
}

func retryableStatus(status int, body []byte) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return !bytes.Contains(body, pxgErrorKey)
	}
	return false
}

// attempt sends one request. Its error wraps errTransport when the request may
// have reached the server without an answer coming back.
func (c *core) attempt(ctx context.Context, method string, body []byte, auth requestAuth) (int, []byte, time.Duration, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.endpoint+method, bytes.NewReader(body))
	if err != nil {
		return 0, nil, 0, fmt.Errorf("ksc: %s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-KSC-RequestId", c.reqPrefix+"-"+strconv.FormatUint(c.reqSeq.Add(1), 10))
	req.Header.Set("X-KSC-VServer", base64.StdEncoding.EncodeToString([]byte(auth.vs)))
	if auth.basic {
		req.Header.Set("Authorization", c.authorization())
	}
	if auth.session != "" {
		req.Header.Set("X-KSC-Session", auth.session)
	}
	started := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, 0, fmt.Errorf("ksc: %s: %w: %w", method, errTransport, scrubURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		return 0, nil, 0, fmt.Errorf("ksc: %s: read response: %w: %w", method, errTransport, scrubURLError(err))
	}
	if len(data) > maxResponseBody {
		return 0, nil, 0, fmt.Errorf("ksc: %s: response larger than %d bytes", method, maxResponseBody)
	}
	c.log.Debug("ksc call", slog.String("method", method), slog.Int("status", resp.StatusCode),
		slog.Int("bytes", len(data)), slog.Duration("took", time.Since(started)))
	return resp.StatusCode, data, retry.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now()), nil
}

// scrubURLError drops the request URL's userinfo, if any, from an error. The
// base URL is checked to have none; this is a second line of defence.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.User != nil {
			return &url.Error{Op: ue.Op, URL: u.Redacted(), Err: ue.Err}
		}
	}
	return err
}
