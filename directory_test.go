package kasperskytigerpaw

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// directoryWorld is a Tigerpaw with four accounts: A (cross-referenced, with a
// recurring and a one-off agreement), B (not cross-referenced), C (unmapped
// customer) and V (a vendor).
type directoryWorld struct {
	srv                  *tigerpawtest.Server
	dir                  *Directory
	a, b, c, v           tigerpawtest.Account
	recurring, oneOff    int
	otherAccountsAgr     int
	level, product, none int
}

func newDirectoryWorld(t *testing.T) *directoryWorld {
	t.Helper()
	srv := tigerpawtest.NewServer(t)
	w := &directoryWorld{srv: srv}
	w.a = srv.AddAccount(tigerpawtest.Account{Name: "Alpha", Type: "Customer"})
	w.b = srv.AddAccount(tigerpawtest.Account{Name: "Bravo", Type: "Customer"})
	w.c = srv.AddAccount(tigerpawtest.Account{Name: "Charlie", Type: "Customer"})
	w.v = srv.AddAccount(tigerpawtest.Account{Name: "Victor Supplies", Type: "Vendor"})
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w.recurring = srv.AddAgreement(tigerpawtest.Agreement{AccountNumber: w.a.Number, BillingPeriod: 1, StartDate: start}).Number
	w.oneOff = srv.AddAgreement(tigerpawtest.Agreement{AccountNumber: w.a.Number, StartDate: start}).Number
	w.otherAccountsAgr = srv.AddAgreement(tigerpawtest.Agreement{AccountNumber: w.b.Number, BillingPeriod: 1, StartDate: start}).Number
	w.level = srv.AddPriceLevel(tigerpawtest.PriceLevel{Description: "Standard"}).ID
	w.product = srv.AddExternalProduct(tigerpawtest.ExternalProduct{Product: "Kaspersky", Active: true}).ID
	srv.CrossReference(w.a.Number, w.product, "ksc-1")
	srv.AddPriceBookItem(tigerpawtest.PriceBookItem{ItemID: "KESB-ADV", Description: "KESB Advanced", SellingPrices: map[int]int64{w.level: 450}})
	w.none = 9999
	dir, err := NewDirectory(srv.Client(t))
	if err != nil {
		t.Fatal(err)
	}
	w.dir = dir
	return w
}

func (w *directoryWorld) config() mapping.Config {
	return mapping.Config{
		Name:              "main",
		Solution:          mapping.SolutionKSC,
		ExternalProductID: w.product,
		Tenants: []mapping.Tenant{
			{ID: "vs-a", Name: "Alpha VS", Account: &mapping.AccountMapping{Number: w.a.Number,
				Billing: mapping.Billing{Enabled: true, Agreement: w.recurring, PriceLevel: w.level}}},
			{ID: "vs-b", Name: "Bravo VS", Account: &mapping.AccountMapping{Number: w.b.Number}},
			{ID: "vs-x", Name: "Unmapped VS"},
		},
		PriceBook: mapping.PriceBook{Apps: []mapping.AppItems{mapping.SingleItem(kaspersky.AppKESBAdvanced, "KESB-ADV")}},
	}
}

// fieldValues returns the values of the integration's field, by account.
func (w *directoryWorld) fieldValues(t *testing.T) map[int]string {
	t.Helper()
	snap := w.srv.Snapshot()
	id := 0
	for _, d := range snap.CustomFieldDefinitions {
		if d.Category == mapping.FieldCategory && d.Label == mapping.SolutionKSC.FieldLabel() {
			id = d.ID
		}
	}
	out := map[int]string{}
	for acct, fields := range snap.CustomFieldValues {
		if v := fields[id]; id != 0 && v != "" {
			out[acct] = v
		}
	}
	return out
}

func TestDirectoryCustomFieldSyncOverTigerpaw(t *testing.T) {
	t.Parallel()
	w := newDirectoryWorld(t)
	store := mapping.NewMemoryStore()
	ed, err := mapping.Open(t.Context(), store, w.dir, "main")
	if err != nil {
		t.Fatal(err)
	}
	ed.Replace(w.config())
	if err := ed.Save(t.Context()); err != nil {
		t.Fatalf("Save: %v", err)
	}
	want := map[int]string{w.a.Number: "Alpha VS", w.b.Number: "Bravo VS"}
	if diff := cmp.Diff(want, w.fieldValues(t)); diff != "" {
		t.Errorf("custom field values (-want +got):\n%s", diff)
	}
	const cats, defs = "/api/mastertables/customfields/categories/accounts", "/api/mastertables/customfields/definitions/text"
	if c, d := w.srv.Count("POST", cats), w.srv.Count("POST", defs); c != 1 || d != 1 {
		t.Errorf("category creations %d, field creations %d; want 1 and 1", c, d)
	}

	// A second Save without changes creates and writes nothing.
	w.srv.ResetCounts()
	if err := ed.Save(t.Context()); err != nil {
		t.Fatalf("second Save: %v", err)
	}
	if n := w.srv.Count("POST", cats) + w.srv.Count("POST", defs) + w.srv.Count("PUT", "/api/accounts/{n}/customfields"); n != 0 {
		t.Errorf("second Save wrote %d times", n)
	}

	// Removing a tenant clears its account's field and deletes nothing.
	if err := ed.RemoveTenant("vs-b"); err != nil {
		t.Fatal(err)
	}
	if err := ed.Save(t.Context()); err != nil {
		t.Fatalf("Save after removal: %v", err)
	}
	if diff := cmp.Diff(map[int]string{w.a.Number: "Alpha VS"}, w.fieldValues(t)); diff != "" {
		t.Errorf("custom field values after removal (-want +got):\n%s", diff)
	}
	if n := len(w.srv.Snapshot().Accounts); n != 4 {
		t.Errorf("accounts in Tigerpaw = %d, want 4 (nothing deleted)", n)
	}

	// The accounts view: customers with no tenant, tenants with no account.
	view, err := ed.AccountsView(t.Context(), "Customer")
	if err != nil {
		t.Fatal(err)
	}
	var unmapped []string
	for _, a := range view.UnmappedAccounts {
		unmapped = append(unmapped, a.Name)
	}
	if diff := cmp.Diff([]string{"Bravo", "Charlie"}, unmapped); diff != "" {
		t.Errorf("unmapped customers (-want +got):\n%s", diff)
	}
	if len(view.TenantsWithoutAccount) != 1 || view.TenantsWithoutAccount[0].ID != "vs-x" {
		t.Errorf("tenants without account = %+v", view.TenantsWithoutAccount)
	}
}

