package service

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/internal/strictjson"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/store/postgres"
)

// Config is the runtime's configuration, as its JSON file holds it (see
// Load): the servers, where the secrets are, the stores and the schedules.
// The integration itself (tenants, accounts, price book, service order
// rules) is not in it: it lives in the stores and is edited in the console.
// Secrets are not in it either: each is a reference, "env:NAME" (an
// environment variable) or "file:PATH" (a file's content, without its
// trailing newline). The older ...Env fields name an environment variable
// directly.
//
// Relative paths in it (mappingDir, stateFile, rulesFile, the CA files and
// "file:PATH" secret references) are relative to the directory of the
// configuration file, not to the working directory (which is "/" under most
// service managers); see resolvePaths.
//
// A key given twice in one object is an error, at any depth: encoding/json
// would keep the last one silently (see internal/strictjson).
//
// To add a section (e.g. a store kind), add a field here with its JSON name:
// checkShape then reports its unknown fields and wrong types by path, and
// check and resolve are where its required fields and references are read.
type Config struct {
	// Solution is the Kaspersky console: "ksc" (Kaspersky Security Center, the
	// default) or "hub" (Kaspersky Business Hub, through the module's own
	// contract; see package kaspersky/hub).
	Solution string `json:"solution,omitempty"`
	Tigerpaw struct {
		// URL is the base URL of the MSP's Tigerpaw server. An http:// URL is
		// accepted with a warning at start: requests are signed, not
		// encrypted.
		URL string `json:"url"`
		// PublicKeyEnv and PrivateKeyEnv name the environment variables holding
		// the REST API keys of the integration's Tigerpaw rep.
		PublicKeyEnv  string `json:"publicKeyEnv,omitempty"`
		PrivateKeyEnv string `json:"privateKeyEnv,omitempty"`
		// PublicKey and PrivateKey are the same keys as secret references
		// ("env:NAME" or "file:PATH"); each is used when its ...Env is empty.
		PublicKey  string `json:"publicKey,omitempty"`
		PrivateKey string `json:"privateKey,omitempty"`
		// CompleteOpenTasks completes an order's open tasks when the daemon closes
		// it, for a Tigerpaw that refuses to close orders with open tasks.
		CompleteOpenTasks bool `json:"completeOpenTasks,omitempty"`
		// RequestsPerSecond is the client's sustained request rate to Tigerpaw
		// (0: tigerpaw.DefaultRateLimit, 10 per second), with a burst of
		// tigerpaw.DefaultBurst.
		RequestsPerSecond int `json:"requestsPerSecond,omitempty"`
		// Concurrency bounds the agreements whose charges billing reads or
		// writes at once, and the requests the client has in flight
		// (0: 4, tigerpaw.DefaultMaxConcurrency). Each agreement is still
		// written by one writer, one change after the other.
		Concurrency int `json:"concurrency,omitempty"`
	} `json:"tigerpaw"`
	KSC struct {
		// URL is the KSC Open API base URL, e.g. https://ksc.example.com:13299.
		// An http:// URL is refused (the password would travel in clear)
		// unless InsecureHTTP is set.
		URL      string `json:"url"`
		User     string `json:"user"`
		Domain   string `json:"domain,omitempty"`
		Internal bool   `json:"internal"`
		// PasswordEnv names the environment variable holding the password.
		PasswordEnv string `json:"passwordEnv,omitempty"`
		// Password is the password as a secret reference ("env:NAME" or
		// "file:PATH"), used when PasswordEnv is empty.
		Password string `json:"password,omitempty"`
		// CAFile is a PEM file with the server's certificate or its CA; empty uses
		// the system's roots.
		CAFile string `json:"caFile,omitempty"`
		// InsecureHTTP allows an http:// URL, over which the password and the
		// session travel in clear: for a test server, never in production.
		InsecureHTTP bool `json:"insecureHTTP,omitempty"`
	} `json:"ksc"`
	Hub struct {
		// URL is the base URL of the Business Hub service. An http:// URL is
		// refused (the password would travel in clear) unless InsecureHTTP is
		// set.
		URL   string `json:"url"`
		Email string `json:"email"`
		// PasswordEnv names the environment variable holding the password.
		PasswordEnv string `json:"passwordEnv,omitempty"`
		// Password is the password as a secret reference ("env:NAME" or
		// "file:PATH"), used when PasswordEnv is empty.
		Password string `json:"password,omitempty"`
		// CAFile is a PEM file with the server's certificate or its CA; empty uses
		// the system's roots.
		CAFile string `json:"caFile,omitempty"`
		// InsecureHTTP allows an http:// URL, over which the password travels
		// in clear: for a test server, never in production.
		InsecureHTTP bool `json:"insecureHTTP,omitempty"`
	} `json:"hub"`
	// Integration is the name of the integration in the mapping store.
	Integration string `json:"integration"`
	// MappingDir is the directory of the mapping store (mapping.FileStore),
	// with the file store.
	MappingDir string `json:"mappingDir,omitempty"`
	// RulesFile is optional. With the file store it is the file the service
	// order rules are kept in (default: rules.json next to stateFile, created
	// by the first save in the console); a hand-written file in
	// serviceorder.Rules's JSON form is read too. With PostgreSQL the rules
	// live in the database, and RulesFile, when given, seeds them once: when
	// the database holds none.
	RulesFile string `json:"rulesFile,omitempty"`
	// StateFile is the service order engine's state (serviceorder.FileStore),
	// with the file store.
	StateFile string `json:"stateFile,omitempty"`
	// BillingEvery and ServiceOrdersEvery are the cycle intervals, as Go
	// durations ("24h", "5m").
	BillingEvery       Duration `json:"billingEvery"`
	ServiceOrdersEvery Duration `json:"serviceOrdersEvery"`
	// Store is where the mapping and the service order state are kept: the
	// files mappingDir and stateFile (the default), or PostgreSQL with a
	// leader lease; see StoreConfig.
	Store StoreConfig `json:"store,omitempty"`
	// Concurrency bounds the tenants whose console inventory is read at once
	// (0: 4).
	Concurrency int `json:"concurrency,omitempty"`
	// Console is the configuration console's credentials (see ConsoleConfig).
	Console ConsoleConfig `json:"console"`
	// BillingGuard is the billing guard policy of an integration whose
	// mapping sets none: {"mode": "hold", "dropPercent": 20, "dropUnits": 0}
	// holds suspicious changes for approval; absent or "apply" writes every
	// change.
	BillingGuard *mapping.BillingGuard `json:"billingGuard,omitempty"`
	// HistoryDir is the usage history's directory with the file store
	// (default: "history" next to stateFile). HistoryRetention is how long
	// snapshots are kept (default 400 days: "9600h").
	HistoryDir       string   `json:"historyDir,omitempty"`
	HistoryRetention Duration `json:"historyRetention,omitempty"`

	// secrets are the resolved secret values (see resolve); never logged.
	secrets secrets
}

