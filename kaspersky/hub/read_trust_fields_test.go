package hub

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hubtest"
)

// The tests of this file check the fields that decide billing and service
// orders: one that is absent, null or empty is an error for the company,
// never a value that happens to mean "nothing there" (a device whose status
// is OK, a license that never bills).

// editItem returns a Rewrite that edits item i of a page.
func editItem(t *testing.T, i int, edit func(it map[string]any)) func([]byte) []byte {
	return editPage(t, func(p map[string]any) { edit(items(p)[i].(map[string]any)) })
}

func TestFieldsThatDecideAreRequired(t *testing.T) {
	t.Parallel()
	const devices, licenses = "/api/v1/companies/c1/devices", "/api/v1/companies/c1/licenses"
	tests := []struct {
		name, path string
		edit       func(it map[string]any)
		want       string
	}{
		// d2 is a warning device with open-order material; without its status
		// it would read as OK (or Warning by guess) and its orders would close.
		{"device status missing", devices, func(it map[string]any) { delete(it, "status") }, `items[1] has no "status"`},
		{"device status null", devices, func(it map[string]any) { it["status"] = nil }, `items[1] has no "status"`},
		{"device status empty", devices, func(it map[string]any) { it["status"] = " " }, `items[1] has no "status"`},
		// l1 is a commercial KES Cloud license that bills.
		{"license type missing", licenses, func(it map[string]any) { delete(it, "type") }, `items[0] has no "type"`},
		{"license type empty", licenses, func(it map[string]any) { it["type"] = "" }, `items[0] has no "type"`},
		{"license product missing", licenses, func(it map[string]any) { delete(it, "product") }, `items[0] has no "product"`},
		{"license product null", licenses, func(it map[string]any) { it["product"] = nil }, `items[0] has no "product"`},
		// l4 is an active Office 365 subscription: without a state it would
		// never bill.
		{"subscription state missing", licenses, func(it map[string]any) {
			if it["id"] == "l4" {
				delete(it, "state")
			}
		}, `license "l4" is a subscription without a state`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			seedContoso(t, e.srv)
			i := 1
			if tt.path == licenses {
				i = 0
			}
			edit := editItem(t, i, tt.edit)
			if strings.HasPrefix(tt.name, "subscription") {
				edit = editPage(t, func(p map[string]any) {
					for _, it := range items(p) {
						tt.edit(it.(map[string]any))
					}
				})
			}
			e.srv.InjectFault(hubtest.Fault{Path: tt.path, Times: 2, Rewrite: edit})
			inv, err := NewSource(e.c).Inventory(t.Context(), "c1")
			if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one wrapping ErrIncomplete naming %q", err, tt.want)
			}
			if len(inv.Devices) != 0 || len(inv.Licenses) != 0 {
				t.Errorf("inventory %+v returned with the error", inv)
			}
		})
	}
}

