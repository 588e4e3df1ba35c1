package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksctest"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/service/demo"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

var (
	crashSeed = flag.Uint64("crash.seed", 1, "seed of the process crash test's kill points")
	crashLong = flag.Bool("crash.long", false, "run the long process crash test (more phases, 20 kills a phase)")
)

// The process crash test's world: crashTenants KSC virtual servers of
// crashDevices devices each, and a Tigerpaw account with two agreements per
// tenant. Two copies are seeded the same way: the oracle's, whose daemon runs
// undisturbed, and the killed run's.
const (
	crashTenants = 4
	crashDevices = 20

	crashAdvanced = "Kaspersky Endpoint Security for Business Advanced"
	crashSelect   = "Kaspersky Endpoint Security for Business Select"
	crashLinux    = 0x200000
	crashServer   = 36871
)

// holdProxy stands between the daemon and the fake Tigerpaw. Armed, it holds
// the next write: before sending it on (the write is never applied) or after
// (applied, its answer never sent), until the daemon goes away. It reads each
// request's body before holding it, so that the server notices the killed
// daemon's closed connection.
type holdProxy struct {
	srv    *httptest.Server
	target string
	client *http.Client

	mu    sync.Mutex
	armed int // killWriteHeld, killWriteApplied, or 0
	held  chan struct{}
}

func newHoldProxy(t *testing.T, target string) *holdProxy {
	p := &holdProxy{target: target, client: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// arm makes the proxy hold the next write as mode says; the returned channel
// is closed once a write is held.
func (p *holdProxy) arm(mode int) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.armed, p.held = mode, make(chan struct{})
	return p.held
}

func (p *holdProxy) disarm() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.armed = 0
}

// isWrite is whether a request changes something in Tigerpaw (as fakeWrites
// counts them).
func isWrite(r *http.Request) bool {
	switch r.Method {
	case http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	case http.MethodPost:
		return !strings.HasSuffix(r.URL.Path, "/search") && !strings.HasSuffix(r.URL.Path, "/search/reference")
	}
	return false
}

func (p *holdProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "reading the body", http.StatusBadRequest)
		return
	}
	mode := 0
	var held chan struct{}
	if isWrite(r) {
		p.mu.Lock()
		mode, held, p.armed = p.armed, p.held, 0
		p.mu.Unlock()
	}
	hold := func() {
		close(held)
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	}
	if mode == killWriteHeld {
		hold()
		return
	}
	out, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), r.Method, p.target+r.RequestURI, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	resp, err := p.client.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if mode == killWriteApplied {
		hold()
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
}

// crashWorld is one copy of the world with its daemon's files.
type crashWorld struct {
	tp     *tigerpawtest.Server
	proxy  *holdProxy
	ksc    *ksctest.Server
	bin    string
	config string
	env    []string
	// mappingDir is the daemon's mapping store, opened by the test only
	// between the daemon's runs (the store is locked while one runs).
	mappingDir string
	accounts   []int
	agreement  []int
	spare      []int
	// keyHosts mirrors the fake's hosts of each key, for removals.
	keyHosts map[string][]ksctest.KeyHost
}

func crashVS(i int) string          { return fmt.Sprintf("Tenant %d", i) }
func crashHostname(i, d int) string { return fmt.Sprintf("t%d-h%02d", i, d) }
func crashAdvSerial(i int) string   { return fmt.Sprintf("ADV-%d", i) }

// crashHostAt is device d of tenant i as seeded: 70% Windows workstations, 20%
// servers, 10% non-Windows.
func crashHostAt(i, d int, seen time.Time) ksctest.Host {
	h := ksctest.Host{Hostname: crashHostname(i, d), DisplayName: fmt.Sprintf("T%d-DEV-%02d", i, d), OSName: "Windows 11 Pro",
		CType: demo.WindowsWorkstation, LastVisible: seen}
	switch d % 10 {
	case 7, 8:
		h.OSName, h.CType = "Windows Server 2022", crashServer
	case 9:
		h.OSName, h.CType = "Ubuntu 24.04", crashLinux
	}
	return h
}

