package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksctest"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/service/demo"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// e2eWorld is the fakes and the files of an end-to-end run of the binary.
type e2eWorld struct {
	tp      *demo.Tigerpaw
	ksc     *ksctest.Server
	bin     string
	config  string
	env     []string
	secrets []string
}

func newE2EWorld(t *testing.T) *e2eWorld {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	w := &e2eWorld{tp: demo.NewTigerpaw(now), ksc: demo.NewKSC(now), bin: daemonBinary(t)}
	t.Cleanup(w.tp.Srv.Close)
	t.Cleanup(w.ksc.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ksc-ca.pem")
	write := func(p string, data []byte) {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: w.ksc.Certificate().Raw}))
	keyFile := filepath.Join(dir, "tigerpaw-private.key")
	write(keyFile, []byte(w.tp.Srv.PrivateKey+"\n"))
	w.env = append(os.Environ(), "E2E_TP_PUBLIC="+w.tp.Srv.PublicKey, "E2E_KSC_PASSWORD="+demo.Password)
	w.secrets = []string{w.tp.Srv.PublicKey, w.tp.Srv.PrivateKey, demo.Password}

	store, err := mapping.NewFileStore(filepath.Join(dir, "mapping"))
	if err != nil {
		t.Fatal(err)
	}
	billed := func(account, agreement int) *mapping.AccountMapping {
		return &mapping.AccountMapping{Number: account, Billing: mapping.Billing{Enabled: true, Agreement: agreement, PriceLevel: w.tp.Level}}
	}
	if _, err := store.Save(t.Context(), mapping.Config{Name: "main", Solution: mapping.SolutionKSC, ExternalProductID: w.tp.Product,
		Tenants: []mapping.Tenant{
			{ID: "vs-contoso", Name: "Contoso", Account: billed(w.tp.Contoso, w.tp.Agreement[0])},
			{ID: "vs-fabrikam", Name: "Fabrikam", Account: billed(w.tp.Fabrikam, w.tp.Agreement[1])},
		},
		PriceBook: mapping.PriceBook{BillByCategory: true, Apps: []mapping.AppItems{
			mapping.ItemsByCategory(kaspersky.AppKESBAdvanced, "KESB-ADV-WS", "KESB-ADV-SRV", "KESB-ADV-NW"),
			mapping.ItemsByCategory(kaspersky.AppKESBSelect, "KESB-SEL-WS", "KESB-SEL-SRV", "KESB-SEL-NW"),
		}},
	}); err != nil {
		t.Fatal(err)
	}
	// The daemons the test starts take the store's lock.
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	rules, err := json.Marshal(w.tp.Rules())
	if err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(dir, "rules.json"), rules)
	w.config = writeConfig(t, dir, map[string]any{
		"tigerpaw":    map[string]any{"url": w.tp.Srv.URL, "publicKey": "env:E2E_TP_PUBLIC", "privateKey": "file:" + keyFile},
		"ksc":         map[string]any{"url": w.ksc.URL, "user": demo.User, "internal": true, "password": "env:E2E_KSC_PASSWORD", "caFile": ca},
		"integration": "main", "mappingDir": filepath.Join(dir, "mapping"), "rulesFile": filepath.Join(dir, "rules.json"),
		"stateFile": filepath.Join(dir, "orders.json"), "billingEvery": "1h", "serviceOrdersEvery": "1h",
	})
	return w
}

// syncBuffer is a bytes.Buffer safe for a process's output and a test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// start starts the daemon with args.
func (w *e2eWorld) start(t *testing.T, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(w.bin, append([]string{"-config", w.config}, args...)...)
	cmd.Env = w.env
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, out
}

// runOnce runs the daemon with -once and args and wants exit code 0.
func (w *e2eWorld) runOnce(t *testing.T, args ...string) string {
	t.Helper()
	cmd, out := w.start(t, append([]string{"-once"}, args...)...)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("daemon -once: %v\n%s", err, out.String())
	}
	return out.String()
}

type chargeLine struct {
	Item  string
	Qty   int
	Price int64
}

func (w *e2eWorld) charges(agreement int) []chargeLine {
	var got []chargeLine
	for _, c := range w.tp.Srv.Charges(agreement) {
		got = append(got, chargeLine{c.SpecialItemID, int(c.Quantity), c.Price})
	}
	slices.SortFunc(got, func(a, b chargeLine) int { return strings.Compare(a.Item, b.Item) })
	return got
}

