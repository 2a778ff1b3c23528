package chart

import (
	"math"
	"time"
)

// Axis describes the x or the y axis.
type Axis struct {
	// Scale maps values onto the axis: Linear (the default), Log, Time
	// (values are Unix seconds, see Unix) or Elapsed (seconds from a start).
	Scale Scale
	// Min and Max fix the range when Max > Min; otherwise it comes from the
	// data (and the thresholds, for y). A linear y axis starts at 0 (Min
	// is ignored) and is rounded up to a round top; a log axis is widened
	// to whole decades. Values outside the range, negative ones on a
	// linear y axis and non-positive ones on a log axis are drawn at the
	// range's edge.
	Min, Max float64
	// Integer keeps a linear axis's ticks whole numbers (for counts).
	Integer bool
	// Unit is a caption for the y axis, e.g. "replicas".
	Unit string
	// Format labels a tick value (and the value in a dot's tooltip); the
	// default prints numbers plainly, times by the span, elapsed times as
	// 1m30s.
	Format func(float64) string
	// Ticks replaces the automatic ticks.
	Ticks []Tick
	// Marks are short marks under the x axis at these values, without
	// labels (where snapshots were taken, for instance).
	Marks []float64
	// TickMarks draws a short mark under the x axis at each tick.
	TickMarks bool
	// Location is the zone of a Time axis's labels (default UTC).
	Location *time.Location
}

// Scale is how an axis maps values.
type Scale int

// Scales.
const (
	Linear Scale = iota
	Log
	Time
	Elapsed
)

// Tick is one labelled position on an axis. A minor y tick draws a faint
// grid line and no label. Anchor overrides an x label's text-anchor
// (start, middle, end); Class replaces an x label's class ("tick x").
type Tick struct {
	At     float64
	Label  string
	Minor  bool
	Anchor string
	Class  string
}

// Unix is the value of t on a Time axis: seconds since the Unix epoch.
func Unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// FromUnix is the time of a Time axis value.
func FromUnix(v float64) time.Time {
	sec := math.Floor(v)
	return time.Unix(int64(sec), int64(math.Round((v-sec)*1e9))).UTC()
}

// scale maps data values to viewBox coordinates along one axis.
type scale struct {
	kind     Scale
	lo, hi   float64 // data range (log10 of it for Log)
	from, to float64 // coordinates of lo and hi
}

func (s scale) pos(v float64) float64 {
	if s.kind == Log {
		if v <= 0 || math.IsNaN(v) {
			v = s.lo
		} else {
			v = math.Log10(v)
		}
	}
	v = math.Min(math.Max(v, s.lo), s.hi)
	if s.hi == s.lo {
		return s.from
	}
	return s.from + (v-s.lo)/(s.hi-s.lo)*(s.to-s.from)
}

// logRange widens [lo, hi] to whole decades, at least one.
func logRange(lo, hi float64) (float64, float64) {
	if !(lo > 0) || !finite(lo) {
		lo = 1
	}
	if !(hi > 0) || !finite(hi) || hi < lo {
		hi = lo
	}
	l, h := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if h <= l {
		h = l + 1
	}
	return l, h
}

// logTicks labels each decade from 10^lo to 10^hi, with faint 2× and 5×
// grid lines between them when there are at most four decades.
func logTicks(lo, hi float64, format func(float64) string) []Tick {
	var out []Tick
	for e := lo; e <= hi; e++ {
		v := math.Pow(10, e)
		out = append(out, Tick{At: v, Label: format(v)})
		if e < hi && hi-lo <= 4 {
			for _, m := range []float64{2, 5} {
				out = append(out, Tick{At: m * v, Label: format(m * v), Minor: true})
			}
		}
	}
	return out
}