// newCrashWorld seeds a copy of the world; start is the clock both copies
// share for their seeded times.
func newCrashWorld(t *testing.T, bin string, start time.Time) *crashWorld {
	t.Helper()
	w := &crashWorld{tp: tigerpawtest.New(), ksc: ksctest.NewServer(), bin: bin, keyHosts: map[string][]ksctest.KeyHost{}}
	t.Cleanup(w.tp.Close)
	t.Cleanup(w.ksc.Close)
	w.proxy = newHoldProxy(t, w.tp.URL)
	w.ksc.AddUser(ksctest.User{Name: demo.User, Password: demo.Password, Internal: true})
	std := w.tp.AddPriceLevel(tigerpawtest.PriceLevel{Description: "Standard"}).ID
	for _, it := range []struct {
		id    string
		price int64
	}{{"ADV-WS", 450}, {"ADV-SRV", 1200}, {"ADV-NW", 300}, {"SEL-WS", 350}, {"SEL-SRV", 900}, {"SEL-NW", 200}} {
		w.tp.AddPriceBookItem(tigerpawtest.PriceBookItem{ItemID: it.id, Description: it.id, SellingPrices: map[int]int64{std: it.price}})
	}
	rep := w.tp.AddRep(tigerpawtest.Rep{Name: "Dana Helpdesk"}).Number
	w.tp.AddStatus(tigerpawtest.Status{Name: "New"})
	w.tp.AddStatus(tigerpawtest.Status{Name: "Closed", Closed: true})
	board := w.tp.AddBoard(tigerpawtest.Board{Description: "Security"}).ID
	w.tp.AddPriority(tigerpawtest.Priority{Name: "High", Rank: 1})
	w.tp.AddServiceOrderType(tigerpawtest.ServiceOrderType{Name: "Security alert"})

	cfg := mapping.Config{Name: "main", Solution: mapping.SolutionKSC, PriceBook: mapping.PriceBook{BillByCategory: true, Apps: []mapping.AppItems{
		mapping.ItemsByCategory(kaspersky.AppKESBAdvanced, "ADV-WS", "ADV-SRV", "ADV-NW"),
		mapping.ItemsByCategory(kaspersky.AppKESBSelect, "SEL-WS", "SEL-SRV", "SEL-NW"),
	}}}
	for i := range crashTenants {
		vs := crashVS(i)
		w.ksc.AddVirtualServer(ksctest.VirtualServer{ID: i + 1, UID: fmt.Sprintf("vs-%d", i), DisplayName: vs, ManagedGroupID: 100 + i, Enabled: true})
		w.ksc.AddKey(vs, ksctest.Key{Serial: crashAdvSerial(i), ProductName: crashAdvanced, KeyType: 1, LimitDate: start.AddDate(1, 0, 0), LicCount: 100})
		for d := range crashDevices {
			h := crashHostAt(i, d, start.Add(-time.Hour))
			if d == 4 && i%2 == 0 {
				h.StatusID, h.StatusMask = 2, 1<<7 // Warning: databases out of date
			}
			w.ksc.AddHost(vs, h)
			w.addKeyHost(crashAdvSerial(i), h.Hostname, crashAdvanced)
		}
		w.ksc.AddEvent(vs, ksctest.Event{ID: int64(1000 + i), Type: "GNRL_EV_VIRUS_FOUND", TypeName: "Malicious object detected",
			RiseTime: start.Add(-10 * time.Minute), Hostname: crashHostname(i, 0), HostDN: crashHostname(i, 0), Severity: 4,
			Description: fmt.Sprintf("EICAR on tenant %d", i), ProductName: "Kaspersky Endpoint Security for Windows"})
		acct := w.tp.AddAccount(tigerpawtest.Account{Name: "Customer " + vs, Type: "Customer"}).Number
		agr := w.tp.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct, BillingPeriod: 1, StartDate: start.AddDate(-1, 0, 0)}).Number
		spare := w.tp.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct, BillingPeriod: 1, StartDate: start.AddDate(-1, 0, 0)}).Number
		w.accounts, w.agreement, w.spare = append(w.accounts, acct), append(w.agreement, agr), append(w.spare, spare)
		cfg.Tenants = append(cfg.Tenants, mapping.Tenant{ID: fmt.Sprintf("vs-%d", i), Name: vs, Account: &mapping.AccountMapping{
			Number: acct, Billing: mapping.Billing{Enabled: true, Agreement: agr, PriceLevel: std}}})
	}

	dir := t.TempDir()
	write := func(p string, data []byte) {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ca := filepath.Join(dir, "ksc-ca.pem")
	write(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: w.ksc.Certificate().Raw}))
	keyFile := filepath.Join(dir, "tigerpaw-private.key")
	write(keyFile, []byte(w.tp.PrivateKey+"\n"))
	w.env = append(os.Environ(), "CRASH_TP_PUBLIC="+w.tp.PublicKey, "CRASH_KSC_PASSWORD="+demo.Password)
	w.mappingDir = filepath.Join(dir, "mapping")
	w.editMapping(t, func(store *mapping.FileStore) {
		if _, err := store.Save(t.Context(), cfg); err != nil {
			t.Fatal(err)
		}
	})
	rules := serviceorder.DefaultRules()
	rules.General = serviceorder.General{Rep: rep, NewStatus: "New", ClosedStatus: "Closed"}
	on := serviceorder.OrderSettings{Enabled: true, Board: board, Priority: "High", Type: "Security alert"}
	for i := range rules.Statuses {
		if rules.Statuses[i].ID.Level == kaspersky.StatusWarning {
			rules.Statuses[i].OrderSettings = on
		}
	}
	for i := range rules.Events {
		if rules.Events[i].ID == (serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical}) {
			rules.Events[i].OrderSettings = on
		}
	}
	data, err := json.Marshal(rules)
	if err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(dir, "rules.json"), data)
	w.config = writeConfig(t, dir, map[string]any{
		"tigerpaw": map[string]any{"url": w.proxy.srv.URL, "publicKey": "env:CRASH_TP_PUBLIC", "privateKey": "file:" + keyFile,
			"requestsPerSecond": 1000},
		"ksc":         map[string]any{"url": w.ksc.URL, "user": demo.User, "internal": true, "password": "env:CRASH_KSC_PASSWORD", "caFile": ca},
		"integration": "main", "mappingDir": filepath.Join(dir, "mapping"), "rulesFile": filepath.Join(dir, "rules.json"),
		"stateFile": filepath.Join(dir, "orders.json"), "billingEvery": "1h", "serviceOrdersEvery": "1h", "concurrency": 2,
	})
	return w
}

