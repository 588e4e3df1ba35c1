package ksc

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// hostChunkBody renders a ChunkAccessor.GetItemsChunk response of FindHosts
// with n hosts, in the shape a server sends.
func hostChunkBody(tb testing.TB, n int) []byte {
	tb.Helper()
	items := make([]any, n)
	seen := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	for i := range items {
		items[i] = map[string]any{"type": "params", "value": map[string]any{
			"KLHST_WKS_HOSTNAME":     fmt.Sprintf("%08x-5c1e-4a7b-9d2e-%012d", i, i),
			"KLHST_WKS_DN":           fmt.Sprintf("WS-%05d", i),
			"KLHST_WKS_OS_NAME":      "Microsoft Windows 11 Enterprise",
			"KLHST_WKS_CTYPE":        0x401001,
			"KLHST_WKS_STATUS_ID":    i % 3,
			"KLHST_WKS_STATUS_MASK":  map[string]any{"type": "long", "value": int64(i % 256)},
			"KLHST_WKS_STATUS":       1,
			"KLHST_WKS_LAST_VISIBLE": map[string]any{"type": "datetime", "value": seen.Add(-time.Duration(i) * time.Minute).Format(dateTimeLayout)},
		}}
	}
	body, err := json.Marshal(map[string]any{"pChunk": map[string]any{"KLCSP_ITERATOR_ARRAY": items}, "PxgRetVal": n})
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

func TestDecodeHostChunk(t *testing.T) {
	t.Parallel()
	hosts, err := decodeHostChunk(hostChunkBody(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 3 || hosts[2].DisplayName != "WS-00002" || hosts[2].StatusMask != 2 || hosts[2].StatusID != HostWarning ||
		!hosts[1].LastVisible.Equal(time.Date(2026, 11, 28, 9, 59, 0, 0, time.UTC)) || hosts[0].CType != 0x401001 {
		t.Errorf("decoded %+v", hosts)
	}
	if _, err := decodeHostChunk([]byte(`{"PxgError":{"code":3}}`)); err == nil {
		t.Error("PxgError body decoded")
	}
}

// BenchmarkDecodeHostChunk decodes a GetItemsChunk response of 10,000 hosts
// into typed hosts.
func BenchmarkDecodeHostChunk(b *testing.B) {
	const n = 10000
	body := hostChunkBody(b, n)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		hosts, err := decodeHostChunk(body)
		if err != nil || len(hosts) != n {
			b.Fatalf("%d hosts, %v", len(hosts), err)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	perHost := float64(b.Elapsed().Nanoseconds()) / float64(b.N*n)
	b.ReportMetric(perHost, "ns/host")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*n), "allocs/host")
}
