package chart

import (
	"math"
	"time"
)

// Lines is the data of a line chart over time: one line per series.
type Lines struct {
	Title string
	Unit  string
	Lines []Line
}

// Line is one named series of measurements, in any order.
type Line struct {
	Label  string
	Points []TimePoint
}

// TimePoint is one measurement at a time.
type TimePoint struct {
	T time.Time
	V float64
}

// LineChart is a chart of l on a time axis: a line per series (class
// "series", in time order) and a dot per point (class "point") whose
// tooltip gives the time and value, so single measurements stay visible.
// NaN and infinite values are left out.
func LineChart(l Lines) Chart {
	c := Chart{Title: l.Title, Class: "lines", Y: Axis{Unit: l.Unit}, X: Axis{Scale: Time}}
	var from, to time.Time
	count := 0
	for _, ln := range l.Lines {
		s := Series{Label: ln.Label, Dots: true}
		for _, p := range sortedPoints(ln.Points) {
			if count == 0 || p.T.Before(from) {
				from = p.T
			}
			if count == 0 || p.T.After(to) {
				to = p.T
			}
			count++
			s.Points = append(s.Points, Point{X: Unix(p.T), Y: p.V})
		}
		c.Series = append(c.Series, s)
	}
	if count > 0 {
		// Pad the time range so the first and last dots are off the edges.
		pad := to.Sub(from) / 20
		if pad == 0 {
			pad = time.Hour
		}
		c.X.Min, c.X.Max = Unix(from.Add(-pad)), Unix(to.Add(pad))
	}
	return c
}

// sortedPoints returns the finite points of ps in time order.
func sortedPoints(ps []TimePoint) []TimePoint {
	out := make([]TimePoint, 0, len(ps))
	for _, p := range ps {
		if finite(p.V) {
			out = append(out, p)
		}
	}
	// Insertion sort keeps equal times in their order; series are short.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].T.Before(out[j-1].T); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// BarChart is a chart of grouped bars (class "bar"), one slot per group
// and one colour per series, with a legend when there is more than one
// series. Each bar's tooltip gives its series, group and value. Whole
// values get whole-number ticks.
func BarChart(title, unit string, b Bars) Chart {
	integer := true
	for _, s := range b.Series {
		for _, v := range s.Values {
			integer = integer && v == math.Trunc(v)
		}
	}
	c := Chart{Title: title, Class: "bars", Y: Axis{Unit: unit, Integer: integer}, Bars: &b}
	if len(b.Series) < 2 {
		c.LegendAt = Hidden
	}
	return c
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
	Series []Row
	// Even gives every step the same width instead of placing it at its
	// time: snapshots come in bursts (a deployment makes several within
	// minutes, then nothing for days), and on a time axis the bursts
	// would be slivers. Labels then name each step (e.g. "#65").
	Even   bool
	Labels []string
}

// stepsPlotH is the step chart's plot height.
const stepsPlotH = 240

// StackedSteps is s as a stacked step area chart: one filled path per
// series (class "series"), stacked in series order, a mark per step
// under the x axis, and a legend. It is how replicas per artifact over
// time are shown: each snapshot is a step, each artifact a band.
func StackedSteps(s Steps) Chart {
	c := Chart{Title: s.Title, Class: "steps", PlotHeight: stepsPlotH, Y: Axis{Unit: s.Unit, Integer: true}, Empty: "No snapshots yet"}
	n := len(s.Times)
	if n == 0 || len(s.Series) == 0 {
		return c
	}
	from, end := s.Times[0], s.End
	if !end.After(s.Times[n-1]) {
		end = s.Times[n-1]
	}
	if !end.After(from) {
		end = from.Add(time.Minute)
	}
	xOf := func(j int) float64 { return Unix(s.Times[j]) }
	endX := Unix(end)
	if s.Even {
		xOf = func(j int) float64 { return float64(j) }
		endX = float64(n)
		c.X = Axis{Min: 0, Max: endX, Ticks: evenTicks(s)}
	} else {
		c.X = Axis{Scale: Time, Min: Unix(from), Max: endX}
	}
	for j := range s.Times {
		c.X.Marks = append(c.X.Marks, xOf(j))
	}
	for _, row := range s.Series {
		se := Series{Label: row.Label, Color: row.Color, Area: true, Stack: true, Step: true, End: endX}
		for j := range s.Times {
			v := 0.0
			if j < len(row.Values) {
				v = row.Values[j]
			}
			se.Points = append(se.Points, Point{X: xOf(j), Y: v})
		}
		c.Series = append(c.Series, se)
	}
	return c
}

// evenTicks labels each step with its label and time under the middle of
// its slot, or every k-th one from its start when they would not fit.
func evenTicks(s Steps) []Tick {
	n := len(s.Times)
	plotW := 880 - DefaultMargin.Left - DefaultMargin.Right
	slot := plotW / float64(n)
	every := max(int(math.Ceil(96/slot)), 1)
	var out []Tick
	for j := 0; j < n; j += every {
		at, anchor := float64(j)+0.5, "middle"
		if every > 1 {
			at, anchor = float64(j)+2/slot, "start"
		}
		label := ""
		if j < len(s.Labels) {
			label = s.Labels[j] + " "
		}
		out = append(out, Tick{At: at, Label: label + s.Times[j].UTC().Format("Jan 2 15:04"), Anchor: anchor, Class: "step-label"})
	}
	return out
}
