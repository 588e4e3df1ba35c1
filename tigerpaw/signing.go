package tigerpaw

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// credentials holds the key pair. It is kept behind a pointer in Client so that
// printing a Client with %v shows an address, and it redacts itself.
type credentials struct {
	public  string
	private string
}

// String hides the private key.
func (k *credentials) String() string {
	if k == nil {
		return "<none>"
	}
	return k.public + ":[redacted]"
}

// GoString hides the private key.
func (k *credentials) GoString() string { return k.String() }

// LogValue hides the private key.
func (k *credentials) LogValue() slog.Value { return slog.StringValue(k.String()) }

// signingString is S of the TSI scheme: lower(method|path|date).
func signingString(method, path, date string) string {
	return strings.ToLower(method + "|" + path + "|" + date)
}

// signature is base64(HMAC-SHA256(privateKey, S)).
func signature(privateKey, s string) string {
	m := hmac.New(sha256.New, []byte(privateKey))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// authToken is base64(publicKey + ":" + signature).
func authToken(k *credentials, method, path, date string) string {
	sig := signature(k.private, signingString(method, path, date))
	return base64.StdEncoding.EncodeToString([]byte(k.public + ":" + sig))
}

// sign sets X-TSI-Date and Authorization on req. The path signed is the request's
// path as sent, without scheme, host or query.
func sign(req *http.Request, k *credentials, now time.Time) {
	date := now.UTC().Format(http.TimeFormat)
	req.Header.Set("X-TSI-Date", date)
	req.Header.Set("Authorization", "TSI "+authToken(k, req.Method, req.URL.EscapedPath(), date))
}
