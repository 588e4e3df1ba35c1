package tigerpawtest_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// signed builds a request signed by hand, the way the instructions describe,
// over signPath (normally the request's own path).
func signed(t *testing.T, srv *tigerpawtest.Server, method, path, signPath, body string, date time.Time, private string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	d := date.UTC().Format(http.TimeFormat)
	mac := hmac.New(sha256.New, []byte(private))
	mac.Write([]byte(strings.ToLower(method + "|" + signPath + "|" + d)))
	token := base64.StdEncoding.EncodeToString([]byte(srv.PublicKey + ":" + base64.StdEncoding.EncodeToString(mac.Sum(nil))))
	req.Header.Set("X-TSI-Date", d)
	req.Header.Set("Authorization", "TSI "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// send does a request and decodes its JSON answer.
func send(t *testing.T, srv *tigerpawtest.Server, req *http.Request) (int, any) {
	t.Helper()
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("answer is not JSON: %q", b)
		}
	}
	return resp.StatusCode, v
}

// call signs and sends a request with the server's keys, now.
func call(t *testing.T, srv *tigerpawtest.Server, method, path, body string) (int, any) {
	t.Helper()
	signPath, _, _ := strings.Cut(path, "?")
	return send(t, srv, signed(t, srv, method, path, signPath, body, time.Now(), srv.PrivateKey))
}

func TestSignatureVerification(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := tigerpawtest.NewServer(t, tigerpawtest.WithClock(func() time.Time { return now }), tigerpawtest.WithKeys("pub", "priv"))
	srv.AddAccount(tigerpawtest.Account{Number: 1, Name: "A"})
	srv.AddAccount(tigerpawtest.Account{Number: 2, Name: "B"})
	const path = "/api/accounts/1"
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{name: "valid", status: 200, req: func() *http.Request { return signed(t, srv, "GET", path, path, "", now, "priv") }},
		{name: "path case does not matter", status: 200, req: func() *http.Request {
			return signed(t, srv, "GET", "/API/Accounts/1", "/API/Accounts/1", "", now, "priv")
		}},
		{name: "query not signed", status: 200, req: func() *http.Request { return signed(t, srv, "GET", path+"?x=1", path, "", now, "priv") }},
		{name: "date 4m59s behind", status: 200, req: func() *http.Request {
			return signed(t, srv, "GET", path, path, "", now.Add(-4*time.Minute-59*time.Second), "priv")
		}},
		{name: "wrong private key", status: 401, req: func() *http.Request { return signed(t, srv, "GET", path, path, "", now, "other") }},
		{name: "tampered path", status: 401, req: func() *http.Request { return signed(t, srv, "GET", "/api/accounts/2", path, "", now, "priv") }},
		{name: "other method signed", status: 401, req: func() *http.Request {
			r := signed(t, srv, "GET", path, path, "", now, "priv")
			r.Method = "DELETE"
			return r
		}},
		{name: "date 6 minutes behind", status: 401, req: func() *http.Request { return signed(t, srv, "GET", path, path, "", now.Add(-6*time.Minute), "priv") }},
		{name: "date 6 minutes ahead", status: 401, req: func() *http.Request { return signed(t, srv, "GET", path, path, "", now.Add(6*time.Minute), "priv") }},
		{name: "date with UTC instead of GMT", status: 401, req: func() *http.Request {
			r := signed(t, srv, "GET", path, path, "", now, "priv")
			r.Header.Set("X-TSI-Date", now.Format(time.RFC1123))
			return r
		}},
		{name: "no date", status: 401, req: func() *http.Request {
			r := signed(t, srv, "GET", path, path, "", now, "priv")
			r.Header.Del("X-TSI-Date")
			return r
		}},
		{name: "not TSI", status: 401, req: func() *http.Request {
			r := signed(t, srv, "GET", path, path, "", now, "priv")
			r.Header.Set("Authorization", "Basic "+strings.TrimPrefix(r.Header.Get("Authorization"), "TSI "))
			return r
		}},
		{name: "token not base64", status: 401, req: func() *http.Request {
			r := signed(t, srv, "GET", path, path, "", now, "priv")
			r.Header.Set("Authorization", "TSI ***")
			return r
		}},
		{name: "token without colon", status: 401, req: func() *http.Request {
			r := signed(t, srv, "GET", path, path, "", now, "priv")
			r.Header.Set("Authorization", "TSI "+base64.StdEncoding.EncodeToString([]byte("nocolon")))
			return r
		}},
		{name: "signature not base64", status: 401, req: func() *http.Request {
			r := signed(t, srv, "GET", path, path, "", now, "priv")
			r.Header.Set("Authorization", "TSI "+base64.StdEncoding.EncodeToString([]byte("pub:%%%")))
			return r
		}},
		{name: "unknown public key", status: 401, req: func() *http.Request {
			r := signed(t, srv, "GET", path, path, "", now, "priv")
			raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(r.Header.Get("Authorization"), "TSI "))
			r.Header.Set("Authorization", "TSI "+base64.StdEncoding.EncodeToString([]byte("x"+string(raw))))
			return r
		}},
	}
	for _, tc := range tests {
		status, body := send(t, srv, tc.req())
		if status != tc.status {
			t.Errorf("%s: status %d, want %d (%v)", tc.name, status, tc.status, body)
		}
	}
}

