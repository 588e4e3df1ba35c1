package ksc

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzValueCodec checks that decoding any input errs or succeeds without
// panicking, and that whatever decodes encodes again and decodes to the same
// value.
func FuzzValueCodec(f *testing.F) {
	for _, s := range []string{
		`null`, `1`, `-1.5`, `"x"`, `[1,null,"a"]`,
		`{"type":"long","value":12345678901}`,
		`{"type":"datetime","value":"2025-04-27T23:59:01Z"}`,
		`{"type":"date","value":"2025-04-27"}`,
		`{"type":"binary","value":"AAEC"}`,
		`{"type":"float","value":0.5}`, `{"type":"double","value":2.25}`,
		`{"type":"params","value":{"a":{"type":"params","value":{"b":[{"type":"long","value":1}]}}}}`,
		`{"KLHST_WKS_HOSTNAME":"h","KLHST_WKS_STATUS_MASK":{"type":"long","value":136}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeValue(data)
		if err != nil {
			return
		}
		enc, err := EncodeValue(v)
		if err != nil {
			t.Fatalf("decoded %#v does not encode: %v", v, err)
		}
		back, err := DecodeValue(enc)
		if err != nil {
			t.Fatalf("encoded %s does not decode: %v", enc, err)
		}
		if d := cmp.Diff(v, back); d != "" {
			t.Fatalf("round trip changed the value (-first +second):\n%s", d)
		}
		if p, ok := v.(Params); ok {
			if _, err := EncodeArgs(p); err != nil {
				t.Fatalf("params %#v does not encode as arguments: %v", p, err)
			}
		}
	})
}

// FuzzDecodeResponse feeds arbitrary bodies and statuses to the response
// decoder with the result shapes the client reads: it must return errors, never
// panic.
func FuzzDecodeResponse(f *testing.F) {
	f.Add(200, []byte(`{"pChunk":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{"KLHST_WKS_HOSTNAME":"h","KLHST_WKS_CTYPE":36871,"KLHST_WKS_STATUS_MASK":{"type":"long","value":136},"KLHST_WKS_LAST_VISIBLE":{"type":"datetime","value":""}}}]},"PxgRetVal":1}`))
	f.Add(500, []byte(`{"PxgError":{"code":1,"message":"m","locdata":{"type":"params","value":{"format":"%1","args":["a"]}}}}`))
	f.Add(200, []byte(`{"PxgError":{"code":"x"}}`))
	f.Add(200, []byte(`{"pData":{"KLCSP_ITERATOR_ARRAY":[{"KLLIC_SERIAL":"s","KLLIC_KEY_TYPE":1}]},"bEOF":true}`))
	f.Add(200, []byte(`{"pParamsEvents":{"KLEVP_EVENT_RANGE_ARRAY":[{"type":"params","value":{"event_db_id":{"type":"long","value":"5"}}}]}}`))
	f.Add(403, []byte(``))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		_, _ = decodeHostChunk(body)
		var keys nextItemsOut[keyWire]
		if decodeResponse("GroupSyncIterator.GetNextItems", status, body, &keys) == nil {
			_, _, _ = keys.page()
		}
		var evs struct {
			Events eventArray[eventWire] `json:"pParamsEvents"`
		}
		_ = decodeResponse("EventProcessing.GetRecordRange", status, body, &evs)
		var vs struct {
			List cappedArray[item[vserverWire]] `json:"PxgRetVal"`
		}
		err := decodeResponse("VServers.GetVServers", status, body, &vs)
		if err != nil && err.Error() == "" {
			t.Fatal("empty error text")
		}
	})
}

// fuzzClient is enough of a Client for iterate.
func fuzzClient() *Client {
	return &Client{core: &core{log: slog.New(slog.DiscardHandler), chunk: 500}}
}

// checkComplete runs a family whose every read answers with the same decoded
// page and checks the property of a complete read: the iteration ends with an
// error, or it yielded exactly the announced number of distinct items, each
// with its identity.
func checkComplete[T any](t *testing.T, total int, f family[T]) {
	t.Helper()
	f.name, f.readMethod, f.idField = "fuzz", "Fuzz.Read", "id"
	f.open = func(context.Context) (handle, error) { return handle{id: "h", total: total}, nil }
	f.release = func(context.Context, handle) error { return nil }
	reads := 0
	read := f.read
	f.read = func(ctx context.Context, h handle, pos int) (page[T], error) {
		if reads++; reads > total+2 {
			t.Fatalf("read %d times for %d items: no end", reads, total)
		}
		return read(ctx, h, pos)
	}
	seen := map[string]bool{}
	for it, err := range iterate(context.Background(), fuzzClient(), f) {
		if err != nil {
			if !errors.Is(err, ErrIncomplete) && err.Error() == "" {
				t.Fatalf("empty error text")
			}
			return
		}
		k := f.key(it)
		if k == "" || seen[k] {
			t.Fatalf("yielded item %q twice or without identity", k)
		}
		seen[k] = true
	}
	if len(seen) != total {
		t.Fatalf("read ended without an error after %d items, %d announced", len(seen), total)
	}
}

// FuzzChunkReadIsCompleteOrAnError feeds arbitrary GetItemsChunk bodies to a
// ChunkAccessor read with an announced count: a short, empty or shape-less
// answer must be an error, never a short or empty success, and nothing may
// panic.
func FuzzChunkReadIsCompleteOrAnError(f *testing.F) {
	for _, s := range []struct {
		total uint8
		body  string
	}{
		{2, `{"pChunk":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{"KLHST_WKS_HOSTNAME":"a"}},{"KLHST_WKS_HOSTNAME":"b"}]},"PxgRetVal":2}`},
		{0, `{"pChunk":{"KLCSP_ITERATOR_ARRAY":[]}}`},
		{3, `{"pChunk":{"KLCSP_ITERATOR_ARRAY":[]}}`},
		{3, `{"pChunk":{"KLCSP_ITERATOR_ARRAY":[{"KLHST_WKS_HOSTNAME":"a"}]}}`},
		{1, `{}`}, {1, `{"pChunk":null}`}, {1, `{"pChunk":{}}`}, {1, `{"pChunk":{"KLCSP_ITERATOR_ARRAY":null}}`},
		{1, `{"pChunk":{"KLCSP_ITERATOR_ARRAY":[null]}}`}, {1, `{"pChunk":{"KLCSP_ITERATOR_ARRAY":[{"KLHST_WKS_DN":"x"}]}}`},
		{1, `{"pChunk":{"type":"params","value":{"KLCSP_ITERATOR_ARRAY":[{"KLHST_WKS_HOSTNAME":"w"}]}}}`},
		{2, `{"pChunk":{"KLCSP_ITERATOR_ARRAY":[{"KLHST_WKS_HOSTNAME":"a"},{"KLHST_WKS_HOSTNAME":"a"}]}}`},
		{1, `{"PxgRetVal":"aaaaaaaaaaaaaaaa"}`},
	} {
		f.Add(s.total, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, total uint8, body []byte) {
		c := fuzzClient()
		fam := chunkAccessor(c, "fuzz", "KLHST_WKS_HOSTNAME", nil, func() *hostChunkResponse { return new(hostChunkResponse) },
			func(w hostWire) string { return w.Hostname })
		fam.read = func(_ context.Context, _ handle, pos int) (page[hostWire], error) {
			var out hostChunkResponse
			if err := decodeResponse("ChunkAccessor.GetItemsChunk", 200, body, &out); err != nil {
				return page[hostWire]{}, err
			}
			items, err := out.chunkItems()
			if err != nil {
				return page[hostWire]{}, err
			}
			return page[hostWire]{items: items, next: pos + len(items)}, nil
		}
		checkComplete(t, int(total), fam)
	})
}

// FuzzIteratorReadIsCompleteOrAnError does the same for GroupSyncIterator
// pages (GetNextItems) with the count AcquireKeyHosts announced.
func FuzzIteratorReadIsCompleteOrAnError(f *testing.F) {
	for _, s := range []struct {
		total uint8
		body  string
	}{
		{1, `{"pData":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{"KLLICSRV_HOSTNAME":"a","KLLICSRV_HOST_CURRENT":true}}]},"bEOF":true,"PxgRetVal":true}`},
		{0, `{"pData":{"KLCSP_ITERATOR_ARRAY":[]},"bEOF":true}`},
		{2, `{"pData":{"KLCSP_ITERATOR_ARRAY":[]},"bEOF":false}`},
		{2, `{"pData":{"KLCSP_ITERATOR_ARRAY":[{"KLLICSRV_HOSTNAME":"a"}]},"bEOF":true}`},
		{2, `{"pData":{"KLCSP_ITERATOR_ARRAY":[{"KLLICSRV_HOSTNAME":"a"}]},"bEOF":false}`},
		{1, `{"bEOF":true}`}, {1, `{"pData":null,"bEOF":true}`}, {1, `{"pData":{},"bEOF":true}`},
		{1, `{"pData":{"KLCSP_ITERATOR_ARRAY":[null]},"bEOF":true}`}, {1, `{"pData":{"KLCSP_ITERATOR_ARRAY":[{}]},"bEOF":true}`},
		{1, `{"pData":{"KLCSP_ITERATOR_ARRAY":[{"KLLICSRV_HOSTNAME":"a"}]}}`},
		{1, `{"PxgRetVal":"aaaaaaaaaaaaaaaa"}`},
	} {
		f.Add(s.total, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, total uint8, body []byte) {
		c := fuzzClient()
		fam := groupSyncIterator(c, "fuzz", "KLLICSRV_HOSTNAME", nil, func(w keyHostWire) string { return w.Host })
		fam.read = func(_ context.Context, _ handle, pos int) (page[keyHostWire], error) {
			var out nextItemsOut[keyHostWire]
			if err := decodeResponse("GroupSyncIterator.GetNextItems", 200, body, &out); err != nil {
				return page[keyHostWire]{}, err
			}
			items, eof, err := out.page()
			if err != nil {
				return page[keyHostWire]{}, err
			}
			return page[keyHostWire]{items: items, next: pos + len(items), eof: eof}, nil
		}
		checkComplete(t, int(total), fam)
	})
}
