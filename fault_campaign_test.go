package kasperskytigerpaw

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksctest"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

var (
	campaignLong = flag.Bool("campaign.long", false, "run the long fault campaign (60 cycles)")
	campaignSeed = flag.Uint64("campaign.seed", 1, "seed of the fault campaign's faults and crashes")
)

// faultKinds are the failures the campaign injects into requests.
var faultKinds = []string{"503", "429", "drop", "delay", "applied-then-dropped"}

// faultPlan injects faults into a share of the requests that go through a
// requestCounter, and cancels a cycle's context after a given number of
// requests (a crash).
type faultPlan struct {
	mu       sync.Mutex
	rng      *rand.Rand
	rate     float64
	injected map[string]int
	// crashAfter, when positive, is how many more requests are sent before
	// crash is called.
	crashAfter int
	crash      context.CancelFunc
}

func newFaultPlan(seed uint64, rate float64) *faultPlan {
	return &faultPlan{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), rate: rate, injected: map[string]int{}}
}

// decide returns the fault for the next request, "" for none.
func (p *faultPlan) decide() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.crashAfter > 0 {
		p.crashAfter--
		if p.crashAfter == 0 && p.crash != nil {
			p.crash()
		}
	}
	if p.rate <= 0 || p.rng.Float64() >= p.rate {
		return ""
	}
	k := faultKinds[p.rng.IntN(len(faultKinds))]
	p.injected[k]++
	return k
}

// armCrash makes the n-th request from now cancel ctx's cycle.
func (p *faultPlan) armCrash(n int, cancel context.CancelFunc) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.crashAfter, p.crash = n, cancel
}

func (p *faultPlan) disarm() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.crashAfter, p.crash, p.rate = 0, nil, 0
}

func (p *faultPlan) setRate(r float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rate = r
}

// roundTrip sends r through base with the fault decided for it.
func (p *faultPlan) roundTrip(base http.RoundTripper, r *http.Request) (*http.Response, error) {
	refuse := func(status int, header http.Header) (*http.Response, error) {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		if header == nil {
			header = http.Header{}
		}
		header.Set("Content-Type", "text/plain")
		return &http.Response{StatusCode: status, Status: http.StatusText(status), Header: header, Request: r,
			Body: io.NopCloser(strings.NewReader("injected " + http.StatusText(status))), ContentLength: -1, ProtoMajor: 1, ProtoMinor: 1}, nil
	}
	switch p.decide() {
	case "503":
		return refuse(http.StatusServiceUnavailable, nil)
	case "429":
		return refuse(http.StatusTooManyRequests, http.Header{"Retry-After": {"0"}})
	case "drop":
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, errors.New("injected: connection reset before the request was sent")
	case "delay":
		t := time.NewTimer(5 * time.Millisecond)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return nil, r.Context().Err()
		}
	case "applied-then-dropped":
		resp, err := base.RoundTrip(r)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
		return nil, errors.New("injected: connection dropped after the request was applied")
	}
	return base.RoundTrip(r)
}

// campaignStats counts what the faulted run went through.
type campaignStats struct {
	cycles, crashes, storeLosses, cycleErrors int
	noted, summaries                          int
	injected                                  map[string]int
}

// campaignState is Tigerpaw's final state as compared with the oracle's:
// charges per agreement (named by tenant and which of its agreements) and
// orders per reference key.
type campaignState struct {
	Charges map[string][]string
	Orders  map[string][]string
	// Notes are the notes of the orders, per reference key, oldest first.
	Notes map[string][]string
}

func (w *scaleWorld) campaignState() campaignState {
	snap := w.tp.Snapshot()
	name := map[int]string{}
	for i := range w.tenants {
		name[w.agreements[i]] = fmt.Sprintf("tenant %d main", i)
		name[w.spare[i]] = fmt.Sprintf("tenant %d spare", i)
	}
	acct := map[int]int{}
	for i, a := range w.accounts {
		acct[a] = i
	}
	st := campaignState{Charges: map[string][]string{}, Orders: map[string][]string{}, Notes: map[string][]string{}}
	for agr, list := range snap.Charges {
		for _, c := range list {
			st.Charges[name[agr]] = append(st.Charges[name[agr]], fmt.Sprintf("%s qty %d @ %d level %d %q", c.SpecialItemID, c.Quantity, c.Price, c.PriceLevel, c.ItemDescription))
		}
		sort.Strings(st.Charges[name[agr]])
	}
	for _, so := range snap.ServiceOrders {
		state := "open"
		if so.Status == "Closed" {
			state = "closed"
		}
		st.Orders[so.Reference] = append(st.Orders[so.Reference], fmt.Sprintf("tenant %d %s", acct[so.AccountNumber], state))
		for _, n := range so.Notes {
			st.Notes[so.Reference] = append(st.Notes[so.Reference], n.Topic+": "+n.Note)
		}
	}
	return st
}

