package kasperskytigerpaw

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/internal/httpx"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksc"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksctest"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// The scale world: a KSC fake (over TLS) with one virtual server per tenant and
// a Tigerpaw fake with one account and agreement per tenant, wired to a
// BillingJob and a ServiceOrderJob as the daemon wires them.

const (
	scaleUser     = "scale-api"
	scalePassword = "scale-pw"

	productAdvanced = "Kaspersky Endpoint Security for Business - Advanced"
	productSelect   = "Kaspersky Endpoint Security for Business Select"

	ctypeWorkstation = 0x401001
	ctypeServer      = 36871
	ctypeLinux       = 0x200002
	hostWarning      = 2
	// maskDatabases is the status mask bit of "databases are out of date".
	maskDatabases = 1 << 11
)

// scaleStart is the scale world's clock at its first cycle.
var scaleStart = time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)

// requestCounter counts the HTTP requests sent through it.
type requestCounter struct {
	base http.RoundTripper
	n    atomic.Int64
}

func (c *requestCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

// scaleWorld is the seeded fakes, the configuration and the job wiring.
type scaleWorld struct {
	ksc     *ksctest.Server
	tp      *tigerpawtest.Server
	cfg     mapping.Config
	rules   serviceorder.Rules
	tenants int
	devices int

	kscCount, tpCount *requestCounter

	// accounts[i] and agreements[i] are tenant i's; spare[i] is a second
	// agreement of the same account, for billing moves.
	accounts, agreements, spare []int

	// kscLimiter and tpLimiter, when set, pace the requests to each host (one
	// limiter per host, shared by the clients jobs builds).
	kscLimiter, tpLimiter *rate.Limiter

	mu  sync.Mutex
	now time.Time
}

// scaleTenantID and scaleVS name tenant i in KSC.
func scaleTenantID(i int) string { return fmt.Sprintf("vs-%04d", i) }
func scaleVS(i int) string       { return fmt.Sprintf("Tenant %04d", i) }
func scaleHost(i, d int) string  { return fmt.Sprintf("h-%04d-%03d", i, d) }

// newScaleWorld seeds tenants × devices: 70% Windows workstations, 20% Windows
// servers, 10% non-Windows; every tenant's devices on a commercial KESB
// Advanced key, every third tenant's non-Windows devices on a KESB Select
// subscription too; 2% of the devices with a status problem; one critical
// event per tenant (1,000 events for 1,000 tenants). Each tenant is a Tigerpaw
// account with two agreements, billed to the first at one of two price levels.
func newScaleWorld(tb testing.TB, tenants, devices int) *scaleWorld {
	tb.Helper()
	w := &scaleWorld{tenants: tenants, devices: devices, now: scaleStart}
	w.ksc = ksctest.NewServer()
	tb.Cleanup(w.ksc.Close)
	w.tp = tigerpawtest.NewServer(tb, tigerpawtest.WithClock(w.clock))
	// As the daemon's transports: an idle connection per concurrent request
	// (the default 2 makes the others handshake TLS again at every request).
	ktr := w.ksc.CertClientTransport().(*http.Transport).Clone()
	ktr.MaxIdleConnsPerHost = httpx.MaxIdleConnsPerHost
	w.kscCount = &requestCounter{base: ktr}
	ttr := w.tp.HTTPClient().Transport.(*http.Transport).Clone()
	ttr.MaxIdleConnsPerHost = httpx.MaxIdleConnsPerHost
	w.tpCount = &requestCounter{base: ttr}

	w.ksc.AddUser(ksctest.User{Name: scaleUser, Password: scalePassword, Internal: true})
	std := w.tp.AddPriceLevel(tigerpawtest.PriceLevel{Description: "Standard"}).ID
	disc := w.tp.AddPriceLevel(tigerpawtest.PriceLevel{Description: "Discount"}).ID
	for _, it := range []struct {
		id  string
		std int64
	}{{"ADV-WS", 450}, {"ADV-SRV", 1200}, {"ADV-NW", 300}, {"SEL-WS", 350}, {"SEL-SRV", 900}, {"SEL-NW", 200}} {
		w.tp.AddPriceBookItem(tigerpawtest.PriceBookItem{ItemID: it.id, Description: it.id, SellingPrices: map[int]int64{std: it.std, disc: it.std * 9 / 10}})
	}
	rep := w.tp.AddRep(tigerpawtest.Rep{Name: "Dana Tech"}).Number
	w.tp.AddStatus(tigerpawtest.Status{Name: "New"})
	w.tp.AddStatus(tigerpawtest.Status{Name: "Closed", Closed: true})
	board := w.tp.AddBoard(tigerpawtest.Board{Description: "Security"}).ID
	w.tp.AddPriority(tigerpawtest.Priority{Name: "High"})
	w.tp.AddServiceOrderType(tigerpawtest.ServiceOrderType{Name: "Antivirus"})

	w.cfg = mapping.Config{Name: "scale", Solution: mapping.SolutionKSC, PriceBook: mapping.PriceBook{BillByCategory: true, Apps: []mapping.AppItems{
		mapping.ItemsByCategory(kaspersky.AppKESBAdvanced, "ADV-WS", "ADV-SRV", "ADV-NW"),
		mapping.ItemsByCategory(kaspersky.AppKESBSelect, "SEL-WS", "SEL-SRV", "SEL-NW"),
	}}}
	for i := range tenants {
		vs := scaleVS(i)
		w.ksc.AddVirtualServer(ksctest.VirtualServer{ID: i + 1, UID: scaleTenantID(i), DisplayName: vs, ManagedGroupID: 10000 + i, Enabled: true})
		var adv, sel []ksctest.KeyHost
		for d := range devices {
			h := w.hostOf(i, d)
			w.ksc.AddHost(vs, h)
			adv = append(adv, ksctest.KeyHost{Hostname: h.Hostname, Current: true, Product: productAdvanced})
			if i%3 == 0 && h.CType == ctypeLinux {
				sel = append(sel, ksctest.KeyHost{Hostname: h.Hostname, Current: true, Product: productSelect})
			}
		}
		w.ksc.AddKey(vs, ksctest.Key{Serial: "ADV-" + scaleTenantID(i), ProductName: productAdvanced, AppID: 1103, KeyType: 1,
			LimitDate: scaleStart.AddDate(1, 0, 0), LicCount: devices, HostsAsCurrent: len(adv)})
		w.ksc.SetKeyHosts("ADV-"+scaleTenantID(i), adv)
		if len(sel) > 0 {
			w.ksc.AddKey(vs, ksctest.Key{Serial: "SEL-" + scaleTenantID(i), ProductName: productSelect, AppID: 1103, KeyType: 6,
				LimitDate: scaleStart.AddDate(1, 0, 0), LicCount: len(sel), IsSubscription: true, SubscriptionEnd: scaleStart.AddDate(1, 0, 0)})
			w.ksc.SetKeyHosts("SEL-"+scaleTenantID(i), sel)
		}
		w.ksc.AddEvent(vs, ksctest.Event{ID: int64(100000 + i), Type: "GNRL_EV_VIRUS_FOUND", TypeName: "Virus found",
			RiseTime: scaleStart.Add(-time.Duration(1+i%60) * time.Minute), Hostname: scaleHost(i, 0), HostDN: "WS-" + scaleHost(i, 0),
			Severity: 4, Description: "EICAR test file detected", ProductName: "KES"})

		acct := w.tp.AddAccount(tigerpawtest.Account{Name: "Customer " + vs, Type: "Customer"}).Number
		agr := w.tp.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct, BillingPeriod: 1, StartDate: scaleStart.AddDate(-1, 0, 0)}).Number
		spare := w.tp.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct, BillingPeriod: 1, StartDate: scaleStart.AddDate(-1, 0, 0)}).Number
		w.accounts, w.agreements, w.spare = append(w.accounts, acct), append(w.agreements, agr), append(w.spare, spare)
		level := std
		if i%2 == 1 {
			level = disc
		}
		w.cfg.Tenants = append(w.cfg.Tenants, mapping.Tenant{ID: scaleTenantID(i), Name: vs, Account: &mapping.AccountMapping{
			Number: acct, Billing: mapping.Billing{Enabled: true, Agreement: agr, PriceLevel: level},
		}})
	}

	w.rules = serviceorder.DefaultRules()
	w.rules.General = serviceorder.General{Rep: rep, NewStatus: "New", ClosedStatus: "Closed"}
	on := serviceorder.OrderSettings{Enabled: true, Board: board, Priority: "High", Type: "Antivirus"}
	for i := range w.rules.Statuses {
		if w.rules.Statuses[i].ID.Level == kaspersky.StatusWarning {
			w.rules.Statuses[i].OrderSettings = on
		}
	}
	for i := range w.rules.Events {
		if w.rules.Events[i].ID == (serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical}) {
			w.rules.Events[i].OrderSettings = on
		}
	}
	return w
}

