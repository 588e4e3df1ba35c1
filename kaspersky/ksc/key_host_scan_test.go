package ksc

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// keyHostPageBody renders a GroupSyncIterator.GetNextItems page of
// AcquireKeyHosts with n hosts, in the shape a server sends.
func keyHostPageBody(tb testing.TB, n int, eof bool) []byte {
	tb.Helper()
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{"type": "params", "value": map[string]any{
			"KLLICSRV_HOSTNAME":     fmt.Sprintf("%08x-5c1e-4a7b-9d2e-%012d", i, i),
			"KLLICSRV_HOST_CURRENT": i%7 != 0,
			"KLLICSRV_PRODUCT":      "KES",
		}}
	}
	body, err := json.Marshal(map[string]any{"pData": map[string]any{"KLCSP_ITERATOR_ARRAY": items}, "bEOF": eof, "PxgRetVal": n > 0})
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

// generalKeyHostPage decodes body the general way, without the scanner.
func generalKeyHostPage(body []byte) ([]keyHostWire, bool, error) {
	var out nextItemsOut[keyHostWire]
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, false, err
	}
	items, eof, err := out.page()
	if err != nil {
		return nil, false, err
	}
	for i, it := range items {
		if it.Host == "" {
			return nil, false, incomplete("GroupSyncIterator.GetNextItems", "item %d has no KLLICSRV_HOSTNAME", i)
		}
	}
	return items, eof, nil
}

// scannedKeyHostPage decodes body with the scanner only.
func scannedKeyHostPage(body []byte) ([]keyHostWire, bool, bool) {
	var out nextItemsOut[keyHostWire]
	if !out.scanBody(body) {
		if out.scanned != nil {
			panic("scanBody changed the result and reported false")
		}
		return nil, false, false
	}
	items, eof, err := out.page()
	if err != nil {
		panic(err)
	}
	return items, eof, true
}

// checkKeyHostScanAgrees fails t when the scanner reads body and the general
// path does not, or reads it differently. It reports whether the scanner read
// it.
func checkKeyHostScanAgrees(t *testing.T, body []byte) bool {
	t.Helper()
	got, gotEOF, ok := scannedKeyHostPage(body)
	if !ok {
		return false
	}
	want, wantEOF, err := generalKeyHostPage(body)
	if err != nil {
		t.Fatalf("scanner read a body the general path rejects (%v):\n%s", err, body)
	}
	if gotEOF != wantEOF || len(got) != len(want) || got == nil {
		t.Fatalf("scanner: %d items, bEOF %v; general path %d, %v:\n%s", len(got), gotEOF, len(want), wantEOF, body)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("item %d: scanner %+v, general path %+v:\n%s", i, got[i], want[i], body)
		}
	}
	return true
}

// keyHostGen writes random AcquireKeyHosts pages: mostly the shapes servers
// send, with variations the decoders tolerate and some they do not.
type keyHostGen struct{ chunkGen }

func (g *keyHostGen) boolean() string {
	if g.r.IntN(10) == 0 {
		return g.pick("null", `{"type":"bool","value":true}`, `"true"`, `1.0`, `tru`, `{"type":"long","value":"1"}`)
	}
	return g.pick("true", "false", "true", "0", "1", "7", `{"type":"long","value":1}`, `{"type":"int","value":0}`)
}

func (g *keyHostGen) attrs() {
	fields := []string{"KLLICSRV_HOSTNAME", "KLLICSRV_HOST_CURRENT", "KLLICSRV_PRODUCT"}
	g.r.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
	n := len(fields)
	if g.r.IntN(4) == 0 {
		n = g.r.IntN(len(fields) + 1)
	}
	if g.r.IntN(20) == 0 && n > 0 {
		fields = append(fields[:n], fields[0]) // a duplicate
		n++
	}
	g.tok("{")
	for i, f := range fields[:n] {
		if i > 0 {
			g.tok(",")
		}
		if g.r.IntN(15) == 0 {
			g.key(g.pick("KLLICSRV_VERSION", "extra", "type", "value", "kllicsrv_product"))
			g.b.WriteString(g.pick(`{"a":[1,2.5e-3,true,false,null,"s"]}`, `[]`, `{}`, `-0.0`, `"x"`, `[1,]`, `{"a"}`))
			g.tok(",")
		}
		g.key(f)
		switch f {
		case "KLLICSRV_HOSTNAME":
			if g.r.IntN(8) != 0 {
				g.b.WriteString(fmt.Sprintf(`"%08x-5c1e"`, g.r.Uint32()))
			} else {
				g.b.WriteString(g.str())
			}
		case "KLLICSRV_PRODUCT":
			g.b.WriteString(g.str())
		default:
			g.b.WriteString(g.boolean())
		}
	}
	g.tok("}")
}

