package console

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/history"
)

// usageRanges are the periods the Usage tab offers, in days.
var usageRanges = []int{30, 90, 400}

type usageData struct {
	Available bool
	Tenants   []option
	Tenant    string
	Days      int
	Ranges    []option
	// Chart is the server-rendered SVG; Series its items, for the legend
	// and the data table.
	Chart   template.HTML
	Series  []usageSeries
	DaysRow []string
	Changes []history.Change
	Empty   bool
}

// usageSeries is one billed item of the chart.
type usageSeries struct {
	ItemID, Label, Short, Marker, Dash string
	Values                             []string // billed per day of DaysRow; "" when none
}

// usage shows a tenant's usage history: a chart of the billed quantity per
// item, the changes with dates and reasons, and links to the CSV export.
func (h *handler) usage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := &page{Tab: "usage", Title: "Usage"}
	d := usageData{Available: h.opt.History != nil, Days: 90}
	if n, err := strconv.Atoi(r.URL.Query().Get("days")); err == nil && slices.Contains(usageRanges, n) {
		d.Days = n
	}
	for _, n := range usageRanges {
		d.Ranges = append(d.Ranges, option{Value: strconv.Itoa(n), Label: fmt.Sprintf("Last %d days", n), Selected: n == d.Days})
	}
	if !d.Available {
		p.Data = d
		h.render(w, http.StatusOK, "usage.html", p)
		return
	}
	cfg, err := h.opt.Store.Load(ctx, h.opt.Integration)
	if err != nil {
		h.fail(w, "usage", err)
		return
	}
	d.Tenant = r.URL.Query().Get("tenant")
	for _, t := range cfg.Tenants {
		if t.Account == nil || !t.Account.Billing.Enabled {
			continue
		}
		if d.Tenant == "" {
			d.Tenant = t.ID
		}
		label := t.Name
		if label == "" {
			label = t.ID
		}
		d.Tenants = append(d.Tenants, option{Value: t.ID, Label: label, Selected: t.ID == d.Tenant})
	}
	to := time.Now()
	snaps, err := h.opt.History.Query(ctx, d.Tenant, to.AddDate(0, 0, -d.Days), to)
	if d.Tenant == "" {
		snaps, err = nil, nil
	}
	if err != nil {
		h.fail(w, "usage", err)
		return
	}
	d.Empty = len(snaps) == 0
	d.Chart, d.Series, d.DaysRow = usageChart(d.Tenant, snaps)
	d.Changes = history.Changes(snaps)
	slices.Reverse(d.Changes) // the latest first
	p.Data = d
	h.render(w, http.StatusOK, "usage.html", p)
}

