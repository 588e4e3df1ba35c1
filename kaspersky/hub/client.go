package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	randv2 "math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/internal/httpx"
	"github.com/mspkit/kaspersky-tigerpaw/internal/retry"
)

const (
	// maxResponseBody caps how much of a response is read.
	maxResponseBody = 32 << 20
	// tokenSkew is how long before its expiresAt a token is replaced, so that a
	// request does not arrive just after it expired.
	tokenSkew = 10 * time.Second
	loginPath = "/api/v1/login"
)

// Client is a client of the Business Hub contract (see the package doc). It is
// safe for concurrent use.
type Client struct {
	base     string // scheme://host[/prefix], no trailing slash
	hc       *http.Client
	email    string
	password func() string
	log      *slog.Logger
	limiter  Limiter
	retry    retry.Policy
	// maxRetryAfter is the longest Retry-After waited for.
	maxRetryAfter time.Duration
	now           func() time.Time
	pageSize      int
	timeout       time.Duration
	// sleep waits d or until ctx ends; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error

	loginSem chan struct{} // held while logging in
	// authHoldOff is how long no login is sent after a refused one.
	authHoldOff time.Duration

	mu      sync.Mutex
	token   string
	expires time.Time
	gen     uint64
	// refusedAt is when the server last refused the credentials at login,
	// refusal its error; zero after a successful login.
	refusedAt time.Time
	refusal   error
}

// NewClient returns a client of the Business Hub contract at baseURL (e.g.
// "https://hub.example.com"). WithCredentials is required. The server's
// certificate is verified against the system roots, or the pool given with
// WithRootCAs; the client never turns verification off.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("hub: base URL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("hub: base URL %q: scheme must be https", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("hub: base URL %q: no host", u.Redacted())
	}
	if u.User != nil {
		return nil, fmt.Errorf("hub: base URL: must not carry credentials; use WithCredentials")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("hub: base URL %q: must not have a query or fragment", u.Redacted())
	}
	def := DefaultRetryPolicy()
	cfg := config{
		retry:         retry.Policy{MaxAttempts: def.MaxAttempts, BaseDelay: def.BaseDelay, MaxDelay: def.MaxDelay},
		maxRetryAfter: def.MaxRetryAfter,
		now:           time.Now,
		pageSize:      100,
		timeout:       time.Minute,
		authHoldOff:   DefaultAuthHoldOff,
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
		return nil, fmt.Errorf("hub: base URL %q: http:// would send the password in clear; use https:// (or WithInsecureHTTP, for tests)", u.Redacted())
	}
	if !cfg.credsSet {
		return nil, fmt.Errorf("hub: NewClient: credentials are required (WithCredentials)")
	}
	hc := cfg.httpClient
	if hc == nil {
		// Companies read at once reuse their connections (see httpx).
		hc = &http.Client{Transport: httpx.NewTransport(cfg.rootCAs)}
	}
	logger := cfg.logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// The password is kept behind a function so that no formatting of the
	// client's internals can print it.
	pw := cfg.creds.Password
	return &Client{
		base:          strings.TrimRight(u.String(), "/"),
		hc:            hc,
		email:         cfg.creds.Email,
		password:      func() string { return pw },
		log:           logger,
		limiter:       cfg.limiter,
		retry:         cfg.retry,
		maxRetryAfter: cfg.maxRetryAfter,
		now:           cfg.now,
		pageSize:      cfg.pageSize,
		timeout:       cfg.timeout,
		sleep:         retry.Sleep,
		loginSem:      make(chan struct{}, 1),
		authHoldOff:   cfg.authHoldOff,
	}, nil
}

// String describes the client without secrets.
func (c *Client) String() string {
	if c == nil {
		return "hub.Client(nil)"
	}
	return fmt.Sprintf("hub.Client{base: %q, email: %q}", c.base, c.email)
}

// GoString is String, so that %#v prints no secret.
func (c *Client) GoString() string { return c.String() }

// LogValue implements slog.LogValuer without secrets.
func (c *Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base", c.base), slog.String("email", c.email))
}