// TestOffice365LicenseWithoutMailboxes: a company without Office 365 status
// (404) is billed the mailboxes of its Office 365 licenses. A license that
// would bill but does not say how many mailboxes it protects (absent or
// null) would bill none: it fails the company's inventory, whatever the
// license's type and state (the contract gives the count on every Office 365
// license). An explicit 0 reads, and so does an absent count that billing
// would not use (a status is there, or the license is not per mailbox).
func TestOffice365LicenseWithoutMailboxes(t *testing.T) {
	t.Parallel()
	const licenses = "/api/v1/companies/c2/licenses"
	o365 := func(typ, state string) hubtest.License {
		return hubtest.License{ID: "m1", Product: "office365", Type: typ, State: state, Capacity: 25, Mailboxes: 20}
	}
	tests := []struct {
		name    string
		lic     hubtest.License
		status  bool
		edit    func(it map[string]any)
		want    error // nil: the inventory reads
		mailbox int
	}{
		{"active subscription, mailboxes missing", o365("subscription", "active"), false, func(it map[string]any) { delete(it, "mailboxes") }, ErrIncomplete, 0},
		{"active subscription, mailboxes null", o365("subscription", "active"), false, func(it map[string]any) { it["mailboxes"] = nil }, ErrIncomplete, 0},
		{"commercial without state, mailboxes missing", o365("commercial", ""), false, func(it map[string]any) { delete(it, "mailboxes") }, ErrIncomplete, 0},
		{"active subscription, mailboxes negative", o365("subscription", "active"), false, func(it map[string]any) { it["mailboxes"] = -3 }, ErrUnexpectedValue, 0},
		{"active subscription, mailboxes 0", o365("subscription", "active"), false, func(it map[string]any) { it["mailboxes"] = 0 }, nil, 0},
		{"active subscription, mailboxes sent", o365("subscription", "active"), false, func(map[string]any) {}, nil, 20},
		{"paused subscription, mailboxes missing", o365("subscription", "paused"), false, func(it map[string]any) { delete(it, "mailboxes") }, ErrIncomplete, 0},
		{"trial, mailboxes missing", o365("trial", "active"), false, func(it map[string]any) { delete(it, "mailboxes") }, ErrIncomplete, 0},
		{"with a status, mailboxes missing", o365("subscription", "active"), true, func(it map[string]any) { delete(it, "mailboxes") }, nil, 0},
		{"per-user license, mailboxes missing", hubtest.License{ID: "m1", Product: "kes-cloud", Type: "commercial", State: "active", Users: []string{"u1"}},
			false, func(it map[string]any) { delete(it, "mailboxes") }, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			must(t, e.srv.AddCompany(hubtest.Company{ID: "c2", Name: "Fabrikam"}))
			must(t, e.srv.AddLicense("c2", tt.lic))
			if tt.status {
				must(t, e.srv.SetOffice365Status("c2", hubtest.Office365Status{MailboxesProtected: true, LicenseOK: true, ProtectedMailboxes: 20}))
			}
			e.srv.InjectFault(hubtest.Fault{Path: licenses, Times: 2, Rewrite: editItem(t, 0, tt.edit)})
			inv, err := NewSource(e.c).Inventory(t.Context(), "c2")
			if tt.want == nil {
				must(t, err)
				if len(inv.Licenses) != 1 || inv.Licenses[0].Mailboxes != tt.mailbox {
					t.Errorf("licenses %+v, want m1 with %d mailboxes", inv.Licenses, tt.mailbox)
				}
				return
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), `license "m1"`) || !strings.Contains(err.Error(), "mailboxes") {
				t.Fatalf("error %v, want one wrapping %v naming license m1 and its mailboxes", err, tt.want)
			}
			if len(inv.Devices) != 0 || len(inv.Licenses) != 0 {
				t.Errorf("inventory %+v returned with the error", inv)
			}
		})
	}
}

// TestEventWithoutTimeFailsTheEventRead: an event whose time is absent, null,
// empty or the zero time would read as raised in the year 1. A read with a
// since (every read of the service order engine) drops it as older than the
// window, and the order it should open would never open: the company's event
// read fails instead, with ErrIncomplete naming the event.
func TestEventWithoutTimeFailsTheEventRead(t *testing.T) {
	t.Parallel()
	edits := map[string]func(ev map[string]any){
		"missing": func(ev map[string]any) { delete(ev, "time") },
		"null":    func(ev map[string]any) { ev["time"] = nil },
		"empty":   func(ev map[string]any) { ev["time"] = "" },
		"zero":    func(ev map[string]any) { ev["time"] = "0001-01-01T00:00:00Z" },
	}
	streams := []struct{ path, id string }{
		{"/api/v1/companies/c1/events", "e4"},
		{"/api/v1/companies/c1/office365/events", "e2"},
	}
	for _, s := range streams {
		for name, edit := range edits {
			t.Run(s.path+"/"+name, func(t *testing.T) {
				t.Parallel()
				e := setup(t)
				seedContoso(t, e.srv)
				var edited atomic.Bool
				e.srv.InjectFault(hubtest.Fault{Path: s.path, Times: 2, Rewrite: editPage(t, func(p map[string]any) {
					for _, it := range items(p) {
						if ev := it.(map[string]any); ev["id"] == s.id {
							edit(ev)
							edited.Store(true)
						}
					}
				})})
				evs, err := NewSource(e.c).Events(t.Context(), "c1", t0)
				if !edited.Load() {
					t.Fatalf("event %s was not in the answer", s.id)
				}
				if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), `event "`+s.id+`": time`) {
					t.Fatalf("error %v, want one wrapping ErrIncomplete naming event %q and its time", err, s.id)
				}
				if evs != nil {
					t.Errorf("events %+v returned with the error", evs)
				}
			})
		}
	}
}
