package main

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// config is the daemon's configuration file. Secrets are not in it: it names
// the environment variables that hold them.
type config struct {
	// Solution is the Kaspersky console: "ksc" (Kaspersky Security Center, the
	// default) or "hub" (Kaspersky Business Hub, through the module's own
	// contract; see package kaspersky/hub).
	Solution string `json:"solution,omitempty"`
	Tigerpaw struct {
		// URL is the base URL of the MSP's Tigerpaw server.
		URL string `json:"url"`
		// PublicKeyEnv and PrivateKeyEnv name the environment variables holding
		// the REST API keys of the integration's Tigerpaw rep.
		PublicKeyEnv  string `json:"publicKeyEnv"`
		PrivateKeyEnv string `json:"privateKeyEnv"`
		// CompleteOpenTasks completes an order's open tasks when the daemon closes
		// it, for a Tigerpaw that refuses to close orders with open tasks.
		CompleteOpenTasks bool `json:"completeOpenTasks,omitempty"`
	} `json:"tigerpaw"`
	KSC struct {
		// URL is the KSC Open API base URL, e.g. https://ksc.example.com:13299.
		URL      string `json:"url"`
		User     string `json:"user"`
		Domain   string `json:"domain,omitempty"`
		Internal bool   `json:"internal"`
		// PasswordEnv names the environment variable holding the password.
		PasswordEnv string `json:"passwordEnv"`
		// CAFile is a PEM file with the server's certificate or its CA; empty uses
		// the system's roots.
		CAFile string `json:"caFile,omitempty"`
	} `json:"ksc"`
	Hub struct {
		// URL is the base URL of the Business Hub service.
		URL   string `json:"url"`
		Email string `json:"email"`
		// PasswordEnv names the environment variable holding the password.
		PasswordEnv string `json:"passwordEnv"`
		// CAFile is a PEM file with the server's certificate or its CA; empty uses
		// the system's roots.
		CAFile string `json:"caFile,omitempty"`
	} `json:"hub"`
	// Integration is the name of the integration in the mapping store.
	Integration string `json:"integration"`
	// MappingDir is the directory of the mapping store (mapping.FileStore).
	MappingDir string `json:"mappingDir"`
	// RulesFile is the service order rules, in serviceorder.Rules's JSON form.
	RulesFile string `json:"rulesFile"`
	// StateFile is the service order engine's state (serviceorder.FileStore).
	StateFile string `json:"stateFile"`
	// BillingEvery and ServiceOrdersEvery are the cycle intervals, as Go
	// durations ("24h", "5m").
	BillingEvery       duration `json:"billingEvery"`
	ServiceOrdersEvery duration `json:"serviceOrdersEvery"`
}

// duration is a time.Duration written as a Go duration string in JSON.
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"5m\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = duration(v)
	return nil
}

func (d duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// loadConfig reads and checks the configuration file.
func loadConfig(path string) (*config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseConfig(data)
}

func parseConfig(data []byte) (*config, error) {
	cfg := &config{BillingEvery: duration(24 * time.Hour), ServiceOrdersEvery: duration(5 * time.Minute)}
	if err := decodeStrict(data, cfg); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var errs []error
	need := func(v, field string) {
		if v == "" {
			errs = append(errs, fmt.Errorf("config: %s is required", field))
		}
	}
	need(cfg.Tigerpaw.URL, "tigerpaw.url")
	need(cfg.Tigerpaw.PublicKeyEnv, "tigerpaw.publicKeyEnv")
	need(cfg.Tigerpaw.PrivateKeyEnv, "tigerpaw.privateKeyEnv")
	switch cfg.Solution {
	case "", "ksc":
		cfg.Solution = "ksc"
		need(cfg.KSC.URL, "ksc.url")
		need(cfg.KSC.User, "ksc.user")
		need(cfg.KSC.PasswordEnv, "ksc.passwordEnv")
	case "hub":
		need(cfg.Hub.URL, "hub.url")
		need(cfg.Hub.Email, "hub.email")
		need(cfg.Hub.PasswordEnv, "hub.passwordEnv")
	default:
		errs = append(errs, fmt.Errorf("config: solution %q: want \"ksc\" or \"hub\"", cfg.Solution))
	}
	need(cfg.Integration, "integration")
	need(cfg.MappingDir, "mappingDir")
	need(cfg.RulesFile, "rulesFile")
	need(cfg.StateFile, "stateFile")
	if cfg.BillingEvery < duration(time.Minute) {
		errs = append(errs, errors.New("config: billingEvery must be at least 1m"))
	}
	if cfg.ServiceOrdersEvery < duration(10*time.Second) {
		errs = append(errs, errors.New("config: serviceOrdersEvery must be at least 10s"))
	}
	return cfg, errors.Join(errs...)
}

// loadRules reads and validates the service order rules.
func loadRules(path string) (serviceorder.Rules, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return serviceorder.Rules{}, err
	}
	var r serviceorder.Rules
	if err := decodeStrict(data, &r); err != nil {
		return serviceorder.Rules{}, fmt.Errorf("rules %s: %w", path, err)
	}
	if err := r.Validate(); err != nil {
		return serviceorder.Rules{}, fmt.Errorf("rules %s: %w", path, err)
	}
	return r, nil
}

// decodeStrict decodes one JSON value, refusing unknown fields and trailing
// data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// certPool reads a PEM file of certificates for a client's root CAs.
func certPool(path, field string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s %s: no PEM certificate in it", field, path)
	}
	return pool, nil
}

// secret reads a secret from the environment variable named name.
func secret(name string) (string, error) {
	v := os.Getenv(name)
	if v == "" {
		return "", fmt.Errorf("environment variable %s is empty or unset", name)
	}
	return v, nil
}
