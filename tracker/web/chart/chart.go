// Package chart renders the tracker's charts as self-contained inline SVG:
// a stacked step chart of replicas per artifact over time, bar charts and
// line charts for the DORA metrics. The renderers are pure functions over
// plain data, so they are tested without a store or a browser, and the SVG
// needs no script, font or stylesheet from anywhere else.
package chart

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// Palette is the series colours, chosen to stay distinguishable side by
// side and readable on a white background; series beyond its length reuse
// it from the start.
var Palette = []string{
	"#2563eb", "#16a34a", "#ea580c", "#9333ea", "#0891b2",
	"#dc2626", "#ca8a04", "#db2777", "#4b5563", "#65a30d",
}

// Color returns the palette colour of the i-th series.
func Color(i int) string {
	if i < 0 {
		i = -i
	}
	return Palette[i%len(Palette)]
}

// geometry of every chart: the plot area sits inside fixed margins so axis
// labels never overlap the data.
const (
	width        = 880
	marginLeft   = 56
	marginRight  = 16
	marginTop    = 26
	marginBottom = 36
	legendRow    = 20
)

// svgWriter accumulates SVG text; every string that came from data goes
// through esc, because labels are artifact and environment names typed by
// users.
type svgWriter struct{ b strings.Builder }

func (w *svgWriter) printf(format string, args ...any) { fmt.Fprintf(&w.b, format, args...) }

func esc(s string) string { return template.HTMLEscapeString(s) }

// num formats a coordinate compactly; NaN and infinities (which would make
// the whole SVG invalid) become 0.
func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
}

func (w *svgWriter) open(class, title string, height int) {
	w.printf(`<svg class="chart %s" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s">`,
		esc(class), width, height, esc(title))
	w.printf(`<title>%s</title>`, esc(title))
}

func (w *svgWriter) html() template.HTML {
	w.printf(`</svg>`)
	// Every piece of data written above was escaped by esc.
	return template.HTML(w.b.String()) //nolint:gosec // built from escaped parts only
}

// empty renders the placeholder shown when there is nothing to plot, so a
// page keeps its shape and says why the chart is blank.
func empty(class, title, msg string) template.HTML {
	var w svgWriter
	w.open(class+" empty", title, 80)
	w.printf(`<rect x="0" y="0" width="%d" height="80" fill="#f8fafc" stroke="#e2e8f0"/>`, width)
	w.printf(`<text x="%d" y="45" text-anchor="middle" fill="#64748b" font-size="14">%s</text>`, width/2, esc(msg))
	return w.html()
}

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten so the y
// axis has round tick labels; it also returns the tick step.
func niceMax(v float64, integer bool) (max, step float64) {
	// Below a millionth there is nothing worth an axis: show 0 to 1.
	if v <= 1e-6 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1, 1
	}
	raw := v / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		step = m * mag
		if step >= raw {
			break
		}
	}
	if integer && step < 1 {
		step = 1
	}
	max = math.Ceil(v/step) * step
	return max, step
}

// yAxis draws horizontal grid lines and their labels from 0 to max. Tick
// values are computed as multiples of step (not by repeated addition, which
// drifts) and printed with just the decimals the step needs.
func (w *svgWriter) yAxis(max, step float64, plotH int, unit string) {
	decimals := stepDecimals(step)
	n := int(math.Round(max / step))
	for i := 0; i <= n; i++ {
		v := float64(i) * step
		y := float64(marginTop) + float64(plotH)*(1-v/max)
		w.printf(`<line class="grid" x1="%d" x2="%d" y1="%s" y2="%s" stroke="#e2e8f0"/>`, marginLeft, width-marginRight, num(y), num(y))
		w.printf(`<text x="%d" y="%s" text-anchor="end" font-size="11" fill="#475569">%s</text>`, marginLeft-6, num(y+4), esc(tickLabel(v, decimals)))
	}
	if unit != "" {
		w.printf(`<text x="4" y="12" font-size="11" fill="#475569">%s</text>`, esc(unit))
	}
}

// stepDecimals is how many decimals print a multiple of step exactly
// (0 for 5, 1 for 0.5, 2 for 0.25).
func stepDecimals(step float64) int {
	for d := 0; d < 12; d++ {
		scaled := step * math.Pow(10, float64(d))
		if math.Abs(scaled-math.Round(scaled)) < 1e-9*math.Max(1, scaled) {
			return d
		}
	}
	return 12
}

// tickLabel prints v with at most decimals decimals and no trailing zeros.
func tickLabel(v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func formatValue(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// timeTicks picks about five round instants between from and to, with a
// label layout that suits the span (times within a day, dates otherwise).
func timeTicks(from, to time.Time) ([]time.Time, string) {
	span := to.Sub(from)
	steps := []time.Duration{
		time.Second, 5 * time.Second, 15 * time.Second, 30 * time.Second,
		time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
		24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour,
		30 * 24 * time.Hour, 90 * 24 * time.Hour, 365 * 24 * time.Hour,
	}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if span/s <= 6 {
			step = s
			break
		}
	}
	layout := "Jan 2"
	switch {
	case step < time.Minute:
		layout = "15:04:05"
	case step < 24*time.Hour && span < 24*time.Hour:
		layout = "15:04"
	case step < 24*time.Hour:
		layout = "Jan 2 15:04"
	}
	var ticks []time.Time
	t := from.Truncate(step)
	if t.Before(from) {
		t = t.Add(step)
	}
	for ; !t.After(to); t = t.Add(step) {
		ticks = append(ticks, t)
	}
	if len(ticks) == 0 {
		// A span under a second has no round instant: label its ends.
		return []time.Time{from, to}, "15:04:05"
	}
	return ticks, layout
}

// legend writes one coloured swatch and label per series below the plot,
// wrapping to as many rows as needed; it returns the rows used.
func (w *svgWriter) legend(labels, colors []string, top int) {
	x, row := marginLeft, 0
	for i, l := range labels {
		text := l
		if len([]rune(text)) > 48 {
			text = string([]rune(text)[:47]) + "…"
		}
		wd := 24 + 7*len([]rune(text))
		if x+wd > width-marginRight && x > marginLeft {
			x, row = marginLeft, row+1
		}
		y := top + row*legendRow
		c := Color(i)
		if i < len(colors) && colors[i] != "" {
			c = colors[i]
		}
		w.printf(`<g class="legend-item"><rect x="%d" y="%d" width="12" height="12" rx="2" fill="%s"/>`, x, y, esc(c))
		w.printf(`<text x="%d" y="%d" font-size="12" fill="#1e293b">%s</text></g>`, x+16, y+10, esc(text))
		x += wd + 12
	}
}

// legendRows predicts how many rows legend will take, to size the SVG.
func legendRows(labels []string) int {
	if len(labels) == 0 {
		return 0
	}
	x, rows := marginLeft, 1
	for _, l := range labels {
		n := len([]rune(l))
		if n > 48 {
			n = 48
		}
		wd := 24 + 7*n
		if x+wd > width-marginRight && x > marginLeft {
			x, rows = marginLeft, rows+1
		}
		x += wd + 12
	}
	return rows
}

// colors lists each series' colour for the legend.
func colors(ss []Series) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.color(i)
	}
	return out
}
