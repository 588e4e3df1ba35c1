package ksc

import (
	"bytes"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksctest"
)

// The tests of this file check that a read is complete or it is an error: an
// answer that is short, empty or shape-less relative to what the server
// announced never reads as a short or empty success.

// rewrite returns a Fault.Rewrite that decodes the answer, lets edit change it
// and encodes it again.
func rewrite(t *testing.T, edit func(m map[string]any)) func([]byte) []byte {
	return func(b []byte) []byte {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("rewrite: answer %s: %v", b, err)
			return b
		}
		edit(m)
		out, err := json.Marshal(m)
		if err != nil {
			t.Errorf("rewrite: %v", err)
		}
		return out
	}
}

// arrayOf returns the item array of a GetItemsChunk or GetNextItems answer.
func arrayOf(m map[string]any, container string) []any {
	a, _ := m[container].(map[string]any)["KLCSP_ITERATOR_ARRAY"].([]any)
	return a
}

func setArray(m map[string]any, container string, a []any) {
	m[container].(map[string]any)["KLCSP_ITERATOR_ARRAY"] = a
}

// wantIncomplete fails t unless err wraps ErrIncomplete and names want.
func wantIncomplete(t *testing.T, err error, want string) {
	t.Helper()
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("error %v, want one wrapping ErrIncomplete", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %q", err, want)
	}
}

func wantReleased(t *testing.T, srv *ksctest.Server) {
	t.Helper()
	if n := srv.OpenHandles(); n != 0 {
		t.Errorf("%d result sets left open", n)
	}
}

func TestEmptyChunkBeforeTheAnnouncedCountIsAnError(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, WithChunkSize(2))
	// The first chunk is served; the second comes back empty although the
	// accessor announced 5 hosts.
	srv.InjectFault("ChunkAccessor.GetItemsChunk", ksctest.Fault{})
	srv.InjectFault("ChunkAccessor.GetItemsChunk", ksctest.Fault{Rewrite: rewrite(t, func(m map[string]any) {
		setArray(m, "pChunk", []any{})
		m["PxgRetVal"] = 0
	})})
	hosts, err := c.ForVirtualServer(vsAlpha.DisplayName).Hosts(t.Context(), alphaHosts)
	if hosts != nil {
		t.Errorf("hosts %v returned with the error", hosts)
	}
	wantIncomplete(t, err, "empty page at position 2: 2 of 5")
	wantReleased(t, srv)
}

func TestChunkShorterThanTheCountIsAnError(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	// The one chunk holds 2 of the 5 hosts; the read at position 2 (the
	// accessor's end, as the server now says) is empty.
	srv.InjectFault("ChunkAccessor.GetItemsChunk", ksctest.Fault{Rewrite: rewrite(t, func(m map[string]any) {
		setArray(m, "pChunk", arrayOf(m, "pChunk")[:2])
	})})
	srv.InjectFault("ChunkAccessor.GetItemsChunk", ksctest.Fault{Body: []byte(`{"pChunk":{"KLCSP_ITERATOR_ARRAY":[]},"PxgRetVal":0}`)})
	_, err := c.ForVirtualServer(vsAlpha.DisplayName).Hosts(t.Context(), alphaHosts)
	wantIncomplete(t, err, "2 of 5 announced")
	wantReleased(t, srv)
}

func TestMalformedChunksAreErrors(t *testing.T) {
	t.Parallel()
	big := append(append([]byte(`{"PxgRetVal":"`), bytes.Repeat([]byte("a"), 4<<20)...), `"}`...)
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"no pChunk", []byte(`{}`), "no pChunk"},
		{"pChunk null", []byte(`{"pChunk":null}`), "no pChunk"},
		{"pChunk empty", []byte(`{"pChunk":{}}`), "KLCSP_ITERATOR_ARRAY is missing or null"},
		{"items null", []byte(`{"pChunk":{"KLCSP_ITERATOR_ARRAY":null}}`), "KLCSP_ITERATOR_ARRAY is missing or null"},
		{"null element", []byte(`{"pChunk":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{"KLHST_WKS_HOSTNAME":"h-ws"}},null]}}`), "element 1 is null"},
		{"no host id", []byte(`{"pChunk":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{"KLHST_WKS_DN":"WS-01"}}]}}`), "element 0 has no KLHST_WKS_HOSTNAME"},
		{"wrapped value null", []byte(`{"pChunk":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":null}]}}`), "has no KLHST_WKS_HOSTNAME"},
		{"big PxgRetVal string", big, "no pChunk"},
		{"not an object", []byte(`[1,2]`), "decode response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t)
			srv.InjectFault("ChunkAccessor.GetItemsChunk", ksctest.Fault{Body: tt.body})
			hosts, err := c.ForVirtualServer(vsAlpha.DisplayName).Hosts(t.Context(), alphaHosts)
			if hosts != nil {
				t.Errorf("hosts %v returned with the error", hosts)
			}
			wantIncomplete(t, err, "ChunkAccessor.GetItemsChunk")
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			wantReleased(t, srv)
		})
	}
}