// secrets are the secret values a config's references resolve to.
type secrets struct {
	tigerpawPublic, tigerpawPrivate, kscPassword, hubPassword string
}

// Duration is a time.Duration written as a Go duration string in JSON.
type Duration time.Duration

// UnmarshalJSON reads a Go duration string such as "5m".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"5m\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the Duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// ConfigError is an error in the configuration (the file, its references, the
// rules file, the -listen address, file stores another process holds): a
// daemon exits on one before any cycle runs (the reference daemon with code
// 2). Its message names the field path and the reason.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// asConfigError marks err, if not nil, as a configuration error.
func asConfigError(err error) error {
	if err == nil {
		return nil
	}
	return &ConfigError{err}
}

// Load reads and checks the configuration file: every error it returns is a
// *ConfigError naming the field path (or the line and column of a syntax
// error) and the reason. Relative paths in the file are made relative to its
// directory. Its secret references and CA files are read by Resolve.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, asConfigError(fmt.Errorf("config file %s: %w", path, errors.Unwrap(err)))
	}
	cfg, err := Parse(data)
	if err != nil {
		return nil, asConfigError(err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, asConfigError(fmt.Errorf("config file %s: %w", path, err))
	}
	cfg.resolvePaths(filepath.Dir(abs))
	return cfg, nil
}

// resolvePaths makes the relative paths of the configuration relative to dir,
// the directory of its file: mappingDir, stateFile, rulesFile, the CA files
// and the "file:PATH" secret references.
func (cfg *Config) resolvePaths(dir string) {
	path := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	ref := func(r *string) {
		if name, ok := strings.CutPrefix(*r, "file:"); ok && name != "" && !filepath.IsAbs(name) {
			*r = "file:" + filepath.Join(dir, name)
		}
	}
	for _, p := range []*string{&cfg.MappingDir, &cfg.StateFile, &cfg.RulesFile, &cfg.KSC.CAFile, &cfg.Hub.CAFile} {
		path(p)
	}
	for _, r := range []*string{&cfg.Tigerpaw.PublicKey, &cfg.Tigerpaw.PrivateKey, &cfg.KSC.Password, &cfg.Hub.Password,
		&cfg.Store.DSN, &cfg.Console.Token, &cfg.Console.Password, &cfg.Console.Secret} {
		ref(r)
	}
}

