package console

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/history"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Planner computes the billing plan of a configuration without writing
// anything; *kasperskytigerpaw.BillingJob implements it.
type Planner interface {
	Plan(ctx context.Context, cfg mapping.Config) (billing.Plan, error)
}

// Options configures the console. Store, Directory, Integration, Source, Rules
// and Lookups are required.
type Options struct {
	// Store holds the integration's configuration.
	Store mapping.Store
	// Directory is Tigerpaw as the mapping sees it (kasperskytigerpaw.NewDirectory).
	Directory mapping.Directory
	// Integration names the configuration in Store.
	Integration string
	// Solution and ExternalProductID are used when Store has no configuration
	// named Integration yet: ExternalProductID is only the default of the
	// External Product chosen on the Accounts tab, when Directory lists them
	// (mapping.ExternalProductLister).
	Solution          mapping.Solution
	ExternalProductID int
	// Source lists the console's tenants (the Companies tab).
	Source kaspersky.Source
	// Rules holds the service order rules (serviceorder.NewMemoryRules,
	// serviceorder.NewFileRules, or a PostgreSQL store's Rules). An empty
	// store shows serviceorder.DefaultRules, saved at revision 0.
	Rules serviceorder.RulesStore
	// Lookups lists what Tigerpaw offers for the service order settings
	// (kasperskytigerpaw.NewLookups).
	Lookups serviceorder.Lookups
	// Planner computes the Billing plan view; nil shows the view as unavailable.
	Planner Planner
	// Decisions keeps the approvals and rejections of the changes the billing
	// guard holds (Approve and Reject on the Billing plan tab); nil shows
	// the held changes without the buttons.
	Decisions billing.DecisionStore
	// History is the usage history the Usage tab charts and exports; nil
	// shows the tab as unavailable.
	History history.Store
	// Token, when set, is accepted as "Authorization: Bearer <token>" (the
	// scheme in any case) or as the password of basic auth with any user name.
	Token string
	// User and Password, when both set, are accepted as basic-auth credentials.
	User, Password string
	// Addr is the address the embedder listens on. New refuses a non-loopback
	// address without Token or User/Password. Without credentials, requests from
	// non-loopback clients, and requests whose Host is not a loopback name
	// (localhost, 127.0.0.0/8, [::1]; any port), are refused whatever Addr says:
	// the latter is what a page of another name rebound to 127.0.0.1 sends.
	// With or without credentials, a state-changing request whose Origin (or,
	// without one, Sec-Fetch-Site or Referer) is not the console's own Host is
	// refused; an embedder behind a reverse proxy must pass the Host through.
	Addr string
	// Logger receives save and error records; nil discards.
	Logger *slog.Logger
	// Secret, when set (at least 16 bytes), keys the CSRF token and the
	// signature of the flash cookie, so that several replicas serving one
	// address accept each other's forms. Without it each process draws a
	// random key: a form is accepted only by the process that served it.
	Secret []byte
	// Runtime, when set, shows the state of the integration's jobs on the
	// console's first page, with a Run now button per job (POST run); nil
	// hides the panel, and run is not found.
	Runtime Runtime
}

// minSecret is the shortest Options.Secret accepted.
const minSecret = 16

// handler serves the console.
type handler struct {
	opt  Options
	log  *slog.Logger
	tmpl *template.Template
	csrf string
	key  [32]byte // signs the CSRF token and the flash cookie
	mux  *http.ServeMux
}