// currentToken returns the token when it is there and not about to expire.
func (c *Client) currentToken() (string, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == "" {
		return "", 0, false
	}
	if !c.expires.IsZero() && !c.now().Before(c.expires.Add(-tokenSkew)) {
		return "", 0, false
	}
	return c.token, c.gen, true
}

// invalidate forgets the token of generation gen, unless a newer one replaced
// it already.
func (c *Client) invalidate(gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.token = ""
	}
}

// suspended returns an error wrapping ErrUnauthorized while logins are held
// off after a refusal, else nil.
func (c *Client) suspended() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refusal == nil || c.authHoldOff <= 0 {
		return nil
	}
	until := c.refusedAt.Add(c.authHoldOff)
	if !c.now().Before(until) {
		return nil
	}
	return fmt.Errorf("hub: log in as %q: %w: logins are suspended until %s after a refusal of the credentials (%v)",
		c.email, ErrUnauthorized, until.UTC().Format(time.RFC3339), c.refusal)
}

// acquire returns a valid token, logging in when there is none. Only one
// goroutine logs in at a time; the others wait for it, honouring ctx. After
// the server refused the credentials no login is sent for the hold-off.
func (c *Client) acquire(ctx context.Context) (string, uint64, error) {
	if tok, gen, ok := c.currentToken(); ok {
		return tok, gen, nil
	}
	if err := c.suspended(); err != nil {
		return "", 0, err
	}
	select {
	case c.loginSem <- struct{}{}:
	case <-ctx.Done():
		return "", 0, fmt.Errorf("hub: log in: %w", ctx.Err())
	}
	defer func() { <-c.loginSem }()
	if tok, gen, ok := c.currentToken(); ok {
		return tok, gen, nil
	}
	if err := c.suspended(); err != nil {
		return "", 0, err
	}
	tok, exp, err := c.login(ctx)
	if err != nil {
		if errors.Is(err, ErrUnauthorized) {
			c.mu.Lock()
			c.refusedAt, c.refusal = c.now(), err
			c.mu.Unlock()
			c.log.ErrorContext(ctx, "hub refused the credentials; no login until the hold-off ends",
				slog.String("email", c.email), slog.Duration("hold_off", c.authHoldOff), slog.String("error", err.Error()))
		}
		return "", 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refusedAt, c.refusal = time.Time{}, nil
	c.token = tok
	c.expires = exp
	c.gen++
	return tok, c.gen, nil
}

// login posts the credentials and returns the token and its expiry.
func (c *Client) login(ctx context.Context) (string, time.Time, error) {
	body, err := json.Marshal(struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}{c.email, c.password()})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("hub: log in: %w", err)
	}
	resp, err := c.send(ctx, http.MethodPost, loginPath, nil, body, "")
	if err != nil {
		return "", time.Time{}, err
	}
	var out struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expiresAt"`
	}
	if err := c.result(http.MethodPost, loginPath, resp, &out); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && (ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusForbidden) {
			// Wrong credentials, or (403) a locked or disabled account.
			return "", time.Time{}, fmt.Errorf("hub: log in as %q: %w: %w", c.email, ErrUnauthorized, err)
		}
		return "", time.Time{}, fmt.Errorf("hub: log in as %q: %w", c.email, err)
	}
	if out.Token == "" {
		return "", time.Time{}, fmt.Errorf("hub: log in as %q: %w: answer has no token", c.email, ErrBadResponse)
	}
	exp := out.ExpiresAt
	if !exp.IsZero() && !exp.After(c.now()) {
		// The server's clock and ours disagree: an expiry taken at its word
		// would make every call log in again. Rely on 401 instead.
		c.log.Warn("hub token expires before it was received; is a clock wrong? relying on 401 to log in again",
			slog.Time("expires", exp), slog.Time("now", c.now()))
		exp = time.Time{}
	}
	c.log.Debug("hub login", slog.String("email", c.email), slog.Time("expires", exp))
	return out.Token, exp, nil
}