// Parse decodes and checks a configuration file's content without looking
// at the environment or other files. Unknown fields, values of the wrong
// type and keys given twice are errors naming their path; a syntax error
// names its line and column (see internal/strictjson).
func Parse(data []byte) (*Config, error) {
	cfg := &Config{BillingEvery: Duration(24 * time.Hour), ServiceOrdersEvery: Duration(5 * time.Minute)}
	if err := checkShape(data, reflect.TypeOf(cfg).Elem()); err != nil {
		return nil, err
	}
	if err := strictjson.Unmarshal(data, cfg); errors.Is(err, strictjson.ErrEmpty) {
		return nil, fmt.Errorf("config: %w (line 1, column 1): want a JSON object", err)
	} else if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return cfg, cfg.check()
}

// check reports the missing and invalid fields.
func (cfg *Config) check() error {
	var errs []error
	need := func(v, field string) {
		if v == "" {
			errs = append(errs, fmt.Errorf("config: %s is required", field))
		}
	}
	needSecret := func(envName, ref, envField, refField string) {
		if envName == "" && ref == "" {
			errs = append(errs, fmt.Errorf("config: %s is required (or %s)", refField, envField))
		}
	}
	need(cfg.Tigerpaw.URL, "tigerpaw.url")
	checkURL := func(raw, field string, password bool, insecure bool) {
		if raw == "" {
			return
		}
		if err := checkServerURL(raw, field, password, insecure); err != nil {
			errs = append(errs, err)
		}
	}
	checkURL(cfg.Tigerpaw.URL, "tigerpaw.url", false, true)
	needSecret(cfg.Tigerpaw.PublicKeyEnv, cfg.Tigerpaw.PublicKey, "tigerpaw.publicKeyEnv", "tigerpaw.publicKey")
	needSecret(cfg.Tigerpaw.PrivateKeyEnv, cfg.Tigerpaw.PrivateKey, "tigerpaw.privateKeyEnv", "tigerpaw.privateKey")
	switch cfg.Solution {
	case "", "ksc":
		cfg.Solution = "ksc"
		need(cfg.KSC.URL, "ksc.url")
		checkURL(cfg.KSC.URL, "ksc.url", true, cfg.KSC.InsecureHTTP)
		need(cfg.KSC.User, "ksc.user")
		needSecret(cfg.KSC.PasswordEnv, cfg.KSC.Password, "ksc.passwordEnv", "ksc.password")
	case "hub":
		need(cfg.Hub.URL, "hub.url")
		checkURL(cfg.Hub.URL, "hub.url", true, cfg.Hub.InsecureHTTP)
		need(cfg.Hub.Email, "hub.email")
		needSecret(cfg.Hub.PasswordEnv, cfg.Hub.Password, "hub.passwordEnv", "hub.password")
	default:
		errs = append(errs, fmt.Errorf("config: solution %q: unknown solution; want \"ksc\" or \"hub\"", cfg.Solution))
	}
	if n := cfg.Concurrency; n < 0 || n > 256 {
		errs = append(errs, fmt.Errorf("config: concurrency %d is outside 0..256", n))
	}
	if r := cfg.Tigerpaw.RequestsPerSecond; r < 0 || r > 10000 {
		errs = append(errs, fmt.Errorf("config: tigerpaw.requestsPerSecond %d is outside 0..10000", r))
	}
	if n := cfg.Tigerpaw.Concurrency; n < 0 || n > 256 {
		errs = append(errs, fmt.Errorf("config: tigerpaw.concurrency %d is outside 0..256", n))
	}
	need(cfg.Integration, "integration")
	switch cfg.Store.Kind {
	case "", "file":
		need(cfg.MappingDir, "mappingDir")
		need(cfg.StateFile, "stateFile")
	case "postgres":
		need(cfg.Store.DSN, "store.dsn")
		if cfg.Store.LeaseTTL != 0 && cfg.Store.LeaseTTL < Duration(minLeaseTTL) {
			errs = append(errs, fmt.Errorf("config: store.leaseTTL must be at least %v", minLeaseTTL))
		}
	default:
		errs = append(errs, fmt.Errorf("config: store.kind %q: unknown store; want \"file\" or \"postgres\"", cfg.Store.Kind))
	}
	if err := postgres.CheckSchema(cfg.Store.Schema); err != nil {
		errs = append(errs, fmt.Errorf("config: store.schema: %w", err))
	}
	if cfg.BillingEvery < Duration(time.Minute) {
		errs = append(errs, errors.New("config: billingEvery must be at least 1m"))
	}
	if cfg.ServiceOrdersEvery < Duration(10*time.Second) {
		errs = append(errs, errors.New("config: serviceOrdersEvery must be at least 10s"))
	}
	if cfg.BillingGuard != nil {
		if err := cfg.BillingGuard.Check(); err != nil {
			errs = append(errs, fmt.Errorf("config: billingGuard: %w", err))
		}
	}
	if cfg.HistoryRetention < 0 || (cfg.HistoryRetention > 0 && cfg.HistoryRetention < Duration(24*time.Hour)) {
		errs = append(errs, errors.New("config: historyRetention must be at least 24h"))
	}
	return errors.Join(errs...)
}

