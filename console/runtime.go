package console

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// JobState is what the runtime knows of one job, as the console's overview
// shows it.
type JobState struct {
	Job       string    // "billing" or "service_orders"
	State     string    // "not configured", "ok", "partial", "failed", "running", "standby", "never run"
	Missing   []string  // what is missing, in words, when State is "not configured"
	LastStart time.Time // zero when never run
	LastError string
	NextRun   time.Time // zero when not scheduled (standby)
}

// Runtime is the integration's runtime as the console sees it: the state of
// its jobs, and a way to start a job's cycle now. Implementations must be safe
// for concurrent use.
type Runtime interface {
	// Jobs returns the state of every job, in the order the overview lists
	// them.
	Jobs(ctx context.Context) []JobState
	// RunNow starts the job's cycle at once, does not wait. ctx bounds the
	// call only, not the cycle it starts. It fails with an error wrapping
	// ErrNotLeader on a standby replica and ErrUnknownJob for a job it does
	// not run.
	RunNow(ctx context.Context, job string) error // starts the job's cycle at once, does not wait
}

// ErrNotLeader is returned by [Runtime.RunNow] on a standby replica: only the
// leader runs cycles.
var ErrNotLeader = errors.New("this replica is on standby; run it on the leader")

// ErrUnknownJob is returned by [Runtime.RunNow] for a job name it does not
// know.
var ErrUnknownJob = errors.New("unknown job")

// The job names of [JobState.Job].
const (
	JobBilling       = "billing"
	JobServiceOrders = "service_orders"
)

// The items of [JobState.Missing] the overview links to the console section
// where each is fixed. Other words are shown as they are, without a link.
const (
	MissingTenant    = "no tenant mapped"
	MissingGeneral   = "service order General settings missing"
	MissingPriceBook = "no price book item mapped"
)

// jobTitle is a job's name in the MSP's words.
func jobTitle(job string) string {
	switch job {
	case JobBilling:
		return "Billing"
	case JobServiceOrders:
		return "Service orders"
	}
	return job
}

// missingItem is one line of a job's not-configured checklist.
type missingItem struct {
	Text string
	Link string // a console page, relative; "" when unknown
	Fix  string // the link's words
}

// fixFor is where the console fixes a missing item; tenantsLink is the
// Companies tab while the integration has no tenant at all (there is none to
// map yet), else the Accounts tab.
func fixFor(text, tenantsLink string) missingItem {
	m := missingItem{Text: text}
	s := strings.ToLower(text)
	switch {
	case strings.Contains(s, "general settings"):
		m.Link, m.Fix = "serviceorders?section=general", "Service orders: General"
	case strings.Contains(s, "price book"):
		m.Link, m.Fix = "pricebook", "Price book items"
	case strings.Contains(s, "tenant"):
		m.Link, m.Fix = tenantsLink, "Accounts"
		if tenantsLink == "companies" {
			m.Fix = "Companies"
		}
	}
	return m
}

// jobView is one job of the overview.
type jobView struct {
	Job, Title, State, StateClass string
	Missing                       []missingItem
	LastStart, NextRun            time.Time
	LastError                     string
}

type overviewData struct {
	HasRuntime bool
	Jobs       []jobView
}

// stateClass is the CSS class of a state: its words without spaces.
func stateClass(state string) string {
	return "state-" + strings.ReplaceAll(state, " ", "-")
}

// overview is the console's first page: each job's state, last and next run,
// last error and, when not configured, what is missing with where to fix it.
func (h *handler) overview(w http.ResponseWriter, r *http.Request) {
	p := &page{Tab: "overview", Title: "Overview"}
	if f, ok := h.readFlash(w, r); ok {
		if f.ok {
			p.Notice = f.msg
		} else {
			p.Error = f.msg
		}
	}
	d := overviewData{HasRuntime: h.opt.Runtime != nil}
	if d.HasRuntime {
		tenantsLink := "accounts"
		if cfg, err := h.opt.Store.Load(r.Context(), h.opt.Integration); err != nil || len(cfg.Tenants) == 0 {
			tenantsLink = "companies"
		}
		for _, j := range h.opt.Runtime.Jobs(r.Context()) {
			v := jobView{Job: j.Job, Title: jobTitle(j.Job), State: j.State, StateClass: stateClass(j.State),
				LastStart: j.LastStart, NextRun: j.NextRun, LastError: j.LastError}
			for _, m := range j.Missing {
				v.Missing = append(v.Missing, fixFor(m, tenantsLink))
			}
			d.Jobs = append(d.Jobs, v)
		}
	}
	p.Data = d
	h.render(w, http.StatusOK, "overview.html", p)
}

// postRun starts a job's cycle (the Run now button) and answers with a
// redirect to the overview, which shows the outcome.
func (h *handler) postRun(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	job := r.PostFormValue("job")
	var names []string
	for _, j := range h.opt.Runtime.Jobs(ctx) {
		names = append(names, j.Job)
	}
	if !slices.Contains(names, job) {
		h.badRequest(w, fmt.Errorf("job %q: %w (this console runs %s)", job, ErrUnknownJob, strings.Join(names, ", ")))
		return
	}
	err := h.opt.Runtime.RunNow(ctx, job)
	switch {
	case err == nil:
		h.log.InfoContext(ctx, "console: cycle started", "job", job)
		h.setFlash(w, flash{ok: true, msg: jobTitle(job) + " cycle started."})
	case errors.Is(err, ErrUnknownJob):
		h.badRequest(w, fmt.Errorf("job %q: %w", job, err))
		return
	case errors.Is(err, ErrNotLeader):
		h.setFlash(w, flash{msg: jobTitle(job) + " cycle not started: " + ErrNotLeader.Error() + "."})
	default:
		h.log.ErrorContext(ctx, "console: run now failed", "job", job, "error", err)
		h.setFlash(w, flash{msg: jobTitle(job) + " cycle not started: " + err.Error()})
	}
	// Relative, so that the console works under any prefix: ./ is the
	// overview next to run.
	w.Header().Set("Location", "./")
	w.WriteHeader(http.StatusSeeOther)
}

// flash is a message for the next page, carried by a cookie across the
// redirect after a post.
type flash struct {
	ok  bool
	msg string
}

const flashCookie = "console_flash"

// setFlash sets the flash cookie. Its value is signed with the console's key,
// so that a cookie set by someone else (a sibling host) shows nothing.
func (h *handler) setFlash(w http.ResponseWriter, f flash) {
	kind := "e"
	if f.ok {
		kind = "o"
	}
	v := kind + base64.RawURLEncoding.EncodeToString([]byte(f.msg))
	// No Path: the default, the directory of the request (the console's
	// mount), is also the overview's.
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: v + "." + h.sign("flash", v),
		MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// readFlash returns the flash message of r, if any, and clears the cookie.
func (h *handler) readFlash(w http.ResponseWriter, r *http.Request) (flash, bool) {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return flash{}, false
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	v, mac, ok := strings.Cut(c.Value, ".")
	if !ok || len(v) < 1 || !hmac.Equal([]byte(mac), []byte(h.sign("flash", v))) {
		return flash{}, false
	}
	msg, err := base64.RawURLEncoding.DecodeString(v[1:])
	if err != nil {
		return flash{}, false
	}
	return flash{ok: v[0] == 'o', msg: string(msg)}, true
}

// sign is the hex HMAC of purpose and v under the console's key.
func (h *handler) sign(purpose, v string) string {
	m := hmac.New(sha256.New, h.key[:])
	m.Write([]byte(purpose + "\x00" + v))
	return hex.EncodeToString(m.Sum(nil))
}