func (g *keyHostGen) item() { g.wrapped("KLLICSRV_HOSTNAME", g.attrs) }

func (g *keyHostGen) body() []byte {
	g.b.Reset()
	n := g.r.IntN(6)
	eof := func() {
		g.key(g.pick("bEOF", "bEOF", "bEOF", "beof"))
		g.b.WriteString(g.boolean())
	}
	// bEOF once, before or after pData; now and then missing or twice.
	before, after := false, false
	switch g.r.IntN(20) {
	case 0:
	case 1:
		before, after = true, true
	default:
		before = g.r.IntN(2) == 0
		after = !before
	}
	g.tok("{")
	if before {
		eof()
		g.tok(",")
	}
	if g.r.IntN(3) == 0 {
		g.key("PxgRetVal")
		g.b.WriteString(g.pick("true", "1", `"x"`))
		g.tok(",")
	}
	if g.r.IntN(10) == 0 {
		g.key("pdata") // folds onto pData: the general path's
	} else {
		g.key("pData")
	}
	switch g.r.IntN(15) {
	case 0:
		g.b.WriteString(g.pick(`null`, `{}`, `[]`, `{"type":"params","value":{"KLCSP_ITERATOR_ARRAY":[{"KLLICSRV_HOSTNAME":"w"}]}}`,
			`{"KLCSP_ITERATOR_ARRAY":null}`, `{"KLCSP_ITERATOR_ARRAY":[]}`, `{"KLCSP_ITERATOR_ARRAY":[],"KLCSP_ITERATOR_ARRAY":[]}`,
			`{"KLEVP_EVENT_RANGE_ARRAY":[],"KLCSP_ITERATOR_ARRAY":[]}`))
	default:
		g.tok("{")
		if g.r.IntN(10) == 0 {
			g.key("KLCSP_OTHER")
			g.b.WriteString(`[{"type":"long","value":1}]`)
			g.tok(",")
		}
		if g.r.IntN(10) == 0 {
			g.key("KLCSP_iterator_ARRAY")
		} else {
			g.key("KLCSP_ITERATOR_ARRAY")
		}
		g.tok("[")
		for i := range n {
			if i > 0 {
				g.tok(",")
			}
			g.item()
		}
		g.tok("]")
		g.tok("}")
	}
	if after {
		g.tok(",")
		eof()
	}
	g.tok("}")
	if g.r.IntN(30) == 0 {
		g.b.WriteString(g.pick("x", "{}", "]"))
	}
	return []byte(g.b.String())
}

func TestKeyHostScanAgreesWithGeneralPath(t *testing.T) {
	t.Parallel()
	g := &keyHostGen{chunkGen{r: rand.New(rand.NewPCG(7, 8))}}
	const rounds = 20000
	read, mutatedRead, accepted := 0, 0, 0
	for range rounds {
		body := g.body()
		if checkKeyHostScanAgrees(t, body) {
			read++
		}
		if _, _, err := generalKeyHostPage(body); err == nil {
			accepted++
		}
		if checkKeyHostScanAgrees(t, mutate(g.r, body)) {
			mutatedRead++
		}
	}
	// The generator writes mostly what servers send (with a variation now
	// and then at each of many places, names with escapes or folded case
	// among them, which are the general path's): the scanner must read a
	// good part of them itself.
	if read < rounds/10 || read < accepted/4 {
		t.Errorf("scanner read %d of %d generated pages (%d accepted by the general path)", read, rounds, accepted)
	}
	t.Logf("scanner read %d generated (%d accepted) and %d corrupted pages of %d", read, accepted, mutatedRead, rounds)
}

