package ksctest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// client is a raw Open API caller, so that the fake is tested on the wire.
type client struct {
	t       *testing.T
	srv     *Server
	hc      *http.Client
	session string
}

func newFixture(t *testing.T) (*Server, *client) {
	t.Helper()
	srv := NewServer()
	t.Cleanup(srv.Close)
	srv.AddUser(User{Name: "u", Password: "p", Internal: true})
	srv.AddVirtualServer(VirtualServer{ID: 1, UID: "uid-1", DisplayName: "VS", ManagedGroupID: 10, Enabled: true})
	srv.AddHost("VS", Host{Hostname: "a", DisplayName: "A", CType: 1, StatusMask: 8})
	srv.AddHost("VS", Host{Hostname: "b", DisplayName: `B "q"`, CType: 2, NoCType: true, LastVisible: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)})
	srv.AddKey("VS", Key{Serial: "K1", KeyType: 6, IsSubscription: true, SubscriptionState: 1})
	srv.AddKeyHost("K1", KeyHost{Hostname: "a", Current: true})
	c := &client{t: t, srv: srv, hc: &http.Client{Transport: srv.CertClientTransport()}}
	c.session = c.start("VS")
	return srv, c
}

func basic(user, pass string) string {
	e := base64.StdEncoding.EncodeToString
	return `KSCBasic user="` + e([]byte(user)) + `", pass="` + e([]byte(pass)) + `", domain="", internal="1"`
}