func TestRoutingErrors(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	if status, _ := call(t, srv, "GET", "/api/nothing/here", ""); status != 404 {
		t.Errorf("unknown path: %d, want 404", status)
	}
	if status, _ := call(t, srv, "DELETE", "/api/accounts/search", ""); status != 405 {
		t.Errorf("wrong method: %d, want 405", status)
	}
	if status, _ := call(t, srv, "GET", "/api/accounts/abc", ""); status != 404 {
		t.Errorf("non-numeric id: %d, want 404", status)
	}
	if n := srv.Count("GET", "/api/nothing/here"); n != 1 {
		t.Errorf("unknown path counted %d times, want 1", n)
	}
}

func TestFaultsAndCounts(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	srv.AddAccount(tigerpawtest.Account{Number: 5, Name: "A"})

	srv.FailNext("get", "/API/Accounts/{number}", 2, tigerpawtest.Fault{Status: 503, RetryAfter: "3"})
	for i := 0; i < 2; i++ {
		req := signed(t, srv, "GET", "/api/accounts/5", "/api/accounts/5", "", time.Now(), srv.PrivateKey)
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "3" {
			t.Errorf("faulted answer %d: %d, Retry-After %q", i, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if status, _ := call(t, srv, "GET", "/api/accounts/5", ""); status != 200 {
		t.Errorf("after the faults: %d, want 200", status)
	}

	// A fault applies before authentication: the proxy in front answers.
	srv.FailNext("*", "*", 1, tigerpawtest.Fault{Status: 502, Body: `{"Message":"gateway"}`})
	req := signed(t, srv, "GET", "/api/accounts/5", "/api/accounts/5", "", time.Now(), "wrong")
	if status, body := send(t, srv, req); status != 502 || body.(map[string]any)["Message"] != "gateway" {
		t.Errorf("wildcard fault: %d %v", status, body)
	}

	// Dropped connection.
	srv.FailNext("GET", "/api/accounts/{n}", 1, tigerpawtest.Fault{Drop: true})
	req = signed(t, srv, "GET", "/api/accounts/5", "/api/accounts/5", "", time.Now(), srv.PrivateKey)
	req.Header.Set("Connection", "close")
	if resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("dropped connection gave an answer: %d", resp.StatusCode)
	}

	// ClearFaults removes pending faults.
	srv.FailNext("GET", "/api/accounts/{n}", 5, tigerpawtest.Fault{Status: 500})
	srv.ClearFaults()
	if status, _ := call(t, srv, "GET", "/api/accounts/5", ""); status != 200 {
		t.Errorf("after ClearFaults: %d", status)
	}
	srv.FailNext("GET", "/api/accounts/{n}", 0, tigerpawtest.Fault{Status: 500})
	if status, _ := call(t, srv, "GET", "/api/accounts/5", ""); status != 200 {
		t.Errorf("a fault for 0 requests applied: %d", status)
	}

	if n := srv.Count("GET", "/api/accounts/{}"); n != 7 {
		t.Errorf("Count = %d, want 7", n)
	}
	if n := srv.Count("", "*"); n != 7 {
		t.Errorf("Count(all) = %d, want 7", n)
	}
	srv.ResetCounts()
	if n := srv.Count("*", "*"); n != 0 {
		t.Errorf("Count after reset = %d", n)
	}
}

func TestFaultAfterApply(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	srv.AddAccount(tigerpawtest.Account{Number: 5, Name: "A"})
	srv.AddStatus(tigerpawtest.Status{Name: "New"})
	srv.AddPriority(tigerpawtest.Priority{Name: "High"})
	srv.FailNext("POST", "/api/serviceorders", 1, tigerpawtest.Fault{Status: 504, AfterApply: true, Delay: time.Millisecond})
	status, _ := call(t, srv, "POST", "/api/ServiceOrders", `{"AccountNumber":5,"Status":"New","Priority":"High","BriefDescription":"x","Reference":"k1"}`)
	if status != 504 {
		t.Errorf("status %d, want 504", status)
	}
	snap := srv.Snapshot()
	if len(snap.ServiceOrders) != 1 || snap.ServiceOrders[0].Reference != "k1" {
		t.Errorf("the write was not applied: %+v", snap.ServiceOrders)
	}
	// Slow answer without failure.
	srv.FailNext("GET", "/api/serviceorders/{n}", 1, tigerpawtest.Fault{Delay: 5 * time.Millisecond, AfterApply: true})
	if status, _ := call(t, srv, "GET", "/api/serviceorders/1", ""); status != 200 {
		t.Errorf("delayed answer: %d", status)
	}
}

func TestSeedingAndSnapshot(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	a := srv.AddAccount(tigerpawtest.Account{Name: "first"})
	b := srv.AddAccount(tigerpawtest.Account{Number: 10, Name: "ten"})
	c := srv.AddAccount(tigerpawtest.Account{Name: "after ten"})
	if a.Number != 1 || b.Number != 10 || c.Number != 11 {
		t.Errorf("allocated numbers %d, %d, %d; want 1, 10, 11", a.Number, b.Number, c.Number)
	}
	srv.AddAccount(tigerpawtest.Account{Number: 10, Name: "ten, renamed"})
	srv.AddStatus(tigerpawtest.Status{Name: "New"})
	srv.AddStatus(tigerpawtest.Status{Name: "new", Rank: 2})
	item := srv.AddPriceBookItem(tigerpawtest.PriceBookItem{ItemID: "I", SellingPrices: map[int]int64{1: 100}})
	srv.AddServiceOrder(tigerpawtest.ServiceOrder{AccountNumber: 1, Lock: &tigerpawtest.Lock{RepName: "x"}})
	if srv.LockServiceOrder(99, tigerpawtest.Lock{}) || srv.UnlockServiceOrder(99) {
		t.Error("locking an unknown order reported success")
	}
	if _, ok := srv.ServiceOrder(99); ok {
		t.Error("ServiceOrder(99) found an order")
	}

	snap := srv.Snapshot()
	wantAccounts := []tigerpawtest.Account{{Number: 1, Name: "first"}, {Number: 10, Name: "ten, renamed"}, {Number: 11, Name: "after ten"}}
	if diff := cmp.Diff(wantAccounts, snap.Accounts); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]tigerpawtest.Status{{Name: "new", Rank: 2}}, snap.Statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	// The snapshot is a copy.
	snap.PriceBookItems[0].SellingPrices[1] = 1
	snap.ServiceOrders[0].Lock.RepName = "changed"
	again := srv.Snapshot()
	if again.PriceBookItems[0].SellingPrices[1] != 100 || again.ServiceOrders[0].Lock.RepName != "x" {
		t.Error("changing a snapshot changed the server")
	}
	item.SellingPrices[1] = 5
	if srv.Snapshot().PriceBookItems[0].SellingPrices[1] != 100 {
		t.Error("the seed's map is shared with the server")
	}
	if diff := cmp.Diff(again, srv.Snapshot()); diff != "" {
		t.Errorf("two snapshots of an unchanged server differ:\n%s", diff)
	}
}

func TestClientUsesTheServerClock(t *testing.T) {
	t.Parallel()
	past := time.Date(2019, 5, 6, 7, 8, 9, 0, time.UTC)
	srv := tigerpawtest.NewServer(t, tigerpawtest.WithClock(func() time.Time { return past }))
	if err := srv.Client(t).ValidateUser(t.Context()); err != nil {
		t.Errorf("client of a server with a fixed clock: %v", err)
	}
}

func TestCloseTwice(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	srv.Close()
	srv.Close() // and once more by the test's cleanup
	if _, err := srv.HTTPClient().Get(srv.URL + "/api/diagnostics/validate/user"); err == nil {
		t.Error("a closed server answered")
	}
}

func TestPostNeedsContentLength(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	req := signed(t, srv, "POST", "/api/accounts/search", "/api/accounts/search", "", time.Now(), srv.PrivateKey)
	req.Body = io.NopCloser(strings.NewReader(`{"Criteria":[]}`)) // length unknown: sent chunked
	req.ContentLength = -1
	if status, _ := send(t, srv, req); status != http.StatusLengthRequired {
		t.Errorf("chunked POST: %d, want 411", status)
	}
	if status, _ := call(t, srv, "POST", "/api/accounts/search", `{"Criteria":[]}`); status != 200 {
		t.Errorf("POST with Content-Length: %d, want 200", status)
	}
}

func TestFaultRewrite(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	srv.AddAccount(tigerpawtest.Account{Number: 5, Name: "A"})
	srv.AddAgreement(tigerpawtest.Agreement{Number: 70, AccountNumber: 5, BillingPeriod: 1})
	srv.AddCharge(tigerpawtest.Charge{DetailID: 900, AgreementNumber: 70, SpecialItemID: "KES", ItemDescription: "d", Quantity: 3})

	// Duplicate the one element of the real list.
	var seen []byte
	srv.FailNext("GET", "/api/agreements/{n}/additionalcharges", 1, tigerpawtest.Fault{Rewrite: func(b []byte) []byte {
		seen = append([]byte(nil), b...)
		var list []json.RawMessage
		if err := json.Unmarshal(b, &list); err != nil || len(list) != 1 {
			t.Errorf("rewrite got %q (%v)", b, err)
			return b
		}
		out, _ := json.Marshal(append(list, list[0]))
		return out
	}})
	status, v := call(t, srv, "GET", "/api/agreements/70/additionalcharges", "")
	items, _ := v.([]any)
	if status != 200 || len(items) != 2 {
		t.Fatalf("rewritten answer: %d %v", status, v)
	}
	for _, it := range items {
		if id := it.(map[string]any)["DetailId"]; id != 900.0 {
			t.Errorf("DetailId %v, want the real charge's 900", id)
		}
	}
	if !strings.Contains(string(seen), `"DetailId":900`) {
		t.Errorf("Rewrite did not get the real answer: %q", seen)
	}
	// The fault is used up: the next answer is the real one.
	if _, v := call(t, srv, "GET", "/api/agreements/70/additionalcharges", ""); len(v.([]any)) != 1 {
		t.Errorf("second answer %v, want the real list of one", v)
	}

	// A write is applied, then its answer rewritten; the status stays the real one.
	srv.FailNext("POST", "/api/agreements/{n}/additionalcharges", 1, tigerpawtest.Fault{Rewrite: func([]byte) []byte {
		return []byte(`{"Success":true}`)
	}})
	srv.AddPriceBookItem(tigerpawtest.PriceBookItem{ItemID: "KES", Description: "Kaspersky"})
	status, v = call(t, srv, "POST", "/api/agreements/70/additionalcharges", `{"SpecialItemId":"KES","Quantity":1,"Price":1,"PriceLevel":0}`)
	if status != 200 || v.(map[string]any)["DetailId"] != nil {
		t.Errorf("rewritten create answer: %d %v", status, v)
	}
	if got := len(srv.Charges(70)); got != 2 {
		t.Errorf("charges after the rewritten create: %d, want 2 (the write applied)", got)
	}

	// A 404 stays a 404, rewritten.
	srv.FailNext("GET", "/api/agreements/{n}", 1, tigerpawtest.Fault{Rewrite: func([]byte) []byte { return []byte(`null`) }})
	if status, v := call(t, srv, "GET", "/api/agreements/71", ""); status != 404 || v != nil {
		t.Errorf("rewritten 404: %d %v", status, v)
	}
}

// TestLatencyDelaysEveryRequest: with a latency set, each request waits at
// least its fixed part and is answered as before; without one it is not
// delayed by the server.
func TestLatencyDelaysEveryRequest(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	acct := srv.AddAccount(tigerpawtest.Account{Name: "Acme", Type: "Customer"}).Number
	path := "/api/accounts/" + strconv.Itoa(acct)
	const fixed = 40 * time.Millisecond
	srv.SetLatency(fixed, 5*time.Millisecond)
	for range 2 {
		start := time.Now()
		status, body := call(t, srv, "GET", path, "")
		if took := time.Since(start); took < fixed {
			t.Errorf("answered after %v, before the latency of %v", took, fixed)
		}
		if status != http.StatusOK || body == nil {
			t.Fatalf("under latency: %d %v", status, body)
		}
	}
	if n := srv.Count("GET", "/api/accounts/{n}"); n != 2 {
		t.Errorf("counted %d requests, want 2", n)
	}
}
