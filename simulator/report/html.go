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

	"github.com/minitwit-cd/kit/internal/chart"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

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
	p.Percentiles = newSection("percentiles", "the whole run's latency distribution per command; logarithmic on both axes, so the tail is as visible as the median", percentileChart(s, hists))
	if err := htmlTemplate.Execute(w, p); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

// Chart geometry, in viewBox units: a wide plot with room for duration
// labels on the left.
const (
	chartW      = 1000.0
	chartH      = 228.0 // latency, errors and percentiles plots
	smallChartH = 148.0 // throughput, and errors when there are none
)

var chartMargin = chart.Margin{Left: 64, Right: 24, Top: 16, Bottom: 36}

type page struct {
	Target, Start, Duration, Total, Rate, Budget string
	Verdict                                      string
	Failed                                       bool
	Cards                                        []card
	Latency, Errors, Throughput, Percentiles     section
	Header                                       []string
	Rows                                         [][]cell
	Lateness                                     string
}

type card struct{ Label, Value, Note string }

// cell is one table cell; Class is "zero" for a muted 0 and "bad" for a
// non-zero error count.
type cell struct{ Text, Class string }

// section is one chart of the page with its heading.
type section struct {
	ID, Title, Note string
	SVG             template.HTML
}

func newSection(id, note string, c chart.Chart) section {
	c.ID = id + "-chart"
	return section{ID: id, Title: c.Title, Note: note, SVG: c.HTML()}
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
	p.Latency = newSection("latency", "p50, p99 and max per interval, measured from the scheduled send time; logarithmic scale", latencyChart(s))
	p.Errors = newSection("errors", "failed requests per interval by class, consequences of earlier failures in grey", errorChart(s))
	p.Throughput = newSection("throughput", "requests per second, by scheduled send time", throughputChart(s))
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

// baseChart is a chart of the run over time: a wide plot, the time since
// the start on the x axis with a mark per tick, the legend above.
func baseChart(title string, h float64, s Summary) chart.Chart {
	return chart.Chart{
		Title: title, Width: chartW, PlotHeight: h, Margin: chartMargin, LegendAt: chart.Above,
		X: chart.Axis{Scale: chart.Elapsed, Min: 0, Max: (time.Duration(len(s.Series)) * s.BucketWidth).Seconds(), TickMarks: true},
	}
}

// xOf is the x value of the centre of bucket i: seconds since the start.
func xOf(s Summary, i int) float64 { return (float64(i) + 0.5) * s.BucketWidth.Seconds() }

// axisMicros is a duration's value on a latency axis (microseconds).
func axisMicros(d time.Duration) float64 { return float64(d.Microseconds()) }

// microsLabel labels a latency axis value without trailing zeros: 10ms,
// 1s, 100µs.
func microsLabel(v float64) string {
	d := time.Duration(v) * time.Microsecond
	if d < time.Millisecond {
		return strconv.FormatInt(d.Microseconds(), 10) + "µs"
	}
	if d < time.Second {
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', -1, 64) + "ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

// latencyAxis is a logarithmic axis of whole decades from lo (at least
// 10µs) to hi.
func latencyAxis(lo, hi time.Duration) chart.Axis {
	return chart.Axis{Scale: chart.Log, Min: math.Max(axisMicros(lo), 10), Max: math.Max(axisMicros(hi), 1), Format: microsLabel}
}

// budgetLine marks the budget and shades the plot above it.
func budgetLine(s Summary) []chart.Threshold {
	return []chart.Threshold{{Value: axisMicros(s.Budget), Label: "budget " + dur(s.Budget), Color: "#dc2626", Shade: "#fef2f2"}}
}

func latencyChart(s Summary) chart.Chart {
	c := baseChart("Latency over time", chartH, s)
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
	}
	c.Y = latencyAxis(lo, hi)
	c.Empty, c.EmptyAxes = "No requests recorded.", true
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
		line := chart.Series{Label: ser.name, Color: ser.color, Width: ser.width}
		for i, b := range s.Series {
			y := math.NaN() // an interval without requests is a gap
			if b.Count > 0 {
				y = axisMicros(ser.get(b))
			}
			line.Points = append(line.Points, chart.Point{X: xOf(s, i), Y: y})
		}
		c.Series = append(c.Series, line)
	}
	c.Thresholds = budgetLine(s)
	c.Legend = []chart.Entry{{Label: "p50", Color: "#2563eb"}, {Label: "p99", Color: "#7c3aed"}, {Label: "max", Color: "#cbd5e1"}, {Label: "budget", Color: "#dc2626", Dash: "6 4"}}
	return c
}

func errorChart(s Summary) chart.Chart {
	c := baseChart("Errors over time", chartH, s)
	n := len(s.Series)
	bars := &chart.Bars{Stacked: true, Slots: n, MinHeight: 2}
	for _, cc := range classColors {
		row := chart.Row{Label: cc.o.String(), Color: cc.color, Values: make([]float64, n)}
		for i, b := range s.Series {
			row.Values[i] = float64(bucketCount(b, cc.o))
		}
		bars.Series = append(bars.Series, row)
		c.Legend = append(c.Legend, chart.Entry{Label: cc.o.String(), Color: cc.color})
	}
	any := false
	for _, b := range s.Series {
		var parts []string
		for _, cc := range classColors {
			if v := bucketCount(b, cc.o); v > 0 {
				parts = append(parts, fmt.Sprintf("%s %s", count(v), cc.o))
			}
		}
		title := ""
		if len(parts) > 0 {
			any = true
			title = fmt.Sprintf("%s–%s: %s of %s requests", chart.ElapsedLabel(b.Offset), chart.ElapsedLabel(b.Offset+s.BucketWidth), strings.Join(parts, ", "), count(b.Count))
		}
		bars.Titles = append(bars.Titles, title)
	}
	c.Bars = bars
	c.Y = chart.Axis{Integer: true}
	c.EmptyAxes = true
	if !any {
		// Nothing to draw: a short chart with the good news.
		c.PlotHeight = smallChartH
		c.Empty, c.EmptyOK = "No errors: every request got the expected status within the budget.", true
	}
	if n == 0 {
		c.Empty, c.EmptyOK = "No requests recorded.", false
	}
	return c
}

func throughputChart(s Summary) chart.Chart {
	c := baseChart("Requests over time", smallChartH, s)
	c.LegendAt = chart.Hidden
	c.Empty, c.EmptyAxes = "No requests recorded.", true
	sec := s.BucketWidth.Seconds()
	if len(s.Series) == 0 || sec <= 0 {
		return c
	}
	area := chart.Series{Label: "rate", Color: "#0d9488", Fill: "#99f6e4", Area: true, Width: 1.5}
	for i, b := range s.Series {
		area.Points = append(area.Points, chart.Point{X: xOf(s, i), Y: float64(b.Count) / sec})
	}
	c.Series = []chart.Series{area}
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
func percentileChart(s Summary, hists map[string]*cmdAcc) chart.Chart {
	c := baseChart("Latency by percentile", chartH, s)
	all := s.ByCommand[AllCommands]
	// As many decades as the data can resolve: a percentile beyond
	// 1 - 1/count is the maximum.
	decades := math.Min(math.Max(math.Floor(math.Log10(float64(max(all.Count, 1)))), 1), 5)
	c.X = chart.Axis{Min: 0, Max: decades, TickMarks: true}
	for d := 0.0; d <= decades; d++ {
		label := "0%"
		if d > 0 {
			label = strconv.FormatFloat(100*(1-math.Pow(10, -d)), 'f', -1, 64) + "%"
		}
		anchor := "middle"
		if d == decades {
			anchor = "end"
		}
		c.X.Ticks = append(c.X.Ticks, chart.Tick{At: d, Label: label, Anchor: anchor})
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
	}
	c.Y = latencyAxis(lo, hi)
	c.Empty, c.EmptyAxes = "No requests recorded.", true
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
		c.Legend = append(c.Legend, chart.Entry{Label: name, Color: color})
		if st.Count == 0 {
			continue
		}
		limit := math.Min(decades, math.Log10(float64(st.Count)))
		var ps []float64
		for d := 0.0; d <= limit+1e-9; d += percentileStep {
			ps = append(ps, 100*(1-math.Pow(10, -d)))
		}
		line := chart.Series{Label: name, Color: color, Width: 1.8}
		if name == AllCommands {
			line.Width = 5
		}
		for i, v := range hists[name].hist.ValueAtPercentilesSlice(ps) {
			line.Points = append(line.Points, chart.Point{X: float64(i) * percentileStep, Y: axisMicros(fromMicros(v, st.Max))})
		}
		c.Series = append(c.Series, line)
	}
	c.Thresholds = budgetLine(s)
	return c
}