func TestDirectoryValidationOverTigerpaw(t *testing.T) {
	t.Parallel()
	w := newDirectoryWorld(t)
	cfg := w.config()
	// B has billing on a one-off agreement of another account, without a
	// cross-reference; an unknown item and price level.
	cfg.Tenants[1].Account.Billing = mapping.Billing{Enabled: true, Agreement: w.oneOff, PriceLevel: w.none}
	cfg.PriceBook.Apps = append(cfg.PriceBook.Apps, mapping.SingleItem(kaspersky.AppKESBSelect, "NO-SUCH-ITEM"))

	err := mapping.Validate(t.Context(), cfg, w.dir, nil)
	var verr *mapping.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Validate = %v, want a ValidationError", err)
	}
	for _, kind := range []error{mapping.ErrAgreementAccount, mapping.ErrNotCrossReferenced, mapping.ErrNotFound} {
		if !errors.Is(err, kind) {
			t.Errorf("validation error lacks %v:\n%v", kind, err)
		}
	}
	// The valid configuration passes against the same Tigerpaw.
	if err := mapping.Validate(t.Context(), w.config(), w.dir, nil); err != nil {
		t.Errorf("valid configuration: %v", err)
	}
	// A non-recurring agreement of the right account.
	cfg = w.config()
	cfg.Tenants[0].Account.Billing.Agreement = w.oneOff
	if err := mapping.Validate(t.Context(), cfg, w.dir, nil); !errors.Is(err, mapping.ErrNotRecurring) {
		t.Errorf("one-off agreement: %v", err)
	}
	// A Tigerpaw fault is a fault, not a validation problem.
	w.srv.FailNext("GET", "/api/mastertables/pricelevels", 10, tigerpawtest.Fault{Status: http.StatusUnauthorized})
	err = mapping.Validate(t.Context(), w.config(), w.dir, nil)
	if err == nil || errors.As(err, &verr) {
		t.Errorf("Validate with Tigerpaw refusing = %v, want a plain fault", err)
	}
}

func TestDirectoryCreateCategoryTwiceIsHarmless(t *testing.T) {
	t.Parallel()
	w := newDirectoryWorld(t)
	for range 2 {
		if err := w.dir.CreateAccountFieldCategory(t.Context(), "Kaspersky"); err != nil {
			t.Fatal(err)
		}
	}
	w.srv.FailNext("POST", "/api/mastertables/customfields/categories/accounts", 1,
		tigerpawtest.Fault{Status: http.StatusOK, Body: `{"Success":false,"Message":"Category already exists."}`})
	if err := w.dir.CreateAccountFieldCategory(t.Context(), "Kaspersky"); err != nil {
		t.Errorf("an 'already exists' refusal: %v", err)
	}
	w.srv.FailNext("POST", "/api/mastertables/customfields/categories/accounts", 1,
		tigerpawtest.Fault{Status: http.StatusOK, Body: `{"Success":false,"Message":"Access denied."}`})
	if err := w.dir.CreateAccountFieldCategory(t.Context(), "Kaspersky"); err == nil {
		t.Error("another refusal was taken as success")
	}
}

// TestDirectoryExternalProducts: the External Products over the Tigerpaw
// fake, active or not; a malformed list is an error, not a shorter list.
func TestDirectoryExternalProducts(t *testing.T) {
	t.Parallel()
	w := newDirectoryWorld(t)
	old := w.srv.AddExternalProduct(tigerpawtest.ExternalProduct{Product: "Retired RMM", SystemEntry: true}).ID
	got, err := w.dir.ExternalProducts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []mapping.ExternalProduct{{ID: w.product, Name: "Kaspersky", Active: true}, {ID: old, Name: "Retired RMM"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ExternalProducts (-want +got):\n%s", diff)
	}
	w.srv.FailNext("GET", "/api/mastertables/externalproducts", 1,
		tigerpawtest.Fault{Status: http.StatusOK, Body: `[{"ExternalProductId":1,"Product":"A","Active":true},null]`})
	if got, err := w.dir.ExternalProducts(t.Context()); !errors.Is(err, tigerpaw.ErrMalformedResponse) || got != nil {
		t.Errorf("a list with a null element = %v, %v; want nil and ErrMalformedResponse", got, err)
	}
}
