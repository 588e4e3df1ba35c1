package kasperskytigerpaw

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// These tests answer the jobs with replies that look complete but are not
// evidence of what they would act on, and check that no charge or order is
// changed on their strength.

func TestServiceOrderJobIgnoresAnotherTenantsInventory(t *testing.T) {
	t.Parallel()
	w := newSOWorld(t)
	res := w.runOK(t)
	if len(res.Created) != 1 {
		t.Fatalf("first cycle created %+v", res.Created)
	}
	// The console answers the read of vs-1 with the inventory of another
	// tenant: its one device has another name and a problem of its own.
	other := kaspersky.Inventory{Tenant: kaspersky.Tenant{ID: "vs-3", Name: "Fabrikam VS", Kind: kaspersky.KindVirtualServer},
		Devices: []kaspersky.Device{{ID: "host-9", TenantID: "vs-3", Name: "FABRIKAM-DC", Category: kaspersky.WindowsServer,
			Status: kaspersky.StatusWarning, Descriptions: []kaspersky.StatusDescription{mustStatus(t, kaspersky.StatusDatabasesOutdated)}}}}
	w.src.mu.Lock()
	w.src.inventories["vs-1"] = other
	w.src.mu.Unlock()
	w.advance(time.Hour)
	res = w.run(t)
	if len(res.Closed) != 0 || len(res.Created) != 0 {
		t.Errorf("on another tenant's inventory: closed %+v, created %+v", res.Closed, res.Created)
	}
	orders := w.orders()
	if len(orders) != 1 || orders[0].Status != "New" || !orders[0].Closed.IsZero() {
		t.Errorf("orders = %+v, want the one order still open", orders)
	}
}

func mustStatus(t *testing.T, c kaspersky.StatusCode) kaspersky.StatusDescription {
	t.Helper()
	s, ok := kaspersky.LookupStatus(c)
	if !ok {
		t.Fatalf("no status %v", c)
	}
	return s
}

// dropServers takes the billing world's ten servers out of its inventory, so
// that the next plan deletes the server charge.
func (w *billingWorld) dropServers() {
	w.src.mu.Lock()
	defer w.src.mu.Unlock()
	inv := w.src.inventories["vs-1"]
	inv.Devices = slices.Clone(inv.Devices[:90])
	lic := inv.Licenses[0]
	lic.ActiveDevices = slices.Clone(lic.ActiveDevices[:90])
	inv.Licenses = []kaspersky.License{lic}
	w.src.inventories["vs-1"] = inv
}

func TestBillingDeleteAnsweredNotFoundIsCheckedByAReadBack(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	job := w.job(t)
	if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
		t.Fatal(err)
	}
	w.dropServers()
	// Every delete is answered 404 and applies nothing: the charge is still
	// there, and the run must not count it deleted.
	w.srv.FailNext("DELETE", "/api/agreements/{n}/additionalcharges/{d}", 100, tigerpawtest.Fault{Status: http.StatusNotFound})
	plan, res, err := job.Run(t.Context(), w.cfg)
	if _, _, del, _ := plan.Counts(); del != 1 {
		t.Fatalf("plan %s: want one delete", plan)
	}
	if res.Deleted != 0 || len(res.Failed) != 1 || err == nil {
		t.Errorf("result %+v, err %v: a 404 on a charge still there was taken as its deletion", res, err)
	}
	if diff := cmp.Diff(wantSeedCharges, w.charges(), sortCharges()); diff != "" {
		t.Errorf("charges (-want +got):\n%s", diff)
	}

	// A charge that is really gone (a person deleted it between the list and
	// the delete) is deleted as far as billing is concerned.
	w.srv.ClearFaults()
	for _, c := range w.srv.Charges(w.agreement) {
		if c.SpecialItemID == "KESB-ADV-SRV" {
			w.srv.FailNext("DELETE", "/api/agreements/{n}/additionalcharges/{d}", 1, tigerpawtest.Fault{AfterApply: true, Status: http.StatusNotFound})
		}
	}
	_, res, err = job.Run(t.Context(), w.cfg)
	if err != nil || res.Deleted != 1 || len(res.Failed) != 0 {
		t.Errorf("gone charge: result %+v, err %v; want it deleted", res, err)
	}
	want := []chargeView{{"KESB-ADV-WS", false, 3, 9900}, {"KESB-ADV-WS", true, 90, 400}}
	if diff := cmp.Diff(want, w.charges(), sortCharges()); diff != "" {
		t.Errorf("charges after (-want +got):\n%s", diff)
	}
}

