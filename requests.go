package kasperskytigerpaw

import (
	"net/http"
	"strings"

	"github.com/mspkit/kaspersky-tigerpaw/internal/retry"
)

// IsTigerpawWrite reports whether a request to Tigerpaw's REST API changes
// something: a PUT, PATCH or DELETE, or a POST other than a search.
func IsTigerpawWrite(req *http.Request) bool {
	switch req.Method {
	case http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	case http.MethodPost:
		p := strings.ToLower(req.URL.Path)
		return !strings.HasSuffix(p, "/search") && !strings.Contains(p, "/search/")
	}
	return false
}

// RequestAttempt returns which attempt of a call req is, counted from 1, when
// req was sent by one of the module's clients (tigerpaw, ksc, hub), and 0
// otherwise. An attempt above 1 is a retry. It lets an http.RoundTripper given
// to a client count retries (package metrics does).
func RequestAttempt(req *http.Request) int {
	return retry.AttemptOf(req.Context())
}
