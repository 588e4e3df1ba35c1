package history_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/history"
	"github.com/mspkit/kaspersky-tigerpaw/history/historytest"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

var day0 = time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)

func snap(tenant string, day int, ws, billed int64) history.Snapshot {
	at := day0.AddDate(0, 0, day)
	return history.Snapshot{TenantID: tenant, Day: history.Day(at), At: at, Items: []history.Item{
		{Agreement: 7, App: kaspersky.AppKESBAdvanced, Category: kaspersky.WindowsWorkstation, ItemID: "WS", Usage: ws, Billed: billed, Price: 450, PriceLevel: 1},
		{Agreement: 7, App: kaspersky.AppKESBAdvanced, Category: kaspersky.WindowsServer, ItemID: "SRV", Usage: 2, Billed: 2, Price: 1200, PriceLevel: 1},
	}}
}

func TestFileStoreKeepsTheLastOfTheDayAndSurvivesReopening(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := history.OpenFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for d := range 5 {
		if err := s.Record(ctx, []history.Snapshot{snap("a", d, 10, 10), snap("b", d, 20, 20)}); err != nil {
			t.Fatal(err)
		}
	}
	// A later cycle of day 2 replaces tenant a's snapshot of that day only.
	if err := s.Record(ctx, []history.Snapshot{snap("a", 2, 11, 11)}); err != nil {
		t.Fatal(err)
	}
	r, err := history.OpenFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Query(ctx, "a", day0.AddDate(0, 0, 1), day0.AddDate(0, 0, 3))
	if err != nil {
		t.Fatal(err)
	}
	want := []history.Snapshot{snap("a", 1, 10, 10), snap("a", 2, 11, 11), snap("a", 3, 10, 10)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	all, err := r.Query(ctx, "", day0, day0.AddDate(0, 0, 10))
	if err != nil || len(all) != 10 || all[0].TenantID != "a" || all[1].TenantID != "b" {
		t.Fatalf("all tenants: %d snapshots, err %v", len(all), err)
	}
	n, err := r.Prune(ctx, day0.AddDate(0, 0, 3))
	if err != nil || n != 6 {
		t.Errorf("prune = %d, %v; want the 6 snapshots of days 0 to 2", n, err)
	}
	left, _ := s.Query(ctx, "", day0, day0.AddDate(0, 0, 10))
	if len(left) != 4 || left[0].Day != history.Day(day0.AddDate(0, 0, 3)) {
		t.Errorf("after pruning: %d from %s", len(left), left[0].Day)
	}
	if err := s.Record(ctx, []history.Snapshot{{TenantID: "a", Day: "yesterday"}}); err == nil {
		t.Error("a snapshot whose day is not a date was stored")
	}
}

func TestWriteCSVRowByRow(t *testing.T) {
	t.Parallel()
	evil := snap("=HYPERLINK(\"x\")", 0, 3, 3)
	evil.Items = evil.Items[:1]
	evil.Items[0].ItemID = "@SUM(A1), \"big\"\nitem"
	var b bytes.Buffer
	if err := history.WriteCSV(&b, []history.Snapshot{snap("b", 1, 20, 10), snap("a", 1, 10, 10), evil}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	body, ok := strings.CutPrefix(out, "\ufeff")
	if !ok {
		t.Fatal("no UTF-8 byte order mark")
	}
	if !strings.HasPrefix(body, strings.Join(history.CSVHeader, ",")+"\r\n") {
		t.Errorf("header line %q", strings.SplitN(body, "\n", 2)[0])
	}
	if !strings.Contains(body, `"'@SUM(A1), ""big""`+"\r\nitem\"") {
		t.Errorf("the item id is not quoted as RFC 4180 says, or not defused:\n%s", body)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		history.CSVHeader,
		{"2026-03-01", "'=HYPERLINK(\"x\")", "7", "'@SUM(A1), \"big\"\nitem", "kesb-advanced", "Windows workstations",
			"Kaspersky Endpoint Security for Business Advanced, Windows workstations", "3", "3", "4.50", "1", "13.50"},
		{"2026-03-02", "a", "7", "SRV", "kesb-advanced", "Windows servers", "Kaspersky Endpoint Security for Business Advanced, Windows servers", "2", "2", "12.00", "1", "24.00"},
		{"2026-03-02", "a", "7", "WS", "kesb-advanced", "Windows workstations", "Kaspersky Endpoint Security for Business Advanced, Windows workstations", "10", "10", "4.50", "1", "45.00"},
		{"2026-03-02", "b", "7", "SRV", "kesb-advanced", "Windows servers", "Kaspersky Endpoint Security for Business Advanced, Windows servers", "2", "2", "12.00", "1", "24.00"},
		{"2026-03-02", "b", "7", "WS", "kesb-advanced", "Windows workstations", "Kaspersky Endpoint Security for Business Advanced, Windows workstations", "20", "10", "4.50", "1", "45.00"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestSafeCell(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"=1+2": "'=1+2", "+1": "'+1", "-1": "'-1", "@x": "'@x", "\tx": "'\tx", "a=b": "a=b", "": "", "4.50": "4.50"} {
		if got := history.SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestChanges(t *testing.T) {
	t.Parallel()
	s2 := snap("a", 2, 15, 15)
	s2.Items = s2.Items[:1] // the servers are gone
	got := history.Changes([]history.Snapshot{snap("a", 1, 10, 10), s2, snap("a", 0, 10, 10), snap("a", 3, 5, 15)})
	var texts []string
	for _, c := range got {
		texts = append(texts, c.Day+" "+c.Text+": "+c.Reason)
	}
	want := []string{
		"2026-03-03 -2 Windows servers: no billable usage of the item any more",
		"2026-03-03 +5 Windows workstations: the usage changed from 10 to 15",
		"2026-03-04 +2 Windows servers: billing of the item starts",
		"2026-03-04 Windows workstations: the usage is 5 but 15 stays billed: the change is held for approval or was not written",
	}
	if diff := cmp.Diff(want, texts); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

func TestFileStoreConformance(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	historytest.Run(t, func(t *testing.T) history.Store {
		s, err := history.OpenFileStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// A day file that is not exactly what the store writes (trailing data, a key
// given twice, an unknown field, null) is an error naming the file, never an
// empty day: the usage view must not show a gap it did not record.
func TestFileStoreRefusesAMalformedDay(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"trailing data": `{"version":1,"snapshots":[]} {}`,
		"key twice":     `{"version":1,"version":1,"snapshots":[]}`,
		"unknown field": `{"version":1,"snapshots":[],"extra":true}`,
		"null":          `null`,
		"cut":           `{"version":1,"snapshots":[`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := history.OpenFileStore(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Record(t.Context(), []history.Snapshot{snap("a", 0, 10, 10)}); err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
			if len(files) != 1 {
				t.Fatalf("day files %v", files)
			}
			if err := os.WriteFile(files[0], []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := s.Query(t.Context(), "a", day0.AddDate(0, 0, -1), day0.AddDate(0, 0, 1))
			if err == nil || !strings.Contains(err.Error(), files[0]) {
				t.Errorf("Query = %v, %v; want an error naming %s", got, err, files[0])
			}
		})
	}
}
