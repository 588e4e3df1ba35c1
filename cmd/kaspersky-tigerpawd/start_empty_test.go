package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/internal/testenv"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksctest"
	"github.com/mspkit/kaspersky-tigerpaw/service/demo"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// emptyWorld is the fakes of the demo and a configuration that names only
// them, the secrets and a store: no mapping, no rules.
type emptyWorld struct {
	tp     *demo.Tigerpaw
	ksc    *ksctest.Server
	bin    string
	dir    string
	env    []string
	server map[string]any // the config's servers and secrets
}

func newEmptyWorld(t *testing.T) *emptyWorld {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	w := &emptyWorld{tp: demo.NewTigerpaw(now), ksc: demo.NewKSC(now), bin: daemonBinary(t), dir: t.TempDir()}
	t.Cleanup(w.tp.Srv.Close)
	t.Cleanup(w.ksc.Close)
	ca := filepath.Join(w.dir, "ksc-ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: w.ksc.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	w.env = append(os.Environ(), "EMPTY_TP_PUBLIC="+w.tp.Srv.PublicKey, "EMPTY_TP_PRIVATE="+w.tp.Srv.PrivateKey, "EMPTY_KSC_PASSWORD="+demo.Password)
	w.server = map[string]any{
		"tigerpaw":    map[string]any{"url": w.tp.Srv.URL, "publicKey": "env:EMPTY_TP_PUBLIC", "privateKey": "env:EMPTY_TP_PRIVATE"},
		"ksc":         map[string]any{"url": w.ksc.URL, "user": demo.User, "internal": true, "password": "env:EMPTY_KSC_PASSWORD", "caFile": ca},
		"integration": "main", "serviceOrdersEvery": "10s",
		// No console.externalProductId: the External Product is chosen in
		// the console (configure).
	}
	return w
}

// config writes the configuration with extra (the store) in a directory of
// its own and returns its path.
func (w *emptyWorld) config(t *testing.T, extra map[string]any) string {
	t.Helper()
	cfg := map[string]any{}
	for k, v := range w.server {
		cfg[k] = v
	}
	for k, v := range extra {
		cfg[k] = v
	}
	dir, err := os.MkdirTemp(w.dir, "daemon")
	if err != nil {
		t.Fatal(err)
	}
	return writeConfig(t, dir, cfg)
}

// daemonProc is a started daemon with -listen.
type daemonProc struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	base string // http://127.0.0.1:PORT
}

