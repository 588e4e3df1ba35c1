package kasperskytigerpaw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hub"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hubtest"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// This file runs the real BillingJob and ServiceOrderJob over the Business Hub
// client and its fake, against the Tigerpaw fake, with answers a Hub contract
// server may give on a bad day: a read that is not provably complete must not
// change a charge or close an order, and a refused password must not turn
// into one failed login per company.

const (
	trustHubEmail    = "msp@example.com"
	trustHubPassword = "hub-pa55"
	trustHubPageSize = 5
)

// hubLogBuffer is a goroutine-safe log sink.
type hubLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *hubLogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *hubLogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// hubWorld is a Business Hub fake with three companies billed per user for
// KES Cloud Plus, a Tigerpaw fake with their accounts and agreements, and the
// service order setup of newSOWorld. Company co-1 has six users with two
// workstations each (12 users billed), read in pages of five: devices d00–d04
// on page 1, d05–d09 on page 2 (d05 has out-of-date databases), d10–d11 on
// page 3. Companies co-2 and co-3 have one user with one laptop each.
type hubWorld struct {
	hub   *hubtest.Server
	tp    *tigerpawtest.Server
	cfg   mapping.Config
	rules serviceorder.Rules
	store serviceorder.Store
	log   *hubLogBuffer
	agr   map[string]int // company → agreement

	mu  sync.Mutex
	now time.Time
}

func newHubWorld(t *testing.T) *hubWorld {
	t.Helper()
	w := &hubWorld{now: time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC), log: &hubLogBuffer{}, agr: map[string]int{}}
	w.hub = hubtest.NewServer(hubtest.WithTLS(), hubtest.WithClock(w.clock))
	t.Cleanup(w.hub.Close)
	w.hub.AddUser(trustHubEmail, trustHubPassword)
	w.tp = tigerpawtest.NewServer(t, tigerpawtest.WithClock(w.clock))
	lvl := w.tp.AddPriceLevel(tigerpawtest.PriceLevel{Description: "Standard"})
	w.tp.AddPriceBookItem(tigerpawtest.PriceBookItem{ItemID: "KESC-PLUS", Description: "KES Cloud Plus, per user", SellingPrices: map[int]int64{lvl.ID: 350}})
	rep := w.tp.AddRep(tigerpawtest.Rep{Name: "Dana Tech"}).Number
	w.tp.AddStatus(tigerpawtest.Status{Name: "New"})
	w.tp.AddStatus(tigerpawtest.Status{Name: "Closed", Closed: true})
	board := w.tp.AddBoard(tigerpawtest.Board{Description: "Security"}).ID
	w.tp.AddPriority(tigerpawtest.Priority{Name: "High"})
	w.tp.AddServiceOrderType(tigerpawtest.ServiceOrderType{Name: "Antivirus"})

	w.cfg = mapping.Config{Name: "main", Solution: mapping.SolutionHub,
		PriceBook: mapping.PriceBook{Apps: []mapping.AppItems{mapping.SingleItem(kaspersky.AppKESCloudPlus, "KESC-PLUS")}}}
	for i, name := range []string{"Contoso", "Fabrikam", "Northwind"} {
		id := fmt.Sprintf("co-%d", i+1)
		mustHub(t, w.hub.AddCompany(hubtest.Company{ID: id, Name: name}))
		acct := w.tp.AddAccount(tigerpawtest.Account{Name: name, Type: "Customer"}).Number
		agr := w.tp.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct, BillingPeriod: 1, StartDate: w.now.AddDate(-1, 0, 0)}).Number
		w.agr[id] = agr
		w.cfg.Tenants = append(w.cfg.Tenants, mapping.Tenant{ID: id, Name: name,
			Account: &mapping.AccountMapping{Number: acct, Billing: mapping.Billing{Enabled: true, Agreement: agr, PriceLevel: lvl.ID}}})
		users := 1
		if i == 0 {
			users = 6
		}
		var userIDs []string
		for u := range users {
			user := fmt.Sprintf("%s-u%d", id, u)
			userIDs = append(userIDs, user)
			for k := range 2 {
				n := u*2 + k
				if i > 0 && k > 0 {
					break
				}
				d := hubtest.Device{ID: fmt.Sprintf("d%02d", n), Name: fmt.Sprintf("%s-WS-%02d", strings.ToUpper(name[:3]), n),
					Platform: "windows", Kind: "workstation", UserID: user, Status: "ok"}
				if i == 0 && n == 5 {
					d.Status = "warning"
					d.StatusDescriptions = []hubtest.StatusDescription{{Code: "databases-outdated", Text: "Databases are out of date"}}
				}
				mustHub(t, w.hub.AddDevice(id, d))
			}
		}
		mustHub(t, w.hub.AddLicense(id, hubtest.License{ID: "l-" + id, Product: "kes-cloud-plus", Type: "commercial", State: "active",
			ExpiresAt: w.now.AddDate(1, 0, 0), Capacity: 20, Users: userIDs}))
	}

	w.rules = serviceorder.DefaultRules()
	w.rules.General = serviceorder.General{Rep: rep, NewStatus: "New", ClosedStatus: "Closed"}
	on := serviceorder.OrderSettings{Enabled: true, Board: board, Priority: "High", Type: "Antivirus"}
	for i := range w.rules.Statuses {
		if w.rules.Statuses[i].ID.Level == kaspersky.StatusWarning {
			w.rules.Statuses[i].OrderSettings = on
		}
	}
	w.store = serviceorder.NewMemoryStore()
	return w
}

