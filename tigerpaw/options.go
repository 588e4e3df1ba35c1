package tigerpaw

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/internal/retry"
	"golang.org/x/time/rate"
)

// Option configures a Client in NewClient. An option that gets bad input makes
// NewClient fail with an error naming the option.
type Option func(*Client) error

// WithKeys sets the REST API key pair of the Tigerpaw rep the client acts as
// (Admin tab → REST API Security). Both keys are required. The private key is
// never written to an error, a log line or the output of %v.
func WithKeys(publicKey, privateKey string) Option {
	return func(c *Client) error {
		switch {
		case strings.TrimSpace(publicKey) == "":
			return errors.New("tigerpaw: WithKeys: public key is empty")
		case strings.TrimSpace(privateKey) == "":
			return errors.New("tigerpaw: WithKeys: private key is empty")
		case strings.Contains(publicKey, ":"):
			return errors.New("tigerpaw: WithKeys: public key must not contain ':'")
		case strings.TrimSpace(publicKey) != publicKey:
			return errors.New("tigerpaw: WithKeys: public key has leading or trailing white space")
		case strings.TrimSpace(privateKey) != privateKey:
			return errors.New("tigerpaw: WithKeys: private key has leading or trailing white space")
		}
		c.keys = &credentials{public: publicKey, private: privateKey}
		return nil
	}
}

// WithHTTPClient sets the HTTP client used for requests (timeouts, proxies, TLS).
// The default has a 60 second timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("tigerpaw: WithHTTPClient: client is nil")
		}
		c.httpClient = hc
		return nil
	}
}

// WithLogger sets the logger. Requests are logged at Debug, failed attempts at
// Warn; keys and request bodies are never logged. The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) error {
		if l == nil {
			return errors.New("tigerpaw: WithLogger: logger is nil")
		}
		c.logger = l
		return nil
	}
}

// Limiter paces requests; *rate.Limiter from golang.org/x/time/rate satisfies
// it. Wait is called before every attempt, retries included; an error from it
// ends the call without a retry.
type Limiter interface {
	Wait(ctx context.Context) error
}

// WithRateLimit sets the client's own limiter to r requests per second with the
// given burst (DefaultRateLimit and DefaultBurst unless told otherwise). Use
// WithLimiter to share one limiter between clients.
func WithRateLimit(r rate.Limit, burst int) Option {
	return func(c *Client) error {
		if r <= 0 {
			return fmt.Errorf("tigerpaw: WithRateLimit: rate %v must be positive", r)
		}
		if burst < 1 {
			return fmt.Errorf("tigerpaw: WithRateLimit: burst %d must be at least 1", burst)
		}
		c.limiter = rate.NewLimiter(r, burst)
		return nil
	}
}

// WithLimiter makes the client wait on l before every attempt, instead of its
// own limiter; pass the same l to several clients to share one budget.
func WithLimiter(l Limiter) Option {
	return func(c *Client) error {
		if retry.IsNil(l) {
			return errors.New("tigerpaw: WithLimiter: limiter is nil")
		}
		c.limiter = l
		return nil
	}
}

// WithRetryPolicy sets how failed attempts are retried (DefaultRetryPolicy
// unless told otherwise). A policy with a field out of range makes NewClient
// fail with an error naming the field.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *Client) error {
		rp := retry.Policy(p)
		if err := rp.Validate(); err != nil {
			return fmt.Errorf("tigerpaw: WithRetryPolicy: %w", err)
		}
		c.retry = rp
		return nil
	}
}

// WithTimeZone sets the time zone of the Tigerpaw server, in which date-times
// without a zone are read and written. The default is UTC.
func WithTimeZone(loc *time.Location) Option {
	return func(c *Client) error {
		if loc == nil {
			return errors.New("tigerpaw: WithTimeZone: location is nil")
		}
		c.loc = loc
		return nil
	}
}

// WithClock sets the clock that dates the request signatures and Retry-After
// deadlines. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *Client) error {
		if now == nil {
			return errors.New("tigerpaw: WithClock: clock is nil")
		}
		c.now = now
		return nil
	}
}

// WithPageSize sets the page size searches ask for when the Search gives none.
func WithPageSize(n int) Option {
	return func(c *Client) error {
		if n < 1 || n > 10000 {
			return fmt.Errorf("tigerpaw: WithPageSize: %d is outside 1..10000", n)
		}
		c.pageSize = n
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		if strings.TrimSpace(ua) == "" || strings.ContainsAny(ua, "\r\n") {
			return errors.New("tigerpaw: WithUserAgent: user agent is empty or has a line break")
		}
		c.userAgent = ua
		return nil
	}
}

// WithMaxConcurrency bounds the number of requests the client has in flight at
// once (4 by default); further calls wait, honouring their context.
func WithMaxConcurrency(n int) Option {
	return func(c *Client) error {
		if n < 1 || n > 1000 {
			return fmt.Errorf("tigerpaw: WithMaxConcurrency: %d is outside 1..1000", n)
		}
		c.slots = make(chan struct{}, n)
		return nil
	}
}
