package ksc

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/internal/retry"
)

// Credentials identify the KSC user the client signs in as.
//
// Credentials redact the password when printed or logged.
type Credentials struct {
	// User is the account name, without the domain.
	User string
	// Password is the account's password.
	Password string
	// Domain is the Windows domain of a domain account; empty for an internal
	// user.
	Domain string
	// Internal marks a KSC-internal user (internal="1" on the wire); false means
	// a domain (Windows) account.
	Internal bool
}

// String describes the credentials without the password.
func (c Credentials) String() string {
	return fmt.Sprintf("ksc.Credentials{User: %q, Domain: %q, Internal: %t, Password: %s}",
		c.User, c.Domain, c.Internal, redactedIf(c.Password != ""))
}

// GoString is String, so that %#v does not print the password either.
func (c Credentials) GoString() string { return c.String() }

// LogValue implements slog.LogValuer without the password.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("user", c.User),
		slog.String("domain", c.Domain),
		slog.Bool("internal", c.Internal),
	)
}

func redactedIf(set bool) string {
	if set {
		return "[redacted]"
	}
	return `""`
}

func (c Credentials) validate() error {
	if c.User == "" {
		return fmt.Errorf("ksc: credentials: User is empty")
	}
	if c.Password == "" {
		return fmt.Errorf("ksc: credentials: Password is empty")
	}
	if strings.ContainsAny(c.Domain, "\"\r\n\\") {
		return fmt.Errorf("ksc: credentials: Domain contains a quote, backslash or line break")
	}
	if !c.Internal && c.Domain == "" {
		return fmt.Errorf("ksc: credentials: Domain is empty for a domain (non-internal) user")
	}
	return nil
}

// Limiter paces requests; *rate.Limiter from golang.org/x/time/rate satisfies it.
// Wait is called before every attempt, retries included; an error from it ends
// the call without a retry.
type Limiter interface {
	Wait(ctx context.Context) error
}

// RetryPolicy says how transient failures of calls that are safe to repeat are
// retried: network errors and HTTP 429, 500, 502, 503 and 504 responses that carry
// no PxgError. Calls that are not safe to repeat (reading the next items of a
// GroupSyncIterator) are never retried; their result set is re-read from the
// start instead. The wait before attempt n+1 is BaseDelay·2^(n-1), capped at
// MaxDelay and jittered to lie between half of that and all of it, or the
// server's Retry-After when that is longer. A Retry-After longer than MaxDelay
// ends the retries: the call fails with the server's *HTTPError, whose
// RetryAfter says when to come back.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included; at
	// least 1 (1 means no retries).
	MaxAttempts int
	// BaseDelay is the wait before the second attempt; not negative.
	BaseDelay time.Duration
	// MaxDelay caps one backoff wait and is the longest Retry-After waited
	// for; not below BaseDelay.
	MaxDelay time.Duration
}

// DefaultRetryPolicy returns the policy a Client uses unless WithRetryPolicy
// says otherwise: 3 attempts, 250ms base delay, 5s cap.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 3, BaseDelay: 250 * time.Millisecond, MaxDelay: 5 * time.Second}
}

// Option configures a Client.
type Option func(*config) error

type config struct {
	creds      Credentials
	credsSet   bool
	vserver    string
	rootCAs    *x509.CertPool
	httpClient *http.Client
	logger     *slog.Logger
	limiter    Limiter
	retry      retry.Policy
	now        func() time.Time
	chunkSize  int
	lifetime   time.Duration
	timeout    time.Duration
	holdOff    time.Duration

	insecureHTTP bool
}

// DefaultAuthHoldOff is how long logins are suspended after the server refused
// the credentials, unless WithAuthHoldOff says otherwise.
const DefaultAuthHoldOff = 5 * time.Minute

