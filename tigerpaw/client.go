package tigerpaw

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/internal/httpx"
	"github.com/mspkit/kaspersky-tigerpaw/internal/retry"
	"golang.org/x/time/rate"
)

// Defaults of a Client. Each can be changed with an Option.
const (
	// DefaultRateLimit is the default sustained request rate, per second.
	DefaultRateLimit = 10
	// DefaultBurst is the default burst of the rate limiter.
	DefaultBurst = 5
	// DefaultMaxConcurrency is the default number of requests a client has in
	// flight at once.
	DefaultMaxConcurrency = 4
	// DefaultPageSize is the page size searches ask for when the caller gives none.
	DefaultPageSize = 100
	// maxResponseBytes caps how much of a response body is read.
	maxResponseBytes = 32 << 20
	// maxErrorExcerpt caps the body excerpt kept in an APIError.
	maxErrorExcerpt = 512
)

// Client is a client of one Tigerpaw server. It is safe for concurrent use.
// Create it with NewClient; the zero value is not usable.
type Client struct {
	base       *url.URL
	httpClient *http.Client
	keys       *credentials
	logger     *slog.Logger
	limiter    Limiter
	retry      retry.Policy
	loc        *time.Location
	now        func() time.Time
	jitter     func() float64
	userAgent  string
	pageSize   int
	slots      chan struct{} // bounds the requests in flight

	// Accounts reads accounts, their details, accounting, custom fields and
	// external product cross-references.
	Accounts *AccountsService
	// MasterTables reads Tigerpaw's lookup tables and creates account custom
	// field definitions.
	MasterTables *MasterTablesService
	// Agreements reads the agreements of accounts.
	Agreements *AgreementsService
	// Charges lists, creates, updates and deletes the additional charges of an
	// agreement.
	Charges *ChargesService
	// PriceBook searches price book items and reads their pricing.
	PriceBook *PriceBookService
	// ServiceOrders creates, reads, updates, closes and finds service orders.
	ServiceOrders *ServiceOrdersService
}

// NewClient returns a client of the Tigerpaw server at baseURL (scheme and host,
// optionally a path prefix under which /api/ lives). WithKeys is required: every
// request is signed.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, fmt.Errorf("tigerpaw: base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("tigerpaw: base URL %q: scheme must be http or https", baseURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("tigerpaw: base URL %q: host is missing", baseURL)
	}
	if u.User != nil {
		return nil, errors.New("tigerpaw: base URL must not carry user information")
	}
	u.RawQuery, u.Fragment, u.RawPath = "", "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	c := &Client{
		base:       u,
		httpClient: defaultHTTPClient(),
		logger:     slog.New(slog.DiscardHandler),
		limiter:    rate.NewLimiter(DefaultRateLimit, DefaultBurst),
		retry:      retry.Policy(DefaultRetryPolicy()),
		loc:        time.UTC,
		now:        time.Now,
		jitter:     rand.Float64,
		userAgent:  "kaspersky-tigerpaw/tigerpaw",
		pageSize:   DefaultPageSize,
		slots:      make(chan struct{}, DefaultMaxConcurrency),
	}
	for i, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("tigerpaw: option %d is nil", i)
		}
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	if c.keys == nil {
		return nil, errors.New("tigerpaw: keys are required: use WithKeys(publicKey, privateKey)")
	}
	c.Accounts = &AccountsService{c: c}
	c.MasterTables = &MasterTablesService{c: c}
	c.Agreements = &AgreementsService{c: c}
	c.Charges = &ChargesService{c: c}
	c.PriceBook = &PriceBookService{c: c}
	c.ServiceOrders = &ServiceOrdersService{c: c}
	return c, nil
}

// String describes the client without its keys.
func (c *Client) String() string {
	if c == nil {
		return "tigerpaw.Client(nil)"
	}
	return fmt.Sprintf("tigerpaw.Client(%s, keys %s)", c.base.String(), c.keys)
}

// GoString describes the client without its keys, for %#v.
func (c *Client) GoString() string { return c.String() }

// BaseURL returns the base URL the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// Insecure reports whether the client talks plain http:// rather than https://.
// Such a client works (a Tigerpaw on the same host or behind a TLS-terminating
// proxy may be reached that way), but its requests, signed with the keys, and
// the answers travel unencrypted: a caller such as the daemon should warn.
func (c *Client) Insecure() bool { return c.base.Scheme == "http" }

