package hub

import (
	"cmp"
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/internal/retry"
)

// Credentials identify the Business Hub account the client logs in as.
//
// Credentials redact the password when printed or logged.
type Credentials struct {
	// Email is the account's e-mail address.
	Email string
	// Password is the account's password.
	Password string
}

// String describes the credentials without the password.
func (c Credentials) String() string {
	pw := `""`
	if c.Password != "" {
		pw = "[redacted]"
	}
	return fmt.Sprintf("hub.Credentials{Email: %q, Password: %s}", c.Email, pw)
}

// GoString is String, so that %#v does not print the password either.
func (c Credentials) GoString() string { return c.String() }

// LogValue implements slog.LogValuer without the password.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("email", c.Email))
}

func (c Credentials) validate() error {
	if strings.TrimSpace(c.Email) == "" {
		return fmt.Errorf("hub: credentials: Email is empty")
	}
	if !strings.Contains(c.Email, "@") {
		return fmt.Errorf("hub: credentials: Email %q is not an e-mail address", c.Email)
	}
	if c.Password == "" {
		return fmt.Errorf("hub: credentials: Password is empty")
	}
	return nil
}

// Limiter paces requests; *rate.Limiter from golang.org/x/time/rate satisfies it.
// Wait is called before every attempt, retries and logins included; an error
// from it ends the call without a retry.
type Limiter interface {
	Wait(ctx context.Context) error
}

// RetryPolicy says how transient failures are retried. Reads are retried on
// transport errors and on HTTP 429, 502, 503 and 504. A login is retried only on
// 429 and 503, the answers that say the server did not act on it. The wait
// before attempt n+1 is BaseDelay·2^(n-1), capped at MaxDelay and jittered to
// lie between half of that and all of it, or the server's Retry-After when that
// is longer. A Retry-After longer than MaxRetryAfter (MaxDelay when zero) ends
// the retries: the call fails with the server's *APIError, whose RetryAfter
// says when to come back.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included; at
	// least 1 (1 means no retries).
	MaxAttempts int
	// BaseDelay is the wait before the second attempt; not negative.
	BaseDelay time.Duration
	// MaxDelay caps one backoff wait; not below BaseDelay.
	MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits for; zero
	// means MaxDelay, as in the module's other clients. Business Hub may ask
	// for longer waits than a backoff should grow to, hence a limit of its own.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy returns the policy a Client uses unless WithRetryPolicy
// says otherwise: 4 attempts, 250ms base delay, 5s cap, Retry-After waited
// for up to a minute.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:   4,
		BaseDelay:     250 * time.Millisecond,
		MaxDelay:      5 * time.Second,
		MaxRetryAfter: time.Minute,
	}
}

// Option configures a Client.
type Option func(*config) error

type config struct {
	creds      Credentials
	credsSet   bool
	rootCAs    *x509.CertPool
	httpClient *http.Client
	logger     *slog.Logger
	limiter    Limiter
	retry      retry.Policy
	// maxRetryAfter is RetryPolicy.MaxRetryAfter, or MaxDelay when that is zero.
	maxRetryAfter time.Duration
	now           func() time.Time
	pageSize      int
	timeout       time.Duration
	insecureHTTP  bool
	authHoldOff   time.Duration
}

// WithCredentials sets the account the client logs in as. Required.
func WithCredentials(c Credentials) Option {
	return func(cfg *config) error {
		if err := c.validate(); err != nil {
			return err
		}
		cfg.creds = c
		cfg.credsSet = true
		return nil
	}
}

// WithRootCAs sets the certificate authorities the server's certificate is
// verified against. Ignored when WithHTTPClient is given.
func WithRootCAs(pool *x509.CertPool) Option {
	return func(cfg *config) error {
		if pool == nil {
			return fmt.Errorf("hub: WithRootCAs: pool is nil")
		}
		cfg.rootCAs = pool
		return nil
	}
}