// New returns the console's handler.
func New(opt Options) (http.Handler, error) {
	switch {
	case opt.Store == nil:
		return nil, errors.New("console: Options.Store is required")
	case opt.Directory == nil:
		return nil, errors.New("console: Options.Directory is required")
	case opt.Source == nil:
		return nil, errors.New("console: Options.Source is required")
	case opt.Rules == nil:
		return nil, errors.New("console: Options.Rules is required")
	case opt.Lookups == nil:
		return nil, errors.New("console: Options.Lookups is required")
	}
	if err := mapping.CheckName(opt.Integration); err != nil {
		return nil, fmt.Errorf("console: Options.Integration: %w", err)
	}
	if (opt.User == "") != (opt.Password == "") {
		return nil, errors.New("console: Options.User and Options.Password go together")
	}
	if opt.Addr != "" && !LoopbackAddr(opt.Addr) && !opt.hasCredentials() {
		return nil, fmt.Errorf("console: Options.Addr %q is not loopback: a token or user and password are required", opt.Addr)
	}
	h := &handler{opt: opt, log: opt.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case opt.Secret != nil && len(opt.Secret) < minSecret:
		return nil, fmt.Errorf("console: Options.Secret is %d bytes; at least %d are required", len(opt.Secret), minSecret)
	case opt.Secret != nil:
		k := hmac.New(sha256.New, opt.Secret)
		k.Write([]byte("console key"))
		copy(h.key[:], k.Sum(nil))
	default:
		if _, err := rand.Read(h.key[:]); err != nil {
			return nil, fmt.Errorf("console: csrf key: %w", err)
		}
	}
	m := hmac.New(sha256.New, h.key[:])
	m.Write([]byte("console csrf"))
	h.csrf = hex.EncodeToString(m.Sum(nil))
	t, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	h.tmpl = t
	static, _ := fs.Sub(staticFS, "static")
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(filesOnly{static})))
	mux.HandleFunc("GET /{$}", h.overview)
	if opt.Runtime != nil {
		mux.HandleFunc("POST /run", h.postRun)
	}
	mux.HandleFunc("GET /companies", h.companies)
	mux.HandleFunc("POST /companies", h.postCompanies)
	mux.HandleFunc("GET /accounts", h.accounts)
	mux.HandleFunc("POST /accounts", h.postAccounts)
	mux.HandleFunc("GET /accounts/agreements", h.agreementsFragment)
	mux.HandleFunc("POST /externalproduct", h.postProduct)
	mux.HandleFunc("GET /serviceorders", h.serviceOrders)
	mux.HandleFunc("POST /serviceorders", h.postServiceOrders)
	mux.HandleFunc("GET /pricebook", h.priceBook)
	mux.HandleFunc("POST /pricebook", h.postPriceBook)
	mux.HandleFunc("GET /plan", h.plan)
	mux.HandleFunc("POST /guard", h.postGuard)
	if opt.Decisions != nil {
		mux.HandleFunc("POST /plan", h.postPlan)
	}
	mux.HandleFunc("GET /usage", h.usage)
	mux.HandleFunc("GET /usage.csv", h.usageCSV)
	mux.HandleFunc("GET /unmapped", h.unmapped)
	h.mux = mux
	return h, nil
}

// filesOnly is an fs.FS whose directories do not exist, so that the file
// server answers 404 for them instead of listing them.
type filesOnly struct{ fsys fs.FS }

func (f filesOnly) Open(name string) (fs.File, error) {
	file, err := f.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	if st, err := file.Stat(); err != nil || st.IsDir() {
		file.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return file, nil
}

func (o *Options) hasCredentials() bool { return o.Token != "" || (o.User != "" && o.Password != "") }

// LoopbackAddr reports whether addr (host:port, or a host) names a loopback
// interface: "localhost", 127.0.0.0/8 or ::1. An empty host ("":8080, which
// listens on every interface) is not loopback.
func LoopbackAddr(addr string) bool {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// securityPolicy is the Content-Security-Policy of every console answer: its
// own scripts, styles and images only, no framing, forms posted only to the
// console itself and no <base> element to redirect relative URLs.
const securityPolicy = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// ServeHTTP implements http.Handler: authentication, the Host and Origin
// checks, the CSRF check, then the page.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Content-Security-Policy", securityPolicy)
	hdr.Set("Cache-Control", "no-store")
	if !h.authorized(r) {
		if h.opt.hasCredentials() {
			hdr.Set("WWW-Authenticate", `Basic realm="console", charset="UTF-8"`)
		}
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	// Without credentials the loopback client is the only check, which a web
	// page can pass by DNS rebinding (its own name resolving to 127.0.0.1):
	// serve only requests addressed to a loopback name, so that such a page
	// can neither read a page (and its CSRF token) nor post a form.
	if !h.opt.hasCredentials() && !LoopbackAddr(strings.ToLower(r.Host)) {
		http.Error(w, fmt.Sprintf("misdirected request: without credentials the console answers only to a loopback host name (localhost, 127.0.0.1 or [::1]), not Host %q", r.Host),
			http.StatusMisdirectedRequest)
		return
	}
	if !safeMethod(r.Method) {
		if err := sameOrigin(r); err != nil {
			http.Error(w, "forbidden: "+err.Error(), http.StatusForbidden)
			return
		}
	}
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(h.csrf)) != 1 {
			http.Error(w, "forbidden: missing or wrong CSRF token; reload the page", http.StatusForbidden)
			return
		}
	}
	h.mux.ServeHTTP(w, r)
}