// ValidateUser checks the client's keys with GET /api/diagnostics/validate/user.
// A rejected key pair gives an error that matches ErrUnauthorized.
func (c *Client) ValidateUser(ctx context.Context) error {
	_, err := c.do(ctx, &request{method: http.MethodGet, path: "/api/diagnostics/validate/user", retry: true})
	return err
}

// ProductInformation returns the raw answer of GET
// /api/diagnostics/productInformation, which names the installed Tigerpaw build.
func (c *Client) ProductInformation(ctx context.Context) (json.RawMessage, error) {
	body, err := c.do(ctx, &request{method: http.MethodGet, path: "/api/diagnostics/productInformation", retry: true})
	if err != nil {
		return nil, err
	}
	return json.RawMessage(body), nil
}

// request is one logical API call; do sends it, with retries when allowed.
type request struct {
	method string
	path   string // escaped, starting with /api/
	query  url.Values
	body   any
	// retry allows retries after the request may have reached the server
	// (reads, updates, deletes, searches). Creates leave it false.
	retry bool
	// goneIsDone makes a 404 on a repeated attempt a success (deletes).
	goneIsDone bool
}

// acquire takes a slot of the concurrency bound, honouring ctx.
func (c *Client) acquire(ctx context.Context) error {
	select {
	case c.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) release() { <-c.slots }

// do sends r and returns the body of a 2xx answer whose envelope (if any) does not
// say Success:false. Every other outcome is an error; server refusals are *APIError.
func (c *Client) do(ctx context.Context, r *request) ([]byte, error) {
	var payload []byte
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("tigerpaw: %s %s: encode request body: %w", r.method, r.path, err)
		}
		payload = b
	}
	target := c.base.String() + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	var lastErr error
	reached := false // an earlier attempt may have reached the server
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, ctxErr(r, err, lastErr)
		}
		if err := retry.Pace(ctx, c.limiter); err != nil {
			return nil, ctxErr(r, fmt.Errorf("rate limiter: %w", err), lastErr)
		}
		if err := c.acquire(ctx); err != nil {
			return nil, ctxErr(r, err, lastErr)
		}
		start := time.Now()
		body, status, retryAfter, err := c.attempt(retry.WithAttempt(ctx, attempt), r, target, payload)
		elapsed := time.Since(start)
		c.release()
		if err == nil {
			c.logger.LogAttrs(ctx, slog.LevelDebug, "tigerpaw request",
				slog.String("method", r.method), slog.String("path", r.path),
				slog.Int("status", status), slog.Int("attempt", attempt), slog.Duration("elapsed", elapsed))
			return body, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			return nil, ctxErr(r, ctx.Err(), lastErr)
		}
		if r.goneIsDone && reached && errors.Is(err, ErrNotFound) {
			// An earlier attempt of this delete reached the server before it
			// failed: the object is gone, which is what the caller asked for.
			c.logger.LogAttrs(ctx, slog.LevelDebug, "tigerpaw delete already applied",
				slog.String("method", r.method), slog.String("path", r.path), slog.Int("attempt", attempt))
			return nil, nil
		}
		var te *transportError
		if !errors.As(err, &te) || !te.beforeSend {
			reached = true
		}
		retryable := c.retryable(r, err)
		level := slog.LevelDebug // a refusal the caller handles (404, Success false, ...)
		if retryable || status == 0 || status >= 500 {
			level = slog.LevelWarn
		}
		c.logger.LogAttrs(ctx, level, "tigerpaw request failed",
			slog.String("method", r.method), slog.String("path", r.path),
			slog.Int("status", status), slog.Int("attempt", attempt),
			slog.Bool("retryable", retryable), slog.String("error", err.Error()))
		if !retryable || attempt >= c.retry.MaxAttempts {
			return nil, err
		}
		wait, ok := c.retry.Delay(attempt, c.jitter(), retryAfter, c.retry.MaxDelay)
		if !ok {
			return nil, err
		}
		if serr := retry.Sleep(ctx, wait); serr != nil {
			return nil, ctxErr(r, serr, lastErr)
		}
	}
}

func ctxErr(r *request, err, last error) error {
	if last != nil {
		return fmt.Errorf("tigerpaw: %s %s: %w (last error: %w)", r.method, r.path, err, last)
	}
	return fmt.Errorf("tigerpaw: %s %s: %w", r.method, r.path, err)
}

