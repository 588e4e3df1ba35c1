package httpx

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestNewTransport(t *testing.T) {
	t.Parallel()
	def := http.DefaultTransport.(*http.Transport)
	pool := x509.NewCertPool()
	tr := NewTransport(pool)
	if tr == def {
		t.Fatal("NewTransport returned http.DefaultTransport itself")
	}
	if tr.MaxIdleConnsPerHost != 32 {
		t.Errorf("MaxIdleConnsPerHost = %d, want 32", tr.MaxIdleConnsPerHost)
	}
	if tr.TLSClientConfig == nil || tr.TLSClientConfig.RootCAs != pool || tr.TLSClientConfig.MinVersion != tls.VersionTLS12 {
		t.Errorf("TLS config = %+v, want the given roots and TLS 1.2 at least", tr.TLSClientConfig)
	}
	if tr.TLSHandshakeTimeout != def.TLSHandshakeTimeout || tr.IdleConnTimeout != def.IdleConnTimeout || tr.Proxy == nil {
		t.Errorf("timeouts or proxy differ from http.DefaultTransport's: %v, %v", tr.TLSHandshakeTimeout, tr.IdleConnTimeout)
	}
	if def.MaxIdleConnsPerHost == 32 || (def.TLSClientConfig != nil && def.TLSClientConfig.RootCAs == pool) {
		t.Error("NewTransport changed http.DefaultTransport")
	}
	if other := NewTransport(nil); other == tr || other.TLSClientConfig == tr.TLSClientConfig || other.TLSClientConfig.RootCAs != nil {
		t.Error("two transports share their TLS configuration")
	}
}

// TestNewTransportTrustsRoots talks to a TLS server whose certificate only
// the given roots trust.
func TestNewTransportTrustsRoots(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	get := func(tr *http.Transport) error {
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	}
	if err := get(NewTransport(nil)); err == nil {
		t.Error("the system's roots trusted the test server's certificate")
	}
	if err := get(NewTransport(pool)); err != nil {
		t.Errorf("request with the server's certificate as root: %v", err)
	}
}
