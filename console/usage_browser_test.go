package console

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserHeldApproveReject approves and rejects held changes on the
// Billing plan tab in a real browser.
func TestBrowserHeldApproveReject(t *testing.T) {
	w, dec := guardWorld(t)
	b := openBrowser(t, w)
	b.open("plan")
	b.wantText("#held-title", "Held for approval: 2 change(s)")
	if n := eval[int](b, `document.querySelectorAll("#held tbody tr").length`); n != 2 {
		t.Fatalf("%d held rows, want 2", n)
	}
	b.wantText("#held tbody tr:nth-child(2)", "the quantity drops from 90 to 45")
	// Reject the servers' drop (the first row), then approve the workstations'.
	b.loads("reject", chromedp.Click(chromedp.CSS(`#held tbody tr:nth-child(1) button[value="reject"]`)))
	b.wantText("#notice", "1 change(s) rejected")
	b.wantText("#held tbody tr:nth-child(1) .held-status", "Rejected: stays held until the usage changes")
	b.loads("approve", chromedp.Click(chromedp.CSS(`#held tbody tr:nth-child(2) button[value="approve"]`)))
	b.wantText("#notice", "1 change(s) approved")
	b.wantText("#held-title", "Held for approval: 1 change(s)")
	b.wantText("#plan .approved", "approved: written by the next cycle or Run now")
	if src := os.Getenv("KT_AXE"); src != "" {
		b.checkA11y("the Billing plan tab with a held change", axeSource(t))
	}
	d, err := dec.Decisions(t.Context())
	if err != nil || len(d) != 2 {
		t.Fatalf("decisions %+v, %v", d, err)
	}
	approved := 0
	for _, v := range d {
		if v.Approved {
			approved++
			if !strings.Contains(v.Change, "KESB-ADV-WS") {
				t.Errorf("approved %q, want the workstations' change", v.Change)
			}
		}
	}
	if approved != 1 {
		t.Errorf("%d approved, want 1", approved)
	}
	b.clickLoads("approve-all")
	if n := eval[int](b, `document.querySelectorAll("#held-section").length`); n != 0 {
		t.Error("held changes left after Approve all")
	}
}

// TestBrowserUsageChart renders a tenant's usage chart: an SVG with one
// series per billed item and dates on its axis; the screenshot goes to
// KT_USAGE_SHOT when set.
func TestBrowserUsageChart(t *testing.T) {
	w, _ := guardWorld(t)
	b := openBrowser(t, w)
	b.open("usage?tenant=vs-1&days=30")
	if n := eval[int](b, `document.querySelectorAll("svg#usage-chart g.series polyline").length`); n != 3 {
		t.Errorf("%d series lines, want 3 (one per billed item)", n)
	}
	labels := eval[[]string](b, `[...document.querySelectorAll("svg#usage-chart .date-label")].map(e => e.textContent)`)
	if len(labels) < 2 {
		t.Fatalf("date labels %v", labels)
	}
	for _, l := range labels {
		if len(l) != 10 || l[4] != '-' || l[7] != '-' {
			t.Errorf("axis label %q is not a date", l)
		}
	}
	// Each series is told apart without colour: its own marker and dash.
	marks := eval[[]string](b, `[...document.querySelectorAll("svg#usage-chart g.series polyline")].map(p => p.getAttribute("marker-mid") + "|" + (p.getAttribute("stroke-dasharray") || "solid"))`)
	seen := map[string]bool{}
	for _, m := range marks {
		if seen[m] {
			t.Errorf("two series drawn alike: %s", m)
		}
		seen[m] = true
	}
	// The chart is drawn: its lines have a size on the page.
	if wd := eval[float64](b, `document.querySelector("svg#usage-chart g.series polyline").getBBox().width`); wd < 100 {
		t.Errorf("the first series is %v wide", wd)
	}
	b.wantText("#usage-changes", "+2 Windows servers")
	if src := os.Getenv("KT_AXE"); src != "" {
		b.checkA11y("the usage view", axeSource(t))
	}
	if p := os.Getenv("KT_USAGE_SHOT"); p != "" {
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
	} else {
		b.screenshot("usage")
	}
}