func TestServiceOrderCloseAcceptedButStillOpenIsNotClosed(t *testing.T) {
	t.Parallel()
	w := newSOWorld(t)
	if res := w.runOK(t); len(res.Created) != 1 {
		t.Fatalf("first cycle created %+v", res.Created)
	}
	so := w.orders()[0]
	// The problem clears; Tigerpaw answers the close 200 with the order as it
	// was, and leaves it open.
	w.setDevice(kaspersky.StatusOK)
	w.advance(time.Hour)
	body := fmt.Sprintf(`{"Success":true,"ServiceOrderSummary":{"ServiceOrderNumber":%d,"ServiceOrder":{"AccountNumber":%d,"Status":"New","Reference":%q}}}`,
		so.Number, w.acct, so.Reference)
	w.srv.FailNext("PUT", "/api/serviceorders/{n}", 1, tigerpawtest.Fault{Status: http.StatusOK, Body: body})
	res := w.run(t)
	if len(res.Closed) != 0 || len(res.Failed) != 1 {
		t.Errorf("closed %+v, failed %v: a close that left the order open was reported done", res.Closed, res.Failed)
	}
	if got, _ := w.srv.ServiceOrder(so.Number); got.Status != "New" {
		t.Fatalf("order status = %q", got.Status)
	}
	// The next cycle closes it for real.
	w.advance(time.Minute)
	res = w.runOK(t)
	if len(res.Closed) != 1 || res.Closed[0].Number != so.Number {
		t.Errorf("next cycle closed %+v", res.Closed)
	}
	if got, _ := w.srv.ServiceOrder(so.Number); got.Status != "Closed" || got.Closed.IsZero() {
		t.Errorf("order after the retry = %+v, want closed", got)
	}
}

func TestBillingRefusesThePricesOfAnotherItem(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	level := w.cfg.Tenants[0].Account.Billing.PriceLevel
	// Every item's details are answered with those of another item, without
	// its number: its prices are not the asked item's.
	body := fmt.Sprintf(`{"ItemId":"GIFT-CARD","Item":{"ItemDescription":"Gift card"},"Pricing":[{"PriceLevel":%d,"SellingPrice":0.01}]}`, level)
	w.srv.FailNext("GET", "/api/pricebook/items/{n}/details", 100, tigerpawtest.Fault{Status: http.StatusOK, Body: body})
	plan, res, _ := w.job(t).Run(t.Context(), w.cfg)
	if res.Created != 0 || len(plan.Changes) != 0 {
		t.Errorf("plan %s, result %+v: billed at another item's price", plan, res)
	}
	if len(plan.Skipped) != 1 || !errors.Is(plan.Skipped[0].Err, billing.ErrInvalidPrice) ||
		!strings.Contains(plan.Skipped[0].Err.Error(), "GIFT-CARD") {
		t.Errorf("skipped = %+v, want the agreement skipped naming the item answered", plan.Skipped)
	}
	if n := len(w.srv.Charges(w.agreement)); n != 1 {
		t.Errorf("charges = %d, want only the hand-made one", n)
	}
}

func TestServiceOrderCreateAnsweredWithAnotherOrderClosesNoStranger(t *testing.T) {
	t.Parallel()
	w := newSOWorld(t)
	// A person's order on the same account.
	theirs := w.srv.AddServiceOrder(tigerpawtest.ServiceOrder{AccountNumber: w.acct, Status: "New", Priority: "High",
		BriefDescription: "Printer jam", Reference: "PRINTER-1"})
	// The create is applied, but its answer carries the person's order.
	w.srv.FailNext("POST", "/api/ServiceOrders", 1, tigerpawtest.Fault{Rewrite: func(body []byte) []byte {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Errorf("rewrite: %v", err)
			return body
		}
		sum := m["ServiceOrderSummary"].(map[string]any)
		sum["ServiceOrderNumber"] = theirs.Number
		sum["ServiceOrder"].(map[string]any)["Reference"] = theirs.Reference
		sum["ServiceOrder"].(map[string]any)["BriefDescription"] = theirs.BriefDescription
		out, _ := json.Marshal(m)
		return out
	}})
	w.run(t)
	// The problem clears: the integration's order closes, the person's stays.
	w.advance(time.Hour)
	w.setDevice(kaspersky.StatusOK)
	w.run(t)
	w.advance(time.Minute)
	w.run(t)
	for _, o := range w.orders() {
		switch o.Number {
		case theirs.Number:
			if o.Status != "New" || !o.Closed.IsZero() {
				t.Errorf("the person's order was changed: %+v", o)
			}
		default:
			if o.Status != "Closed" {
				t.Errorf("the integration's order %d is %q, want closed", o.Number, o.Status)
			}
		}
	}
	if n := len(w.orders()); n != 2 {
		t.Errorf("orders = %d, want 2", n)
	}
}

