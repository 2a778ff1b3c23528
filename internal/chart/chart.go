// Package chart renders charts as self-contained inline SVG for the kit's
// server-rendered pages: the simulator's HTML report, the tracker's web
// pages and the fleet dashboard.
//
// A Chart is plain data: an x and a y Axis (linear, logarithmic, time of
// day or time elapsed), line and area Series (straight or stepped,
// stacked or not), a Bars layer (grouped or stacked), threshold lines such
// as a latency budget, and a legend. Render turns it into one <svg>
// element. The output
//
//   - is deterministic: the same Chart gives the same bytes, numbers are
//     printed with one decimal at most and never as NaN or Inf;
//   - is safe: every label is XML-escaped, so names typed by users cannot
//     inject markup;
//   - needs nothing else: no script, no font, no stylesheet and no style
//     attribute (colours and sizes are presentation attributes, which a
//     Content-Security-Policy of style-src 'self' allows), so it works in a
//     file opened from disk and under the tracker's strict CSP alike. Pages
//     may still style the classes it sets (chart, series, bar, point, grid,
//     axis, legend-item, threshold, empty).
//
// A chart with nothing to plot renders its Empty message ("No data yet" by
// default) instead of a broken or misleading plot.
//
// Lines, Bars and Steps (in ready.go) build the common charts from plainer
// data: values over time, bars per category, and stacked steps such as
// replicas per version.
package chart

import (
	"html/template"
	"math"
	"strings"
)

// Chart is the description of one chart.
type Chart struct {
	// Title is the chart's accessible name (<title> and aria-label); it
	// is not drawn.
	Title string
	// Desc is an optional longer description (<desc>).
	Desc string
	// ID is the svg element's id attribute, if any.
	ID string
	// Class adds classes to the svg element's "chart".
	Class string

	// Width is the viewBox width (default 880); the svg scales to its box.
	Width float64
	// PlotHeight is the height of the plot area (default 200).
	PlotHeight float64
	// Margin around the plot area, for the axis labels (zero fields take
	// DefaultMargin's).
	Margin Margin

	X, Y Axis

	// Series are lines and areas, drawn in order over the bars; areas
	// first, then lines.
	Series []Series
	// Bars is an optional bar layer, one slot per group across the plot.
	Bars *Bars
	// Thresholds are horizontal reference lines (a budget, a target).
	Thresholds []Threshold

	// Legend lists the legend's entries; when nil, one per series, bar
	// series and labelled threshold, in that order.
	Legend []Entry
	// LegendAt places the legend: below the plot (default), above it, or
	// not at all.
	LegendAt Position

	// Empty is the message shown when there is nothing to plot (default
	// "No data yet").
	Empty string
	// EmptyAxes keeps the full-size plot with its axes and writes Empty in
	// its middle, instead of a compact placeholder; for charts whose
	// emptiness is itself the result ("no errors").
	EmptyAxes bool
	// EmptyOK draws the Empty message as good news (green).
	EmptyOK bool
}

// Margin is the space around the plot area, in viewBox units.
type Margin struct{ Left, Right, Top, Bottom float64 }

// DefaultMargin leaves room for y labels of a few digits on the left and
// time labels below.
var DefaultMargin = Margin{Left: 56, Right: 16, Top: 26, Bottom: 36}

// Position is where the legend goes.
type Position int

// Legend positions.
const (
	Below Position = iota
	Above
	Hidden
)

// Series is one line or area. Points are drawn in the order given (sort
// them by X); a point whose Y is NaN or infinite is a gap.
type Series struct {
	Label  string
	Color  string // stroke; the palette's colour of the series' index by default
	Points []Point

	// Area fills the series down to the baseline, or onto the previous
	// stacked area when Stack is set.
	Area bool
	// Stack stacks this area on the previous stacked one. Stacked series
	// must share their points' X values, position by position.
	Stack bool
	// Step draws each value flat until the next point's X (and the last
	// one until End) instead of a straight line between points.
	Step bool
	// End is where the last step ends, in X units (default: the last
	// point's X).
	End float64

	Fill        string  // area fill (default Color)
	FillOpacity float64 // default 0.85 for stacked areas, 0.45 otherwise
	Width       float64 // stroke width (default 2; 1 for stacked areas)
	Dash        string  // stroke-dasharray, e.g. "6 4"
	// Dots draws a dot per point whose tooltip gives the value, so a
	// single measurement is visible.
	Dots bool
}