// usageCSV exports the history of one tenant (tenant=ID) or of all, for the
// last days (400 by default).
func (h *handler) usageCSV(w http.ResponseWriter, r *http.Request) {
	if h.opt.History == nil {
		http.NotFound(w, r)
		return
	}
	days := 400
	if n, err := strconv.Atoi(r.URL.Query().Get("days")); err == nil && n > 0 && n <= 3660 {
		days = n
	}
	tenant := r.URL.Query().Get("tenant")
	to := time.Now()
	snaps, err := h.opt.History.Query(r.Context(), tenant, to.AddDate(0, 0, -days), to)
	if err != nil {
		h.fail(w, "usage", err)
		return
	}
	name := "usage-all.csv"
	if tenant != "" {
		name = "usage-" + fileSafe(tenant) + ".csv"
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if err := history.WriteCSV(w, snaps); err != nil {
		h.log.ErrorContext(r.Context(), "console: usage export", "error", err)
	}
}

// fileSafe keeps letters, digits, dots, dashes and underscores of s.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}

// The chart's look: one marker shape and one dash pattern per series, so that
// the series are told apart without colour; the colours are a help only.
var (
	seriesMarkers = []string{"circle", "square", "triangle", "diamond", "cross"}
	seriesDashes  = []string{"", "8 4", "2 3", "10 3 2 3", "4 4"}
	seriesColours = []string{"#00594d", "#8a3b00", "#3b4fa8", "#7a1f5c", "#4d4d4d"}
)

const (
	chartW, chartH                  = 880, 340
	chartLeft, chartRight, chartTop = 60, 370, 20
	chartBottom                     = 60
	plotW, plotH                    = chartW - chartLeft - chartRight, chartH - chartTop - chartBottom
)

// usageChart draws the billed quantity of each item of the snapshots over the
// days as an SVG line chart: a date axis, a quantity axis, one line per item
// with its own dash pattern and marker shape, a label at its end and a
// legend. It also returns the series and days for the data table.
func usageChart(tenant string, snaps []history.Snapshot) (template.HTML, []usageSeries, []string) {
	if len(snaps) == 0 {
		return "", nil, nil
	}
	var days []string
	for _, s := range snaps {
		if !slices.Contains(days, s.Day) {
			days = append(days, s.Day)
		}
	}
	slices.Sort(days)
	type point struct {
		day int
		q   int64
	}
	var series []usageSeries
	points := map[string][]point{}
	var maxQ int64
	for _, s := range snaps {
		di := slices.Index(days, s.Day)
		for _, it := range s.Items {
			k := billing.ItemKey(it.ItemID)
			if _, ok := points[k]; !ok {
				short := it.Label()
				if it.Category != 0 {
					short = it.Category.String()
				}
				series = append(series, usageSeries{ItemID: it.ItemID, Label: it.Label(), Short: short})
			}
			points[k] = append(points[k], point{di, it.Billed})
			maxQ = max(maxQ, it.Billed)
		}
	}
	slices.SortFunc(series, func(a, b usageSeries) int { return strings.Compare(a.ItemID, b.ItemID) })
	first, _ := time.Parse(history.DayLayout, days[0])
	last, _ := time.Parse(history.DayLayout, days[len(days)-1])
	span := last.Sub(first).Hours() / 24
	x := func(di int) float64 {
		if span == 0 {
			return chartLeft + plotW/2
		}
		t, _ := time.Parse(history.DayLayout, days[di])
		return chartLeft + t.Sub(first).Hours()/24/span*plotW
	}
	step := niceStep(maxQ)
	top := (maxQ/step + 1) * step
	y := func(q int64) float64 { return chartTop + plotH - float64(q)/float64(top)*plotH }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="usage-chart" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title chart-desc">`, chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<title id="chart-title">Billed quantity per item of tenant %s</title>`, html.EscapeString(tenant))
	fmt.Fprintf(&b, `<desc id="chart-desc">%d item(s) from %s to %s; the table below the chart has the same data.</desc>`, len(series), days[0], days[len(days)-1])
	b.WriteString(`<defs>`)
	for i := range seriesMarkers {
		fmt.Fprintf(&b, `<marker id="m%d" viewBox="-5 -5 10 10" markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse">%s</marker>`, i, markerShape(i, seriesColours[i%len(seriesColours)]))
	}
	b.WriteString(`</defs>`)
	// Axes, grid and tick labels.
	fmt.Fprintf(&b, `<g class="axis y-axis" font-size="12" fill="#1d2a33">`)
	for q := int64(0); q <= top; q += step {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#d5dde0"/>`, chartLeft, chartLeft+plotW, y(q), y(q))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%d</text>`, chartLeft-6, y(q), q)
	}
	fmt.Fprintf(&b, `<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">Billed quantity</text></g>`, chartTop+plotH/2, chartTop+plotH/2)
	fmt.Fprintf(&b, `<g class="axis x-axis" font-size="12" fill="#1d2a33"><line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#1d2a33"/>`, chartLeft, chartLeft+plotW, chartTop+plotH, chartTop+plotH)
	for _, di := range dateTicks(len(days), 6) {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#1d2a33"/>`, x(di), x(di), chartTop+plotH, chartTop+plotH+5)
		fmt.Fprintf(&b, `<text class="date-label" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x(di), chartTop+plotH+20, days[di])
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">Day</text></g>`, chartLeft+plotW/2, chartH-12)
	// The series.
	for i := range series {
		s := &series[i]
		k := i % len(seriesMarkers)
		s.Marker, s.Dash = seriesMarkers[k], seriesDashes[k]
		pts := points[billing.ItemKey(s.ItemID)]
		var coords []string
		s.Values = make([]string, len(days))
		for _, p := range pts {
			coords = append(coords, fmt.Sprintf("%.1f,%.1f", x(p.day), y(p.q)))
			s.Values[p.day] = strconv.FormatInt(p.q, 10)
		}
		dash := ""
		if s.Dash != "" {
			dash = ` stroke-dasharray="` + s.Dash + `"`
		}
		colour := seriesColours[i%len(seriesColours)]
		fmt.Fprintf(&b, `<g class="series" data-item="%s"><title>%s</title>`, html.EscapeString(s.ItemID), html.EscapeString(s.Label))
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s marker-start="url(#m%d)" marker-mid="url(#m%d)" marker-end="url(#m%d)" points="%s"/>`,
			colour, dash, k, k, k, strings.Join(coords, " "))
		lp := pts[len(pts)-1]
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" fill="#1d2a33" dominant-baseline="middle">%s (%d)</text></g>`,
			x(lp.day)+10, y(lp.q)-8*float64(i%2), html.EscapeString(s.ItemID), lp.q)
	}
	// The legend: the same dash and marker as the line, and the item's words.
	fmt.Fprintf(&b, `<g class="legend" font-size="12" fill="#1d2a33">`)
	for i, s := range series {
		ly := chartTop + 10 + i*34
		lx := chartLeft + plotW + 130
		k := i % len(seriesMarkers)
		dash := ""
		if s.Dash != "" {
			dash = ` stroke-dasharray="` + s.Dash + `"`
		}
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"%s marker-mid="url(#m%d)" marker-start="url(#m%d)" marker-end="url(#m%d)"/>`,
			lx, lx+30, ly, ly, seriesColours[i%len(seriesColours)], dash, k, k, k)
		fmt.Fprintf(&b, `<text x="%d" y="%d" dominant-baseline="middle">%s</text>`, lx+38, ly, html.EscapeString(s.ItemID))
		fmt.Fprintf(&b, `<text x="%d" y="%d" dominant-baseline="middle" font-size="10">%s</text>`, lx+38, ly+13, html.EscapeString(shorten(s.Short, 34)))
	}
	b.WriteString(`</g></svg>`)
	return template.HTML(b.String()), series, days // every text above is escaped
}

// markerShape draws marker i centred on 0,0.
func markerShape(i int, colour string) string {
	switch seriesMarkers[i] {
	case "circle":
		return `<circle r="4" fill="` + colour + `"/>`
	case "square":
		return `<rect x="-4" y="-4" width="8" height="8" fill="` + colour + `"/>`
	case "triangle":
		return `<path d="M0,-5 L5,4 L-5,4 Z" fill="` + colour + `"/>`
	case "diamond":
		return `<path d="M0,-5 L5,0 L0,5 L-5,0 Z" fill="` + colour + `"/>`
	}
	return `<path d="M-4,-4 L4,4 M-4,4 L4,-4" stroke="` + colour + `" stroke-width="2"/>`
}

// niceStep is a round step for a quantity axis up to maxQ, about five ticks.
func niceStep(maxQ int64) int64 {
	if maxQ <= 5 {
		return 1
	}
	raw := float64(maxQ) / 5
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return int64(m * p)
		}
	}
	return int64(10 * p)
}

// dateTicks picks at most n indexes of days to label, the first and last
// included.
func dateTicks(days, n int) []int {
	if days <= n {
		out := make([]int, days)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, 0, n)
	for i := range n {
		out = append(out, i*(days-1)/(n-1))
	}
	return out
}

// shorten cuts s to n runes with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