func (c *client) post(method string, hdr map[string]string, body string) (int, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, c.srv.URL+"/api/v1.0/"+method, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func (c *client) start(vs string) string {
	c.t.Helper()
	status, out := c.post("Session.StartSession", map[string]string{
		"Authorization": basic("u", "p"), "X-KSC-VServer": base64.StdEncoding.EncodeToString([]byte(vs)),
	}, "")
	id, _ := out["PxgRetVal"].(string)
	if status != 200 || id == "" {
		c.t.Fatalf("StartSession: %d %v", status, out)
	}
	return id
}

func (c *client) call(method, body string) (int, map[string]any) {
	c.t.Helper()
	return c.post(method, map[string]string{"X-KSC-Session": c.session}, body)
}

func pxgCode(out map[string]any) float64 {
	e, _ := out["PxgError"].(map[string]any)
	code, _ := e["code"].(float64)
	return code
}

const findAll = `{"wstrFilter":"(KLHST_WKS_GROUPID_GP = 10)","vecFieldsToReturn":["KLHST_WKS_HOSTNAME","KLHST_WKS_CTYPE","KLHST_WKS_STATUS_MASK","KLHST_WKS_LAST_VISIBLE"],` +
	`"vecFieldsToOrder":[{"type":"params","value":{"Name":"KLHST_WKS_HOSTNAME","Asc":false}}],"pParams":{},"lMaxLifeTime":60}`

func TestFindHostsWireShapes(t *testing.T) {
	t.Parallel()
	srv, c := newFixture(t)
	status, out := c.call("HostGroup.FindHosts", findAll)
	acc, _ := out["strAccessor"].(string)
	if status != 200 || acc == "" || out["PxgRetVal"] != float64(2) {
		t.Fatalf("FindHosts: %d %v", status, out)
	}
	if srv.OpenHandles() != 1 {
		t.Errorf("open handles = %d", srv.OpenHandles())
	}
	_, out = c.call("ChunkAccessor.GetItemsChunk", `{"strAccessor":"`+acc+`","nStart":0,"nCount":10}`)
	want := map[string]any{
		"pChunk": map[string]any{"KLCSP_ITERATOR_ARRAY": []any{
			map[string]any{"type": "params", "value": map[string]any{
				"KLHST_WKS_HOSTNAME": "b", "KLHST_WKS_STATUS_MASK": map[string]any{"type": "long", "value": float64(0)},
				"KLHST_WKS_LAST_VISIBLE": map[string]any{"type": "datetime", "value": "2025-01-02T03:04:05Z"},
			}},
			map[string]any{"type": "params", "value": map[string]any{
				"KLHST_WKS_HOSTNAME": "a", "KLHST_WKS_CTYPE": float64(1), "KLHST_WKS_STATUS_MASK": map[string]any{"type": "long", "value": float64(8)},
				"KLHST_WKS_LAST_VISIBLE": map[string]any{"type": "datetime", "value": ""},
			}},
		}},
		"PxgRetVal": float64(2),
	}
	if d := cmp.Diff(want, out); d != "" {
		t.Errorf("chunk (-want +got):\n%s", d)
	}
	if status, _ := c.call("ChunkAccessor.Release", `{"strAccessor":"`+acc+`"}`); status != 200 || srv.OpenHandles() != 0 {
		t.Errorf("Release: %d, open %d", status, srv.OpenHandles())
	}
	if n := srv.Requests("HostGroup.FindHosts"); n != 1 {
		t.Errorf("FindHosts count = %d", n)
	}
}

func TestStrictArguments(t *testing.T) {
	t.Parallel()
	_, c := newFixture(t)
	tests := []struct {
		name, method, body string
		code               float64
	}{
		{"missing nStart", "ChunkAccessor.GetItemsChunk", `{"strAccessor":"x","nCount":1}`, 1186},
		{"wrapped top-level params", "HostGroup.FindHosts", strings.Replace(findAll, `"pParams":{}`, `"pParams":{"type":"params","value":{}}`, 1), 1187},
		{"unknown attribute", "HostGroup.FindHosts", strings.Replace(findAll, `"KLHST_WKS_CTYPE"`, `"KLHST_WKS_NOPE"`, 1), 1189},
		{"unescaped filter", "HostGroup.FindHosts", strings.Replace(findAll, `(KLHST_WKS_GROUPID_GP = 10)`, `(KLHST_WKS_DN = \"a\"b\")`, 1), 1190},
		{"plain order params", "HostGroup.FindHosts", strings.Replace(findAll, `{"type":"params","value":{"Name":"KLHST_WKS_HOSTNAME","Asc":false}}`, `"KLHST_WKS_HOSTNAME"`, 1), 1187},
		{"plain datetime in event filter", "EventProcessingFactory.CreateEventProcessing2",
			`{"pFilter":{"KLEVP_EVENT_RISE_TIME_LEAST":"2025-01-01T00:00:00Z"},"vecFieldsToReturn":[],"vecFieldsToOrder":[],"lifetimeSec":60}`, 1187},
		{"unknown handle", "GroupSyncIterator.GetNextItems", `{"szwIterator":"nope","nCount":1}`, 1183},
		{"unknown key", "LicenseKeys.AcquireKeyHosts", `{"pInData":{"KLLIC_SERIAL":"K9"},"pFields":[],"pFieldsToOrder":[],"pOptions":{},"lTimeoutSec":1}`, 1183},
		{"unknown method", "Nope.Nope", `{}`, 1},
		{"wrong type", "VServers.GetVServers", `{"lParentGroup":"x"}`, 1187},
	}
	for _, tt := range tests {
		status, out := c.call(tt.method, tt.body)
		if status != http.StatusInternalServerError || pxgCode(out) != tt.code {
			t.Errorf("%s: %d %v, want 500 with code %v", tt.name, status, out, tt.code)
		}
	}
	if status, _ := c.call("VServers.GetVServers", `{`); status != http.StatusBadRequest {
		t.Errorf("malformed body: %d", status)
	}
}

func TestIteratorsAndSessions(t *testing.T) {
	t.Parallel()
	srv, c := newFixture(t)
	_, out := c.call("LicenseKeys.EnumKeys", `{"pFields":["KLLIC_SERIAL","KLLIC_SUBSCRINFO_STATE"],"pFieldsToOrder":[],"pOptions":{},"lTimeoutSec":60}`)
	it, _ := out["wstrIterator"].(string)
	_, out = c.call("GroupSyncIterator.GetNextItems", `{"szwIterator":"`+it+`","nCount":5}`)
	want := map[string]any{"pData": map[string]any{"KLCSP_ITERATOR_ARRAY": []any{map[string]any{"type": "params", "value": map[string]any{
		"KLLIC_SERIAL": "K1", "KLLIC_SUBSCRINFO_STATE": float64(1)}}}}, "bEOF": true, "PxgRetVal": true}
	if d := cmp.Diff(want, out); d != "" {
		t.Errorf("GetNextItems (-want +got):\n%s", d)
	}
	// A handle belongs to its session.
	other := &client{t: t, srv: srv, hc: c.hc}
	other.session = other.start("VS")
	if status, out := other.call("GroupSyncIterator.ReleaseIterator", `{"szwIterator":"`+it+`"}`); status != 500 || pxgCode(out) != 1183 {
		t.Errorf("release from another session: %d %v", status, out)
	}
	// Ending the session drops its handles.
	if status, _ := c.call("Session.EndSession", `{}`); status != 200 {
		t.Errorf("EndSession: %d", status)
	}
	if srv.OpenHandles() != 0 || srv.Sessions() != 1 {
		t.Errorf("after EndSession: %d handles, %d sessions", srv.OpenHandles(), srv.Sessions())
	}
	if status, _ := c.call("VServers.GetVServers", `{"lParentGroup":-1}`); status != http.StatusForbidden {
		t.Errorf("ended session: %d, want 403", status)
	}
	srv.ExpireSessions()
	if srv.Sessions() != 0 {
		t.Errorf("after ExpireSessions: %d sessions", srv.Sessions())
	}
	// The connection-level login answers {}.
	status, out := c.post("login", map[string]string{"Authorization": basic("u", "p")}, "")
	if status != 200 || len(out) != 0 {
		t.Errorf("login: %d %v", status, out)
	}
	if status, _ := c.post("login", map[string]string{"Authorization": basic("u", "wrong")}, ""); status != 401 {
		t.Errorf("bad login: %d", status)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	srv, c := newFixture(t)
	srv.InjectFault("VServers.GetVServers", Fault{Status: 503})
	if status, _ := c.call("VServers.GetVServers", `{"lParentGroup":-1}`); status != 503 {
		t.Errorf("status fault: %d", status)
	}
	srv.InjectFault("", Fault{PxgError: &PxgError{Code: 7, Message: "m", File: "f.cpp", Line: 3, Subcode: 2, Module: "X"}})
	status, out := c.call("VServers.GetVServers", `{"lParentGroup":-1}`)
	if status != 200 || pxgCode(out) != 7 {
		t.Errorf("PxgError fault: %d %v", status, out)
	}
	srv.InjectFault("VServers.GetVServers", Fault{Drop: true})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1.0/VServers.GetVServers", strings.NewReader(`{}`))
	if _, err := c.hc.Do(req); err == nil {
		t.Error("dropped connection answered")
	}
	// A delayed call: the client gives up once the server has it; the server
	// notices the hang-up (else Close would wait for the whole delay).
	srv.InjectFault("VServers.GetVServers", Fault{Delay: 20 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/v1.0/VServers.GetVServers", strings.NewReader(`{}`))
		resp, err := c.hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	for srv.Requests("VServers.GetVServers") < 4 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("delayed call: %v", err)
	}
	srv.InjectFault("VServers.GetVServers", Fault{ExpireSession: true})
	if status, _ := c.call("VServers.GetVServers", `{"lParentGroup":-1}`); status != http.StatusForbidden {
		t.Errorf("expired session: %d", status)
	}
	if n := srv.Requests("VServers.GetVServers"); n != 5 {
		t.Errorf("requests = %d, want 5", n)
	}
	if status, _ := c.post("Other", nil, ""); status != 403 {
		t.Errorf("no session: %d", status)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/api/v1.0/login", nil)
	if resp, err := c.hc.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %v %v", resp, err)
	}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/elsewhere", nil)
	if resp, err := c.hc.Do(req); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("outside the API: %v %v", resp, err)
	}
	if srv.Certificate() == nil {
		t.Error("no certificate")
	}
}

func TestFilterParser(t *testing.T) {
	t.Parallel()
	rec := map[string]any{"S": `a "b"`, "N": 5, "L": int64(12), "T": time.Date(2025, 4, 27, 23, 59, 1, 0, time.UTC), "B": true}
	tests := []struct {
		f    string
		want bool
	}{
		{`(S = "a ""b""")`, true},
		{`(S = "a*")`, true},
		{`(S <> "a*")`, false},
		{`(S = "x*")`, false},
		{`(S < "b")`, true},
		{`(N >= 5)`, true},
		{`(N > 5)`, false},
		{`(L <= 12)`, true},
		{`(L&4<>0)`, true},
		{`(L&1<>0)`, false},
		{`(T = T"2025-04-27 23:59:01")`, true},
		{`(T < T"2025-04-27 23:59:01")`, false},
		{`(B = 1)`, true},
		{`(Missing <> 1)`, true},
		{`(Missing = 1)`, false},
		{`(S = 1)`, false},
		{`(N = "5")`, false},
		{`(N = T"2025-04-27 23:59:01")`, false},
		{`(&(N = 5)(|(S = "z")(!(L = 1))))`, true},
		{` ( & (N=5) (N=6) ) `, false},
	}
	for _, tt := range tests {
		n, err := parseFilter(tt.f)
		if err != nil {
			t.Errorf("parseFilter(%s): %v", tt.f, err)
			continue
		}
		if got := n.match(rec); got != tt.want {
			t.Errorf("%s matched %v, want %v", tt.f, got, tt.want)
		}
	}
	for _, bad := range []string{``, `(`, `()`, `(&)`, `(N = )`, `(N ~ 1)`, `(N = "x)`, `(N = 1) x`, `(T = T"soon")`, `(N&x<>0)`, `(N&1=0)`, `(N&1<>1)`, `(!x)`, `(N = 1`} {
		if _, err := parseFilter(bad); err == nil {
			t.Errorf("parseFilter(%q) succeeded", bad)
		}
	}
}

func TestParseKSCBasic(t *testing.T) {
	t.Parallel()
	good := `KSCBasic user="dQ==", pass="cA==", domain="", internal="1"`
	if f, err := parseKSCBasic(good); err != nil || f["user"] != "dQ==" || f["internal"] != "1" {
		t.Errorf("parseKSCBasic(good) = %v, %v", f, err)
	}
	for _, bad := range []string{
		"", "Basic x", `KSCBasic user="a"`, `KSCBasic user="a", pass="b", domain="", internal="2"`,
		`KSCBasic user="a", user="a", pass="b", domain=""`, `KSCBasic user="a", pass="b", domain="", internal="1", x="y"`,
		`KSCBasic user="a"b", pass="b", domain="", internal="1"`, `KSCBasic user=a, pass="b", domain="", internal="1"`,
	} {
		if _, err := parseKSCBasic(bad); err == nil {
			t.Errorf("parseKSCBasic(%q) succeeded", bad)
		}
	}
}

func TestSeedMutators(t *testing.T) {
	t.Parallel()
	srv, c := newFixture(t)
	if !srv.UpdateHost("VS", Host{Hostname: "a", DisplayName: "A2", CType: 1}) || srv.UpdateHost("VS", Host{Hostname: "zz"}) {
		t.Error("UpdateHost found the wrong hosts")
	}
	if !srv.RemoveHost("VS", "b") || srv.RemoveHost("VS", "b") {
		t.Error("RemoveHost wrong")
	}
	_, out := c.call("HostGroup.FindHosts", findAll)
	acc, _ := out["strAccessor"].(string)
	_, out = c.call("ChunkAccessor.GetItemsChunk", `{"strAccessor":"`+acc+`","nStart":0,"nCount":10}`)
	items := out["pChunk"].(map[string]any)["KLCSP_ITERATOR_ARRAY"].([]any)
	if len(items) != 1 {
		t.Fatalf("hosts after the changes = %v", items)
	}
	if m := items[0].(map[string]any)["value"].(map[string]any); m["KLHST_WKS_STATUS_MASK"].(map[string]any)["value"] != float64(0) {
		t.Errorf("updated host = %v", m)
	}
	srv.SetKeyHosts("K1", nil)
	_, out = c.call("LicenseKeys.AcquireKeyHosts", `{"pInData":{"KLLIC_SERIAL":"K1"},"pFields":[],"pFieldsToOrder":[],"pOptions":{},"lTimeoutSec":1}`)
	if out["lKeyCount"] != float64(0) {
		t.Errorf("key hosts after SetKeyHosts(nil) = %v", out)
	}
}

func TestFaultReplacesOrRewritesAnAnswer(t *testing.T) {
	t.Parallel()
	srv, c := newFixture(t)
	find := `{"wstrFilter":"(KLHST_WKS_GROUPID_GP = 10)","vecFieldsToReturn":["KLHST_WKS_HOSTNAME"],"vecFieldsToOrder":[],"pParams":{},"lMaxLifeTime":60}`
	_, out := c.call("HostGroup.FindHosts", find)
	acc, _ := out["strAccessor"].(string)
	if acc == "" {
		t.Fatalf("FindHosts: %v", out)
	}
	chunk := `{"strAccessor":"` + acc + `","nStart":0,"nCount":10}`

	// Body replaces the answer; the call is not performed.
	srv.InjectFault("ChunkAccessor.GetItemsChunk", Fault{Body: []byte(`{"pChunk":null}`)})
	status, out := c.call("ChunkAccessor.GetItemsChunk", chunk)
	if status != 200 || len(out) != 1 || out["pChunk"] != nil {
		t.Errorf("replaced answer: %d %v", status, out)
	}
	srv.InjectFault("ChunkAccessor.GetItemsCount", Fault{Body: []byte(`oops`), Status: 502})
	if status, _ := c.call("ChunkAccessor.GetItemsCount", `{"strAccessor":"`+acc+`"}`); status != 502 {
		t.Errorf("replaced status %d, want 502", status)
	}

	// A zero fault lets one call through; Rewrite sees the real answer of the
	// next one and its result is sent.
	var seen string
	srv.InjectFault("ChunkAccessor.GetItemsChunk", Fault{})
	srv.InjectFault("ChunkAccessor.GetItemsChunk", Fault{Rewrite: func(b []byte) []byte {
		seen = string(b)
		return []byte(strings.Replace(string(b), `"a"`, `"renamed"`, 1))
	}})
	_, first := c.call("ChunkAccessor.GetItemsChunk", chunk)
	_, second := c.call("ChunkAccessor.GetItemsChunk", chunk)
	if !strings.Contains(seen, `"KLHST_WKS_HOSTNAME":"a"`) {
		t.Errorf("Rewrite saw %s, want the real answer", seen)
	}
	name := func(out map[string]any) any {
		items := out["pChunk"].(map[string]any)["KLCSP_ITERATOR_ARRAY"].([]any)
		return items[0].(map[string]any)["value"].(map[string]any)["KLHST_WKS_HOSTNAME"]
	}
	if name(first) != "a" || name(second) != "renamed" {
		t.Errorf("first host %v, second %v; want a, renamed", name(first), name(second))
	}
	// The rewritten call was performed: its effects on the state stay.
	srv.InjectFault("ChunkAccessor.Release", Fault{Rewrite: func([]byte) []byte { return []byte(`{}`) }})
	c.call("ChunkAccessor.Release", `{"strAccessor":"`+acc+`"}`)
	if n := srv.OpenHandles(); n != 0 {
		t.Errorf("%d handles open after a rewritten release", n)
	}
}

func TestFaultForOneVirtualServer(t *testing.T) {
	t.Parallel()
	srv, c := newFixture(t)
	srv.AddVirtualServer(VirtualServer{ID: 2, UID: "uid-2", DisplayName: "Other", ManagedGroupID: 20, Enabled: true})
	other := &client{t: t, srv: srv, hc: c.hc}
	other.session = other.start("Other")
	srv.InjectFault("VServers.GetVServers", Fault{VirtualServer: "VS", Status: 503})
	if status, _ := other.call("VServers.GetVServers", `{"lParentGroup":-1}`); status != 200 {
		t.Errorf("call on another virtual server: %d, want 200", status)
	}
	if status, _ := c.call("VServers.GetVServers", `{"lParentGroup":-1}`); status != 503 {
		t.Errorf("call on the fault's virtual server: %d, want 503", status)
	}
	if status, _ := c.call("VServers.GetVServers", `{"lParentGroup":-1}`); status != 200 {
		t.Errorf("fault applied twice: %d", status)
	}
}

// TestLatencyDelaysEveryCallAndHonoursTheClient: every call waits at least
// the fixed latency and is still answered normally; a client that hangs up
// during the wait gets no answer.
func TestLatencyDelaysEveryCallAndHonoursTheClient(t *testing.T) {
	t.Parallel()
	srv, c := newFixture(t)
	const fixed = 40 * time.Millisecond
	srv.SetLatency(fixed, 5*time.Millisecond)
	for range 2 {
		start := time.Now()
		status, out := c.call("HostGroup.FindHosts", findAll)
		if took := time.Since(start); took < fixed {
			t.Errorf("FindHosts answered after %v, before the latency of %v", took, fixed)
		}
		if status != http.StatusOK || out["strAccessor"] == nil {
			t.Fatalf("FindHosts under latency: %d %v", status, out)
		}
	}
	srv.SetLatency(time.Hour, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/v1.0/HostGroup.FindHosts", strings.NewReader(findAll))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-KSC-Session", c.session)
	done := make(chan error, 1)
	go func() {
		resp, err := c.hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a call cut short by its client during an hour's latency ended with %v, want the deadline", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a call whose client hung up waited out the latency")
	}
	srv.SetLatency(0, 0)
	if status, _ := c.call("HostGroup.FindHosts", findAll); status != http.StatusOK {
		t.Errorf("FindHosts after the latency was removed: %d", status)
	}
}