func mustHub(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (w *hubWorld) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *hubWorld) advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now = w.now.Add(d)
}

func (w *hubWorld) logger() *slog.Logger { return slog.New(slog.NewTextHandler(w.log, nil)) }

// source returns a Source over a new client of the Hub fake.
func (w *hubWorld) source(t *testing.T, password string) *hub.Source {
	t.Helper()
	c, err := hub.NewClient(w.hub.URL, hub.WithRootCAs(w.hub.CertPool()), hub.WithClock(w.clock), hub.WithLogger(w.logger()),
		hub.WithCredentials(hub.Credentials{Email: trustHubEmail, Password: password}), hub.WithPageSize(trustHubPageSize),
		hub.WithRetryPolicy(hub.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}))
	mustHub(t, err)
	return hub.NewSource(c)
}

// bill runs one billing cycle; its CycleResult is returned too.
func (w *hubWorld) bill(t *testing.T, src kaspersky.Source) (billing.Plan, CycleResult) {
	t.Helper()
	var cr CycleResult
	job := &BillingJob{Source: src, Tigerpaw: w.tp.Client(t), Now: w.clock, Logger: w.logger(),
		ApplyOptions: []billing.ApplyOption{billing.WithBackoff(time.Millisecond)},
		OnCycle:      func(r CycleResult) { cr = r }}
	plan, _, err := job.Run(t.Context(), w.cfg)
	if err != nil {
		t.Logf("billing cycle error: %v", err)
	}
	return plan, cr
}

// orders runs one service order cycle.
func (w *hubWorld) orders(t *testing.T, src kaspersky.Source) serviceorder.Result {
	t.Helper()
	desk, err := NewDesk(w.tp.Client(t, tigerpaw.WithClock(w.clock)))
	mustHub(t, err)
	runner, err := serviceorder.NewRunner(desk, w.store, serviceorder.WithClock(w.clock))
	mustHub(t, err)
	job := &ServiceOrderJob{Source: src, Runner: runner, Now: w.clock, Logger: w.logger()}
	res, err := job.Run(t.Context(), w.cfg, w.rules)
	if err != nil {
		t.Logf("service order cycle error: %v", err)
	}
	return res
}

// chargeSnapshot is every charge of the Tigerpaw fake, by agreement.
func (w *hubWorld) chargeSnapshot() map[int][]tigerpawtest.Charge { return w.tp.Snapshot().Charges }

// settle runs a good billing and service order cycle: charges for 12, 1 and 1
// users, one open order for d05.
func (w *hubWorld) settle(t *testing.T, src kaspersky.Source) {
	t.Helper()
	if plan, _ := w.bill(t, src); len(plan.Skipped) != 0 {
		t.Fatalf("first billing skipped %+v", plan.Skipped)
	}
	for id, want := range map[string]int{"co-1": 12, "co-2": 1, "co-3": 1} {
		ch := w.tp.Charges(w.agr[id])
		if len(ch) != 1 || ch[0].Quantity != want {
			t.Fatalf("%s: charges %+v, want one for %d users", id, ch, want)
		}
	}
	res := w.orders(t, src)
	if len(res.Created) != 1 || len(res.Failed) != 0 {
		t.Fatalf("first service order cycle: %+v", res)
	}
	w.advance(time.Hour)
}

// openOrders counts the service orders of the fake that are not closed.
func (w *hubWorld) openOrders() int {
	n := 0
	for _, o := range w.tp.Snapshot().ServiceOrders {
		if o.Status != "Closed" {
			n++
		}
	}
	return n
}

// rewriteHubPage returns a Rewrite that decodes a page, lets edit change it and
// encodes it again.
func rewriteHubPage(t *testing.T, edit func(p map[string]any)) func([]byte) []byte {
	return func(b []byte) []byte {
		var p map[string]any
		if err := json.Unmarshal(b, &p); err != nil {
			t.Errorf("rewrite of %s: %v", b, err)
			return b
		}
		edit(p)
		out, err := json.Marshal(p)
		if err != nil {
			t.Errorf("rewrite: %v", err)
		}
		return out
	}
}

func hubPageItems(p map[string]any) []any { return p["items"].([]any) }