// change applies the world changes of phase p (p ≥ 1); both copies get the
// same changes, with the same times. Over four phases they add and remove
// devices, set and clear statuses, raise events, add a key and move billing to
// the other agreement and back; later phases repeat them on other tenants.
func (w *crashWorld) change(t *testing.T, p int, now time.Time) {
	t.Helper()
	g := (p - 1) / 4
	ten := func(off int) int { return (g + off) % crashTenants }
	switch (p-1)%4 + 1 {
	case 1:
		i := ten(0) // three devices join
		for d := range 3 {
			h := crashHostAt(i, 100+10*g+d, now)
			w.ksc.AddHost(crashVS(i), h)
			w.addKeyHost(crashAdvSerial(i), h.Hostname, crashAdvanced)
		}
		h := crashHostAt(ten(1), 5, now) // a status appears
		h.StatusID, h.StatusMask = 2, 1<<7
		w.ksc.UpdateHost(crashVS(ten(1)), h)
		w.event(ten(2), p, now)
		j := ten(3) // a KESB Select key on the non-Windows devices
		serial := fmt.Sprintf("SEL-%d-%d", j, g)
		w.ksc.AddKey(crashVS(j), ksctest.Key{Serial: serial, ProductName: crashSelect, KeyType: 1, LimitDate: now.AddDate(1, 0, 0), LicCount: 10})
		for d := 9; d < crashDevices; d += 10 {
			w.addKeyHost(serial, crashHostname(j, d), crashSelect)
		}
	case 2:
		w.ksc.UpdateHost(crashVS(ten(1)), crashHostAt(ten(1), 5, now)) // the status clears
		w.moveBilling(t, ten(0))
		i := ten(2) // two servers leave
		for _, d := range []int{7, 8} {
			w.ksc.RemoveHost(crashVS(i), crashHostname(i, d))
			w.removeKeyHost(crashAdvSerial(i), crashHostname(i, d))
		}
	case 3:
		for _, d := range []int{1, 2} { // two statuses appear
			h := crashHostAt(ten(3), d, now)
			h.StatusID, h.StatusMask = 2, 1<<3
			w.ksc.UpdateHost(crashVS(ten(3)), h)
		}
		w.event(ten(1), p, now)
		w.moveBilling(t, ten(1))
	case 4:
		w.ksc.UpdateHost(crashVS(ten(3)), crashHostAt(ten(3), 1, now)) // one of them clears
		w.ksc.UpdateHost(crashVS(ten(0)), crashHostAt(ten(0), 4, now)) // a seeded status clears
		w.event(ten(3), p, now)
	}
}