func TestKeyHostScanReadsServerShapes(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		string(keyHostPageBody(t, 3, true)),
		string(keyHostPageBody(t, 0, true)),
		`{"pData":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{"KLLICSRV_HOSTNAME":"h","KLLICSRV_HOST_CURRENT":1,"KLLICSRV_PRODUCT":"Рабочая"}}]},"bEOF":false,"PxgRetVal":true}`,
		`{ "bEOF" : {"type":"long","value":1}, "pData": {"KLCSP_ITERATOR_ARRAY": [ {"KLLICSRV_HOSTNAME": "a\"b", "KLLICSRV_HOST_CURRENT": null, "KLLICSRV_VERSION": {"y": [1, -2.5e+3, true, false, null]}} ]}}`,
	} {
		if !checkKeyHostScanAgrees(t, []byte(body)) {
			t.Errorf("scanner left a server-shaped page to the general path:\n%s", body)
		}
	}
	// Answers that are incomplete are left to the general path, which names
	// the fault.
	for _, body := range []string{
		`{"pData":{"KLCSP_ITERATOR_ARRAY":[null,{"type":"params","value":{"KLLICSRV_HOSTNAME":"h"}}]},"bEOF":true}`,
		`{"pData":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{"KLLICSRV_PRODUCT":"no id"}}]},"bEOF":true}`,
		`{"pData":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":null}]},"bEOF":true}`,
		`{"pData":{"KLCSP_ITERATOR_ARRAY":null},"bEOF":true}`,
		`{"pData":{},"bEOF":true}`,
		`{"pData":null,"bEOF":true}`,
		`{"pData":{"KLCSP_ITERATOR_ARRAY":[]}}`,
		`{"pData":{"KLCSP_ITERATOR_ARRAY":[]},"bEOF":null}`,
		`{}`,
	} {
		if _, _, ok := scannedKeyHostPage([]byte(body)); ok {
			t.Errorf("scanner read an incomplete answer:\n%s", body)
		}
		if _, _, err := generalKeyHostPage([]byte(body)); !errors.Is(err, ErrIncomplete) {
			t.Errorf("general path: error %v, want ErrIncomplete:\n%s", err, body)
		}
	}
}

// FuzzKeyHostPageScan checks that whatever page the scanner reads, the
// general path reads the same way.
func FuzzKeyHostPageScan(f *testing.F) {
	g := &keyHostGen{chunkGen{r: rand.New(rand.NewPCG(9, 10))}}
	for range 20 {
		f.Add(g.body())
	}
	f.Add(keyHostPageBody(f, 2, true))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkKeyHostScanAgrees(t, body)
	})
}

// BenchmarkDecodeKeyHosts decodes a GetNextItems page of 5,000 key hosts, as
// decodeResponse does (the fast path), and the general way (encoding/json and
// the wire types), reporting ns/key-host and allocs/key-host of each.
func BenchmarkDecodeKeyHosts(b *testing.B) {
	const n = 5000
	body := keyHostPageBody(b, n, true)
	for _, path := range []string{"fast", "general"} {
		b.Run(path, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for b.Loop() {
				var out nextItemsOut[keyHostWire]
				var err error
				if path == "fast" {
					err = decodeResponse("GroupSyncIterator.GetNextItems", 200, body, &out)
					if out.scanned == nil {
						b.Fatal("the fast path left the page to encoding/json")
					}
				} else if err = json.Unmarshal(body, &out); out.scanned != nil {
					b.Fatal("the general path used the scanner")
				}
				items, _, perr := out.page()
				if err != nil || perr != nil || len(items) != n {
					b.Fatalf("%d key hosts, %v, %v", len(items), err, perr)
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key-host")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*n), "allocs/key-host")
		})
	}
}

// TestKeyHostsReadThroughTheFastPath: a key's hosts read from the fake come
// through the scanner, with the same result as the general path.
func TestKeyHostsPageOfTheFakeIsScanned(t *testing.T) {
	t.Parallel()
	body := keyHostPageBody(t, 4, true)
	var out nextItemsOut[keyHostWire]
	if err := decodeResponse("GroupSyncIterator.GetNextItems", 200, body, &out); err != nil {
		t.Fatal(err)
	}
	if out.scanned == nil {
		t.Fatal("a server-shaped page of key hosts was not read by the scanner")
	}
	items, eof, _ := out.page()
	if !eof || len(items) != 4 || items[0].Current.v || !items[1].Current.v || items[2].Product != "KES" {
		t.Errorf("scanned page: %+v, bEOF %v", items, eof)
	}
	if !strings.HasPrefix(items[3].Host, "00000003-") {
		t.Errorf("host id %q", items[3].Host)
	}
}