// TestHubPartialReadsChangeNothing: a device list of co-1 that is short, null,
// holds a null device or one without its id, or has an empty page before its
// announced end: the billing cycle changes no charge and skips co-1's
// agreement, the service order cycle closes no order, and both log co-1's
// failure with its reason. The other companies are billed as before.
func TestHubPartialReadsChangeNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(p map[string]any)
	}{
		// Page 2 holds 2 of its 5 devices, d05 missing; the list goes on.
		{"short page", func(p map[string]any) { p["items"] = hubPageItems(p)[3:] }},
		// Page 2 says its list is null, and that it is the last.
		{"null list", func(p map[string]any) { p["items"], p["nextPage"] = nil, nil }},
		{"null element", func(p map[string]any) { hubPageItems(p)[0] = nil }},
		{"element without id", func(p map[string]any) { delete(hubPageItems(p)[0].(map[string]any), "id") }},
		// Page 2 is empty and the last, 5 of the 12 devices announced read.
		{"empty page before the total", func(p map[string]any) { p["items"], p["nextPage"] = []any{}, nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newHubWorld(t)
			src := w.source(t, trustHubPassword)
			w.settle(t, src)
			before := w.chargeSnapshot()

			w.hub.InjectFault(hubtest.Fault{Path: "/api/v1/companies/co-1/devices", Page: 2, Times: 1000, Rewrite: rewriteHubPage(t, tt.edit)})
			plan, cr := w.bill(t, src)
			res := w.orders(t, src)
			w.hub.ClearFaults()

			if d := cmp.Diff(before, w.chargeSnapshot()); d != "" {
				t.Errorf("charges changed (-before +after):\n%s", d)
			}
			skipped := false
			for _, s := range plan.Skipped {
				skipped = skipped || s.Agreement == w.agr["co-1"]
			}
			if !skipped {
				t.Errorf("co-1's agreement %d not skipped: %+v", w.agr["co-1"], plan.Skipped)
			}
			for _, o := range cr.Tenants {
				if o.Tenant == "co-1" && len(o.Errors) == 0 {
					t.Errorf("billing outcome of co-1 without an error: %+v", o)
				}
			}
			if len(res.Closed) != 0 || w.openOrders() != 1 {
				t.Errorf("orders closed %+v; %d open, want 1", res.Closed, w.openOrders())
			}
			if len(res.Created) != 0 {
				t.Errorf("orders created %+v", res.Created)
			}
			logs := w.log.String()
			for _, job := range []string{"its billing is skipped", "its status orders are left as they are"} {
				if !hubLogLineHas(logs, job, "tenant=co-1", "GET /api/v1/companies/co-1/devices", hub.ErrIncomplete.Error()) {
					t.Errorf("no log line %q for co-1 with the reason; logs:\n%s", job, logs)
				}
			}

			// The next good read settles as before, with nothing to change.
			if plan, _ := w.bill(t, src); len(plan.Skipped) != 0 || len(plan.Changes) != 3 {
				t.Errorf("billing after the fault: skipped %+v, changes %+v", plan.Skipped, plan.Changes)
			}
			if d := cmp.Diff(before, w.chargeSnapshot()); d != "" {
				t.Errorf("charges changed by the good read (-before +after):\n%s", d)
			}
		})
	}
}

// hubLogLineHas reports whether a line of logs holds every one of parts.
func hubLogLineHas(logs string, parts ...string) bool {
	for line := range strings.Lines(logs) {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

// TestHubWrongPasswordLogsInOnce: the Hub account's password is changed under
// the daemon. A billing and a service order cycle over three companies send at
// most two logins between them, change no charge, close no order, and log
// every company's failure as a refused or suspended login.
func TestHubWrongPasswordLogsInOnce(t *testing.T) {
	t.Parallel()
	w := newHubWorld(t)
	src := w.source(t, trustHubPassword)
	w.settle(t, src)
	before := w.chargeSnapshot()

	w.hub.AddUser(trustHubEmail, "changed-elsewhere")
	w.hub.ExpireTokens()
	logins := w.hub.Logins()
	plan, _ := w.bill(t, src)
	res := w.orders(t, src)

	if n := w.hub.Logins() - logins; n > 2 {
		t.Errorf("%d logins for 3 companies in two cycles, want at most 2", n)
	}
	if d := cmp.Diff(before, w.chargeSnapshot()); d != "" {
		t.Errorf("charges changed (-before +after):\n%s", d)
	}
	if len(plan.Skipped) != 3 {
		t.Errorf("skipped %+v, want the 3 agreements", plan.Skipped)
	}
	if len(res.Closed) != 0 || w.openOrders() != 1 {
		t.Errorf("orders closed %+v; %d open, want 1", res.Closed, w.openOrders())
	}
	logs := w.log.String()
	for _, id := range []string{"co-1", "co-2", "co-3"} {
		// The first read gets the Hub's refusal; the job reads no other tenant
		// after it and says why.
		if !hubLogLineHas(logs, "its billing is skipped", "tenant="+id, "hub: unauthorized") &&
			!hubLogLineHas(logs, "its billing is skipped", "tenant="+id, "not read: the console refused the credentials") {
			t.Errorf("no billing log line for %s with the refusal; logs:\n%s", id, logs)
		}
	}
	if !strings.Contains(logs, "logins are suspended") {
		t.Errorf("no call was failed as a suspended login; logs:\n%s", logs)
	}
}