func TestUnreadableCountIsAnError(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	// FindHosts without its count: the client asks GetItemsCount, whose answer
	// has none either.
	srv.InjectFault("HostGroup.FindHosts", ksctest.Fault{Rewrite: rewrite(t, func(m map[string]any) { delete(m, "PxgRetVal") })})
	srv.InjectFault("ChunkAccessor.GetItemsCount", ksctest.Fault{Body: []byte(`{}`)})
	_, err := c.ForVirtualServer(vsAlpha.DisplayName).Hosts(t.Context(), alphaHosts)
	wantIncomplete(t, err, "ChunkAccessor.GetItemsCount: ")
	wantReleased(t, srv)

	srv.InjectFault("HostGroup.FindHosts", ksctest.Fault{Rewrite: rewrite(t, func(m map[string]any) { m["PxgRetVal"] = -3 })})
	_, err = c.ForVirtualServer(vsAlpha.DisplayName).Hosts(t.Context(), alphaHosts)
	wantIncomplete(t, err, "out of range")
	wantReleased(t, srv)
}

func TestUndecodableOpeningAnswerReleasesItsHandle(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	srv.InjectFault("HostGroup.FindHosts", ksctest.Fault{Rewrite: rewrite(t, func(m map[string]any) { m["PxgRetVal"] = "aaa" })})
	_, err := c.ForVirtualServer(vsAlpha.DisplayName).Hosts(t.Context(), alphaHosts)
	wantIncomplete(t, err, "HostGroup.FindHosts")
	wantReleased(t, srv)

	srv.InjectFault("LicenseKeys.EnumKeys", ksctest.Fault{Rewrite: rewrite(t, func(m map[string]any) { m["lKeyCount"] = []any{1} })})
	_, err = c.ForVirtualServer(vsAlpha.DisplayName).Keys(t.Context())
	wantIncomplete(t, err, "LicenseKeys.EnumKeys")
	wantReleased(t, srv)

	srv.InjectFault("LicenseKeys.AcquireKeyHosts", ksctest.Fault{Rewrite: rewrite(t, func(m map[string]any) { delete(m, "lKeyCount") })})
	_, err = c.ForVirtualServer(vsAlpha.DisplayName).KeyHostList(t.Context(), "K-COM")
	wantIncomplete(t, err, "no lKeyCount")
	wantReleased(t, srv)
}

func TestIteratorPagesMustMatchTheAnnouncedCount(t *testing.T) {
	t.Parallel()
	emptyNotEOF := []byte(`{"pData":{"KLCSP_ITERATOR_ARRAY":[]},"bEOF":false,"PxgRetVal":true}`)
	tests := []struct {
		name  string
		keys  bool // EnumKeys rather than the hosts of K-COM
		fault ksctest.Fault
		want  string
	}{
		{"empty page without EOF", false, ksctest.Fault{Body: emptyNotEOF}, "empty page without the end mark"},
		{"half the hosts then EOF", false, ksctest.Fault{Rewrite: func(b []byte) []byte {
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			setArray(m, "pData", arrayOf(m, "pData")[:1])
			m["bEOF"] = true
			out, _ := json.Marshal(m)
			return out
		}}, "end of the set (bEOF) after 1 items, 3 announced"},
		{"a counted key missing", true, ksctest.Fault{Rewrite: func(b []byte) []byte {
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			setArray(m, "pData", arrayOf(m, "pData")[1:])
			out, _ := json.Marshal(m)
			return out
		}}, "after 7 items, 8 announced"},
		{"no pData", true, ksctest.Fault{Body: []byte(`{"bEOF":true}`)}, "no pData"},
		{"pData null", true, ksctest.Fault{Body: []byte(`{"pData":null,"bEOF":true}`)}, "no pData"},
		{"array null", true, ksctest.Fault{Body: []byte(`{"pData":{"KLCSP_ITERATOR_ARRAY":null},"bEOF":true}`)}, "pData.KLCSP_ITERATOR_ARRAY is missing or null"},
		{"array missing", false, ksctest.Fault{Body: []byte(`{"pData":{},"bEOF":true}`)}, "pData.KLCSP_ITERATOR_ARRAY is missing or null"},
		{"no bEOF", false, ksctest.Fault{Body: []byte(`{"pData":{"KLCSP_ITERATOR_ARRAY":[]}}`)}, "no bEOF"},
		{"null element", true, ksctest.Fault{Body: []byte(`{"pData":{"KLCSP_ITERATOR_ARRAY":[null]},"bEOF":true}`)}, "element 0 is null"},
		{"key without serial", true, ksctest.Fault{Body: []byte(`{"pData":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{"KLLIC_PROD_NAME":"x"}}]},"bEOF":false}`)}, "has no KLLIC_SERIAL"},
		{"host without id", false, ksctest.Fault{Body: []byte(`{"pData":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{"KLLICSRV_HOST_CURRENT":true}}]},"bEOF":false}`)}, "has no KLLICSRV_HOSTNAME"},
		{"big PxgRetVal string", true, ksctest.Fault{Body: append(append([]byte(`{"PxgRetVal":"`), bytes.Repeat([]byte("a"), 4<<20)...), `"}`...)}, "no pData"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t)
			a := c.ForVirtualServer(vsAlpha.DisplayName)
			srv.InjectFault("GroupSyncIterator.GetNextItems", tt.fault)
			var err error
			if tt.keys {
				var keys []Key
				keys, err = a.Keys(t.Context())
				if keys != nil {
					t.Errorf("keys %v returned with the error", keys)
				}
			} else {
				var hosts []KeyHost
				hosts, err = a.KeyHostList(t.Context(), "K-COM")
				if hosts != nil {
					t.Errorf("key hosts %v returned with the error", hosts)
				}
			}
			wantIncomplete(t, err, tt.want)
			if !strings.Contains(err.Error(), "GroupSyncIterator.GetNextItems") {
				t.Errorf("error %q does not name the method", err)
			}
			wantReleased(t, srv)
		})
	}
}

