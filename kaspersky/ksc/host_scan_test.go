package ksc

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// generalHostChunk decodes body the general way, without the scanner.
func generalHostChunk(body []byte) ([]Host, int, error) {
	var out hostChunkResponse
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, 0, err
	}
	wires, err := out.chunkItems()
	if err != nil {
		return nil, 0, err
	}
	return hostsOf(wires), len(wires), nil
}

// scannedHostChunk decodes body with the scanner only.
func scannedHostChunk(body []byte) ([]Host, int, bool) {
	var out hostChunkResponse
	if !out.scanBody(body) {
		if out.scanned != nil {
			panic("scanBody changed the result and reported false")
		}
		return nil, 0, false
	}
	wires, err := out.chunkItems()
	if err != nil {
		panic(err)
	}
	return hostsOf(wires), len(wires), true
}

func hostsOf(wires []hostWire) []Host {
	hosts := make([]Host, len(wires))
	for i := range wires {
		hosts[i] = wires[i].host()
	}
	return hosts
}

// checkScanAgrees fails t when the scanner reads body and the general path does
// not, or reads it differently. It reports whether the scanner read it.
func checkScanAgrees(t *testing.T, body []byte) bool {
	t.Helper()
	got, gotRaw, ok := scannedHostChunk(body)
	if !ok {
		return false
	}
	want, wantRaw, err := generalHostChunk(body)
	if err != nil {
		t.Fatalf("scanner read a body encoding/json rejects (%v):\n%s", err, body)
	}
	if gotRaw != wantRaw {
		t.Fatalf("raw count %d, general path %d:\n%s", gotRaw, wantRaw, body)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("scanner differs from the general path (-general +scanner):\n%s\nbody:\n%s", d, body)
	}
	for i := range want {
		if got[i] != want[i] { // the same wall clock, location and all
			t.Fatalf("host %d: %#v, general path %#v\nbody:\n%s", i, got[i], want[i], body)
		}
	}
	if got == nil || want == nil {
		t.Fatalf("nil hosts: scanner %v, general %v", got == nil, want == nil)
	}
	return true
}

// chunkGen writes random FindHosts chunk bodies: mostly the shapes servers
// send, with every variation the decoders tolerate and some they do not.
type chunkGen struct {
	r *rand.Rand
	b strings.Builder
}

func (g *chunkGen) pick(options ...string) string { return options[g.r.IntN(len(options))] }

func (g *chunkGen) ws() {
	if g.r.IntN(6) == 0 {
		g.b.WriteString(g.pick(" ", "\n", "\t ", "\r\n  "))
	}
}

func (g *chunkGen) tok(s string) {
	g.ws()
	g.b.WriteString(s)
	g.ws()
}

func (g *chunkGen) key(name string) {
	switch g.r.IntN(40) {
	case 0:
		name = strings.ToLower(name)
	case 1:
		name = strings.ReplaceAll(name, "_", `\u005f`)
	case 2:
		name = strings.ReplaceAll(name, "K", "\u212a") // Kelvin sign folds to k
	}
	g.tok(`"` + name + `"`)
	g.tok(":")
}

func (g *chunkGen) str() string {
	switch g.r.IntN(12) {
	case 0:
		return `"Рабочая станция ` + fmt.Sprint(g.r.IntN(100)) + `"`
	case 1:
		return `"a\"b\\c\u00e9\n"`
	case 2:
		return "\"bad \xff utf8\""
	case 3:
		return "null"
	case 4:
		return g.pick(`7`, `true`, `{}`, `[]`, "\"ctl \x01\"", `"bad \q"`, `"`)
	case 5:
		return `""`
	}
	return fmt.Sprintf(`"%s-%d"`, g.pick("WS", "srv", "Microsoft Windows 11 Enterprise", "Ubuntu"), g.r.IntN(50))
}

