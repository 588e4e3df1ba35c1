package service

import (
	"strings"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// What a job's cycle may find missing in the integration, in the words
// /status, the logs and the console's checklist use (console.MissingTenant,
// MissingGeneral and MissingPriceBook). MissingGeneral is followed by the
// settings that are missing (see serviceorder.Rules.Missing).
const (
	MissingTenant    = "no tenant mapped"
	MissingBilling   = "no tenant mapped with automatic billing on"
	MissingPriceBook = "no price book item mapped"
	MissingGeneral   = "service order General settings missing"
)

// BillingMissing lists what the integration cfg misses before billing can
// run: a tenant mapped to an account, with automatic billing on, and a price
// book item mapped. It is empty when billing can run.
func BillingMissing(cfg mapping.Config) []string {
	var missing []string
	switch {
	case !anyMapped(cfg):
		missing = append(missing, MissingTenant)
	case len(cfg.BillingAccounts()) == 0:
		missing = append(missing, MissingBilling)
	}
	items := 0
	for _, a := range cfg.PriceBook.Apps {
		for _, id := range a.ItemIDs() {
			if strings.TrimSpace(id) != "" {
				items++
			}
		}
	}
	if items == 0 {
		missing = append(missing, MissingPriceBook)
	}
	return missing
}

// ServiceOrdersMissing lists what the integration cfg and its rules miss
// before service orders can run: a tenant mapped to an account, and the
// General settings every order uses (rep, new status, closed status). It is
// empty when the cycle can run (the rules may still be invalid otherwise;
// see serviceorder.Rules.Validate).
func ServiceOrdersMissing(cfg mapping.Config, rules serviceorder.Rules) []string {
	var missing []string
	if !anyMapped(cfg) {
		missing = append(missing, MissingTenant)
	}
	missing = append(missing, rules.Missing()...) // MissingGeneral and what it misses
	return missing
}

// anyMapped reports whether a tenant of cfg is mapped to a Tigerpaw account.
func anyMapped(cfg mapping.Config) bool {
	for _, t := range cfg.Tenants {
		if t.Account != nil && t.Account.Number > 0 {
			return true
		}
	}
	return false
}