func TestBillingMoveCheckLeavesAnotherAccountsAgreement(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	// Another customer whose automatic billing was turned off: the
	// integration's charge left on its agreement is the MSP's to keep.
	fabrikam := w.srv.AddAccount(tigerpawtest.Account{Name: "Fabrikam", Type: "Customer"})
	theirs := w.srv.AddAgreement(tigerpawtest.Agreement{AccountNumber: fabrikam.Number, BillingPeriod: 1, StartDate: billingNow})
	w.srv.AddCharge(tigerpawtest.Charge{AgreementNumber: theirs.Number, SpecialItemID: "KESB-ADV-WS",
		ItemDescription: billing.OwnerMarker + " 12 workstations", Quantity: 12, Price: 450, PriceLevel: 1})
	// The listing of Contoso's agreements names Fabrikam's agreement.
	w.srv.FailNext("GET", "/api/agreements/account/{n}", 100, tigerpawtest.Fault{Rewrite: func(body []byte) []byte {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Errorf("rewrite: %v", err)
			return body
		}
		for _, a := range m["Agreements"].([]any) {
			a.(map[string]any)["AgreementNumber"] = theirs.Number
			a.(map[string]any)["Agreement"].(map[string]any)["AccountNumber"] = fabrikam.Number
		}
		out, _ := json.Marshal(m)
		return out
	}})
	if _, _, err := w.job(t).Run(t.Context(), w.cfg); err != nil {
		t.Fatal(err)
	}
	if n := len(w.srv.Charges(theirs.Number)); n != 1 {
		t.Errorf("Fabrikam's agreement has %d charges, want its 1 kept", n)
	}
}

func TestBillingMoveKeepsTheFormerChargesWhileTheNewAgreementIsSkipped(t *testing.T) {
	t.Parallel()
	w := newBillingWorld(t)
	w.addCustomer(t, "vs-2")
	job := w.job(t)
	if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
		t.Fatal(err)
	}
	// Billing moves to another agreement of the account, whose charge list
	// cannot be planned from this cycle: a charge shows only the start of
	// the marker.
	acct := w.cfg.Tenants[0].Account.Number
	moved := w.srv.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct, BillingPeriod: 1, StartDate: billingNow}).Number
	w.cfg.Tenants[0].Account.Billing.Agreement = moved
	cut := w.srv.AddCharge(tigerpawtest.Charge{AgreementNumber: moved, SpecialItemID: "KESB-ADV-NW", ItemDescription: billing.OwnerMarker[:8],
		Quantity: 1, Price: 250, PriceLevel: w.cfg.Tenants[0].Account.Billing.PriceLevel})
	plan, res, _ := job.Run(t.Context(), w.cfg)
	if len(plan.Skipped) != 1 || plan.Skipped[0].Agreement != moved {
		t.Fatalf("skipped = %+v, want the new agreement", plan.Skipped)
	}
	if res.Deleted != 0 {
		t.Errorf("result %+v: the former agreement's charges were deleted while the new agreement bills nothing", res)
	}
	if diff := cmp.Diff(wantSeedCharges, w.charges(), sortCharges()); diff != "" {
		t.Errorf("former agreement's charges (-want +got):\n%s", diff)
	}
	// Once the new agreement can be planned from, the move completes.
	cut.ItemDescription = "Firewall appliance" // a person's, once told apart
	w.srv.AddCharge(cut)
	if _, _, err := job.Run(t.Context(), w.cfg); err != nil {
		t.Fatal(err)
	}
	for _, c := range w.charges() {
		if c.Owned {
			t.Errorf("the former agreement kept the integration's charge %+v", c)
		}
	}
	if n := len(w.srv.Charges(moved)); n != 3 {
		t.Errorf("the new agreement has %d charges, want the person's and 2 created", n)
	}
}

