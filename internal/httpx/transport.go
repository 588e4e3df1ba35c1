// Package httpx builds the HTTP transport the module's API clients use when
// the caller gives them no HTTP client of its own.
package httpx

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
)

// MaxIdleConnsPerHost is how many idle connections [NewTransport] keeps per
// host: one for each request in flight at once up to this many, so that they
// reuse their connections instead of each opening a new one with its TLS
// handshake (Go's default keeps two).
const MaxIdleConnsPerHost = 32

// NewTransport returns a copy of http.DefaultTransport (its proxy from the
// environment, dial, TLS handshake and idle timeouts) that accepts TLS 1.2 or
// later, trusts roots (nil: the system's roots) and keeps
// [MaxIdleConnsPerHost] idle connections per host.
func NewTransport(roots *x509.CertPool) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
	tr.MaxIdleConnsPerHost = MaxIdleConnsPerHost
	return tr
}