// get reads path with the query into out. On 401 the client logs in again once
// and repeats the request.
func (c *Client) get(ctx context.Context, path string, query url.Values, out any) error {
	for attempt := 0; ; attempt++ {
		tok, gen, err := c.acquire(ctx)
		if err != nil {
			return err
		}
		resp, err := c.send(ctx, http.MethodGet, path, query, nil, tok)
		if err != nil {
			return err
		}
		if resp.status == http.StatusUnauthorized {
			c.invalidate(gen)
			if attempt == 0 {
				c.log.Info("hub token refused; logging in again", slog.String("path", path))
				continue
			}
		}
		return c.result(http.MethodGet, path, resp, out)
	}
}

// response is the final answer of send.
type response struct {
	status     int
	body       []byte
	retryAfter time.Duration
}

// result decodes a response into out, or returns its *APIError.
func (c *Client) result(method, path string, r response, out any) error {
	err := decodeResponse(method, path, r.status, r.body, out)
	var ae *APIError
	if errors.As(err, &ae) {
		ae.RetryAfter = r.retryAfter
	}
	return err
}

// retryable reports whether an answer with the status may be retried: for a
// read any of 429, 502, 503, 504; for the login only 429 and 503.
func retryable(method string, status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		return method == http.MethodGet
	}
	return false
}

// send runs one request with the retry policy and returns the final answer.
// Transport failures are retried for reads only.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body []byte, token string) (response, error) {
	for attempt := 1; ; attempt++ {
		resp, err := c.attempt(retry.WithAttempt(ctx, attempt), method, path, query, body, token)
		if err == nil && !retryable(method, resp.status) {
			return resp, nil
		}
		failure := err
		if failure == nil {
			ae := apiErrorOf(method, path, resp.status, resp.body)
			ae.RetryAfter = resp.retryAfter
			failure = ae
		}
		if ctx.Err() != nil {
			return response{}, fmt.Errorf("hub: %s %s: %w (last failure: %w)", method, path, ctx.Err(), failure)
		}
		var nr noRetry
		switch {
		case err != nil && (method != http.MethodGet || errors.As(err, &nr) || attempt >= c.retry.MaxAttempts):
			return response{}, err
		case err == nil && attempt >= c.retry.MaxAttempts:
			return resp, nil
		}
		wait, ok := c.retry.Delay(attempt, randv2.Float64(), resp.retryAfter, c.maxRetryAfter)
		if !ok {
			c.log.Warn("hub asks to wait longer than the retry policy allows", slog.String("method", method),
				slog.String("path", path), slog.Duration("retry_after", resp.retryAfter))
			return resp, nil
		}
		c.log.Warn("hub request failed; retrying", slog.String("method", method), slog.String("path", path),
			slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.String("error", failure.Error()))
		if err := c.sleep(ctx, wait); err != nil {
			return response{}, fmt.Errorf("hub: %s %s: %w (last failure: %w)", method, path, err, failure)
		}
	}
}

// noRetry marks failures that repeating the request cannot cure.
type noRetry struct{ error }

func (e noRetry) Unwrap() error { return e.error }

// attempt sends one request.
func (c *Client) attempt(ctx context.Context, method, path string, query url.Values, body []byte, token string) (response, error) {
	if err := retry.Pace(ctx, c.limiter); err != nil {
		return response{}, noRetry{fmt.Errorf("hub: %s %s: rate limiter: %w", method, path, err)}
	}
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, target, rd)
	if err != nil {
		return response{}, noRetry{fmt.Errorf("hub: %s %s: %w", method, path, err)}
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	started := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("hub: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		return response{}, fmt.Errorf("hub: %s %s: read response: %w", method, path, err)
	}
	if len(data) > maxResponseBody {
		return response{}, noRetry{fmt.Errorf("hub: %s %s: %w: larger than %d bytes", method, path, ErrBadResponse, maxResponseBody)}
	}
	c.log.Debug("hub request", slog.String("method", method), slog.String("path", path),
		slog.Int("status", resp.StatusCode), slog.Int("bytes", len(data)), slog.Duration("took", time.Since(started)))
	return response{status: resp.StatusCode, body: data, retryAfter: retry.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now())}, nil
}
