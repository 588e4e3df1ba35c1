package mapping_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/mapping/mappingtest"
)

// externalProduct is the external product of the API user in the test world.
const externalProduct = 7

// world returns a Tigerpaw with five accounts: 1001–1003 customers
// cross-referenced to the external product, each with a recurring agreement
// 10×number; 1001 also has a one-off agreement 10011; 1004 a vendor and 1005 a
// prospect, neither cross-referenced. Price levels 1 and 2; the items of
// mappingtest.Sample plus "O365".
func world() *mappingtest.Directory {
	d := mappingtest.NewDirectory()
	d.AddAccount(
		mapping.Account{Number: 1001, Name: "Müller GmbH", Type: "Customer"},
		mapping.Account{Number: 1002, Name: "Öztürk Ltd", Type: "Customer"},
		mapping.Account{Number: 1003, Name: "ООО Ромашка", Type: "Customer"},
		mapping.Account{Number: 1004, Name: "Acme Supplies", Type: "Vendor"},
		mapping.Account{Number: 1005, Name: "Prospect Inc", Type: "Prospect"},
	)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{1001, 1002, 1003} {
		d.CrossReference(n, externalProduct)
		d.AddAgreement(mapping.Agreement{Number: 10 * n, Account: n, Recurring: true, Start: start})
	}
	d.AddAgreement(mapping.Agreement{Number: 10011, Account: 1001, Recurring: false, Start: start})
	d.AddPriceLevel(mapping.PriceLevel{ID: 1, Description: "Standard"}, mapping.PriceLevel{ID: 2, Description: "Partner"})
	d.AddItem("KESB-WS", "KESB-SRV", "KESB-NW", "KESC-PLUS", "O365")
	return d
}

// problem is the part of a mapping.Problem tests compare.
type problem struct {
	Kind  error
	Field string
}

// problemsOf returns the problems of err, which must be a *ValidationError.
func problemsOf(t *testing.T, err error) []problem {
	t.Helper()
	var ve *mapping.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *mapping.ValidationError", err)
	}
	var out []problem
	for _, p := range ve.Problems {
		if p.Reason == "" {
			t.Errorf("problem %s has no reason", p.Field)
		}
		out = append(out, problem{p.Kind, p.Field})
	}
	return out
}

// diffProblems compares problems, sentinels by identity.
func diffProblems(want, got []problem) string {
	return cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return a == b }))
}
