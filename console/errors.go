package console

import (
	"net/http"
)

// fail renders a page-level error for a fault reading the store, Tigerpaw or
// the console. The error text names what failed; the clients' errors carry no
// secret.
func (h *handler) fail(w http.ResponseWriter, tab string, err error) {
	h.log.Error("console: page failed", "tab", tab, "error", err)
	h.render(w, http.StatusBadGateway, "error.html", &page{Tab: tab, Title: "Error", Error: err.Error()})
}

// badRequest answers a malformed form.
func (h *handler) badRequest(w http.ResponseWriter, err error) {
	http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
}