func (w *e2eWorld) orderTitles() []string {
	var got []string
	for _, so := range w.tp.Srv.Snapshot().ServiceOrders {
		got = append(got, fmt.Sprintf("[%s] %s", so.Status, so.BriefDescription))
	}
	slices.Sort(got)
	return got
}

// metricSum sums the samples of the metric name whose labels contain every
// one of labels.
func metricSum(t *testing.T, body, name string, labels ...string) float64 {
	t.Helper()
	sum := 0.0
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		sum += v
	}
	return sum
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var listeningAddr = regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)

// TestBinaryEndToEnd runs the built daemon against ksctest over TLS (CA file)
// and tigerpawtest (which checks every request's signature): -once writes the
// expected state, a second run writes nothing, the -listen endpoints report
// what the fake counted, and a SIGTERM during a write lets it finish, so that
// a restart makes no duplicate.
func TestBinaryEndToEnd(t *testing.T) {
	t.Parallel()
	w := newE2EWorld(t)
	srv := w.tp.Srv

	// 1. -once at debug level: the expected charges and orders; no secret in
	// the output.
	out := w.runOnce(t, "-v", "-log-format", "json")
	if !strings.Contains(out, `"level":"DEBUG"`) {
		t.Errorf("no debug line in the output:\n%s", out)
	}
	for _, s := range w.secrets {
		if strings.Contains(out, s) {
			t.Errorf("the output holds the secret %q", s)
		}
	}
	wantContoso := []chargeLine{{"KESB-ADV-NW", 2, 300}, {"KESB-ADV-SRV", 10, 1100}, {"KESB-ADV-WS", 90, 420}}
	wantFabrikam := []chargeLine{{"KESB-SEL-WS", 20, 275}}
	if got := w.charges(w.tp.Agreement[0]); !slices.Equal(got, wantContoso) {
		t.Errorf("Contoso's charges = %v, want %v", got, wantContoso)
	}
	if got := w.charges(w.tp.Agreement[1]); !slices.Equal(got, wantFabrikam) {
		t.Errorf("Fabrikam's charges = %v, want %v", got, wantFabrikam)
	}
	wantOrders := []string{
		"[New] Kaspersky: Critical: Malicious object detected on c-007",
		"[New] Kaspersky: Databases are out of date on FAB-WS-03",
		"[New] Kaspersky: Many viruses detected on FAB-WS-03",
	}
	if got := w.orderTitles(); !slices.Equal(got, wantOrders) {
		t.Errorf("orders = %q, want %q", got, wantOrders)
	}
	if demo.FakeWrites(srv) != 4+3 {
		t.Errorf("the first run made %d writes, want 7 (4 charges, 3 orders)", demo.FakeWrites(srv))
	}

	// 2. A second -once writes nothing.
	srv.ResetCounts()
	w.runOnce(t)
	if n := demo.FakeWrites(srv); n != 0 {
		t.Errorf("the second run made %d writes", n)
	}
	if srv.Count("*", "*") == 0 {
		t.Error("the second run sent no request at all")
	}

	// 3. The service with -listen: /status and /metrics say what the fake
	// counted.
	srv.ResetCounts()
	w.ksc.ResetRequests()
	cmd, out2 := w.start(t, "-listen", "127.0.0.1:0", "-log-format", "json")
	var base string
	waitFor(t, "the listening line", func() bool {
		m := listeningAddr.FindStringSubmatch(out2.String())
		if m != nil {
			base = "http://" + m[1]
		}
		return m != nil
	})
	if code, body := httpGet(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d %s", code, body)
	}
	var status struct {
		Jobs map[string]struct {
			Running bool       `json:"running"`
			NextRun *time.Time `json:"nextRun"`
			Cycles  []struct {
				Failed  bool `json:"failed"`
				Tenants []struct {
					Tenant                               string
					Created, Updated, Deleted, Unchanged int
					OrdersCreated, OrdersClosed          int
				} `json:"tenants"`
			} `json:"cycles"`
		} `json:"jobs"`
	}
	waitFor(t, "a cycle of each job in /status", func() bool {
		code, body := httpGet(t, base+"/status")
		if code != http.StatusOK {
			return false
		}
		if err := json.Unmarshal([]byte(body), &status); err != nil {
			t.Fatalf("/status is not JSON: %v\n%s", err, body)
		}
		b, o := status.Jobs["billing"], status.Jobs["service_orders"]
		return len(b.Cycles) == 1 && b.NextRun != nil && len(o.Cycles) == 1 && o.NextRun != nil
	})
	bc := status.Jobs["billing"].Cycles[0]
	if len(bc.Tenants) != 2 || bc.Tenants[0].Tenant != "vs-contoso" || bc.Tenants[0].Unchanged != 3 || bc.Tenants[1].Unchanged != 1 ||
		bc.Tenants[0].Created+bc.Tenants[1].Created != 0 || bc.Failed {
		t.Errorf("billing cycle in /status = %+v", bc)
	}
	if next := status.Jobs["billing"].NextRun; next.Before(time.Now().Add(50 * time.Minute)) {
		t.Errorf("billing's next run %v is not an hour away", next)
	}
	if code, body := httpGet(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz: %d %s", code, body)
	}
	_, metrics := httpGet(t, base+"/metrics")
	if got, want := metricSum(t, metrics, "kt_requests_total", `api="tigerpaw"`), float64(srv.Count("*", "*")); got != want {
		t.Errorf("kt_requests_total{api=tigerpaw} = %v, the fake counted %v", got, want)
	}
	for _, m := range []string{"GET", "POST", "PUT"} {
		if got, want := metricSum(t, metrics, "kt_requests_total", `api="tigerpaw"`, `method="`+m+`"`), float64(srv.Count(m, "*")); got != want {
			t.Errorf("kt_requests_total{api=tigerpaw,method=%s} = %v, the fake counted %v", m, got, want)
		}
	}
	if got, want := metricSum(t, metrics, "kt_writes_total", `api="tigerpaw"`), float64(demo.FakeWrites(srv)); got != want {
		t.Errorf("kt_writes_total = %v, the fake counted %v", got, want)
	}
	if got, want := metricSum(t, metrics, "kt_requests_total", `api="ksc"`), float64(w.ksc.TotalRequests()); got != want || got == 0 {
		t.Errorf("kt_requests_total{api=ksc} = %v, the fake KSC counted %v", got, want)
	}
	for _, job := range []string{"billing", "service_orders"} {
		if got := metricSum(t, metrics, "kt_cycles_total", `job="`+job+`"`, `outcome="ok"`); got != 1 {
			t.Errorf("kt_cycles_total{job=%s,outcome=ok} = %v, want 1", job, got)
		}
		if got := metricSum(t, metrics, "kt_cycle_duration_seconds_count", `job="`+job+`"`); got != 1 {
			t.Errorf("kt_cycle_duration_seconds_count{job=%s} = %v, want 1", job, got)
		}
	}
	if got := metricSum(t, metrics, "kt_charges_total", `action="unchanged"`); got != 4 {
		t.Errorf("kt_charges_total{action=unchanged} = %v, want 4", got)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v\n%s", err, out2.String())
	}

	// 4. SIGTERM while a charge is being created: the write finishes, the
	// daemon exits 0, and a restart creates no second charge.
	w.ksc.AddHost("Fabrikam", ksctest.Host{Hostname: "f-lnx", DisplayName: "FAB-LNX", OSName: "Ubuntu 24.04", CType: 0x200000,
		LastVisible: time.Now().Add(-time.Minute)})
	w.ksc.AddKeyHost("SEL-0001", ksctest.KeyHost{Hostname: "f-lnx", Current: true, Product: "Kaspersky Endpoint Security for Business Select"})
	srv.ResetCounts()
	const create = "/api/agreements/{n}/additionalcharges"
	srv.FailNext("POST", create, 1, tigerpawtest.Fault{Delay: 2 * time.Second})
	cmd, out3 := w.start(t)
	waitFor(t, "the charge's create to reach Tigerpaw", func() bool { return srv.Count("POST", create) > 0 })
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM mid-write: %v\n%s", err, out3.String())
	}
	wantFabrikam = []chargeLine{{"KESB-SEL-NW", 1, 225}, {"KESB-SEL-WS", 20, 275}}
	if got := w.charges(w.tp.Agreement[1]); !slices.Equal(got, wantFabrikam) {
		t.Errorf("after SIGTERM mid-write, Fabrikam's charges = %v, want %v", got, wantFabrikam)
	}
	srv.ResetCounts()
	w.runOnce(t)
	if n := demo.FakeWrites(srv); n != 0 {
		t.Errorf("the restart made %d writes", n)
	}
	if got := w.charges(w.tp.Agreement[1]); !slices.Equal(got, wantFabrikam) {
		t.Errorf("after the restart, Fabrikam's charges = %v, want %v", got, wantFabrikam)
	}
	if got := w.orderTitles(); !slices.Equal(got, wantOrders) {
		t.Errorf("after the restart, orders = %q, want %q", got, wantOrders)
	}
}