// Resolve reads the secret references and checks that the CA files hold
// certificates. Its errors are configErrors.
func (cfg *Config) Resolve() error {
	return asConfigError(cfg.resolveAll())
}

func (cfg *Config) resolveAll() error {
	var errs []error
	get := func(dst *string, envName, ref, envField, refField string) {
		var err error
		if envName != "" {
			*dst, err = resolveSecret(envField, "env:"+envName)
		} else {
			*dst, err = resolveSecret(refField, ref)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	get(&cfg.secrets.tigerpawPublic, cfg.Tigerpaw.PublicKeyEnv, cfg.Tigerpaw.PublicKey, "tigerpaw.publicKeyEnv", "tigerpaw.publicKey")
	get(&cfg.secrets.tigerpawPrivate, cfg.Tigerpaw.PrivateKeyEnv, cfg.Tigerpaw.PrivateKey, "tigerpaw.privateKeyEnv", "tigerpaw.privateKey")
	caFile, caField := cfg.KSC.CAFile, "ksc.caFile"
	if cfg.Solution == "hub" {
		get(&cfg.secrets.hubPassword, cfg.Hub.PasswordEnv, cfg.Hub.Password, "hub.passwordEnv", "hub.password")
		caFile, caField = cfg.Hub.CAFile, "hub.caFile"
	} else {
		get(&cfg.secrets.kscPassword, cfg.KSC.PasswordEnv, cfg.KSC.Password, "ksc.passwordEnv", "ksc.password")
	}
	if caFile != "" {
		if _, err := certPool(caFile, caField); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.Store.Kind == "postgres" {
		// Read here so that a bad reference exits 2; openStores reads it again.
		if _, err := resolveSecret("store.dsn", cfg.Store.DSN); err != nil {
			errs = append(errs, err)
		}
		if cfg.RulesFile != "" {
			// The seed of the database's rules, when it has none.
			if _, err := loadRules(cfg.RulesFile); err != nil {
				errs = append(errs, err)
			}
		}
	} else {
		errs = append(errs, checkStorePaths(cfg.MappingDir, cfg.StateFile)...)
		if cfg.RulesFile != "" {
			if fi, err := os.Stat(cfg.RulesFile); err == nil && fi.IsDir() {
				errs = append(errs, fmt.Errorf("config: rulesFile: %s is a directory, not a file", cfg.RulesFile))
			} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("config: rulesFile: %w", err))
			} else if err != nil {
				if fi, err := os.Stat(filepath.Dir(cfg.RulesFile)); err != nil || !fi.IsDir() {
					errs = append(errs, fmt.Errorf("config: rulesFile: its directory %s does not exist", filepath.Dir(cfg.RulesFile)))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// checkStorePaths checks, before anything runs, that the file stores can be
// opened where the config puts them: mappingDir is a directory or can be made
// one, and stateFile is a file (or not yet) in a directory that exists.
func checkStorePaths(mappingDir, stateFile string) []error {
	var errs []error
	if fi, err := os.Stat(mappingDir); err == nil && !fi.IsDir() {
		errs = append(errs, fmt.Errorf("config: mappingDir: %s is a file, not a directory", mappingDir))
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, fmt.Errorf("config: mappingDir: %w", err))
	}
	if fi, err := os.Stat(stateFile); err == nil && fi.IsDir() {
		errs = append(errs, fmt.Errorf("config: stateFile: %s is a directory, not a file", stateFile))
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, fmt.Errorf("config: stateFile: %w", err))
	} else if err != nil {
		dir := filepath.Dir(stateFile)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			errs = append(errs, fmt.Errorf("config: stateFile: its directory %s does not exist", dir))
		}
	}
	return errs
}

// checkServerURL checks a server's base URL: it parses, its scheme is https
// or http, it names a host, and its port (if any) is in 1..65535. When the
// client sends a password (password), http is refused unless insecure (the
// field's insecureHTTP switch).
func checkServerURL(raw, field string, password, insecure bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("config: %s: not a URL: %v", field, err)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if password && !insecure {
			section, _, _ := strings.Cut(field, ".")
			return fmt.Errorf("config: %s: http:// would send the password in clear; use https:// (or set %s.insecureHTTP: true, for a test server)", field, section)
		}
	default:
		return fmt.Errorf("config: %s: scheme %q: want https:// (or http://)", field, u.Scheme)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("config: %s: no host", field)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("config: %s: port %s is outside 1..65535", field, p)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return fmt.Errorf("config: %s: empty port", field)
	}
	return nil
}

// resolveSecret reads a secret reference: "env:NAME" is the value of the
// environment variable NAME, which must be set and not empty; "file:PATH" is
// the content of the file, without a trailing newline. Errors name field and
// the variable or file, never a value.
func resolveSecret(field, ref string) (string, error) {
	kind, name, ok := strings.Cut(ref, ":")
	if !ok || name == "" {
		return "", fmt.Errorf("config: %s: want \"env:NAME\" or \"file:PATH\"", field)
	}
	switch kind {
	case "env":
		v, set := os.LookupEnv(name)
		if !set {
			return "", fmt.Errorf("config: %s: environment variable %s is unset", field, name)
		}
		if v == "" {
			return "", fmt.Errorf("config: %s: environment variable %s is empty", field, name)
		}
		return v, nil
	case "file":
		b, err := os.ReadFile(name)
		if err != nil {
			return "", fmt.Errorf("config: %s: secret file %s: %v", field, name, errors.Unwrap(err))
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("config: %s: secret file %s is empty", field, name)
		}
		return v, nil
	default:
		return "", fmt.Errorf("config: %s: %q is not a secret kind; want \"env:NAME\" or \"file:PATH\"", field, kind)
	}
}

// checkShape compares the JSON in data with the struct type t: it reports
// each unknown field and each value of the wrong JSON type, by its path
// (e.g. "tigerpaw.url"). Malformed JSON is left to the decoder.
func checkShape(data []byte, t reflect.Type) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil // strictjson reports it
	}
	var errs []error
	walkShape("", v, t, &errs)
	return errors.Join(errs...)
}