// hostOf is device d of tenant i as first seeded: categories by d mod 10,
// every 50th device (2%) with out-of-date databases.
func (w *scaleWorld) hostOf(i, d int) ksctest.Host {
	h := ksctest.Host{Hostname: scaleHost(i, d), DisplayName: "WS-" + scaleHost(i, d), OSName: "Microsoft Windows 11 Pro", CType: ctypeWorkstation,
		LastVisible: scaleStart.Add(-time.Hour)}
	switch d % 10 {
	case 7, 8:
		h.OSName, h.CType = "Microsoft Windows Server 2022", ctypeServer
	case 9:
		h.OSName, h.CType = "Ubuntu 24.04", ctypeLinux
	}
	if d%50 == 25 {
		h.StatusID, h.StatusMask = hostWarning, maskDatabases
	}
	return h
}

func (w *scaleWorld) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *scaleWorld) advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now = w.now.Add(d)
}

// scaleJobs is one process's wiring of the two jobs over the world.
type scaleJobs struct {
	kscClient *ksc.Client
	source    *CycleSource
	billing   *BillingJob
	orders    *ServiceOrderJob
}

// jobs builds clients and jobs as a (re)started daemon would, over store, with
// concurrency tenants read at once.
func (w *scaleWorld) jobs(tb testing.TB, store serviceorder.Store, concurrency int) *scaleJobs {
	tb.Helper()
	kopts := []ksc.Option{
		ksc.WithHTTPClient(&http.Client{Transport: w.kscCount}),
		ksc.WithCredentials(ksc.Credentials{User: scaleUser, Password: scalePassword, Internal: true}),
		ksc.WithRetryPolicy(ksc.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}),
		ksc.WithClock(w.clock),
	}
	topts := []tigerpaw.Option{tigerpaw.WithHTTPClient(&http.Client{Transport: w.tpCount}), tigerpaw.WithClock(w.clock)}
	if w.kscLimiter != nil {
		kopts = append(kopts, ksc.WithLimiter(w.kscLimiter))
	}
	if w.tpLimiter != nil {
		// The client's own concurrency bound (tigerpaw.DefaultMaxConcurrency)
		// stays; only the pace changes.
		topts = append(topts, tigerpaw.WithLimiter(w.tpLimiter))
	}
	kc, err := ksc.NewClient(w.ksc.URL, kopts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = kc.Close(context.Background()) })
	if concurrency > 0 {
		// As the daemon with tigerpaw.concurrency: the client's requests
		// in flight and billing's agreements at once.
		topts = append(topts, tigerpaw.WithMaxConcurrency(concurrency))
	}
	tp := w.tp.Client(tb, topts...)
	src := NewCycleSource(ksc.NewSource(kc))
	desk, err := NewDesk(tp)
	if err != nil {
		tb.Fatal(err)
	}
	runner, err := serviceorder.NewRunner(desk, store, serviceorder.WithClock(w.clock))
	if err != nil {
		tb.Fatal(err)
	}
	return &scaleJobs{
		kscClient: kc,
		source:    src,
		billing: &BillingJob{Source: src, Tigerpaw: tp, Now: w.clock, Concurrency: concurrency, TigerpawConcurrency: concurrency,
			ApplyOptions: []billing.ApplyOption{billing.WithBackoff(time.Millisecond)}},
		orders: &ServiceOrderJob{Source: src, Runner: runner, Now: w.clock, Concurrency: concurrency},
	}
}

