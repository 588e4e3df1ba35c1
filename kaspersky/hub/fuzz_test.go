package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// FuzzDecodeResponse feeds arbitrary bodies and statuses to the response
// decoder with every shape the client reads, and the decoded values to the
// mappings: errors are fine, panics and empty error texts are not. A page that
// decodes is one a lenient reading agrees with: an object whose items list is
// there, holds exactly the items returned, each an object with an id, and
// whose total is there: a short, empty or shape-less answer is an error,
// never an empty success.
func FuzzDecodeResponse(f *testing.F) {
	f.Add(200, []byte(`{"items":[{"id":"d1","name":"WS","platform":"windows","kind":"workstation","userId":"u1","status":"warning","statusDescriptions":[{"code":"databases-outdated","text":"x"}]}],"nextPage":2,"total":3}`))
	f.Add(200, []byte(`{"items":[{"id":"l1","product":"kes-cloud","type":"commercial","state":"active","expiresAt":"2027-01-01T00:00:00Z","capacity":5,"users":["u1"],"mailboxes":0}],"nextPage":null,"total":1}`))
	f.Add(200, []byte(`{"items":[{"id":"e","time":"2026-11-01T00:00:00Z","severity":"critical","type":"t","deviceId":"d","description":"x"}],"total":1}`))
	f.Add(200, []byte(`{"items":[{"id":"o","time":"2026-11-01T00:00:00Z","type":"license-issue","description":"x","active":true}],"total":1}`))
	f.Add(200, []byte(`{"mailboxesProtected":true,"licenseOk":false,"protectedMailboxes":12}`))
	f.Add(200, []byte(`{"token":"t","expiresAt":"2026-11-29T10:00:00Z"}`))
	f.Add(404, []byte(`{"error":{"code":"company-not-found","message":"no"}}`))
	f.Add(500, []byte(`{"error":{"code":5,"message":null}}`))
	f.Add(429, []byte(``))
	f.Add(200, []byte(`{"items":[{"id":1}]}`))
	f.Add(200, []byte(`{"items":null,"nextPage":null,"total":0}`))
	f.Add(200, []byte(`{"items":[null],"total":1}`))
	f.Add(200, []byte(`{"items":[{}],"total":1}`))
	f.Add(200, []byte(`{}`))
	f.Add(200, []byte(`null`))
	f.Add(200, []byte(`{"items":[],"total":0,"items":[{"id":"x"}]}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		check := func(err error) {
			if err == nil {
				return
			}
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			var ae *APIError
			if (status < 200 || status > 299) != errors.As(err, &ae) {
				t.Fatalf("status %d gave %T: %v", status, err, err)
			}
			if ae != nil && len(ae.Body) > maxErrorBody+len("…") {
				t.Fatalf("body excerpt of %d bytes", len(ae.Body))
			}
		}
		const limit = 50
		devices := &pageAnswer[Device]{limit: limit, decode: decodeDevice}
		err := decodeResponse("GET", "/p", status, body, devices)
		check(err)
		if err == nil {
			agree(t, body, len(devices.items), devices.total)
			for _, d := range devices.items {
				kd := DeviceOf("t", d)
				if !kd.Category.Valid() {
					t.Fatalf("invalid category for %+v", d)
				}
				seen := map[string]bool{}
				for _, sd := range kd.Descriptions {
					if sd.Code == "" || seen[string(sd.Code)] {
						t.Fatalf("empty or repeated code in %+v", kd.Descriptions)
					}
					seen[string(sd.Code)] = true
				}
			}
		}
		licenses := &pageAnswer[License]{limit: limit, decode: decodeLicense}
		if err := decodeResponse("GET", "/p", status, body, licenses); err == nil {
			agree(t, body, len(licenses.items), licenses.total)
			for _, l := range licenses.items {
				kl, err := LicenseOf(l, devices.items)
				if err == nil && (kl.Capacity < 0 || kl.Mailboxes < 0) {
					t.Fatalf("negative quantities in %+v", kl)
				}
			}
		} else {
			check(err)
			if status >= 200 && status <= 299 && !errors.Is(err, ErrIncomplete) {
				t.Fatalf("page error %v does not wrap ErrIncomplete", err)
			}
		}
		events := &pageAnswer[Event]{limit: limit, decode: decodeEvent}
		if err := decodeResponse("GET", "/p", status, body, events); err == nil {
			agree(t, body, len(events.items), events.total)
			for _, e := range events.items {
				if e.Time.IsZero() {
					t.Fatalf("event %q accepted without its time", e.ID)
				}
				_ = EventOf("t", e)
			}
		}
		o365 := &pageAnswer[Office365Event]{limit: limit, decode: decodeOffice365Event}
		if err := decodeResponse("GET", "/p", status, body, o365); err == nil {
			agree(t, body, len(o365.items), o365.total)
			for _, e := range o365.items {
				if e.Time.IsZero() {
					t.Fatalf("Office 365 event %q accepted without its time", e.ID)
				}
				_ = Office365EventOf("t", e)
			}
		}
		var st statusAnswer
		err = decodeResponse("GET", "/p", status, body, &st)
		check(err)
		if err == nil {
			var m map[string]json.RawMessage
			if json.Unmarshal(body, &m) != nil || m["mailboxesProtected"] == nil || m["licenseOk"] == nil || m["protectedMailboxes"] == nil {
				t.Fatalf("status %s decoded without all of its fields", body)
			}
		}
	})
}

// agree checks a page the strict decoder accepted against a lenient reading of
// the same body.
func agree(t *testing.T, body []byte, items, total int) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("page %q accepted but is not a JSON object: %v", body, err)
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(m["items"], &list); err != nil || list == nil {
		t.Fatalf("page %q accepted without an items list (%v)", body, err)
	}
	if len(list) != items {
		t.Fatalf("page %q: %d items accepted, the body holds %d", body, items, len(list))
	}
	for i, it := range list {
		var id string
		if it == nil || json.Unmarshal(it["id"], &id) != nil || strings.TrimSpace(id) == "" {
			t.Fatalf("page %q: item %d accepted without an id", body, i)
		}
	}
	var n int
	if err := json.Unmarshal(m["total"], &n); err != nil || n != total || n < 0 {
		t.Fatalf("page %q: total %d accepted, the body says %s", body, total, m["total"])
	}
}

// pageTransport serves a list's pages from a fixed table, by page number, and
// logs in anyone: the client's walk over them is then a pure function of the
// table.
type pageTransport map[string][]byte

func (pt pageTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	body := []byte(`{"token":"t"}`)
	status := http.StatusOK
	if r.URL.Path != loginPath {
		b, ok := pt[r.URL.Query().Get("page")]
		if !ok {
			status, b = http.StatusNotFound, []byte(`{"error":{"code":"no-page"}}`)
		}
		body = b
	}
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
}

// FuzzListWalk walks a list of three arbitrary pages. Whatever the pages say,
// a walk that succeeds returned exactly the total the first page announced,
// each item with an id of its own: a short, empty or shape-less list is an
// error, never an empty or partial success.
func FuzzListWalk(f *testing.F) {
	f.Add([]byte(`{"items":[{"id":"a"},{"id":"b"}],"nextPage":2,"total":3}`), []byte(`{"items":[{"id":"c"}],"nextPage":null,"total":3}`), []byte(``))
	f.Add([]byte(`{"items":[{"id":"a"},{"id":"b"}],"nextPage":2,"total":4}`), []byte(`{"items":[{"id":"c"}],"nextPage":null,"total":4}`), []byte(``))
	f.Add([]byte(`{"items":[{"id":"a"},{"id":"b"}],"nextPage":2,"total":3}`), []byte(`{"items":[],"nextPage":3,"total":3}`), []byte(`{"items":[{"id":"c"}],"total":3}`))
	f.Add([]byte(`{"items":[{"id":"a"},{"id":"b"}],"nextPage":2,"total":3}`), []byte(`{"items":null,"total":3}`), []byte(``))
	f.Add([]byte(`{"items":[{"id":"a"},{"id":"b"}],"nextPage":3,"total":3}`), []byte(``), []byte(`{"items":[{"id":"a"}],"total":3}`))
	f.Add([]byte(`{"items":[],"total":0}`), []byte(``), []byte(``))
	f.Add([]byte(`{"items":[{"id":"a"},{"id":"b"}],"nextPage":2,"total":3}`), []byte(`{"items":[{"id":"c"}],"nextPage":null,"total":4}`), []byte(``))
	f.Fuzz(func(t *testing.T, p1, p2, p3 []byte) {
		pt := pageTransport{"1": p1, "2": p2, "3": p3}
		c, err := NewClient("https://hub.invalid", WithCredentials(Credentials{Email: testEmail, Password: testPassword}),
			WithHTTPClient(&http.Client{Transport: pt}), WithPageSize(2),
			WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Collect(c.Companies(t.Context()))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		var first struct {
			Total *int `json:"total"`
		}
		if json.Unmarshal(p1, &first) != nil || first.Total == nil || *first.Total != len(got) {
			t.Fatalf("walk returned %d items; page 1 says %s", len(got), p1)
		}
		ids := map[string]bool{}
		for _, co := range got {
			if strings.TrimSpace(co.ID) == "" || ids[co.ID] {
				t.Fatalf("walk returned an empty or repeated id in %v", got)
			}
			ids[co.ID] = true
		}
		if len(got) > 6 {
			t.Fatalf("walk returned %d items from three pages of two", len(got))
		}
	})
}
