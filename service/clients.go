package service

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/time/rate"

	"github.com/mspkit/kaspersky-tigerpaw/internal/httpx"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hub"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksc"
	"github.com/mspkit/kaspersky-tigerpaw/metrics"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

// newTigerpaw makes the Tigerpaw client of cfg, its requests counted by m.
func newTigerpaw(cfg *Config, log *slog.Logger, m *metrics.Metrics) (*tigerpaw.Client, error) {
	hc := &http.Client{Timeout: 60 * time.Second, Transport: m.RoundTripper(metrics.APITigerpaw, httpx.NewTransport(nil))}
	opts := []tigerpaw.Option{tigerpaw.WithKeys(cfg.secrets.tigerpawPublic, cfg.secrets.tigerpawPrivate),
		tigerpaw.WithLogger(log), tigerpaw.WithHTTPClient(hc)}
	if r := cfg.Tigerpaw.RequestsPerSecond; r > 0 {
		opts = append(opts, tigerpaw.WithRateLimit(rate.Limit(r), tigerpaw.DefaultBurst))
	}
	if n := cfg.Tigerpaw.Concurrency; n > 0 {
		opts = append(opts, tigerpaw.WithMaxConcurrency(n))
	}
	return tigerpaw.NewClient(cfg.Tigerpaw.URL, opts...)
}

// InstrumentedClient is an HTTP client for api (metrics.APITigerpaw,
// APIKSC, APIHub) whose requests m counts, with the given root CAs (nil: the
// system's) and the clients' default transport (internal/httpx).
func InstrumentedClient(m *metrics.Metrics, api string, roots *x509.CertPool) *http.Client {
	return &http.Client{Transport: m.RoundTripper(api, httpx.NewTransport(roots))}
}

// newSource connects to the configured Kaspersky console. The returned func
// ends its sessions.
func newSource(cfg *Config, log *slog.Logger, m *metrics.Metrics) (kaspersky.Source, func(), error) {
	if cfg.Solution == "hub" {
		var roots *x509.CertPool
		if cfg.Hub.CAFile != "" {
			pool, err := certPool(cfg.Hub.CAFile, "hub.caFile")
			if err != nil {
				return nil, nil, err
			}
			roots = pool
		}
		opts := []hub.Option{hub.WithCredentials(hub.Credentials{Email: cfg.Hub.Email, Password: cfg.secrets.hubPassword}),
			hub.WithLogger(log), hub.WithHTTPClient(InstrumentedClient(m, metrics.APIHub, roots))}
		if cfg.Hub.InsecureHTTP {
			opts = append(opts, hub.WithInsecureHTTP())
		}
		c, err := hub.NewClient(cfg.Hub.URL, opts...)
		if err != nil {
			return nil, nil, err
		}
		return hub.NewSource(c), func() {}, nil
	}
	var roots *x509.CertPool
	if cfg.KSC.CAFile != "" {
		pool, err := certPool(cfg.KSC.CAFile, "ksc.caFile")
		if err != nil {
			return nil, nil, err
		}
		roots = pool
	}
	opts := []ksc.Option{
		ksc.WithCredentials(ksc.Credentials{User: cfg.KSC.User, Password: cfg.secrets.kscPassword, Domain: cfg.KSC.Domain, Internal: cfg.KSC.Internal}),
		ksc.WithLogger(log), ksc.WithHTTPClient(InstrumentedClient(m, metrics.APIKSC, roots))}
	if cfg.KSC.InsecureHTTP {
		opts = append(opts, ksc.WithInsecureHTTP())
	}
	c, err := ksc.NewClient(cfg.KSC.URL, opts...)
	if err != nil {
		return nil, nil, err
	}
	closeSessions := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			log.Warn("ending the KSC sessions", "err", err)
		}
	}
	return ksc.NewSource(c), closeSessions, nil
}
