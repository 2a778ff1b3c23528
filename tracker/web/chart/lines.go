package chart

import (
	"html/template"
	"math"
	"slices"
	"time"
)

// Point is one measurement at a time.
type Point struct {
	T time.Time
	V float64
}

// Line is one named series of points, in any order.
type Line struct {
	Label  string
	Points []Point
}

// Lines is the data of a line chart over time.
type Lines struct {
	Title string
	Unit  string
	Lines []Line
}

const linesPlotH = 200

// LineChart renders l with a time x axis: one polyline per series (class
// "series") and a dot per point (class "point") whose tooltip gives the
// value, so single measurements stay visible.
func LineChart(l Lines) template.HTML {
	var from, to time.Time
	maxV, count := 0.0, 0
	for _, ln := range l.Lines {
		for _, p := range ln.Points {
			if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
				continue
			}
			if count == 0 || p.T.Before(from) {
				from = p.T
			}
			if count == 0 || p.T.After(to) {
				to = p.T
			}
			maxV = math.Max(maxV, p.V)
			count++
		}
	}
	if count == 0 {
		return empty("lines", l.Title, "No data yet")
	}
	// Pad the time range so the first and last dots are not on the edges.
	pad := to.Sub(from) / 20
	if pad == 0 {
		pad = time.Hour
	}
	from, to = from.Add(-pad), to.Add(pad)
	ymax, ystep := niceMax(maxV, false)
	labels := make([]string, len(l.Lines))
	for i, ln := range l.Lines {
		labels[i] = ln.Label
	}
	height := marginTop + linesPlotH + marginBottom + legendRows(labels)*legendRow + 8
	plotW := float64(width - marginLeft - marginRight)
	x := func(t time.Time) float64 {
		return float64(marginLeft) + plotW*float64(t.Sub(from))/float64(to.Sub(from))
	}
	y := func(v float64) float64 { return float64(marginTop) + linesPlotH*(1-v/ymax) }

	var w svgWriter
	w.open("lines", l.Title, height)
	w.yAxis(ymax, ystep, linesPlotH, l.Unit)
	for i, ln := range l.Lines {
		pts := sortedPoints(ln.Points)
		w.printf(`<g class="line" data-series="%s" data-points="%d">`, esc(ln.Label), len(pts))
		if len(pts) > 1 {
			w.printf(`<polyline class="series" fill="none" stroke="%s" stroke-width="2" points="`, Color(i))
			for k, p := range pts {
				if k > 0 {
					w.printf(" ")
				}
				w.printf("%s,%s", num(x(p.T)), num(y(p.V)))
			}
			w.printf(`"/>`)
		}
		for _, p := range pts {
			w.printf(`<circle class="point" cx="%s" cy="%s" r="3.5" fill="%s"><title>%s · %s: %s</title></circle>`,
				num(x(p.T)), num(y(p.V)), Color(i), esc(ln.Label), esc(p.T.Format("2006-01-02 15:04")), esc(formatValue(math.Round(p.V*100)/100)))
		}
		w.printf(`</g>`)
	}
	base := marginTop + linesPlotH
	w.printf(`<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#64748b"/>`, marginLeft, width-marginRight, base, base)
	ticks, layout := timeTicks(from, to)
	for _, t := range ticks {
		w.printf(`<text x="%s" y="%d" text-anchor="middle" font-size="11" fill="#475569">%s</text>`, num(x(t)), base+18, esc(t.Format(layout)))
	}
	w.legend(labels, nil, base+marginBottom-8)
	return w.html()
}

// sortedPoints returns the finite points of ps in time order.
func sortedPoints(ps []Point) []Point {
	out := make([]Point, 0, len(ps))
	for _, p := range ps {
		if !math.IsNaN(p.V) && !math.IsInf(p.V, 0) {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b Point) int { return a.T.Compare(b.T) })
	return out
}