func TestInventoryFailsOnAnIncompleteRead(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	src := NewSource(c)
	if _, err := src.Tenants(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv.InjectFault("ChunkAccessor.GetItemsChunk", ksctest.Fault{Body: []byte(`{"pChunk":{}}`)})
	inv, err := src.Inventory(t.Context(), vsAlpha.UID)
	if !errors.Is(err, ErrIncomplete) || len(inv.Devices) != 0 || len(inv.Licenses) != 0 {
		t.Fatalf("inventory %+v, error %v; want none and ErrIncomplete", inv, err)
	}
	wantReleased(t, srv)
}

func TestMalformedEventRangesAreErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ body, want string }{
		{`{}`, "no pParamsEvents"},
		{`{"pParamsEvents":{"KLEVP_EVENT_RANGE_ARRAY":null}}`, "KLEVP_EVENT_RANGE_ARRAY is missing or null"},
		{`{"pParamsEvents":{"KLEVP_EVENT_RANGE_ARRAY":[{"type":"params","value":{"event_type":"x"}}]}}`, "has no event_db_id"},
		{`{"pParamsEvents":{"KLEVP_EVENT_RANGE_ARRAY":[]}}`, "empty page at position 0"},
	} {
		srv, c := setup(t)
		srv.InjectFault("EventProcessing.GetRecordRange", ksctest.Fault{Body: []byte(tt.body)})
		_, err := c.ForVirtualServer(vsAlpha.DisplayName).EventList(t.Context(), EventQuery{From: t0.AddDate(0, 0, -1), To: t0})
		wantIncomplete(t, err, tt.want)
		wantReleased(t, srv)
	}
}

func TestMalformedVirtualServerListIsAnError(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ body, want string }{
		{`{}`, "PxgRetVal missing or null"},
		{`{"PxgRetVal":null}`, "PxgRetVal missing or null"},
		{`{"PxgRetVal":[null]}`, "element 0 is null"},
		{`{"PxgRetVal":[{"type":"params","value":{"KLVSRV_ID":1}}]}`, "no KLVSRV_DN"},
	} {
		srv, c := setup(t)
		srv.InjectFault("VServers.GetVServers", ksctest.Fault{Body: []byte(tt.body)})
		_, err := NewSource(c).Tenants(t.Context())
		wantIncomplete(t, err, tt.want)
	}
}