// safeMethod reports whether m changes nothing (RFC 9110, section 9.2.1).
func safeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// sameOrigin checks that a state-changing request comes from a page of the
// console itself. A browser names the page's origin in Origin (or, when it
// sends no Origin, in Sec-Fetch-Site or Referer); its host must be the
// request's Host. A request with none of the three is not from a browser
// (curl, a script) and passes: the Host check and the CSRF token still apply.
func sameOrigin(r *http.Request) error {
	if origin := r.Header.Get("Origin"); origin != "" {
		if !sameHost(origin, r.Host) {
			return fmt.Errorf("Origin %q is not this console (Host %q)", origin, r.Host)
		}
		return nil
	}
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return fmt.Errorf("Sec-Fetch-Site %q: the form was not posted from this console", site)
	}
	if ref := r.Header.Get("Referer"); ref != "" && !sameHost(ref, r.Host) {
		return fmt.Errorf("Referer %q is not this console (Host %q)", ref, r.Host)
	}
	return nil
}

// sameHost reports whether the URL u (an Origin or a Referer) names host (a
// Host header), the default port of u's scheme being implied when absent.
func sameHost(u, host string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || (p.Scheme != "http" && p.Scheme != "https") {
		return false // "null", an opaque origin, or not a web URL
	}
	def := "80"
	if p.Scheme == "https" {
		def = "443"
	}
	return strings.EqualFold(withPort(p.Host, def), withPort(host, def))
}

// withPort is hostport with port def when it has none.
func withPort(hostport, def string) string {
	if _, _, err := net.SplitHostPort(hostport); err == nil {
		return hostport
	}
	return net.JoinHostPort(strings.Trim(hostport, "[]"), def)
}

func (h *handler) authorized(r *http.Request) bool {
	o := &h.opt
	if !o.hasCredentials() {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback()
	}
	if o.Token != "" {
		if auth, ok := bearerToken(r); ok && equal(auth, o.Token) {
			return true
		}
	}
	u, p, ok := r.BasicAuth()
	if !ok {
		return false
	}
	if o.Token != "" && equal(p, o.Token) {
		return true
	}
	return o.User != "" && equal(u, o.User) && equal(p, o.Password)
}

// bearerToken is the token of an "Authorization: Bearer <token>" header; the
// scheme's name is case-insensitive (RFC 9110, section 11.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(token, " ")
	return token, token != ""
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// page is what every template gets.
type page struct {
	Tab    string
	Title  string
	CSRF   string
	Notice string
	Error  string
	Errors map[string]string
	// Problems lists every validation problem in words.
	Problems []string
	Data     any
	Section  string
}

// renderFragment executes the named template, a part of a page that
// console.js fetches, and writes it.
func (h *handler) renderFragment(w http.ResponseWriter, name string, data any) {
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		h.log.Error("console: rendering", "fragment", name, "error", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// render executes the named template into a buffer and writes it.
func (h *handler) render(w http.ResponseWriter, status int, name string, p *page) {
	p.CSRF = h.csrf
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, name, p); err != nil {
		h.log.Error("console: rendering", "page", name, "error", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