// Point is one measurement.
type Point struct{ X, Y float64 }

// Bars is a layer of bars: the plot is cut into one equal slot per group,
// each holding one bar per series side by side, or one stack of them.
type Bars struct {
	// Groups label the slots under the x axis (thinned to fit) unless the
	// x axis has ticks of its own (a time axis, explicit Ticks).
	Groups []string
	// Slots is the number of slots when there are no Groups.
	Slots  int
	Series []Row
	// Stacked stacks the series' bars of a slot into one bar, drawn as
	// one group (class "bar") with a tooltip; zero-height stacks are not
	// drawn. Otherwise each bar is a rect of class "bar".
	Stacked bool
	// Titles are the tooltips of the stacks (Stacked only), one per slot;
	// the default lists each series' value.
	Titles []string
	// MinHeight draws every non-zero bar at least this tall, so a single
	// error among thousands of requests stays visible.
	MinHeight float64
}

// Row is one named row of values: a series of bars, one value per slot,
// or a band of a stacked step chart, one value per step.
type Row struct {
	Label  string
	Color  string
	Values []float64
}

// Threshold is a horizontal dashed line at a y value, labelled at the
// right end; Shade, when set, fills the plot above it (over the budget).
type Threshold struct {
	Value float64
	Label string
	Color string // default red
	Shade string
}

// Entry is one legend item: a colour box, or a line when Dash is set.
type Entry struct {
	Label, Color, Dash string
}

// Palette is the series colours, distinguishable side by side and
// readable on white; series beyond its length reuse it from the start.
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

// Colours of the chart's furniture.
const (
	colGrid      = "#e2e8f0"
	colGridMinor = "#f1f5f9"
	colAxis      = "#94a3b8"
	colText      = "#475569"
	colLegend    = "#1e293b"
	colRed       = "#dc2626"
	colOK        = "#15803d"
	colMuted     = "#64748b"
)

// HTML renders c for a template: the SVG is built from escaped parts only.
func (c Chart) HTML() template.HTML {
	return template.HTML(c.Render()) //nolint:gosec // every piece of data in it is escaped
}

// Render returns c as one <svg> element.
func (c Chart) Render() string {
	l := c.layout()
	var w svgWriter
	if !l.hasData && !c.EmptyAxes {
		return c.placeholder(l)
	}
	w.open(c, l)
	w.bands(c, l)
	w.yAxis(c, l)
	w.xAxis(c, l)
	if l.hasData {
		w.bars(c, l)
		w.areas(c, l)
		w.lines(c, l)
	}
	w.thresholds(c, l)
	if !l.hasData {
		msg := c.emptyText()
		fill := colMuted
		if c.EmptyOK {
			fill = colOK
		}
		w.printf(`<text class="empty" x="%s" y="%s" text-anchor="middle" font-size="14" fill="%s">%s</text>`,
			num(l.left+l.plotW/2), num(l.top+l.plotH/2), fill, esc(msg))
	}
	w.legend(c, l)
	w.printf(`</svg>`)
	return w.b.String()
}

func (c Chart) emptyText() string {
	if c.Empty == "" {
		return "No data yet"
	}
	return c.Empty
}

// placeholder is the compact box shown instead of an empty chart, so the
// page keeps its shape and says why there is no plot.
func (c Chart) placeholder(l layout) string {
	var w svgWriter
	const h = 80
	w.printf(`<svg class="%s" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %d" width="100%%" role="img" aria-label="%s"%s>`,
		esc(strings.TrimSpace("chart empty "+c.Class)), num(l.width), h, esc(c.Title), idAttr(c.ID))
	w.printf(`<title>%s</title>`, esc(c.Title))
	w.printf(`<rect x="0" y="0" width="%s" height="%d" fill="#f8fafc" stroke="%s"/>`, num(l.width), h, colGrid)
	w.printf(`<text class="empty" x="%s" y="45" text-anchor="middle" fill="%s" font-size="14">%s</text>`, num(l.width/2), colMuted, esc(c.emptyText()))
	w.printf(`</svg>`)
	return w.b.String()
}

func idAttr(id string) string {
	if id == "" {
		return ""
	}
	return ` id="` + esc(id) + `"`
}

// finite reports whether v is an ordinary number.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