// addKeyHost records that host uses the key serial of product.
func (w *crashWorld) addKeyHost(serial, host, product string) {
	w.keyHosts[serial] = append(w.keyHosts[serial], ksctest.KeyHost{Hostname: host, Current: true, Product: product})
	w.ksc.SetKeyHosts(serial, w.keyHosts[serial])
}

// removeKeyHost records that host no longer uses the key serial.
func (w *crashWorld) removeKeyHost(serial, host string) {
	w.keyHosts[serial] = slices.DeleteFunc(w.keyHosts[serial], func(kh ksctest.KeyHost) bool { return kh.Hostname == host })
	w.ksc.SetKeyHosts(serial, w.keyHosts[serial])
}

// event raises a critical event on tenant i.
func (w *crashWorld) event(i, p int, now time.Time) {
	w.ksc.AddEvent(crashVS(i), ksctest.Event{ID: int64(2000 + 10*p + i), Type: "GNRL_EV_VIRUS_FOUND", TypeName: "Malicious object detected",
		RiseTime: now.Add(-time.Minute), Hostname: crashHostname(i, 3), HostDN: crashHostname(i, 3), Severity: 4,
		Description: fmt.Sprintf("phase %d detection", p), ProductName: "Kaspersky Endpoint Security for Windows"})
}

// moveBilling moves tenant i's billing to its other agreement, in the mapping
// store the daemon reads at every cycle.
func (w *crashWorld) moveBilling(t *testing.T, i int) {
	t.Helper()
	w.editMapping(t, func(store *mapping.FileStore) {
		cfg, err := store.Load(t.Context(), "main")
		if err != nil {
			t.Fatal(err)
		}
		b := &cfg.Tenants[i].Account.Billing
		if b.Agreement == w.agreement[i] {
			b.Agreement = w.spare[i]
		} else {
			b.Agreement = w.agreement[i]
		}
		if _, err := store.Save(t.Context(), cfg); err != nil {
			t.Fatal(err)
		}
	})
}

// editMapping opens the daemon's mapping store for edit, then closes it so
// that the next daemon can take its lock.
func (w *crashWorld) editMapping(t *testing.T, edit func(*mapping.FileStore)) {
	t.Helper()
	store, err := mapping.NewFileStore(w.mappingDir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	edit(store)
}

// writes is how many writes the fake Tigerpaw received.
func (w *crashWorld) writes() int { return demo.FakeWrites(w.tp) }

// start starts the daemon with -once.
func (w *crashWorld) start(t *testing.T) (*exec.Cmd, *syncBuffer, chan error) {
	t.Helper()
	cmd := exec.Command(w.bin, "-config", w.config, "-once")
	cmd.Env = w.env
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		done <- nil
	})
	return cmd, out, done
}

// runClean runs the daemon with -once to its end and wants exit code 0; it
// returns how long the run took.
func (w *crashWorld) runClean(t *testing.T, what string) time.Duration {
	t.Helper()
	began := time.Now()
	_, out, done := w.start(t)
	err := <-done
	done <- err
	if err != nil {
		t.Fatalf("%s: daemon -once: %v\n%s", what, err, out.String())
	}
	return time.Since(began)
}