// WithHTTPClient makes the client send its requests through hc. The caller is
// then responsible for its TLS configuration; the client changes nothing in it.
func WithHTTPClient(hc *http.Client) Option {
	return func(cfg *config) error {
		if hc == nil {
			return fmt.Errorf("hub: WithHTTPClient: client is nil")
		}
		cfg.httpClient = hc
		return nil
	}
}

// WithLogger sets the logger; by default nothing is logged. Secrets (the
// password, tokens) are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(cfg *config) error {
		if l == nil {
			return fmt.Errorf("hub: WithLogger: logger is nil")
		}
		cfg.logger = l
		return nil
	}
}

// WithLimiter paces every request attempt through l; by default attempts are
// not paced. Pass the same l to several clients to share one budget.
func WithLimiter(l Limiter) Option {
	return func(cfg *config) error {
		if retry.IsNil(l) {
			return fmt.Errorf("hub: WithLimiter: limiter is nil")
		}
		cfg.limiter = l
		return nil
	}
}

// WithRetryPolicy sets how transient failures are retried (DefaultRetryPolicy
// unless told otherwise). A policy with a field out of range makes NewClient
// fail with an error naming the field.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(cfg *config) error {
		rp := retry.Policy{MaxAttempts: p.MaxAttempts, BaseDelay: p.BaseDelay, MaxDelay: p.MaxDelay}
		if err := rp.Validate(); err != nil {
			return fmt.Errorf("hub: WithRetryPolicy: %w", err)
		}
		if p.MaxRetryAfter < 0 {
			return fmt.Errorf("hub: WithRetryPolicy: MaxRetryAfter is %v; it must not be negative", p.MaxRetryAfter)
		}
		cfg.retry = rp
		cfg.maxRetryAfter = cmp.Or(p.MaxRetryAfter, p.MaxDelay)
		return nil
	}
}

// WithClock sets the clock the client reads "now" from: token expiry,
// HTTP-date Retry-After values and Inventory.ReadAt. Defaults to time.Now.
func WithClock(now func() time.Time) Option {
	return func(cfg *config) error {
		if now == nil {
			return fmt.Errorf("hub: WithClock: clock is nil")
		}
		cfg.now = now
		return nil
	}
}

// WithPageSize sets the page size asked for in paged lists (default 100). The
// server may answer with smaller pages.
func WithPageSize(n int) Option {
	return func(cfg *config) error {
		if n < 1 || n > 10000 {
			return fmt.Errorf("hub: WithPageSize: %d is not between 1 and 10000", n)
		}
		cfg.pageSize = n
		return nil
	}
}

// WithRequestTimeout bounds each HTTP attempt (default one minute), in addition
// to the caller's context.
func WithRequestTimeout(d time.Duration) Option {
	return func(cfg *config) error {
		if d <= 0 {
			return fmt.Errorf("hub: WithRequestTimeout: %v is not positive", d)
		}
		cfg.timeout = d
		return nil
	}
}

// DefaultAuthHoldOff is how long, by default, the client sends no login after
// the server refused its credentials; see WithAuthHoldOff.
const DefaultAuthHoldOff = 5 * time.Minute

// WithAuthHoldOff sets how long the client sends no further login after the
// server refused its credentials (HTTP 401 or 403 at login): every call in
// that time fails at once with an error wrapping ErrUnauthorized that says
// logins are suspended, so that a wrong password costs one failed login, not
// one per company and call (and a locked account). The default is
// DefaultAuthHoldOff; zero turns the hold-off off. A client's credentials do
// not change, so a new password takes a new client, which starts without a
// hold-off.
func WithAuthHoldOff(d time.Duration) Option {
	return func(cfg *config) error {
		if d < 0 {
			return fmt.Errorf("hub: WithAuthHoldOff: %v is negative", d)
		}
		cfg.authHoldOff = d
		return nil
	}
}

// WithInsecureHTTP lets NewClient accept an http:// base URL, over which the
// password and the tokens travel in clear. Without it an http:// URL is
// refused. Meant for tests and for a contract server reached over a trusted
// local link only.
func WithInsecureHTTP() Option {
	return func(cfg *config) error {
		cfg.insecureHTTP = true
		return nil
	}
}