// addCustomer adds a second billed customer, tenant id, with one workstation,
// so that a plan that skips the first customer's agreement is not failed.
func (w *billingWorld) addCustomer(t *testing.T, id string) {
	t.Helper()
	acct := w.srv.AddAccount(tigerpawtest.Account{Name: "Fabrikam " + id, Type: "Customer"})
	agr := w.srv.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct.Number, BillingPeriod: 1, StartDate: billingNow.AddDate(-1, 0, 0)})
	lic := kaspersky.License{ID: "K-" + id, Application: kaspersky.AppKESBAdvanced, Type: kaspersky.KeyCommercial,
		Expires: billingNow.AddDate(1, 0, 0), ActiveDevices: []string{id + "-ws"}}
	w.src.set(kaspersky.Inventory{Tenant: kaspersky.Tenant{ID: id, Name: "Fabrikam", Kind: kaspersky.KindVirtualServer},
		Devices:  []kaspersky.Device{{ID: id + "-ws", TenantID: id, Name: "FAB-WS", Category: kaspersky.WindowsWorkstation}},
		Licenses: []kaspersky.License{lic}})
	w.cfg.Tenants = append(w.cfg.Tenants, mapping.Tenant{ID: id, Name: "Fabrikam",
		Account: &mapping.AccountMapping{Number: acct.Number, Billing: mapping.Billing{Enabled: true, Agreement: agr.Number,
			PriceLevel: w.cfg.Tenants[0].Account.Billing.PriceLevel}}})
}