var durationType = reflect.TypeOf(Duration(0))

func walkShape(path string, v any, t reflect.Type, errs *[]error) {
	name := path
	if name == "" {
		name = "(top level)"
	}
	wrong := func(want string) {
		*errs = append(*errs, fmt.Errorf("config: %s: want %s, got %s", name, want, jsonKind(v)))
	}
	if v == nil {
		return // null leaves the default
	}
	switch {
	case t == durationType:
		s, ok := v.(string)
		if !ok {
			wrong("a duration string such as \"5m\"")
		} else if _, err := time.ParseDuration(s); err != nil {
			*errs = append(*errs, fmt.Errorf("config: %s: %v", name, err))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			wrong("an object")
			return
		}
		fields := map[string]reflect.StructField{}
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if n == "" {
				n = f.Name
			}
			fields[n] = f
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub := k
			if path != "" {
				sub = path + "." + k
			}
			f, ok := fields[k]
			if !ok {
				*errs = append(*errs, fmt.Errorf("config: %s: unknown field %q", sub, k))
				continue
			}
			walkShape(sub, obj[k], f.Type, errs)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			wrong("a string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			wrong("true or false")
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		if n, ok := v.(json.Number); !ok {
			wrong("an integer")
		} else if _, err := n.Int64(); err != nil {
			wrong("an integer")
		}
	}
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return "null"
}

// loadRules reads and validates a hand-written service order rules file (the
// seed of a database's rules).
func loadRules(path string) (serviceorder.Rules, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return serviceorder.Rules{}, asConfigError(fmt.Errorf("config: rulesFile: %w", err))
	}
	var r serviceorder.Rules
	if err := strictjson.Unmarshal(data, &r); err != nil {
		return serviceorder.Rules{}, asConfigError(fmt.Errorf("rules %s: %w", path, err))
	}
	if err := r.Validate(); err != nil {
		return serviceorder.Rules{}, asConfigError(fmt.Errorf("rules %s: %w", path, err))
	}
	return r, nil
}

// certPool reads a PEM file of certificates for a client's root CAs.
func certPool(path, field string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", field, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("config: %s: %s holds no PEM certificate", field, path)
	}
	return pool, nil
}