func (g *chunkGen) number() string {
	switch g.r.IntN(14) {
	case 0:
		return "-" + fmt.Sprint(g.r.Int64N(1<<40))
	case 1:
		return g.pick("0", "-0", "01", "1.5", "1e3", "2E-1", "-", "18446744073709551615", "9223372036854775807", "123456789012345678", "1234567890123456789")
	}
	return fmt.Sprint(g.r.Int64N(1 << uint(g.r.IntN(62)+1)))
}

func (g *chunkGen) integer() string {
	switch g.r.IntN(10) {
	case 0, 1, 2:
		return g.number()
	case 3:
		return g.pick("null", "true", "false", `"5"`, "[]")
	case 4:
		return g.pick(`{"type":"int","value":`+g.number()+`}`, `{"value":`+g.number()+`,"type":"long"}`,
			`{"type":"long","value":"42"}`, `{"type":"long","value":null}`, `{"type":"long"}`,
			`{"type":"long","value":1,"x":2}`, `{"type":"datetime","value":1}`, `{"type":"long","value":1,"type":"long"}`,
			`{"type":"LONG","value":3}`, `{"Type":"long","value":3}`, `{"type":"long","value":3`)
	}
	return `{"type"` + g.pick(":", " : ") + `"long"` + g.pick(",", " ,\n") + `"value":` + g.number() + g.pick("}", " }")
}

func (g *chunkGen) datetime() string {
	day := time.Date(2000+g.r.IntN(40), time.Month(1+g.r.IntN(12)), 1+g.r.IntN(31), g.r.IntN(24), g.r.IntN(60), g.r.IntN(60), 0, time.UTC)
	s := day.Format(dateTimeLayout)
	switch g.r.IntN(12) {
	case 0:
		s = g.pick("", "2025-02-29T10:00:00Z", "2024-02-29T10:00:00Z", "2025-04-31T00:00:00Z", "2025-13-01T00:00:00Z",
			"2025-01-01T24:00:00Z", "2025-01-01T00:60:00Z", "2025-01-01T00:00:60Z", "2025-01-01T00:00:00.5Z",
			"2025-01-01T03:00:00+03:00", "2025-01-01 00:00:00", "0000-01-01T00:00:00Z", "2025-1-01T00:00:00Z", "x")
	case 1:
		return g.pick("null", "7", `{"type":"date","value":"2025-04-27"}`, `{"type":"datetime","value":null}`,
			`{"type":"datetime"}`, `{"value":"`+s+`","type":"datetime"}`, `{"type":"datetime","value":"\u0032025-01-01T00:00:00Z"}`)
	}
	if g.r.IntN(3) == 0 {
		return `"` + s + `"`
	}
	return `{"type":"datetime"` + g.pick(",", " , ") + `"value":"` + s + `"}`
}

func (g *chunkGen) attrs() {
	fields := []string{
		"KLHST_WKS_HOSTNAME", "KLHST_WKS_DN", "KLHST_WKS_OS_NAME", "KLHST_WKS_CTYPE",
		"KLHST_WKS_STATUS_ID", "KLHST_WKS_STATUS_MASK", "KLHST_WKS_STATUS", "KLHST_WKS_LAST_VISIBLE",
	}
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
			g.key(g.pick("KLHST_WKS_GROUPID", "extra", "type", "value"))
			g.b.WriteString(g.pick(`{"a":[1,2.5e-3,true,false,null,"s"]}`, `[]`, `{}`, `-0.0`, `"x"`, `[1,]`, `{"a"}`))
			g.tok(",")
		}
		g.key(f)
		switch f {
		case "KLHST_WKS_HOSTNAME", "KLHST_WKS_DN", "KLHST_WKS_OS_NAME":
			if f == "KLHST_WKS_HOSTNAME" && g.r.IntN(8) != 0 {
				g.b.WriteString(fmt.Sprintf(`"%08x-5c1e"`, g.r.Uint32()))
			} else {
				g.b.WriteString(g.str())
			}
		case "KLHST_WKS_LAST_VISIBLE":
			g.b.WriteString(g.datetime())
		default:
			g.b.WriteString(g.integer())
		}
	}
	g.tok("}")
}