// TestDecodeMemoryIsBounded decodes a body of tiny elements: the decode must
// stop at maxAnswerItems elements instead of building a hundred times the
// body's size in structures (4M elements would take gigabytes).
func TestDecodeMemoryIsBounded(t *testing.T) {
	body := append([]byte(`{"pData":{"KLCSP_ITERATOR_ARRAY":[`), bytes.Repeat([]byte(`{},`), 4<<20)...)
	body = append(body, `{}]},"bEOF":true}`...)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var out nextItemsOut[keyWire]
	err := decodeResponse("GroupSyncIterator.GetNextItems", 200, body, &out)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "more than") {
		t.Errorf("error %v, want one about the element count", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2*maxResponseBody {
		t.Errorf("decoding %d bytes allocated %d, more than twice the body cap", len(body), alloc)
	}
}

func TestRefusedLoginSuspendsLogins(t *testing.T) {
	t.Parallel()
	srv := ksctest.NewServer()
	t.Cleanup(srv.Close)
	seed(srv)
	c, err := NewClient(srv.URL, WithRootCAs(srv.CertPool()),
		WithCredentials(Credentials{User: testUser, Password: "wrong", Internal: true}))
	if err != nil {
		t.Fatal(err)
	}
	src := NewSource(c)
	// As a cycle does: list the tenants, then read each.
	_, err = src.Tenants(t.Context())
	if !errors.Is(err, ErrUnauthorized) || !errors.Is(err, kaspersky.ErrUnauthorized) {
		t.Fatalf("error %v, want ErrUnauthorized and kaspersky.ErrUnauthorized", err)
	}
	for range 3 {
		for _, id := range []string{vsAlpha.UID, vsBeta.UID} {
			_, err := src.Inventory(t.Context(), id)
			if !errors.Is(err, kaspersky.ErrUnauthorized) || !strings.Contains(err.Error(), "suspended") {
				t.Fatalf("inventory error %v, want a suspended login", err)
			}
		}
		if _, err := c.ForVirtualServer(vsBeta.DisplayName).Keys(t.Context()); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("keys error %v", err)
		}
	}
	if n := srv.Requests("Session.StartSession"); n != 1 {
		t.Errorf("the server saw %d logins, want 1", n)
	}
	// After the hold-off the client tries again.
	c.core.clock = func() time.Time { return time.Now().Add(DefaultAuthHoldOff + time.Second) }
	if _, err := src.Tenants(t.Context()); !errors.Is(err, ErrUnauthorized) || strings.Contains(err.Error(), "suspended") {
		t.Errorf("error %v, want a refused login", err)
	}
	if n := srv.Requests("Session.StartSession"); n != 2 {
		t.Errorf("the server saw %d logins, want 2", n)
	}
}

func TestRefusalOnOneVirtualServerSuspendsOnlyIt(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	gone := c.ForVirtualServer("Gone Inc") // disabled: the server refuses its logins
	for range 3 {
		if _, err := gone.Keys(t.Context()); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("error %v", err)
		}
	}
	if n := srv.Requests("Session.StartSession"); n != 1 {
		t.Errorf("the server saw %d logins, want 1", n)
	}
	if _, err := c.ForVirtualServer(vsAlpha.DisplayName).Keys(t.Context()); err != nil {
		t.Errorf("another virtual server: %v", err)
	}
	// A second virtual server refused: every login is suspended.
	if _, err := c.ForVirtualServer("No Such VS").Keys(t.Context()); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("error %v", err)
	}
	if _, err := c.ForVirtualServer(vsBeta.DisplayName).Keys(t.Context()); err == nil || !strings.Contains(err.Error(), "suspended") {
		t.Errorf("error %v, want logins suspended", err)
	}
}

func TestAuthHoldOffDisabled(t *testing.T) {
	t.Parallel()
	srv := ksctest.NewServer()
	t.Cleanup(srv.Close)
	seed(srv)
	c, err := NewClient(srv.URL, WithRootCAs(srv.CertPool()), WithAuthHoldOff(0),
		WithCredentials(Credentials{User: testUser, Password: "wrong", Internal: true}))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, _ = c.VirtualServers(t.Context())
	}
	if n := srv.Requests("Session.StartSession"); n != 3 {
		t.Errorf("the server saw %d logins, want 3", n)
	}
	if _, err := NewClient(srv.URL, WithAuthHoldOff(-time.Second), WithCredentials(Credentials{User: "u", Password: "p", Internal: true})); err == nil {
		t.Error("negative hold-off accepted")
	}
}

func TestPlainHTTPRefusedUnlessAllowed(t *testing.T) {
	t.Parallel()
	creds := WithCredentials(Credentials{User: "u", Password: "p", Internal: true})
	_, err := NewClient("http://ksc.example.com:13299", creds)
	if err == nil || !strings.Contains(err.Error(), "http") || !strings.Contains(err.Error(), "in clear") ||
		!strings.Contains(err.Error(), "WithInsecureHTTP") {
		t.Fatalf("error %v, want http refused naming the reason and the switch", err)
	}
	c, err := NewClient("http://ksc.example.com:13299", creds, WithInsecureHTTP())
	if err != nil {
		t.Fatal(err)
	}
	if c.core.endpoint != "http://ksc.example.com:13299/api/v1.0/" {
		t.Errorf("endpoint %s", c.core.endpoint)
	}
}