// cycle runs billing then service orders once, over one read of each
// inventory.
func (w *scaleWorld) cycle(ctx context.Context, j *scaleJobs) (billing.Result, serviceorder.Result, error) {
	j.source.Forget()
	_, bres, berr := j.billing.Run(ctx, w.cfg)
	sres, serr := j.orders.Run(ctx, w.cfg, w.rules)
	if berr != nil {
		return bres, sres, fmt.Errorf("billing: %w", berr)
	}
	if serr != nil {
		return bres, sres, fmt.Errorf("service orders: %w", serr)
	}
	return bres, sres, nil
}

// writes is how many writes Tigerpaw received so far.
func (w *scaleWorld) writes() int {
	return w.tp.Count("POST", "/api/agreements/{n}/additionalcharges") +
		w.tp.Count("PUT", "/api/agreements/{n}/additionalcharges/{d}") +
		w.tp.Count("DELETE", "/api/agreements/{n}/additionalcharges/{d}") +
		w.tp.Count("POST", "/api/serviceorders") +
		w.tp.Count("PUT", "/api/serviceorders/{n}")
}

// requests is how many HTTP requests both clients sent so far.
func (w *scaleWorld) requests() (kscN, tpN int64) { return w.kscCount.n.Load(), w.tpCount.n.Load() }
