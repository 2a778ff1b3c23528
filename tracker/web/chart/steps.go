package chart

import (
	"html/template"
	"math"
	"time"
)

// Series is one named row of values, one per point of the chart's x axis.
type Series struct {
	Label  string
	Values []float64
	// Color overrides the palette colour (e.g. grey for a catch-all).
	Color string
}

// color is the series' colour: its own, or the palette's i-th.
func (s Series) color(i int) string {
	if s.Color != "" {
		return s.Color
	}
	return Color(i)
}

// Steps is the data of a stacked step chart: Series[i].Values[j] is the
// value of series i from Times[j] until the next time (the last one holds
// until End). Times must be ascending; a series with fewer values than
// Times counts as 0 for the missing ones.
type Steps struct {
	Title  string
	Unit   string // y-axis caption, e.g. "replicas"
	Times  []time.Time
	End    time.Time
	Series []Series
	// Even gives every step the same width instead of placing it at its
	// time: snapshots come in bursts (a deployment makes several within
	// minutes, then nothing for days), and on a time axis the bursts
	// would be slivers. Labels then name each step (e.g. "#65").
	Even   bool
	Labels []string
}

// plot height of the step chart, without legend and axis labels.
const stepsPlotH = 240

// StackedSteps renders s as a stacked step area chart: one filled path per
// series (class "series"), stacked in series order, with a time axis below
// and a legend. It is how an environment's replicas per artifact over time
// are shown: each snapshot is a step, each artifact a band.
func StackedSteps(s Steps) template.HTML {
	if len(s.Times) == 0 || len(s.Series) == 0 {
		return empty("steps", s.Title, "No snapshots yet")
	}
	n := len(s.Times)
	from, end := s.Times[0], s.End
	if !end.After(s.Times[n-1]) {
		end = s.Times[n-1]
	}
	if !end.After(from) {
		end = from.Add(time.Minute)
	}
	val := func(i, j int) float64 {
		if j < len(s.Series[i].Values) && s.Series[i].Values[j] > 0 {
			return s.Series[i].Values[j]
		}
		return 0
	}
	// stack[i][j] is the top of band i at step j; band i sits on band i-1.
	stack := make([][]float64, len(s.Series))
	maxTotal := 0.0
	for i := range s.Series {
		stack[i] = make([]float64, n)
		for j := 0; j < n; j++ {
			below := 0.0
			if i > 0 {
				below = stack[i-1][j]
			}
			stack[i][j] = below + val(i, j)
			if stack[i][j] > maxTotal {
				maxTotal = stack[i][j]
			}
		}
	}
	ymax, ystep := niceMax(maxTotal, true)
	labels := make([]string, len(s.Series))
	for i, se := range s.Series {
		labels[i] = se.Label
	}
	plotW := float64(width - marginLeft - marginRight)
	height := marginTop + stepsPlotH + marginBottom + legendRows(labels)*legendRow + 8
	x := func(t time.Time) float64 {
		return float64(marginLeft) + plotW*float64(t.Sub(from))/float64(end.Sub(from))
	}
	y := func(v float64) float64 { return float64(marginTop) + stepsPlotH*(1-v/ymax) }

	var w svgWriter
	w.open("steps", s.Title, height)
	w.yAxis(ymax, ystep, stepsPlotH, s.Unit)
	xs := make([]float64, n+1)
	for j, t := range s.Times {
		xs[j] = x(t)
		if s.Even {
			xs[j] = float64(marginLeft) + plotW*float64(j)/float64(n)
		}
	}
	xs[n] = x(end)
	if s.Even {
		xs[n] = float64(marginLeft) + plotW
	}
	for i, se := range s.Series {
		lower := func(j int) float64 {
			if i == 0 {
				return 0
			}
			return stack[i-1][j]
		}
		w.printf(`<path class="series" data-series="%s" data-points="%d" fill="%s" fill-opacity="0.85" stroke="%s" stroke-width="1" d="`,
			esc(se.Label), n, esc(se.color(i)), esc(se.color(i)))
		w.printf("M%s %s", num(xs[0]), num(y(stack[i][0])))
		for j := 0; j < n; j++ {
			w.printf("H%s", num(xs[j+1]))
			if j+1 < n {
				w.printf("V%s", num(y(stack[i][j+1])))
			}
		}
		w.printf("V%s", num(y(lower(n-1))))
		for j := n - 1; j >= 0; j-- {
			w.printf("H%s", num(xs[j]))
			if j > 0 {
				w.printf("V%s", num(y(lower(j-1))))
			}
		}
		w.printf(`Z"><title>%s</title></path>`, esc(se.Label))
	}
	// A tick per snapshot on the x axis: where the steps can happen.
	base := marginTop + stepsPlotH
	for j := range s.Times {
		w.printf(`<line class="snapshot-tick" x1="%s" x2="%s" y1="%d" y2="%d" stroke="#94a3b8"/>`, num(xs[j]), num(xs[j]), base, base+4)
	}
	w.printf(`<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#64748b"/>`, marginLeft, width-marginRight, base, base)
	if s.Even {
		w.evenLabels(s, xs, base)
	} else {
		ticks, layout := timeTicks(from, end)
		for _, t := range ticks {
			w.printf(`<text x="%s" y="%d" text-anchor="middle" font-size="11" fill="#475569">%s</text>`, num(x(t)), base+18, esc(t.Format(layout)))
		}
	}
	w.legend(labels, colors(s.Series), base+marginBottom-8)
	return w.html()
}

// evenLabels writes each step's label and time under the middle of its
// slot, every k-th one when they would not fit side by side.
func (w *svgWriter) evenLabels(s Steps, xs []float64, base int) {
	n := len(s.Times)
	slot := (xs[n] - xs[0]) / float64(n)
	every := int(math.Ceil(96 / slot))
	if every < 1 {
		every = 1
	}
	layout := "Jan 2 15:04"
	for j := 0; j < n; j += every {
		mid := (xs[j] + xs[j+1]) / 2
		if every > 1 {
			mid = xs[j] + 2
		}
		anchor := "middle"
		if every > 1 {
			anchor = "start"
		}
		label := ""
		if j < len(s.Labels) {
			label = s.Labels[j] + " "
		}
		w.printf(`<text class="step-label" x="%s" y="%d" text-anchor="%s" font-size="11" fill="#475569">%s</text>`,
			num(mid), base+18, anchor, esc(label+s.Times[j].UTC().Format(layout)))
	}
}
