package service

import (
	"errors"
	"slices"
	"testing"

	kt "github.com/mspkit/kaspersky-tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// TestMissing: what each job misses, step by step of an integration's
// configuration.
func TestMissing(t *testing.T) {
	t.Parallel()
	var cfg mapping.Config
	rules := serviceorder.DefaultRules()
	general := "service order General settings missing: rep, new status, closed status"
	check := func(step string, billing, orders []string) {
		t.Helper()
		if got := BillingMissing(cfg); !slices.Equal(got, billing) {
			t.Errorf("%s: billing misses %q, want %q", step, got, billing)
		}
		if got := ServiceOrdersMissing(cfg, rules); !slices.Equal(got, orders) {
			t.Errorf("%s: service orders miss %q, want %q", step, got, orders)
		}
	}
	check("empty", []string{MissingTenant, MissingPriceBook}, []string{MissingTenant, general})
	cfg.Tenants = []mapping.Tenant{{ID: "vs-1", Name: "Contoso"}}
	check("a tenant without account", []string{MissingTenant, MissingPriceBook}, []string{MissingTenant, general})
	cfg.Tenants[0].Account = &mapping.AccountMapping{Number: 7}
	check("mapped, billing off", []string{MissingBilling, MissingPriceBook}, []string{general})
	cfg.Tenants[0].Account.Billing = mapping.Billing{Enabled: true, Agreement: 3, PriceLevel: 1}
	rules.General = serviceorder.General{Rep: 1, NewStatus: "New"}
	check("billing on, rules without closed status", []string{MissingPriceBook}, []string{"service order General settings missing: closed status"})
	cfg.PriceBook.Apps = []mapping.AppItems{mapping.SingleItem(kaspersky.AppKESBSelect, "KESB-SEL-WS")}
	rules.General.ClosedStatus = "Closed"
	check("configured", nil, nil)
}

// TestRunNowRefusals: RunNow names an unknown job, and refuses while the
// schedule does not run.
func TestRunNowRefusals(t *testing.T) {
	t.Parallel()
	s := &Service{jobs: map[string]*job{kt.JobBilling: {name: kt.JobBilling}}, scheduling: make(chan struct{})}
	if err := s.RunNow(t.Context(), "invoices"); !errors.Is(err, ErrUnknownJob) {
		t.Errorf("RunNow of an unknown job: %v", err)
	}
	if err := s.RunNow(t.Context(), kt.JobBilling); err == nil {
		t.Error("RunNow succeeded while no schedule runs")
	}
}
