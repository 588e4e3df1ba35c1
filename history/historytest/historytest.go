// Package historytest checks that a history.Store behaves as the package
// history says: thirty days of snapshots of two tenants, the last of each day
// kept, read back after reopening the store, queried by tenant and range,
// exported as CSV row by row, and pruned.
package historytest

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/history"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// Start is the first day of the thirty.
var Start = time.Date(2026, 1, 10, 22, 30, 0, 0, time.UTC)

// snapshot is tenant's snapshot of day d, at hour h.
func snapshot(tenant string, d, h int) history.Snapshot {
	at := Start.AddDate(0, 0, d).Add(time.Duration(h) * time.Minute)
	ws := int64(40 + d)
	if tenant == "b" {
		ws = int64(100 - d)
	}
	return history.Snapshot{TenantID: tenant, Day: history.Day(at), At: at, Items: []history.Item{
		{Agreement: 3, App: kaspersky.AppKESBAdvanced, Category: kaspersky.WindowsWorkstation, ItemID: "KESB-WS", Usage: ws, Billed: ws + int64(h), Price: 450, PriceLevel: 2},
		{Agreement: 3, App: kaspersky.AppKESBAdvanced, Category: kaspersky.WindowsServer, ItemID: "KESB-SRV", Usage: 4, Billed: 4, Price: 1200, PriceLevel: 2},
	}}
}

// Run checks the store that open returns; a second call of open must give
// the same data (a reopened store, as after a restart).
func Run(t *testing.T, open func(t *testing.T) history.Store) {
	ctx := t.Context()
	s := open(t)
	for d := range 30 {
		for h := range 3 { // three cycles a day: the last one is kept
			if err := s.Record(ctx, []history.Snapshot{snapshot("a", d, h), snapshot("b", d, h)}); err != nil {
				t.Fatalf("day %d: %v", d, err)
			}
		}
	}
	r := open(t)
	end := Start.AddDate(0, 0, 29)
	for _, tenant := range []string{"a", "b"} {
		got, err := r.Query(ctx, tenant, Start, end)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 30 {
			t.Fatalf("tenant %s: %d snapshots, want 30", tenant, len(got))
		}
		for d := range 30 {
			if diff := cmp.Diff(snapshot(tenant, d, 2), got[d], cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Fatalf("tenant %s day %d (-want +got):\n%s", tenant, d, diff)
			}
		}
	}
	some, err := r.Query(ctx, "a", Start.AddDate(0, 0, 5), Start.AddDate(0, 0, 7))
	if err != nil || len(some) != 3 || some[0].Day != history.Day(Start.AddDate(0, 0, 5)) {
		t.Errorf("three days of a: %d snapshots, err %v", len(some), err)
	}
	all, err := r.Query(ctx, "", Start, end)
	if err != nil || len(all) != 60 {
		t.Fatalf("every tenant: %d snapshots, err %v; want 60", len(all), err)
	}

	// The export: one row per day × tenant × item.
	var b bytes.Buffer
	if err := history.WriteCSV(&b, all); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+30*2*2 {
		t.Fatalf("%d CSV rows, want a header and 120", len(rows))
	}
	i := 1
	for d := range 30 {
		day := history.Day(Start.AddDate(0, 0, d))
		for _, tenant := range []string{"a", "b"} {
			ws := snapshot(tenant, d, 2).Items[0]
			want := [][]string{
				{day, tenant, "3", "KESB-SRV", "kesb-advanced", "Windows servers", "Kaspersky Endpoint Security for Business Advanced, Windows servers", "4", "4", "12.00", "2", "48.00"},
				{day, tenant, "3", "KESB-WS", "kesb-advanced", "Windows workstations", "Kaspersky Endpoint Security for Business Advanced, Windows workstations",
					strconv.FormatInt(ws.Usage, 10), strconv.FormatInt(ws.Billed, 10), "4.50", "2", fmt.Sprintf("%d.%02d", ws.Billed*450/100, ws.Billed*450%100)},
			}
			if diff := cmp.Diff(want, rows[i:i+2]); diff != "" {
				t.Fatalf("CSV rows of %s, tenant %s (-want +got):\n%s", day, tenant, diff)
			}
			i += 2
		}
	}

	// The retention: what is before day 20 goes.
	n, err := r.Prune(ctx, Start.AddDate(0, 0, 20))
	if err != nil || n != 40 {
		t.Errorf("prune = %d, %v; want 40", n, err)
	}
	left, err := open(t).Query(ctx, "", Start, end)
	if err != nil || len(left) != 20 || left[0].Day != history.Day(Start.AddDate(0, 0, 20)) {
		t.Errorf("after pruning: %d snapshots, err %v; want 20 from day 20", len(left), err)
	}
	if err := r.Record(ctx, []history.Snapshot{{Day: "2026-01-01"}}); err == nil {
		t.Error("a snapshot without a tenant was stored")
	}
}