// campaignRules are the scale world's rules with what the campaign adds:
// Error events of KSC grouped per device and event type, a flood limit of 5,
// and both KSC license rules (30 days ahead).
func campaignRules(t *testing.T, w *scaleWorld) {
	t.Helper()
	for i := range w.rules.Events {
		if w.rules.Events[i].ID == (serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityFunctionalFailure}) {
			crit, _ := w.rules.Event(serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical})
			w.rules.Events[i].OrderSettings = crit.OrderSettings
			w.rules.Events[i].Grouping = serviceorder.GroupDevice
		}
	}
	w.rules.FloodLimit = campaignFloodLimit
	enableLicenseRule(t, &w.rules, kaspersky.KindVirtualServer, serviceorder.LicenseExpiring, 30)
	enableLicenseRule(t, &w.rules, kaspersky.KindVirtualServer, serviceorder.LicenseOverused, 0)
}

// campaignFloodLimit is the campaign's flood limit.
const campaignFloodLimit = 5

// campaignStep applies the world changes of cycle k; the same k gives the same
// change in every run. Changes repeat every ten cycles on other tenants. The
// flood comes once, at floodAt; repeats come every round on the same device
// of tenant 0 (every fifth cycle), and no repeat nor other event of the
// flood's tenant comes in the cycles right after, so that a cycle retried
// after a crash sees the same events as the fault-free run did. (Repeats
// that only a run of crashes leaves to the next repeat's cycle are noted
// together, in one note: the world leaves four cycles between them.)
func (w *scaleWorld) campaignStep(k, floodAt int) {
	g := k / 10
	t := func(off int) int { return (g + off) % w.tenants }
	now := w.clock()
	switch k % 10 {
	case 1: // a device joins, on the tenant's KESB Advanced key
		i := t(0)
		h := ksctest.Host{Hostname: fmt.Sprintf("h-%04d-new-%d", i, g), DisplayName: fmt.Sprintf("NEW-%d-%d", i, g), OSName: "Microsoft Windows Server 2022", CType: ctypeServer}
		w.ksc.AddHost(scaleVS(i), h)
		w.ksc.AddKeyHost("ADV-"+scaleTenantID(i), ksctest.KeyHost{Hostname: h.Hostname, Current: true, Product: productAdvanced})
	case 2: // a device's databases go out of date
		h := w.hostOf(t(1), 1)
		h.StatusID, h.StatusMask = hostWarning, maskDatabases
		w.ksc.UpdateHost(scaleVS(t(1)), h)
	case 3: // a critical event
		i := t(2)
		w.ksc.AddEvent(scaleVS(i), ksctest.Event{ID: int64(200000 + k), Type: "GNRL_EV_VIRUS_FOUND", TypeName: "Virus found",
			RiseTime: now.Add(-time.Minute), Hostname: scaleHost(i, 2), HostDN: "WS-" + scaleHost(i, 2), Severity: 4,
			Description: fmt.Sprintf("campaign event %d", k), ProductName: "KES"})
	case 4: // a technician opens the tenant's orders in the Tigerpaw UI
		w.lockOrders(t(1), true)
	case 5: // the account's billing moves to its other agreement
		i := t(3)
		m := w.cfg.Tenants[i].Account
		if m.Billing.Agreement == w.agreements[i] {
			m.Billing.Agreement = w.spare[i]
		} else {
			m.Billing.Agreement = w.agreements[i]
		}
	case 6: // the databases are updated: the order's close waits for the lock
		w.ksc.UpdateHost(scaleVS(t(1)), w.hostOf(t(1), 1))
	case 7: // a KESB Select key that expires within the hour: a license order
		i := t(4)
		serial := fmt.Sprintf("EXP-%04d-%d", i, g)
		w.ksc.AddKey(scaleVS(i), ksctest.Key{Serial: serial, ProductName: productSelect, AppID: 1103, KeyType: 1, LimitDate: now.Add(45 * time.Minute), LicCount: 3})
		for d := range 3 {
			w.ksc.AddKeyHost(serial, ksctest.KeyHost{Hostname: scaleHost(i, d), Current: true, Product: productSelect})
		}
	case 9: // the technician closes the order's window
		w.lockOrders(t(1), false)
	}
	if k%10 == 1 && g%2 == 1 {
		// The key of an even round's step 7 is renewed four cycles later
		// (odd rounds' keys expire and stay in use).
		i := (g - 1 + 4) % w.tenants
		serial := fmt.Sprintf("EXP-%04d-%d", i, g-1)
		w.ksc.UpdateKey(scaleVS(i), ksctest.Key{Serial: serial, ProductName: productSelect, AppID: 1103, KeyType: 1, LimitDate: now.AddDate(1, 0, 0), LicCount: 3})
	}
	if k%10 == 2 || k%10 == 7 { // a failure repeating on one device (a grouped rule)
		for r := range 3 {
			w.ksc.AddEvent(scaleVS(0), ksctest.Event{ID: int64(300000 + k*10 + r), Type: "KLEVP_EV_SCAN_ERROR", TypeName: "Scan failed",
				RiseTime: now.Add(-time.Duration(3-r) * time.Minute), Hostname: scaleHost(0, 3), HostDN: "WS-" + scaleHost(0, 3), Severity: 3,
				Description: fmt.Sprintf("campaign repeat %d.%d", k, r), ProductName: "KES"})
		}
	}
	if k == floodAt { // an outbreak on one tenant: more critical events than the flood limit
		i := t(5)
		for e := range campaignFloodLimit + 4 {
			w.ksc.AddEvent(scaleVS(i), ksctest.Event{ID: int64(400000 + k*100 + e), Type: "GNRL_EV_VIRUS_FOUND", TypeName: "Virus found",
				RiseTime: now.Add(-time.Duration(10-e) * time.Minute), Hostname: scaleHost(i, e%campaignDevices), HostDN: "WS-" + scaleHost(i, e%campaignDevices),
				Severity: 4, Description: fmt.Sprintf("outbreak %d", e), ProductName: "KES"})
		}
	}
}