// start starts the built daemon on cfgFile with -listen on a free loopback
// port and waits for it to listen.
func (w *emptyWorld) start(t *testing.T, cfgFile string) *daemonProc {
	t.Helper()
	cmd := exec.Command(w.bin, "-config", cfgFile, "-listen", "127.0.0.1:0", "-log-format", "json")
	cmd.Env = w.env
	p := &daemonProc{cmd: cmd, out: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	waitFor(t, "the daemon to listen", func() bool {
		if m := listeningAddr.FindStringSubmatch(p.out.String()); m != nil {
			p.base = "http://" + m[1]
			return true
		}
		return false
	})
	return p
}

// jobStatus is a job in /status.
type jobStatus struct {
	State   string   `json:"state"`
	Missing []string `json:"missing"`
	Standby bool     `json:"standby"`
	Cycles  []struct {
		Start  time.Time `json:"start"`
		Failed bool      `json:"failed"`
	} `json:"cycles"`
}

func (p *daemonProc) status(t *testing.T) map[string]jobStatus {
	t.Helper()
	code, body := httpGet(t, p.base+"/status")
	var st struct {
		Jobs map[string]jobStatus `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(body), &st); code != http.StatusOK || err != nil {
		t.Fatalf("/status: %d, %v\n%s", code, err, body)
	}
	return st.Jobs
}

var (
	csrfField     = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)
	revisionField = regexp.MustCompile(`name="revision" value="(\d+)"`)
)

// form loads a console page and returns a form with its CSRF token and
// revision.
func (p *daemonProc) form(t *testing.T, page string) url.Values {
	t.Helper()
	code, body := httpGet(t, p.base+"/console/"+page)
	m, r := csrfField.FindStringSubmatch(body), revisionField.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("GET /console/%s: %d, no CSRF token\n%s", page, code, body)
	}
	f := url.Values{"csrf": {m[1]}}
	if r != nil {
		f.Set("revision", r[1])
	}
	return f
}

// post posts a console form as the browser does and wants want.
func (p *daemonProc) post(t *testing.T, page string, f url.Values, want int) string {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodPost, p.base+"/console/"+page, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.base)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST /console/%s: %d, want %d\n%s", page, resp.StatusCode, want, body)
	}
	return string(body)
}

// ruleIndex is the index of the first rule of DefaultRules (the rules of an
// empty store, in the console's order) whose name contains name.
func ruleIndex(t *testing.T, events bool, name string) int {
	t.Helper()
	r := serviceorder.DefaultRules()
	if events {
		for i, e := range r.Events {
			if strings.Contains(e.ID.String(), name) {
				return i
			}
		}
	} else {
		for i, s := range r.Statuses {
			if strings.Contains(s.ID.String(), name) {
				return i
			}
		}
	}
	t.Fatalf("no rule %q", name)
	return -1
}

// postRule turns on the rule at index i of section with board and priority.
func (p *daemonProc) postRule(t *testing.T, section string, events bool, i, board int, priority string) {
	t.Helper()
	r := serviceorder.DefaultRules()
	key, life := "", ""
	if events {
		key, life = r.Events[i].ID.String(), strconv.Itoa(r.Events[i].LifetimeDays)
	} else {
		key = r.Statuses[i].ID.String()
	}
	k := func(s string) string { return s + "." + strconv.Itoa(i) }
	f := p.form(t, "serviceorders?section="+section)
	f.Set("section", section)
	f.Set("action", "save")
	f.Set(k("rule"), key)
	f.Set(k("on"), "on")
	f.Set(k("board"), strconv.Itoa(board))
	f.Set(k("priority"), priority)
	f.Set(k("type"), "Security alert")
	if life != "" {
		f.Set(k("lifetime"), life)
	}
	p.post(t, "serviceorders", f, http.StatusSeeOther) // a save redirects to its section
}

// configure sets the whole integration through the console's forms: both
// tenants, the price book item of KESB Select, Contoso mapped without billing
// and Fabrikam with, the General settings, the KSC Critical event rule and
// the Warning status rule of out-of-date databases.
func (p *daemonProc) configure(t *testing.T, w *demo.Tigerpaw) {
	t.Helper()
	f := p.form(t, "companies")
	f["tenant"] = []string{"vs-contoso", "vs-fabrikam"}
	f.Set("action", "save")
	p.post(t, "companies", f, http.StatusSeeOther) // a save redirects (POST-redirect-GET)

	f = p.form(t, "pricebook")
	for i, a := range kaspersky.Catalog {
		f.Set("app."+strconv.Itoa(i), string(a.ID))
		if a.ID == kaspersky.AppKESBSelect {
			f.Set("item."+strconv.Itoa(i), "KESB-SEL-WS")
		}
	}
	f.Set("action", "save")
	p.post(t, "pricebook", f, http.StatusSeeOther)

	// The External Product that accounts with billing must be
	// cross-referenced to, chosen among Tigerpaw's on the Accounts tab.
	code, body := httpGet(t, p.base+"/console/accounts")
	if want := fmt.Sprintf(`<option value="%d">Kaspersky Security Integration (id %d)</option>`, w.Product, w.Product); code != http.StatusOK || !strings.Contains(body, want) {
		t.Fatalf("GET /console/accounts: %d, no External Product %s offered\n%s", code, want, body)
	}
	f = p.form(t, "accounts")
	f.Set("externalProduct", strconv.Itoa(w.Product))
	f.Set("action", "save")
	p.post(t, "externalproduct", f, http.StatusSeeOther)

	f = p.form(t, "accounts")
	f["row"] = []string{"0", "1"}
	for i, row := range []struct {
		id      string
		account int
		billing bool
	}{{"vs-contoso", w.Contoso, false}, {"vs-fabrikam", w.Fabrikam, true}} {
		n := strconv.Itoa(i)
		f.Set("id."+n, row.id)
		f.Set("account."+n, strconv.Itoa(row.account))
		f.Set("shown."+n, strconv.Itoa(row.account))
		if row.billing {
			f.Set("billing."+n, "on")
			f.Set("agreement."+n, strconv.Itoa(w.Agreement[1]))
			f.Set("level."+n, strconv.Itoa(w.Level))
		}
	}
	f.Set("action", "save")
	p.post(t, "accounts", f, http.StatusSeeOther)

	f = p.form(t, "serviceorders?section=general")
	f.Set("section", "general")
	f.Set("action", "save")
	f.Set("rep", strconv.Itoa(w.Rep))
	f.Set("newStatus", "New")
	f.Set("closedStatus", "Closed")
	p.post(t, "serviceorders", f, http.StatusSeeOther) // a save redirects to its section
	p.postRule(t, "ksc", true, ruleIndex(t, true, "Kaspersky Security Center events: Critical"), w.Board, "High")
	p.postRule(t, "warning", false, ruleIndex(t, false, "Databases are out of date"), w.Board, "High")
}

// runNow presses the console's Run now button of job.
func (p *daemonProc) runNow(t *testing.T, job string) {
	t.Helper()
	f := p.form(t, "")
	f.Del("revision")
	f.Set("job", job)
	p.post(t, "run", f, http.StatusSeeOther)
}

// startEmpty runs the start-empty scenario on the store of extra: the daemon
// starts with nothing configured and says what is missing without writing;
// the console configures it; Run now makes the expected charge and orders.
func startEmpty(t *testing.T, w *emptyWorld, extra map[string]any) {
	d := w.start(t, w.config(t, extra))
	waitFor(t, "a cycle of each job", func() bool {
		st := d.status(t)
		return len(st["billing"].Cycles) > 0 && len(st["service_orders"].Cycles) > 0
	})
	if code, body := httpGet(t, d.base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz of a daemon not configured: %d %s, want 200", code, body)
	}
	st := d.status(t)
	for job, want := range map[string][]string{
		"billing":        {"no tenant mapped", "no price book item mapped"},
		"service_orders": {"no tenant mapped", "service order General settings missing: rep, new status, closed status"},
	} {
		if st[job].State != "not configured" || !slices.Equal(st[job].Missing, want) {
			t.Errorf("/status of %s: state %q, missing %q; want not configured, missing %q", job, st[job].State, st[job].Missing, want)
		}
	}
	if n := demo.FakeWrites(w.tp.Srv); n != 0 {
		t.Errorf("the daemon not configured wrote %d times to Tigerpaw", n)
	}
	if !strings.Contains(d.out.String(), `"missing":"no tenant mapped; no price book item mapped"`) {
		t.Errorf("the log does not say what billing misses:\n%s", d.out.String())
	}

	d.configure(t, w.tp)
	before := d.status(t)
	d.runNow(t, "billing")
	d.runNow(t, "service_orders")
	waitFor(t, "a cycle of each job after Run now", func() bool {
		st := d.status(t)
		return len(st["billing"].Cycles) > len(before["billing"].Cycles) && st["billing"].State == "ok" &&
			len(st["service_orders"].Cycles) > len(before["service_orders"].Cycles) && st["service_orders"].State == "ok"
	})
	if got, want := chargesOf(w.tp, w.tp.Agreement[1]), []chargeLine{{"KESB-SEL-WS", 20, 275}}; !slices.Equal(got, want) {
		t.Errorf("Fabrikam's charges = %v, want %v", got, want)
	}
	if got := chargesOf(w.tp, w.tp.Agreement[0]); len(got) != 0 {
		t.Errorf("Contoso, mapped without billing, has charges %v", got)
	}
	var orders []string
	for _, so := range w.tp.Srv.Snapshot().ServiceOrders {
		orders = append(orders, so.Status+" "+so.BriefDescription)
	}
	slices.Sort(orders)
	if want := []string{"New Kaspersky: Critical: Malicious object detected on c-007", "New Kaspersky: Databases are out of date on FAB-WS-03"}; !slices.Equal(orders, want) {
		t.Errorf("orders = %q, want %q", orders, want)
	}
	if code, body := httpGet(t, d.base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after the cycles: %d %s", code, body)
	}
}

func chargesOf(w *demo.Tigerpaw, agreement int) []chargeLine {
	var got []chargeLine
	for _, c := range w.Srv.Charges(agreement) {
		got = append(got, chargeLine{c.SpecialItemID, int(c.Quantity), c.Price})
	}
	slices.SortFunc(got, func(a, b chargeLine) int { return strings.Compare(a.Item, b.Item) })
	return got
}

// TestBinaryStartsEmptyFileStore: the built daemon on an empty file store
// (no mapping directory, no rules file) is configured in its console.
func TestBinaryStartsEmptyFileStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	startEmpty(t, newEmptyWorld(t), map[string]any{"mappingDir": filepath.Join(dir, "mapping"), "stateFile": filepath.Join(dir, "orders.json")})
	if _, err := os.Stat(filepath.Join(dir, "rules.json")); err != nil {
		t.Errorf("the console's rules were not saved next to the state file: %v", err)
	}
}

// pgSchema returns the DSN of the test database in an environment variable
// of the daemons and a fresh schema, or skips (fails in CI) without one.
func pgSchema(t *testing.T, w *emptyWorld) (dsnRef, schema string) {
	t.Helper()
	dsn := os.Getenv("KT_POSTGRES_DSN")
	if dsn == "" {
		testenv.Missing(t, "PostgreSQL (KT_POSTGRES_DSN)", "source .ci/services/postgres.sh or set KT_POSTGRES_DSN")
	}
	w.env = append(w.env, "EMPTY_PG_DSN="+dsn)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "env:EMPTY_PG_DSN", "kt_empty_" + hex.EncodeToString(b)
}

// TestBinaryStartsEmptyPostgres: the same on an empty PostgreSQL schema.
func TestBinaryStartsEmptyPostgres(t *testing.T) {
	t.Parallel()
	w := newEmptyWorld(t)
	dsn, schema := pgSchema(t, w)
	startEmpty(t, w, map[string]any{"store": map[string]any{"kind": "postgres", "dsn": dsn, "schema": schema}})
}

// TestBinaryFailoverKeepsEditedRules: two daemons on one PostgreSQL schema,
// the rules seeded once from a rules file; the rules are edited in the
// leader's console (the KSC Critical event rule moved to another board and
// priority); the leader is killed; the standby takes over and the next order
// it creates carries the edited board and priority, not the file's.
func TestBinaryFailoverKeepsEditedRules(t *testing.T) {
	t.Parallel()
	w := newEmptyWorld(t)
	dsn, schema := pgSchema(t, w)
	rules, err := json.Marshal(w.tp.Rules())
	if err != nil {
		t.Fatal(err)
	}
	rulesFile := filepath.Join(w.dir, "rules.json")
	if err := os.WriteFile(rulesFile, rules, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := w.config(t, map[string]any{"rulesFile": rulesFile,
		"store": map[string]any{"kind": "postgres", "dsn": dsn, "schema": schema, "leaseTTL": "2s"}})

	a := w.start(t, cfg)
	waitFor(t, "daemon A to lead", func() bool {
		st := a.status(t)
		return len(st["service_orders"].Cycles) > 0 && !st["service_orders"].Standby
	})
	b := w.start(t, cfg)
	waitFor(t, "daemon B to stand by", func() bool { return b.status(t)["service_orders"].Standby })

	// The integration, configured in A's console.
	a.configure(t, w.tp)
	critical := ruleIndex(t, true, "Kaspersky Security Center events: Critical")
	a.postRule(t, "ksc", true, critical, w.tp.Board2, "Urgent")

	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	a.cmd.Wait()
	before := len(w.tp.Srv.Snapshot().ServiceOrders)
	w.ksc.AddEvent("Contoso", ksctest.Event{ID: 7002, Type: "GNRL_EV_VIRUS_FOUND", TypeName: "Malicious object detected",
		RiseTime: time.Now().Add(-time.Minute), Hostname: "c-011", HostDN: "c-011", Severity: 4,
		Description: "Trojan detected after the failover", ProductName: "Kaspersky Endpoint Security for Windows"})
	waitFor(t, "daemon B to create the new event's order", func() bool {
		for _, so := range w.tp.Srv.Snapshot().ServiceOrders {
			if strings.Contains(so.BriefDescription, "c-011") {
				return true
			}
		}
		return false
	})
	waitFor(t, "daemon B's cycle in /status", func() bool {
		st := b.status(t)["service_orders"]
		return len(st.Cycles) > 0 && !st.Standby && st.State == "ok"
	})
	snap := w.tp.Srv.Snapshot().ServiceOrders
	for _, so := range snap {
		if strings.Contains(so.BriefDescription, "c-011") && (so.BoardID != w.tp.Board2 || so.Priority != "Urgent") {
			t.Errorf("the order daemon B created has board %d, priority %q; want the edited %d, %q (the file's is %d, %q)",
				so.BoardID, so.Priority, w.tp.Board2, "Urgent", w.tp.Board, "High")
		}
	}
	if len(snap) <= before {
		t.Errorf("%d orders after the failover, %d before", len(snap), before)
	}
}