func (g *chunkGen) item() { g.wrapped("KLHST_WKS_HOSTNAME", g.attrs) }

// wrapped writes one array item: mostly a wrapped params object of attrs,
// now and then null, bare attributes, a wrapper of the wrong type (with the
// identity field idField beside it) or another broken wrapper.
func (g *chunkGen) wrapped(idField string, attrs func()) {
	switch g.r.IntN(30) {
	case 0:
		g.tok("null")
	case 1:
		attrs() // bare
	case 2:
		g.tok("{")
		g.key("type")
		g.b.WriteString(g.pick(`"other"`, `"params"`, `1`, `null`))
		g.tok(",")
		g.key(idField)
		g.b.WriteString(`"bare"`)
		if g.r.IntN(2) == 0 {
			g.tok(",")
			g.key("value")
			attrs()
		}
		g.tok("}")
	case 3:
		g.b.WriteString(g.pick(`{"type":"params","value":null}`, `{"type":"params"}`, `{"value":{"`+idField+`":"v"},"type":"params"}`, `7`, `[]`))
	default:
		g.tok("{")
		g.key("type")
		g.b.WriteString(`"params"`)
		g.tok(",")
		g.key("value")
		attrs()
		g.tok("}")
	}
}

func (g *chunkGen) body() []byte {
	g.b.Reset()
	n := g.r.IntN(6)
	count := func() {
		g.key("PxgRetVal")
		g.b.WriteString(fmt.Sprint(n))
	}
	g.tok("{")
	if g.r.IntN(2) == 0 {
		count()
		g.tok(",")
	}
	g.key(g.pick("pChunk", "pChunk", "pChunk", "pChunk", "pchunk"))
	switch g.r.IntN(15) {
	case 0:
		g.b.WriteString(g.pick(`null`, `{}`, `[]`, `{"type":"params","value":{"KLCSP_ITERATOR_ARRAY":[{"KLHST_WKS_HOSTNAME":"w"}]}}`,
			`{"KLCSP_ITERATOR_ARRAY":null}`, `{"KLCSP_ITERATOR_ARRAY":[]}`, `{"KLCSP_ITERATOR_ARRAY":[],"KLCSP_ITERATOR_ARRAY":[]}`))
	default:
		g.tok("{")
		if g.r.IntN(10) == 0 {
			g.key("KLCSP_OTHER")
			g.b.WriteString(`[{"type":"long","value":1}]`)
			g.tok(",")
		}
		g.key(g.pick("KLCSP_ITERATOR_ARRAY", "KLCSP_ITERATOR_ARRAY", "KLCSP_ITERATOR_ARRAY", "KLCSP_iterator_ARRAY"))
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
	if g.r.IntN(2) == 0 {
		g.tok(",")
		count()
	}
	g.tok("}")
	if g.r.IntN(30) == 0 {
		g.b.WriteString(g.pick("x", "{}", "]"))
	}
	return []byte(g.b.String())
}

// mutate corrupts body at a random place.
func mutate(r *rand.Rand, body []byte) []byte {
	b := append([]byte(nil), body...)
	if len(b) == 0 {
		return b
	}
	i := r.IntN(len(b))
	switch r.IntN(4) {
	case 0:
		return b[:i]
	case 1:
		b[i] = "{}[]\",:\\ 0-.en\x00\x80"[r.IntN(16)]
		return b
	case 2:
		return append(b[:i], b[i+1:]...)
	}
	return append(b[:i], append([]byte{b[i]}, b[i:]...)...)
}

func TestHostScanAgreesWithGeneralPath(t *testing.T) {
	t.Parallel()
	g := &chunkGen{r: rand.New(rand.NewPCG(1, 2))}
	const rounds = 20000
	read, mutatedRead := 0, 0
	for range rounds {
		body := g.body()
		if checkScanAgrees(t, body) {
			read++
		}
		if checkScanAgrees(t, mutate(g.r, body)) {
			mutatedRead++
		}
	}
	// The generator mostly writes what servers send, which the scanner must
	// read itself rather than leave to the general path.
	if read < rounds/10 {
		t.Errorf("scanner read %d of %d generated bodies", read, rounds)
	}
	t.Logf("scanner read %d generated and %d corrupted bodies of %d", read, mutatedRead, rounds)
}

func TestHostScanReadsServerShapes(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		string(hostChunkBody(t, 3)),
		`{"pChunk":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{"KLHST_WKS_HOSTNAME":"h","KLHST_WKS_DN":"Рабочая","KLHST_WKS_STATUS_MASK":136,"KLHST_WKS_LAST_VISIBLE":""}}]},"PxgRetVal":1}`,
		`{"PxgRetVal":1, "pChunk": {"KLCSP_ITERATOR_ARRAY": [ {"KLHST_WKS_HOSTNAME": "a\"b", "KLHST_WKS_LAST_VISIBLE": {"type": "datetime", "value": ""}, "KLHST_WKS_x": {"y": [1, -2.5e+3, true, false, null]}} ]}}`,
		`{"pChunk":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{"KLHST_WKS_HOSTNAME":"h","KLHST_WKS_OS_NAME":null,"KLHST_WKS_CTYPE":null,"KLHST_WKS_LAST_VISIBLE":null,"KLHST_WKS_STATUS_ID":{"type":"long","value":-1}}}]}}`,
		`{"pChunk":{"KLCSP_ITERATOR_ARRAY":[]}}`,
	} {
		if !checkScanAgrees(t, []byte(body)) {
			t.Errorf("scanner left a server-shaped body to the general path:\n%s", body)
		}
	}
	// Answers that are incomplete are left to the general path, which names
	// the fault.
	for _, body := range []string{
		`{"pChunk":{"KLCSP_ITERATOR_ARRAY":[null,{"type":"params","value":{"KLHST_WKS_HOSTNAME":"h"}}]},"PxgRetVal":2}`,
		`{"pChunk":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{"KLHST_WKS_DN":"no id"}}]}}`,
		`{"pChunk":{"KLCSP_ITERATOR_ARRAY":null}}`,
		`{"pChunk":{}}`,
		`{"pChunk":null}`,
		`{}`,
		`{"PxgRetVal":"aaaaaaaa"}`,
	} {
		if _, _, ok := scannedHostChunk([]byte(body)); ok {
			t.Errorf("scanner read an incomplete answer:\n%s", body)
		}
		if _, _, err := generalHostChunk([]byte(body)); !errors.Is(err, ErrIncomplete) {
			t.Errorf("general path: error %v, want ErrIncomplete:\n%s", err, body)
		}
	}
}