// crashState is Tigerpaw's state as compared with the oracle's: charges per
// agreement (named by tenant and which of its agreements) and orders per
// reference key, open or closed.
type crashState struct {
	Charges map[string][]string
	Orders  map[string][]string
}

func (w *crashWorld) state() crashState {
	snap := w.tp.Snapshot()
	name, tenant := map[int]string{}, map[int]int{}
	for i := range crashTenants {
		name[w.agreement[i]] = fmt.Sprintf("tenant %d main", i)
		name[w.spare[i]] = fmt.Sprintf("tenant %d spare", i)
		tenant[w.accounts[i]] = i
	}
	st := crashState{Charges: map[string][]string{}, Orders: map[string][]string{}}
	for agr, list := range snap.Charges {
		for _, c := range list {
			st.Charges[name[agr]] = append(st.Charges[name[agr]], fmt.Sprintf("%s qty %d @ %d level %d %q",
				c.SpecialItemID, c.Quantity, c.Price, c.PriceLevel, c.ItemDescription))
		}
		sort.Strings(st.Charges[name[agr]])
	}
	for _, so := range snap.ServiceOrders {
		state := "open"
		if so.Status == "Closed" {
			state = "closed"
		}
		st.Orders[so.Reference] = append(st.Orders[so.Reference], fmt.Sprintf("tenant %d %s %q", tenant[so.AccountNumber], state, so.BriefDescription))
	}
	return st
}

// Kill modes: at a random moment of the run; as soon as the fake counted a
// write of the run; while a write waits in the fake before it is applied; and
// after a write was applied, before its answer reaches the daemon.
const (
	killAtRandom = iota
	killAfterWrite
	killWriteHeld
	killWriteApplied
	killModes
)

var killModeNames = [killModes]string{"random moment", "after a write", "write held before applying", "write applied, answer held"}

// crashStats counts what the killed run went through.
type crashStats struct {
	kills, completedBeforeKill int
	// midWrite counts the kills after a write of the run (afterWrite) or with a
	// write in flight (inFlight).
	midWrite, afterWrite, inFlight int
	byMode                         [killModes]int
}

// killOnce starts the daemon and kills it with SIGKILL as mode says. It
// reports whether the kill landed (the run had not ended first).
func (w *crashWorld) killOnce(t *testing.T, rng *rand.Rand, mode int, runTime time.Duration, st *crashStats) bool {
	t.Helper()
	var held <-chan struct{}
	if mode == killWriteHeld || mode == killWriteApplied {
		held = w.proxy.arm(mode)
		defer w.proxy.disarm()
	}
	before := w.writes()
	cmd, out, done := w.start(t)
	var trigger <-chan time.Time
	switch mode {
	case killAtRandom:
		trigger = time.After(time.Duration(rng.Int64N(int64(runTime) + 1)))
	case killAfterWrite:
		tick := time.NewTicker(200 * time.Microsecond)
		defer tick.Stop()
		fired := make(chan time.Time, 1)
		stop := make(chan struct{})
		defer close(stop)
		extra := time.Duration(rng.Int64N(int64(5 * time.Millisecond)))
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if w.writes() > before {
						time.Sleep(extra)
						fired <- time.Now()
						return
					}
				}
			}
		}()
		trigger = fired
	}
	select {
	case err := <-done:
		done <- err
		if err != nil {
			t.Fatalf("the daemon failed before its kill (%s): %v\n%s", killModeNames[mode], err, out.String())
		}
		st.completedBeforeKill++
		return false
	case <-trigger:
	case <-held: // nil unless a write is to be held
	}
	atKill := w.writes()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatal(err)
	}
	err := <-done
	done <- err
	if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		// It ended on its own just before the signal.
		if err != nil {
			t.Fatalf("the daemon failed before its kill (%s): %v\n%s", killModeNames[mode], err, out.String())
		}
		st.completedBeforeKill++
		return false
	}
	st.kills++
	st.byMode[mode]++
	inFlight := mode == killWriteHeld || mode == killWriteApplied
	if atKill > before {
		st.afterWrite++
	}
	if inFlight {
		st.inFlight++
	}
	if inFlight || atKill > before {
		st.midWrite++
	}
	return true
}

