package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"add": func(a, b float64) float64 { return a + b },
	"mul": func(a, b float64) float64 { return a * b },
}).Parse(htmlSource))

// displayBuckets is how many bars and points a chart draws at most; the
// series is merged down to it so bars stay wide enough to see and hover.
const displayBuckets = 240

// WriteHTML writes a self-contained HTML page (inline CSS and SVG, no
// script, nothing fetched from a network) with latency over time, errors
// over time by class, throughput over time and the per-command table. All
// text, the target URL included, is escaped.
func (r *Recorder) WriteHTML(w io.Writer) error {
	s, hists := r.totalsWithHistograms()
	start, width, buckets := r.ser.view(displayBuckets)
	s.Start, s.BucketWidth, s.Series = start, width, buckets
	p := newPage(s)
	p.Percentiles = percentileChart(s, hists)
	if err := htmlTemplate.Execute(w, p); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

// Chart geometry, in viewBox units.
const (
	chartW      = 1000.0
	chartH      = 280.0 // latency and errors
	smallChartH = 200.0 // throughput
	plotLeft    = 64.0
	plotRight   = 24.0
	plotTop     = 16.0
	plotBottom  = 36.0
	plotW       = chartW - plotLeft - plotRight
)

type page struct {
	Target, Start, Duration, Total, Rate, Budget string
	Verdict                                      string
	Failed                                       bool
	Cards                                        []card
	Latency, Errors, Throughput, Percentiles     chart
	ErrorLegend                                  []legend
	Header                                       []string
	Rows                                         [][]cell
	Lateness                                     string
}

type card struct{ Label, Value, Note string }

// cell is one table cell; Class is "zero" for a muted 0 and "bad" for a
// non-zero error count.
type cell struct{ Text, Class string }

type legend struct{ Label, Color, Dash string }

type chart struct {
	ID, Title, Note string
	W, H            float64
	PlotX, PlotY    float64
	PlotW, PlotH    float64
	XTicks          []tick
	YTicks          []tick
	Paths           []path
	Bars            []barGroup
	HLines          []hline
	Bands           []band
	Legend          []legend
	Empty           string
}

type tick struct {
	Pos    float64
	Label  string
	Minor  bool
	Anchor string // text-anchor of an x tick's label
}

type path struct {
	Name, Color, Dash, D string
	Width                float64
	Points               int
	Fill                 string
}

type hline struct {
	Y            float64
	Label, Color string
}

// band is a shaded horizontal stripe of the plot (over the budget).
type band struct {
	Y, H  float64
	Color string
}

type barGroup struct {
	Title string
	Rects []rect
}

type rect struct {
	X, Y, W, H float64
	Color      string
}

var classColors = []struct {
	o     Outcome
	color string
}{
	{Timeout, "#dc2626"},
	{ConnError, "#7c3aed"},
	{WrongStatus, "#0284c7"},
	{Late, "#f59e0b"},
	{Consequence, "#9ca3af"},
}

func newPage(s Summary) page {
	all := s.ByCommand[AllCommands]
	p := page{
		Target:   s.Target,
		Duration: dur(s.Duration()),
		Total:    count(s.Total),
		Rate:     strconv.FormatFloat(s.Rate(), 'f', 1, 64),
		Budget:   dur(s.Budget),
		Failed:   s.Errors+s.Consequences > 0,
	}
	if p.Target == "" {
		p.Target = "(no target)"
	}
	if !s.Start.IsZero() {
		p.Start = s.Start.UTC().Format("2006-01-02 15:04:05 MST")
	}
	switch {
	case s.Total == 0:
		p.Verdict = "no requests recorded"
	case !p.Failed:
		p.Verdict = "no errors"
	default:
		p.Verdict = count(s.Errors) + " errors"
		if s.Consequences > 0 {
			p.Verdict += " + " + count(s.Consequences) + " consequences"
		}
	}
	p.Cards = []card{
		{"requests", count(s.Total), p.Rate + "/s over " + p.Duration},
		{"errors", count(s.Errors), fmt.Sprintf("%s%% of requests", pct(s.Errors, s.Total))},
		{"consequences", count(s.Consequences), "failed because an earlier action failed"},
		{"p50 latency", dur(all.P50), "from scheduled send time"},
		{"p99 latency", dur(all.P99), "budget " + p.Budget},
		{"max latency", dur(all.Max), ""},
		{"late sends", count(s.Lateness.LateSends), "≥ " + dur(s.Lateness.Threshold) + " behind schedule"},
	}
	p.Latency = latencyChart(s)
	p.Errors = errorChart(s)
	p.Throughput = throughputChart(s)
	p.Header = tableHeader
	for _, name := range s.Commands() {
		c := s.ByCommand[name]
		row := []cell{{Text: name}, num(c.Count, false), num(c.OK, false)}
		for _, n := range []int64{c.Late, c.Timeout, c.ConnError, c.WrongStatus, c.Consequence} {
			row = append(row, num(n, true))
		}
		for _, d := range []time.Duration{c.P50, c.P90, c.P99, c.Max} {
			row = append(row, cell{Text: dur(d)})
		}
		p.Rows = append(p.Rows, row)
	}
	l := s.Lateness
	p.Lateness = fmt.Sprintf("Send lateness (actual minus scheduled send time): p50 %s, p99 %s, max %s; %s sends left %s or more behind schedule.",
		dur(l.P50), dur(l.P99), dur(l.Max), count(l.LateSends), dur(l.Threshold))
	return p
}

func num(n int64, isError bool) cell {
	switch {
	case n == 0:
		return cell{Text: "0", Class: "zero"}
	case isError:
		return cell{Text: count(n), Class: "bad"}
	}
	return cell{Text: count(n)}
}

func pct(n, total int64) string {
	if total == 0 {
		return "0"
	}
	return strconv.FormatFloat(100*float64(n)/float64(total), 'f', 2, 64)
}

func baseChart(id, title, note string, h float64, s Summary) chart {
	c := chart{ID: id, Title: title, Note: note, W: chartW, H: h, PlotX: plotLeft, PlotY: plotTop, PlotW: plotW, PlotH: h - plotTop - plotBottom}
	c.XTicks = timeTicks(time.Duration(len(s.Series)) * s.BucketWidth)
	return c
}

// bottom is the y coordinate of the plot's baseline.
func (c *chart) bottom() float64 { return c.PlotY + c.PlotH }

// xOf is the x coordinate of the centre of bucket i of n.
func xOf(i, n int) float64 { return plotLeft + (float64(i)+0.5)*plotW/float64(n) }

func latencyChart(s Summary) chart {
	c := baseChart("latency", "Latency over time", "p50, p99 and max per interval, measured from the scheduled send time; logarithmic scale", chartH, s)
	n := len(s.Series)
	lo, hi := time.Duration(math.MaxInt64), s.Budget
	for _, b := range s.Series {
		if b.Count == 0 {
			continue
		}
		if b.P50 > 0 {
			lo = min(lo, b.P50)
		}
		hi = max(hi, b.Max)
	}
	if n == 0 || lo == time.Duration(math.MaxInt64) {
		lo = time.Millisecond
		if n == 0 {
			c.Empty = "No requests recorded."
		}
	}
	y := newLogScale(&c, lo, hi)
	c.YTicks = y.ticks()
	series := []struct {
		name, color string
		width       float64
		get         func(Bucket) time.Duration
	}{
		{"max", "#cbd5e1", 1.2, func(b Bucket) time.Duration { return b.Max }},
		{"p99", "#7c3aed", 2, func(b Bucket) time.Duration { return b.P99 }},
		{"p50", "#2563eb", 2, func(b Bucket) time.Duration { return b.P50 }},
	}
	for _, ser := range series {
		var d strings.Builder
		points, gap := 0, true
		for i, b := range s.Series {
			if b.Count == 0 {
				gap = true
				continue
			}
			cmd := 'L'
			if gap {
				cmd = 'M'
			}
			fmt.Fprintf(&d, "%c%.1f %.1f", cmd, xOf(i, n), y.pos(ser.get(b)))
			points++
			gap = false
		}
		c.Paths = append(c.Paths, path{Name: ser.name, Color: ser.color, Width: ser.width, D: d.String(), Points: points})
	}
	by := y.pos(s.Budget)
	c.HLines = []hline{{Y: by, Label: "budget " + dur(s.Budget), Color: "#dc2626"}}
	c.Bands = []band{{Y: plotTop, H: by - plotTop, Color: "#fef2f2"}}
	c.Legend = []legend{{"p50", "#2563eb", ""}, {"p99", "#7c3aed", ""}, {"max", "#cbd5e1", ""}, {"budget", "#dc2626", "6 4"}}
	return c
}

func errorChart(s Summary) chart {
	c := baseChart("errors", "Errors over time", "failed requests per interval by class, consequences of earlier failures in grey", chartH, s)
	n := len(s.Series)
	var top int64
	for _, b := range s.Series {
		top = max(top, b.Errors()+b.Consequence)
	}
	if top == 0 {
		// Nothing to draw: a short chart with the good news.
		c = baseChart(c.ID, c.Title, c.Note, smallChartH, s)
	}
	ymax, steps := niceScale(float64(top))
	c.YTicks = linearTicks(&c, ymax, steps)
	bw := plotW / float64(max(n, 1))
	gapW := 0.0
	if bw > 3 {
		gapW = math.Min(bw*0.15, 2)
	}
	for i, b := range s.Series {
		total := b.Errors() + b.Consequence
		if total == 0 {
			continue
		}
		g := barGroup{}
		var parts []string
		base := c.bottom()
		x := plotLeft + float64(i)*bw + gapW/2
		for _, cc := range classColors {
			v := bucketCount(b, cc.o)
			if v == 0 {
				continue
			}
			// At least 2 units high, so that a single error in a run of
			// thousands is still visible.
			h := math.Max(float64(v)/ymax*c.PlotH, 2)
			base -= h
			g.Rects = append(g.Rects, rect{X: x, Y: base, W: bw - gapW, H: h, Color: cc.color})
			parts = append(parts, fmt.Sprintf("%s %s", count(v), cc.o))
		}
		g.Title = fmt.Sprintf("%s–%s: %s of %s requests", offsetLabel(b.Offset), offsetLabel(b.Offset+s.BucketWidth), strings.Join(parts, ", "), count(b.Count))
		c.Bars = append(c.Bars, g)
	}
	if n > 0 && len(c.Bars) == 0 {
		c.Empty = "No errors: every request got the expected status within the budget."
	} else if n == 0 {
		c.Empty = "No requests recorded."
	}
	for _, cc := range classColors {
		c.Legend = append(c.Legend, legend{cc.o.String(), cc.color, ""})
	}
	return c
}

func throughputChart(s Summary) chart {
	c := baseChart("throughput", "Requests over time", "requests per second, by scheduled send time", smallChartH, s)
	n := len(s.Series)
	sec := s.BucketWidth.Seconds()
	var top float64
	for _, b := range s.Series {
		if sec > 0 {
			top = max(top, float64(b.Count)/sec)
		}
	}
	ymax, steps := niceScale(top)
	c.YTicks = linearTicks(&c, ymax, steps)
	if n == 0 || sec <= 0 {
		c.Empty = "No requests recorded."
		return c
	}
	var d strings.Builder
	fmt.Fprintf(&d, "M%.1f %.1f", plotLeft, c.bottom())
	for i, b := range s.Series {
		fmt.Fprintf(&d, "L%.1f %.1f", xOf(i, n), c.bottom()-float64(b.Count)/sec/ymax*c.PlotH)
	}
	fmt.Fprintf(&d, "L%.1f %.1fZ", plotLeft+plotW, c.bottom())
	c.Paths = []path{{Name: "rate", Color: "#0d9488", Fill: "#99f6e4", Width: 1.5, D: d.String(), Points: n}}
	return c
}

func bucketCount(b Bucket, o Outcome) int64 {
	switch o {
	case Late:
		return b.Late
	case Timeout:
		return b.Timeout
	case ConnError:
		return b.ConnError
	case WrongStatus:
		return b.WrongStatus
	case Consequence:
		return b.Consequence
	}
	return b.OK
}

// logScale maps durations onto the plot's height logarithmically, between
// whole decades around the data.
type logScale struct {
	lo, hi         float64 // log10 of microseconds
	bottom, height float64 // plot coordinates
}

func newLogScale(c *chart, lo, hi time.Duration) logScale {
	l := math.Floor(math.Log10(math.Max(float64(lo.Microseconds()), 10)))
	h := math.Ceil(math.Log10(math.Max(float64(hi.Microseconds()), 1)))
	if h <= l {
		h = l + 1
	}
	return logScale{l, h, c.bottom(), c.PlotH}
}

func (s logScale) pos(d time.Duration) float64 {
	v := math.Log10(math.Max(float64(d.Microseconds()), 1))
	v = math.Min(math.Max(v, s.lo), s.hi)
	return s.bottom - (v-s.lo)/(s.hi-s.lo)*s.height
}

func (s logScale) ticks() []tick {
	var out []tick
	for e := s.lo; e <= s.hi; e++ {
		d := time.Duration(math.Pow(10, e)) * time.Microsecond
		out = append(out, tick{Pos: s.pos(d), Label: roundDur(d)})
		if e < s.hi && s.hi-s.lo <= 4 {
			for _, m := range []float64{2, 5} {
				md := time.Duration(m*math.Pow(10, e)) * time.Microsecond
				out = append(out, tick{Pos: s.pos(md), Label: roundDur(md), Minor: true})
			}
		}
	}
	return out
}

// roundDur labels a round duration without trailing zeros: 10ms, 1s, 100µs.
func roundDur(d time.Duration) string {
	if d < time.Millisecond {
		return strconv.FormatInt(d.Microseconds(), 10) + "µs"
	}
	if d < time.Second {
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', -1, 64) + "ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

// niceScale picks the top of a linear axis for values up to v and the
// number of tick intervals: whole numbers for small counts, otherwise five
// intervals of a round step (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power
// of ten for the top), so the tallest bar fills most of the plot.
func niceScale(v float64) (top float64, steps int) {
	switch {
	case v <= 1:
		return 1, 1
	case v <= 5:
		top = math.Ceil(v)
		return top, int(top)
	case v <= 10:
		return 10, 5
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v {
			return m * p, 5
		}
	}
	return 10 * p, 5
}

// linearTicks places steps+1 ticks from 0 to top.
func linearTicks(c *chart, top float64, steps int) []tick {
	var out []tick
	for i := 0; i <= steps; i++ {
		v := top * float64(i) / float64(steps)
		out = append(out, tick{Pos: c.bottom() - v/top*c.PlotH, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return out
}

var tickSteps = []time.Duration{
	100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// timeTicks places at most about ten round time marks across a span.
func timeTicks(span time.Duration) []tick {
	if span <= 0 {
		return nil
	}
	step := tickSteps[len(tickSteps)-1]
	for _, st := range tickSteps {
		if span/st <= 10 {
			step = st
			break
		}
	}
	var out []tick
	for t := time.Duration(0); t <= span; t += step {
		x := plotLeft + float64(t)/float64(span)*plotW
		anchor := "middle"
		if x > plotLeft+plotW-20 {
			anchor = "end" // keep the last label inside the chart
		}
		out = append(out, tick{Pos: x, Label: offsetLabel(t), Anchor: anchor})
	}
	return out
}

// offsetLabel formats a time offset from the run's start: 0s, 1.5s, 2m30s, 1h05m.
func offsetLabel(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
	case d < time.Hour:
		m := int(d / time.Minute)
		sec := int((d % time.Minute) / time.Second)
		if sec == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%02ds", m, sec)
	default:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int((d%time.Hour)/time.Minute))
	}
}

// commandColors gives each course command a fixed colour; others take the
// spare ones in order.
var (
	commandColors = map[string]string{"register": "#0d9488", "tweet": "#2563eb", "follow": "#d97706", "unfollow": "#db2777", AllCommands: "#94a3b8"}
	spareColors   = []string{"#7c3aed", "#65a30d", "#0891b2", "#be123c", "#4b5563"}
)

// percentileStep is the spacing of the percentile chart's points, in
// decades of 1/(1-p).
const percentileStep = 0.05

// percentileChart draws the latency distribution of each command: latency
// (log scale) against percentile, with the x axis stretched so that 90%,
// 99%, 99.9% ... are equally spaced and the tail is visible.
func percentileChart(s Summary, hists map[string]*cmdAcc) chart {
	c := baseChart("percentiles", "Latency by percentile", "the whole run's latency distribution per command; logarithmic on both axes, so the tail is as visible as the median", chartH, s)
	all := s.ByCommand[AllCommands]
	// As many decades as the data can resolve: a percentile beyond
	// 1 - 1/count is the maximum.
	decades := math.Min(math.Max(math.Floor(math.Log10(float64(max(all.Count, 1)))), 1), 5)
	xOfDecade := func(d float64) float64 { return plotLeft + d/decades*plotW }
	c.XTicks = nil
	for d := 0.0; d <= decades; d++ {
		label := "0%"
		if d > 0 {
			label = strconv.FormatFloat(100*(1-math.Pow(10, -d)), 'f', -1, 64) + "%"
		}
		anchor := "middle"
		if d == decades {
			anchor = "end"
		}
		c.XTicks = append(c.XTicks, tick{Pos: xOfDecade(d), Label: label, Anchor: anchor})
	}
	lo, hi := time.Duration(math.MaxInt64), s.Budget
	for _, name := range s.Commands() {
		if st := s.ByCommand[name]; st.Count > 0 {
			lo = min(lo, max(fromMicros(hists[name].hist.ValueAtPercentile(0), st.Max), 10*time.Microsecond))
			hi = max(hi, st.Max)
		}
	}
	if lo == time.Duration(math.MaxInt64) {
		lo = time.Millisecond
		c.Empty = "No requests recorded."
	}
	y := newLogScale(&c, lo, hi)
	c.YTicks = y.ticks()
	spare := 0
	// The total goes first, wide and pale, so the commands draw over it.
	order := append([]string{AllCommands}, slices.DeleteFunc(s.Commands(), func(n string) bool { return n == AllCommands })...)
	for _, name := range order {
		st := s.ByCommand[name]
		color, ok := commandColors[name]
		if !ok {
			color = spareColors[spare%len(spareColors)]
			spare++
		}
		c.Legend = append(c.Legend, legend{Label: name, Color: color})
		if st.Count == 0 {
			continue
		}
		limit := math.Min(decades, math.Log10(float64(st.Count)))
		var ps []float64
		for d := 0.0; d <= limit+1e-9; d += percentileStep {
			ps = append(ps, 100*(1-math.Pow(10, -d)))
		}
		vals := hists[name].hist.ValueAtPercentilesSlice(ps)
		var d strings.Builder
		for i, v := range vals {
			cmd := 'L'
			if i == 0 {
				cmd = 'M'
			}
			fmt.Fprintf(&d, "%c%.1f %.1f", cmd, xOfDecade(float64(i)*percentileStep), y.pos(fromMicros(v, st.Max)))
		}
		width := 1.8
		if name == AllCommands {
			width = 5
		}
		c.Paths = append(c.Paths, path{Name: name, Color: color, Width: width, D: d.String(), Points: len(vals)})
	}
	by := y.pos(s.Budget)
	c.HLines = []hline{{Y: by, Label: "budget " + dur(s.Budget), Color: "#dc2626"}}
	c.Bands = []band{{Y: plotTop, H: by - plotTop, Color: "#fef2f2"}}
	return c
}