func TestScanDateTime(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	digits := func(n, maxVal int) string { return fmt.Sprintf("%0*d", n, r.IntN(maxVal)) }
	for range 50000 {
		s := digits(4, 10000) + "-" + digits(2, 14) + "-" + digits(2, 33) + "T" + digits(2, 26) + ":" + digits(2, 62) + ":" + digits(2, 62) + "Z"
		if r.IntN(10) == 0 {
			b := []byte(s)
			b[r.IntN(len(b))] = "0-T:Z9x "[r.IntN(8)]
			s = string(b)
		}
		got, ok := scanDateTime([]byte(s))
		want, err := parseDateTime(s)
		if ok && (err != nil || got != want) {
			t.Fatalf("scanDateTime(%q) = %v, parseDateTime = %v, %v", s, got, want, err)
		}
		if !ok && err == nil && len(s) == 20 && !strings.ContainsAny(s, "x ") {
			t.Fatalf("scanDateTime(%q) refused what parseDateTime reads as %v", s, want)
		}
	}
}

// FuzzHostChunkScan checks that whatever body the scanner reads, the general
// path reads the same way.
func FuzzHostChunkScan(f *testing.F) {
	g := &chunkGen{r: rand.New(rand.NewPCG(5, 6))}
	for range 20 {
		f.Add(g.body())
	}
	f.Add(hostChunkBody(f, 2))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkScanAgrees(t, body)
	})
}