// TestDaemonSurvivesSIGKILL runs the built daemon with -config and -once over
// the fakes, killing it with SIGKILL at random moments (some while a write is
// in flight, held by the fake before or after applying it) and restarting it
// over the same state files; after each phase's kills a run ends cleanly, and
// the world changes between phases. The other copy of the world runs the same
// phases without kills: Tigerpaw's final charges per agreement and orders per
// key must be the oracle's, without a duplicate.
func TestDaemonSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	phases, killsPerPhase := 5, 5
	if *crashLong {
		phases, killsPerPhase = 9, 20
	}
	seed := *crashSeed
	t.Logf("seed %d (-crash.seed)", seed)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	bin := daemonBinary(t)
	start := time.Now().UTC().Truncate(time.Second)
	oracle, killed := newCrashWorld(t, bin, start), newCrashWorld(t, bin, start)
	var st crashStats
	cycles := 0
	for p := range phases {
		if p > 0 {
			now := time.Now().UTC().Truncate(time.Second)
			oracle.change(t, p, now)
			killed.change(t, p, now)
		}
		runTime := oracle.runClean(t, fmt.Sprintf("oracle, phase %d", p))
		// window is the range of the random kill moments: the undisturbed
		// run's duration, halved whenever a run ends before its kill (a busy
		// machine's runs vary), so that the phase's kills land.
		kills, completed, window := 0, false, runTime
		for attempt := 0; kills < killsPerPhase && attempt < 10*killsPerPhase; attempt++ {
			mode := rng.IntN(killModes)
			if p == 0 && attempt < 3 {
				// The first phase writes every charge and order: its first
				// kills are sure to find a write.
				mode = []int{killWriteHeld, killWriteApplied, killAfterWrite}[attempt]
			}
			if completed {
				// The phase's writes are done: the kills that wait for a write
				// would never land.
				mode = killAtRandom
			}
			if killed.killOnce(t, rng, mode, window, &st) {
				kills++
			} else {
				completed = true
				window /= 2
				cycles++
			}
		}
		killed.runClean(t, fmt.Sprintf("killed run, phase %d", p))
		cycles++
		t.Logf("phase %d: %d kills; the oracle's run took %v", p, kills, runTime.Round(time.Millisecond))
	}
	t.Logf("kills %d (%s %d, %s %d, %s %d, %s %d), mid-write kills %d (after a write of the run %d, with a write in flight %d), "+
		"runs ended before their kill %d, daemon runs to completion %d (each one billing and one service order cycle), world changes in %d phases",
		st.kills, killModeNames[0], st.byMode[0], killModeNames[1], st.byMode[1], killModeNames[2], st.byMode[2],
		killModeNames[3], st.byMode[3], st.midWrite, st.afterWrite, st.inFlight, st.completedBeforeKill, cycles, phases-1)
	if st.kills < 20 || st.afterWrite == 0 || st.inFlight == 0 {
		t.Errorf("%d kills, %d after a write, %d with a write in flight: want at least 20, 1 and 1", st.kills, st.afterWrite, st.inFlight)
	}

	want, got := oracle.state(), killed.state()
	for ref, list := range got.Orders {
		if len(list) > 1 {
			t.Errorf("duplicate orders for reference %q: %v", ref, list)
		}
	}
	for agr, list := range got.Charges {
		for i := 1; i < len(list); i++ {
			if list[i] == list[i-1] {
				t.Errorf("duplicate charge on %s: %s", agr, list[i])
			}
		}
	}
	if len(want.Orders) == 0 || len(want.Charges) == 0 {
		t.Fatalf("the oracle has %d orders and %d charged agreements", len(want.Orders), len(want.Charges))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Tigerpaw's final state differs from the oracle's (-oracle +killed):\n%s", diff)
	}
	t.Logf("final state: %d charged agreements, %d orders", len(got.Charges), len(got.Orders))
}