// attempt sends the request once. It returns the body on success, else an error:
// *APIError for an answer of the server, *transportError when no answer came.
func (c *Client) attempt(ctx context.Context, r *request, target string, payload []byte) ([]byte, int, time.Duration, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, rd)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("tigerpaw: %s %s: build request: %w", r.method, r.path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	sign(req, c.keys, c.now())
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return nil, 0, 0, &transportError{method: r.method, path: r.path, err: err, beforeSend: notSent(err)}
	}
	defer resp.Body.Close()
	body, err := readBody(resp)
	if err != nil {
		return nil, resp.StatusCode, 0, &transportError{method: r.method, path: r.path, err: fmt.Errorf("read response: %w", err)}
	}
	if len(body) > maxResponseBytes {
		return nil, resp.StatusCode, 0, fmt.Errorf("tigerpaw: %s %s: response larger than %d bytes", r.method, r.path, maxResponseBytes)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		ae := newAPIError(r.method, r.path, resp.StatusCode, body)
		ae.RetryAfter = retry.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now())
		return nil, resp.StatusCode, ae.RetryAfter, ae
	}
	if ae := checkEnvelope(r.method, r.path, resp.StatusCode, body); ae != nil {
		return nil, resp.StatusCode, 0, ae
	}
	return body, resp.StatusCode, 0, nil
}

// readBody reads at most maxResponseBytes+1 bytes of an answer. When the
// server announces a Content-Length within the cap, the body is read into one
// buffer of that size instead of a series of growing ones, so a large body
// costs its size once.
func readBody(resp *http.Response) ([]byte, error) {
	r := io.LimitReader(resp.Body, maxResponseBytes+1)
	n := resp.ContentLength
	if n <= 0 || n > maxResponseBytes {
		return readChunks(r)
	}
	buf := make([]byte, n+1) // one byte more, to see a body longer than announced
	got, err := io.ReadFull(r, buf)
	switch {
	case err == nil: // longer than announced: read the rest
		rest, err := io.ReadAll(r)
		return append(buf, rest...), err
	case int64(got) == n && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)):
		return buf[:got], nil
	case errors.Is(err, io.EOF):
		return nil, io.ErrUnexpectedEOF // shorter than announced
	}
	return nil, err
}

// readChunks reads r to its end in chunks of up to 1 MB and joins them: a
// body of unknown length costs about twice its size, where growing one slice
// would copy it through a series of ever larger ones.
func readChunks(r io.Reader) ([]byte, error) {
	const chunk = 1 << 20
	var parts [][]byte
	total := 0
	for {
		buf := make([]byte, chunk)
		n := 0
		var err error
		for n < chunk && err == nil {
			var m int
			m, err = r.Read(buf[n:])
			n += m
		}
		if n > 0 {
			parts = append(parts, buf[:n])
			total += n
		}
		switch {
		case err == io.EOF:
			if len(parts) == 1 {
				return parts[0], nil
			}
			out := make([]byte, 0, total)
			for _, p := range parts {
				out = append(out, p...)
			}
			return out, nil
		case err != nil:
			return nil, err
		}
	}
}

// retryable reports whether a failed attempt of r may be repeated.
func (c *Client) retryable(r *request, err error) bool {
	var te *transportError
	if errors.As(err, &te) {
		return r.retry || te.beforeSend
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return r.retry && ae.Temporary()
	}
	return false
}

// getJSON sends a retryable GET and decodes the answer into v.
func (c *Client) getJSON(ctx context.Context, path string, query url.Values, v any) error {
	body, err := c.do(ctx, &request{method: http.MethodGet, path: path, query: query, retry: true})
	if err != nil {
		return err
	}
	return c.decode(http.MethodGet, path, body, v)
}

// decode reads a response body into v with Tigerpaw's conventions.
func (c *Client) decode(method, path string, body []byte, v any) error {
	if err := decodeBody(body, v, c.loc); err != nil {
		return fmt.Errorf("tigerpaw: %s %s: decode response: %w: %w", method, path, err, ErrMalformedResponse)
	}
	return nil
}

// pathf formats a request path, escaping string arguments as path segments.
func pathf(format string, args ...any) string {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = url.PathEscape(s)
		}
	}
	return fmt.Sprintf(format, args...)
}

// defaultHTTPClient is the client used without WithHTTPClient: a minute per
// request, over the module's default transport (httpx.NewTransport), which
// keeps enough idle connections per host that requests in flight at once (up
// to WithMaxConcurrency) reuse theirs.
func defaultHTTPClient() *http.Client {
	return &http.Client{Timeout: 60 * time.Second, Transport: httpx.NewTransport(nil)}
}