// WithAuthHoldOff sets how long the client sends no login after the server
// refused its credentials (default DefaultAuthHoldOff; 0 disables the
// suspension). During it, calls that need a session fail at once with an error
// wrapping ErrUnauthorized that says until when, so that a wrong password
// costs one failed login instead of one per tenant and read (and does not lock
// the account). A refusal on the main server, or on two virtual servers,
// suspends every login of the client and of the clients sharing it
// (ForVirtualServer); a refusal on one virtual server suspends the logins to
// that one.
func WithAuthHoldOff(d time.Duration) Option {
	return func(cfg *config) error {
		if d < 0 {
			return fmt.Errorf("ksc: WithAuthHoldOff: %v is negative", d)
		}
		cfg.holdOff = d
		return nil
	}
}

// WithInsecureHTTP lets NewClient accept an http:// base URL, over which the
// password and the session ids travel in clear. Without it an http:// URL is
// refused. Meant for a test bench or a TLS-terminating proxy on the same host;
// the client logs a warning when it is used.
func WithInsecureHTTP() Option {
	return func(cfg *config) error {
		cfg.insecureHTTP = true
		return nil
	}
}

// WithCredentials sets the account the client signs in as. Required.
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

// WithVirtualServer makes the client work on the named virtual server (its
// display name, KLVSRV_DN) instead of the main Administration Server.
func WithVirtualServer(name string) Option {
	return func(cfg *config) error {
		cfg.vserver = name
		return nil
	}
}

// WithRootCAs sets the certificate authorities that the server's certificate is
// verified against, e.g. a pool holding the server's self-signed certificate.
// Ignored when WithHTTPClient is given.
func WithRootCAs(pool *x509.CertPool) Option {
	return func(cfg *config) error {
		if pool == nil {
			return fmt.Errorf("ksc: WithRootCAs: pool is nil")
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
			return fmt.Errorf("ksc: WithHTTPClient: client is nil")
		}
		cfg.httpClient = hc
		return nil
	}
}

// WithLogger sets the logger; by default nothing is logged. Secrets are never
// logged.
func WithLogger(l *slog.Logger) Option {
	return func(cfg *config) error {
		if l == nil {
			return fmt.Errorf("ksc: WithLogger: logger is nil")
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
			return fmt.Errorf("ksc: WithLimiter: limiter is nil")
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
		rp := retry.Policy(p)
		if err := rp.Validate(); err != nil {
			return fmt.Errorf("ksc: WithRetryPolicy: %w", err)
		}
		cfg.retry = rp
		return nil
	}
}

// WithClock sets the clock the Source reads "now" from (the end of event
// windows, Inventory.ReadAt). Defaults to time.Now.
func WithClock(now func() time.Time) Option {
	return func(cfg *config) error {
		if now == nil {
			return fmt.Errorf("ksc: WithClock: clock is nil")
		}
		cfg.now = now
		return nil
	}
}

// WithChunkSize sets how many items a result set is read by at a time
// (default 500).
func WithChunkSize(n int) Option {
	return func(cfg *config) error {
		if n < 1 || n > 100000 {
			return fmt.Errorf("ksc: WithChunkSize: %d is not between 1 and 100000", n)
		}
		cfg.chunkSize = n
		return nil
	}
}

// WithResultSetLifetime sets the server-side lifetime asked for result sets
// (default 5 minutes); the client releases each one as soon as it is done anyway.
func WithResultSetLifetime(d time.Duration) Option {
	return func(cfg *config) error {
		if d < time.Second {
			return fmt.Errorf("ksc: WithResultSetLifetime: %v is shorter than a second", d)
		}
		cfg.lifetime = d
		return nil
	}
}

// WithRequestTimeout bounds each HTTP attempt (default 2 minutes), in addition to
// the caller's context.
func WithRequestTimeout(d time.Duration) Option {
	return func(cfg *config) error {
		if d <= 0 {
			return fmt.Errorf("ksc: WithRequestTimeout: %v is not positive", d)
		}
		cfg.timeout = d
		return nil
	}
}
