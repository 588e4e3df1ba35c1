package kasperskytigerpaw

import (
	"errors"
	"net/http"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

// refused reports whether err is a definite refusal by Tigerpaw: an answer
// that says the request was not carried out (a 4xx status, or Success:false on
// a 2xx). Transport errors and 5xx answers are not refusals: the request may
// have been applied.
func refused(err error) bool {
	var apiErr *tigerpaw.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	return apiErr.StatusCode < http.StatusInternalServerError
}
