package tigerpaw

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// bigList builds a JSON array of elem repeated up to about size bytes.
func bigList(elem string, size int) []byte {
	n := size / (len(elem) + 1)
	var b bytes.Buffer
	b.Grow(size + 2)
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(elem)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// BenchmarkDecodeHugeMalformedCharges decodes the charge lists of the issue
// (10 MB of [0,0,…], 30 MB of [{},…]) the way Charges.List does, and reports
// the bytes allocated per decode. Before the strict decoder these took 2.6 GB
// and 4.7 GB of RSS in the daemon.
func BenchmarkDecodeHugeMalformedCharges(b *testing.B) {
	c, err := NewClient("http://tigerpaw.invalid", WithKeys("p", "k"))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		body []byte
	}{
		{"zeros-10MB", bigList("0", 10<<20)},
		{"empty-objects-30MB", bigList("{}", 30<<20)},
		{"empty-objects-100KB", bigList("{}", 100<<10)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			n := 0
			for b.Loop() {
				n++
				if _, err := decodeList(c, http.MethodGet, "/api/x", bc.body, chargeSpec); !errors.Is(err, ErrMalformedResponse) {
					b.Fatalf("err = %v", err)
				}
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(n), "alloc-B/decode")
			b.ReportMetric(float64(len(bc.body)), "body-B")
		})
	}
}

// TestHugeMalformedDecodeAllocatesLittle is the assertion behind the
// benchmark: the decode of each huge body fails, and allocates less than the
// body's own size (the old decoder allocated gigabytes). The figure compared
// is a count of bytes allocated, not a time.
func TestHugeMalformedDecodeAllocatesLittle(t *testing.T) {
	c, err := NewClient("http://tigerpaw.invalid", WithKeys("p", "k"))
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range [][]byte{bigList("0", 10<<20), bigList("{}", 30<<20)} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := decodeList(c, http.MethodGet, "/api/x", body, chargeSpec)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrMalformedResponse) || !strings.Contains(err.Error(), "list elements in one answer") {
			t.Errorf("%d-byte body: err = %v", len(body), err)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > uint64(len(body)) {
			t.Errorf("%d-byte body: decode allocated %d bytes", len(body), got)
		}
	}
}

func TestCheckLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`[]`, true},
		{`{"a":[1,2,3],"b":{"c":"d"}}`, true},
		{`"a string with [ and { and \" inside"`, true},
		{strings.Repeat("[", maxDepth+1), false},
		{string(bigList("1", 2*MaxResponseItems+10)), false},
		{"[" + strings.Repeat(`[1],`, MaxResponseItems/2) + "1]", false},                               // items of all arrays together
		{`{` + strings.Repeat(`"k":1,`, MaxResponseValues) + `"z":1}`, false},                          // values of one object
		{`{"a":"` + strings.Repeat("x", 1<<20) + `","b":[` + strings.Repeat(`"s",`, 10) + `1]}`, true}, // big strings are one value
	} {
		err := checkLimits([]byte(tc.body))
		if (err == nil) != tc.ok {
			b := tc.body
			if len(b) > 60 {
				b = b[:60] + "…"
			}
			t.Errorf("checkLimits(%s) = %v, want ok %v", b, err, tc.ok)
		}
	}
}