// TestBillingMoveCheckTrustsNoEntryWithoutItsAccount: an entry of the listing
// of an account's agreements that does not say whose agreement it is (its
// AccountNumber absent, null or 0, or no Agreement at all) may be another
// account's, whose integration charges are the MSP's to keep once its
// billing is off. Such a listing deletes nothing, not even on the account's
// own former agreement it also names; the account is checked again next
// cycle, and a listing that says whose each agreement is then completes the
// move.
func TestBillingMoveCheckTrustsNoEntryWithoutItsAccount(t *testing.T) {
	t.Parallel()
	const listing = "/api/agreements/account/{n}"
	owned := func(what string) string { return billing.OwnerMarker + " " + what }
	type world struct {
		*billingWorld
		former, theirs, contoso int
	}
	newWorld := func(t *testing.T) world {
		w := newBillingWorld(t)
		contoso := w.cfg.Tenants[0].Account.Number
		level := w.cfg.Tenants[0].Account.Billing.PriceLevel
		// Contoso's former agreement, which still holds a charge of the
		// integration's: the move check deletes it once it is shown to be
		// Contoso's.
		former := w.srv.AddAgreement(tigerpawtest.Agreement{AccountNumber: contoso, BillingPeriod: 1, StartDate: billingNow.AddDate(-2, 0, 0)}).Number
		w.srv.AddCharge(tigerpawtest.Charge{AgreementNumber: former, SpecialItemID: "KESB-ADV-WS", ItemDescription: owned("90 workstations"),
			Quantity: 90, Price: 400, PriceLevel: level})
		// Fabrikam, whose automatic billing was turned off: its charge is
		// the MSP's to keep.
		fabrikam := w.srv.AddAccount(tigerpawtest.Account{Name: "Fabrikam", Type: "Customer"})
		theirs := w.srv.AddAgreement(tigerpawtest.Agreement{AccountNumber: fabrikam.Number, BillingPeriod: 1, StartDate: billingNow}).Number
		w.srv.AddCharge(tigerpawtest.Charge{AgreementNumber: theirs, SpecialItemID: "KESB-ADV-WS", ItemDescription: owned("12 workstations"),
			Quantity: 12, Price: 450, PriceLevel: 1})
		return world{w, former, theirs, contoso}
	}
	// listed rewrites the listing of Contoso's agreements so that it also
	// names Fabrikam's agreement, edited by edit.
	listed := func(t *testing.T, w world, edit func(agr map[string]any)) tigerpawtest.Fault {
		return tigerpawtest.Fault{Rewrite: func(body []byte) []byte {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				t.Errorf("rewrite: %v", err)
				return body
			}
			list := m["Agreements"].([]any)
			var entry map[string]any
			if err := json.Unmarshal(jsonOf(t, list[len(list)-1]), &entry); err != nil {
				t.Errorf("rewrite: %v", err)
				return body
			}
			entry["AgreementNumber"] = w.theirs
			entry["AccountName"] = "Fabrikam"
			edit(entry)
			m["Agreements"] = append(list, entry)
			m["TotalCount"] = len(list) + 1
			return jsonOf(t, m)
		}}
	}
	raw := func(w world, theirs string) tigerpawtest.Fault {
		return tigerpawtest.Fault{Status: http.StatusOK, Body: fmt.Sprintf(`{"Agreements":[`+
			`{"AgreementNumber":%d,"AccountName":"Contoso","Agreement":{"AccountNumber":%d,"BillingPeriod":1},"AdditionalCharges":3},`+
			`{"AgreementNumber":%d,"AccountName":"Contoso","Agreement":{"AccountNumber":%d,"BillingPeriod":1},"AdditionalCharges":1},`+
			`{"AgreementNumber":%d,"AccountName":"Fabrikam",%s"AdditionalCharges":1}],`+
			`"PageSize":50,"NextRow":0,"TotalCount":3,"Success":true,"Message":""}`,
			w.agreement, w.contoso, w.former, w.contoso, w.theirs, theirs)}
	}
	for _, tt := range []struct {
		name  string
		fault func(t *testing.T, w world) tigerpawtest.Fault
	}{
		{"AccountNumber 0", func(t *testing.T, w world) tigerpawtest.Fault {
			return listed(t, w, func(e map[string]any) { e["Agreement"].(map[string]any)["AccountNumber"] = 0 })
		}},
		{"AccountNumber null", func(t *testing.T, w world) tigerpawtest.Fault {
			return listed(t, w, func(e map[string]any) { e["Agreement"].(map[string]any)["AccountNumber"] = nil })
		}},
		{"AccountNumber missing", func(t *testing.T, w world) tigerpawtest.Fault {
			return listed(t, w, func(e map[string]any) { delete(e["Agreement"].(map[string]any), "AccountNumber") })
		}},
		{"Agreement null", func(t *testing.T, w world) tigerpawtest.Fault {
			return listed(t, w, func(e map[string]any) { e["Agreement"] = nil })
		}},
		{"raw body, Agreement without AccountNumber", func(t *testing.T, w world) tigerpawtest.Fault {
			return raw(w, `"Agreement":{"BillingPeriod":1},`)
		}},
		{"raw body, no Agreement", func(t *testing.T, w world) tigerpawtest.Fault {
			return raw(w, ``)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.srv.FailNext("GET", listing, 1, tt.fault(t, w))
			_, res, err := w.job(t).Run(t.Context(), w.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if n := w.srv.Count("GET", listing); n != 1 {
				t.Fatalf("the account's agreements were listed %d times, want 1", n)
			}
			if res.Deleted != 0 {
				t.Errorf("result %+v: charges deleted on a listing with an agreement of no stated account", res)
			}
			if n := len(w.srv.Charges(w.theirs)); n != 1 {
				t.Errorf("Fabrikam's agreement has %d charges, want its 1 kept", n)
			}
			if n := len(w.srv.Charges(w.former)); n != 1 {
				t.Errorf("Contoso's former agreement has %d charges, want its 1 kept while the listing is not trusted", n)
			}
			// Next cycle: the account is due again, and the listing says
			// whose each agreement is.
			if _, _, err := w.job(t).Run(t.Context(), w.cfg); err != nil {
				t.Fatal(err)
			}
			if n := len(w.srv.Charges(w.former)); n != 0 {
				t.Errorf("after a listing that says whose each agreement is, Contoso's former agreement has %d charges, want 0", n)
			}
			if n := len(w.srv.Charges(w.theirs)); n != 1 {
				t.Errorf("Fabrikam's agreement has %d charges, want its 1 kept", n)
			}
		})
	}
}

func jsonOf(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Errorf("json: %v", err)
	}
	return b
}
