package ksc

import (
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
		var keys struct {
			Data itemArray[keyWire] `json:"pData"`
			EOF  flexBool           `json:"bEOF"`
		}
		_ = decodeResponse("GroupSyncIterator.GetNextItems", status, body, &keys)
		var evs struct {
			Events eventArray[eventWire] `json:"pParamsEvents"`
		}
		_ = decodeResponse("EventProcessing.GetRecordRange", status, body, &evs)
		var vs struct {
			List []item[vserverWire] `json:"PxgRetVal"`
		}
		err := decodeResponse("VServers.GetVServers", status, body, &vs)
		if err != nil && err.Error() == "" {
			t.Fatal("empty error text")
		}
	})
}