// FuzzStrictLists feeds arbitrary bodies to every strict list reader. The
// property: no panic, and an answer decoded without error is a complete one:
// an empty result only for an answer that is literally an empty list, as many
// items as the JSON list holds, each with its identity.
func FuzzStrictLists(f *testing.F) {
	for _, s := range []string{
		`[]`, `null`, `[null]`, `[{}]`, `{}`, `{"Success":true}`, `[0,0]`, ``, ` `, `[] x`,
		`[{"DetailId":1,"SpecialItemId":"K","ItemDescription":""}]`,
		`[{"DetailId":"2","SpecialItemId":3,"ItemDescription":"x","Quantity":"1.0"}]`,
		`[{"DetailId":1,"SpecialItemId":"K"}]`,
		`{"ServiceOrders":null,"Success":true}`,
		`{"ServiceOrders":[{"ServiceOrderNumber":4,"ServiceOrder":{"Reference":"KT-1"}}],"TotalCount":1}`,
		`{"ServiceOrders":[{}],"Success":true}`,
		`{"ServiceOrders":[],"serviceOrders":[]}`,
		`[{"PriceLevel":1,"SellingPrice":-1}]`,
		`[{"PriceLevel":1,"SellingPrice":"4.50"}]`,
		`[{"RepNumber":7}]`,
	} {
		f.Add([]byte(s))
	}
	c, err := NewClient("http://tigerpaw.invalid", WithKeys("p", "k"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		// elements reports the number of elements of body as a JSON array, or
		// -1 when it is not one.
		elements := func(b []byte) int {
			var list []json.RawMessage
			if json.Unmarshal(b, &list) != nil || list == nil {
				return -1
			}
			return len(list)
		}
		checkList := func(name string, n int, err error) {
			if err != nil {
				if !errors.Is(err, ErrMalformedResponse) {
					t.Fatalf("%s: error %v does not match ErrMalformedResponse", name, err)
				}
				return
			}
			if want := elements(body); want != n {
				t.Fatalf("%s: decoded %d items from %q, which holds %d", name, n, body, want)
			}
		}
		charges, err := decodeList(c, "GET", "/x", body, chargeSpec)
		checkList("charges", len(charges), err)
		for _, ch := range charges {
			if ch.DetailID <= 0 || strings.TrimSpace(ch.SpecialItemID) == "" {
				t.Fatalf("charge without identity decoded: %+v", ch)
			}
		}
		prices, err := decodeList(c, "GET", "/x", body, itemPriceSpec)
		checkList("prices", len(prices), err)
		for _, p := range prices {
			if p.SellingPrice < 0 {
				t.Fatalf("negative price decoded: %+v", p)
			}
		}
		reps, err := decodeList(c, "GET", "/x", body, repSpec)
		checkList("reps", len(reps), err)
		cats, err := decodeList(c, "GET", "/x", body, cfCategorySpec)
		checkList("categories", len(cats), err)
		for _, cat := range cats {
			if cat.Fields == nil {
				t.Fatalf("category without its Fields list decoded: %+v", cat)
			}
		}

		p, err := decodePage(c, "POST", "/x", body, "ServiceOrders", serviceOrderFoundSpec)
		if err != nil {
			if !errors.Is(err, ErrMalformedResponse) {
				t.Fatalf("page: error %v does not match ErrMalformedResponse", err)
			}
			return
		}
		if elements(p.raw) != len(p.items) {
			t.Fatalf("page: decoded %d orders from %q", len(p.items), body)
		}
		for _, so := range p.items {
			if so.ServiceOrderNumber <= 0 {
				t.Fatalf("order without number decoded: %+v", so)
			}
		}
	})
}

// TestReadBody reads bodies of known and unknown length, longer and shorter
// than announced, whole.
func TestReadBody(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("0123456789"), 300_000) // 3 MB: several chunks
	for _, tc := range []struct {
		name    string
		body    []byte
		length  int64
		wantErr bool
	}{
		{"unknown length", big, -1, false},
		{"unknown length, small", []byte("[]"), -1, false},
		{"empty", nil, -1, false},
		{"announced", big, int64(len(big)), false},
		{"longer than announced", big, 10, false},
		{"shorter than announced", big[:100], 200, true},
	} {
		resp := &http.Response{ContentLength: tc.length, Body: io.NopCloser(&shortReader{data: tc.body, announced: tc.length})}
		got, err := readBody(resp)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err = %v", tc.name, err)
			continue
		}
		if !tc.wantErr && !bytes.Equal(got, tc.body) {
			t.Errorf("%s: read %d bytes, want %d", tc.name, len(got), len(tc.body))
		}
	}
}

// shortReader serves data in small reads and, like net/http, reports a body
// shorter than its announced length with io.ErrUnexpectedEOF.
type shortReader struct {
	data      []byte
	announced int64
	read      int64
}

func (r *shortReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		if r.announced > 0 && r.read < r.announced {
			return 0, io.ErrUnexpectedEOF
		}
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 7919)], r.data)
	r.data = r.data[n:]
	r.read += int64(n)
	return n, nil
}