// lockOrders locks (or unlocks) the open orders of tenant i's account.
func (w *scaleWorld) lockOrders(i int, lock bool) {
	for _, so := range w.tp.Snapshot().ServiceOrders {
		if so.AccountNumber != w.accounts[i] {
			continue
		}
		if lock && so.Status != "Closed" {
			w.tp.LockServiceOrder(so.Number, tigerpawtest.Lock{RepName: "Dana Tech"})
		}
		if !lock {
			w.tp.UnlockServiceOrder(so.Number)
		}
	}
}

// unlockAll unlocks every order.
func (w *scaleWorld) unlockAll() {
	for _, so := range w.tp.Snapshot().ServiceOrders {
		w.tp.UnlockServiceOrder(so.Number)
	}
}

const (
	campaignTenants = 6
	campaignDevices = 12
)

// runCampaign runs cycles cycles of the campaign's world changes, then unlocks
// every order and runs one clean cycle. With faults, rate of the requests fail,
// about one cycle in four crashes at a random request and restarts over the
// same store, and once, half-way, the store is lost.
func runCampaign(t *testing.T, cycles int, faults bool, seed uint64) (campaignState, campaignStats) {
	t.Helper()
	w := newScaleWorld(t, campaignTenants, campaignDevices)
	campaignRules(t, w)
	plan := newFaultPlan(seed, 0)
	if faults {
		plan.setRate(0.10)
	}
	hook := func(c *requestCounter) {
		base := c.base
		c.base = roundTripFunc(func(r *http.Request) (*http.Response, error) { return plan.roundTrip(base, r) })
	}
	hook(w.kscCount)
	hook(w.tpCount)
	dir := t.TempDir()
	storePath := filepath.Join(dir, "orders.json")
	open := func() *scaleJobs {
		store, err := serviceorder.OpenFileStore(storePath)
		if err != nil {
			t.Fatal(err)
		}
		return w.jobs(t, store, 1)
	}
	// The store is lost once, while a status holds (cycle 3 of a ten-cycle
	// round: the status set at 2 clears at 6): the Runner finds the status's
	// order again by its reference. A status that clears while the store is
	// lost is the one loss the Runner documents (its order stays open for a
	// person), so the loss is not placed between a clear and its close, and
	// the two cycles after the loss (4 and 5, before the clear at 6) do not
	// crash: one of them must read the status for the new store to learn of
	// its order.
	lossAt := (cycles/20)*10 + 3
	// The flood comes after the loss: a Store lost after it would read its
	// events again with others of the tenant and split them otherwise.
	floodAt := lossAt + 5
	rng := rand.New(rand.NewPCG(seed, 7))
	stats := campaignStats{}
	j := open()
	for k := range cycles {
		w.advance(30 * time.Minute)
		w.campaignStep(k, floodAt)
		ctx, cancel := context.WithCancel(context.Background())
		crashed := faults && rng.IntN(4) == 0 && (k <= lossAt || k > lossAt+2)
		if crashed {
			plan.armCrash(1+rng.IntN(60), cancel)
		}
		bres, sres, err := w.cycle(ctx, j)
		cancel()
		t.Logf("faults %v cycle %d: crashed %v, charges +%d ~%d -%d failed %d, orders +%d recovered %d closed %d pending %d released %d noted %d summaries %d suppressed %d failed %d, err %v",
			faults, k, crashed, bres.Created, bres.Updated, bres.Deleted, len(bres.Failed), len(sres.Created), len(sres.Recovered), len(sres.Closed), len(sres.Pending), len(sres.Released),
			len(sres.Noted), len(sres.Summaries), sres.Suppressed, len(sres.Failed), err)
		stats.noted += len(sres.Noted)
		stats.summaries += len(sres.Summaries)
		stats.cycles++
		if err != nil {
			stats.cycleErrors++
			if !faults {
				t.Fatalf("oracle cycle %d: %v", k, err)
			}
		}
		if crashed {
			stats.crashes++
			plan.armCrash(0, nil)
		}
		if faults && k == lossAt {
			// A restart on an empty disk.
			storePath = filepath.Join(dir, fmt.Sprintf("orders-lost-%d.json", k))
			stats.storeLosses++
		}
		if crashed || (faults && k == lossAt) {
			j = open()
		}
	}
	plan.disarm()
	w.unlockAll()
	w.advance(30 * time.Minute)
	j = open()
	if _, _, err := w.cycle(context.Background(), j); err != nil {
		t.Fatalf("clean cycle: %v", err)
	}
	stats.cycles++
	plan.mu.Lock()
	stats.injected = plan.injected
	plan.mu.Unlock()
	return w.campaignState(), stats
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestFaultCampaign(t *testing.T) {
	t.Parallel()
	cycles := 12
	if *campaignLong {
		cycles = 60
	}
	oracle, _ := runCampaign(t, cycles, false, *campaignSeed)
	got, stats := runCampaign(t, cycles, true, *campaignSeed)
	total := 0
	for _, n := range stats.injected {
		total += n
	}
	t.Logf("cycles %d (campaign %d + 1 clean), crashes %d, store losses %d, cycles ending in error %d, faults injected %d %v",
		stats.cycles, cycles, stats.crashes, stats.storeLosses, stats.cycleErrors, total, stats.injected)
	if total == 0 || stats.crashes == 0 || stats.storeLosses == 0 {
		t.Errorf("the campaign injected %d faults, %d crashes, %d store losses: nothing tested", total, stats.crashes, stats.storeLosses)
	}
	for ref, list := range got.Orders {
		if len(list) > 1 {
			t.Errorf("duplicate orders for reference %q: %v", ref, list)
		}
	}
	for agr, list := range got.Charges {
		seen := map[string]bool{}
		for _, c := range list {
			if seen[c] {
				t.Errorf("duplicate charge on %s: %s", agr, c)
			}
			seen[c] = true
		}
	}
	if len(oracle.Orders) == 0 || len(oracle.Charges) == 0 {
		t.Fatalf("the oracle has %d orders and %d charged agreements", len(oracle.Orders), len(oracle.Charges))
	}
	// The world's new changes took effect: repeats noted, one summary for
	// the flood, license orders.
	notes, summaries, licenses := 0, 0, 0
	for ref, list := range oracle.Notes {
		notes += len(list)
		seen := map[string]bool{}
		for _, n := range list {
			if seen[n] {
				t.Errorf("note added twice to %s: %s", ref, n)
			}
			seen[n] = true
		}
	}
	for ref := range oracle.Orders {
		switch {
		case strings.HasPrefix(ref, "KTF-"):
			summaries++
		case strings.HasPrefix(ref, "KTL-"):
			licenses++
		}
	}
	orders := 0
	for _, list := range got.Orders {
		orders += len(list)
	}
	t.Logf("final Tigerpaw: %d orders (%d references), %d notes, %d summaries, %d license orders", orders, len(got.Orders), notes, summaries, licenses)
	if notes == 0 || summaries != 1 || licenses == 0 {
		t.Errorf("the oracle has %d notes, %d summaries, %d license orders: the new world changes did not take effect", notes, summaries, licenses)
	}
	if diff := cmp.Diff(oracle, got); diff != "" {
		t.Errorf("final Tigerpaw state differs from the fault-free run (-oracle +faulted):\n%s", diff)
	}
}