// niceMax rounds a maximum up to a multiple of a round step (1, 2, 2.5 or
// 5 times a power of ten, whole when integer) giving about five intervals,
// and returns it with the step.
func niceMax(v float64, integer bool) (top, step float64) {
	// Below a millionth there is nothing worth an axis: show 0 to 1.
	if v <= 1e-6 || !finite(v) {
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
	if integer {
		step = math.Max(math.Ceil(step), 1)
	}
	return math.Ceil(v/step-1e-9) * step, step
}

// linearTicks places a tick at every multiple of step from 0 to top;
// values are computed as multiples (not by repeated addition, which
// drifts) and printed with just the decimals the step needs.
func linearTicks(top, step float64, format func(float64) string) []Tick {
	decimals := stepDecimals(step)
	n := int(math.Round(top / step))
	out := make([]Tick, 0, n+1)
	for i := 0; i <= n; i++ {
		v := float64(i) * step
		label := ""
		if format != nil {
			label = format(v)
		} else {
			label = fixed(v, decimals)
		}
		out = append(out, Tick{At: v, Label: label})
	}
	return out
}

// spanTicks places round ticks between lo and hi of a linear x axis.
func spanTicks(lo, hi float64, format func(float64) string) []Tick {
	_, step := niceMax(hi-lo, false)
	decimals := stepDecimals(step)
	var out []Tick
	for i := math.Ceil(lo/step - 1e-9); i*step <= hi+1e-9*step; i++ {
		v := i * step
		label := fixed(v, decimals)
		if format != nil {
			label = format(v)
		}
		out = append(out, Tick{At: v, Label: label})
	}
	return out
}

// Tick spacing: how many viewBox units a label needs.
const (
	timeLabelSpace    = 130 // "Nov 2 12:00"
	elapsedLabelSpace = 90  // "1m30s"
)

const day = 24 * time.Hour

var (
	// timeSteps are the round intervals of time ticks, seconds to a year.
	timeSteps = []time.Duration{
		time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
		time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
		day, 2 * day, 7 * day, 14 * day, 30 * day, 90 * day, 365 * day,
	}
	// elapsedSteps also has fractions of a second, which an elapsed axis
	// labels as 0.5s (a clock label would repeat "12:00:00").
	elapsedSteps = append([]time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond}, timeSteps...)
)

// pickStep is the first step that cuts span into at most n intervals.
func pickStep(steps []time.Duration, span time.Duration, n int) time.Duration {
	for _, s := range steps {
		if span/s <= time.Duration(n) {
			return s
		}
	}
	return steps[len(steps)-1]
}

// timeTicks picks round instants between from and to (at most one per
// timeLabelSpace of width) and a label layout that suits the span: clock
// times within a day, dates and times over a few days, dates beyond.
func timeTicks(from, to time.Time, width float64, loc *time.Location) ([]time.Time, string) {
	span := to.Sub(from)
	step := pickStep(timeSteps, span, max(int(width/timeLabelSpace), 1))
	layout := "Jan 2"
	switch {
	case step < time.Minute:
		layout = "15:04:05"
	case step < day && span < day:
		layout = "15:04"
	case step < day:
		layout = "Jan 2 15:04"
	case step >= 30*day:
		layout = "Jan 2006"
	}
	var ticks []time.Time
	if step >= 30*day {
		// Months are calendar months: ticks on the 1st, every 1, 3 or 12.
		months := map[time.Duration]int{30 * day: 1, 90 * day: 3, 365 * day: 12}[step]
		f := from.In(loc)
		t := time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, loc)
		for t.Before(from) || (int(t.Month())-1)%months != 0 {
			t = t.AddDate(0, 1, 0)
		}
		for ; !t.After(to); t = t.AddDate(0, months, 0) {
			ticks = append(ticks, t)
		}
		return ticks, layout
	}
	// Round instants of the zone: a day tick is at its midnight.
	_, offset := from.In(loc).Zone()
	shift := time.Duration(offset) * time.Second
	t := from.Add(shift).Truncate(step).Add(-shift)
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

// elapsedTicks places round offsets from 0 to span (at most one per
// elapsedLabelSpace of width).
func elapsedTicks(lo, hi, width float64) []Tick {
	span := time.Duration((hi - lo) * 1e9)
	if span <= 0 {
		return nil
	}
	step := pickStep(elapsedSteps, span, max(int(width/elapsedLabelSpace), 1))
	var out []Tick
	first := time.Duration(math.Ceil(lo*1e9/float64(step))) * step
	for d := first; d <= time.Duration(hi*1e9); d += step {
		out = append(out, Tick{At: d.Seconds(), Label: ElapsedLabel(d)})
	}
	return out
}
