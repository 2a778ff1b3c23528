package chart

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/chart/charttest"
	"github.com/minitwit-cd/kit/internal/testenv"
)

// micros labels a log axis of microseconds: 100µs, 1ms, 10s.
func micros(v float64) string {
	d := time.Duration(v) * time.Microsecond
	switch {
	case d < time.Millisecond:
		return strconv.FormatInt(d.Microseconds(), 10) + "µs"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', -1, 64) + "ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

// goldenCharts is one chart of each kind the pages draw, from fixed data.
func goldenCharts() map[string]Chart {
	// Latency over a 2-minute run in 240 half-second buckets: p50, p99
	// and max on a log axis with a budget, a gap where nothing was sent
	// and a slow patch over the budget.
	var p50, p99, mx []Point
	for i := range 240 {
		x := (float64(i) + 0.5) * 0.5
		base := 2000 + 800*math.Sin(float64(i)/9)
		if i >= 80 && i < 100 {
			base *= 60
		}
		y50, y99, ymax := base, base*3, base*5
		if i >= 150 && i < 160 {
			y50, y99, ymax = math.NaN(), math.NaN(), math.NaN()
		}
		p50, p99, mx = append(p50, Point{x, y50}), append(p99, Point{x, y99}), append(mx, Point{x, ymax})
	}
	latency := Chart{
		Title: "Latency over time", ID: "latency-chart", Width: 1000, PlotHeight: 228,
		Margin:   Margin{Left: 64, Right: 24, Top: 16, Bottom: 36},
		X:        Axis{Scale: Elapsed, Min: 0, Max: 120, TickMarks: true},
		Y:        Axis{Scale: Log, Min: 1000, Max: 1e6, Format: micros},
		LegendAt: Above,
		Legend:   []Entry{{"p50", "#2563eb", ""}, {"p99", "#7c3aed", ""}, {"max", "#cbd5e1", ""}, {"budget", "#dc2626", "6 4"}},
		Series: []Series{
			{Label: "max", Color: "#cbd5e1", Width: 1.2, Points: mx},
			{Label: "p99", Color: "#7c3aed", Points: p99},
			{Label: "p50", Color: "#2563eb", Points: p50},
		},
		Thresholds: []Threshold{{Value: 300_000, Label: "budget 300ms", Shade: "#fef2f2"}},
	}
	errs := &Bars{Stacked: true, MinHeight: 2, Series: []Row{
		{Label: "timeout", Color: "#dc2626", Values: make([]float64, 60)},
		{Label: "connection error", Color: "#7c3aed", Values: make([]float64, 60)},
		{Label: "consequence", Color: "#9ca3af", Values: make([]float64, 60)},
	}}
	for i := 20; i < 26; i++ {
		errs.Series[0].Values[i] = float64(i - 18)
		errs.Series[2].Values[i+1] = 1
	}
	errs.Series[1].Values[40] = 12
	errors := Chart{Title: "Errors over time", Width: 1000, PlotHeight: 228, Margin: latency.Margin,
		X: Axis{Scale: Elapsed, Min: 0, Max: 120, TickMarks: true}, Y: Axis{Integer: true}, Bars: errs, LegendAt: Above}
	var rate []Point
	for i := range 60 {
		rate = append(rate, Point{X: float64(i)*2 + 1, Y: 100 + 30*math.Cos(float64(i)/5)})
	}
	throughput := Chart{Title: "Requests over time", Width: 1000, PlotHeight: 148, Margin: latency.Margin,
		X: Axis{Scale: Elapsed, Min: 0, Max: 120, TickMarks: true}, LegendAt: Hidden,
		Series: []Series{{Label: "rate", Color: "#0d9488", Fill: "#99f6e4", Area: true, Width: 1.5, Points: rate}}}
	noErrors := errors
	noErrors.Title, noErrors.Bars = "No errors", &Bars{Stacked: true, Slots: 60}
	noErrors.PlotHeight, noErrors.Empty, noErrors.EmptyAxes, noErrors.EmptyOK = 148, "No errors: every request got the expected status within the budget.", true, true

	steps := Steps{Title: "Replicas per artifact in aws-prod", Unit: "replicas", End: t0.Add(50 * time.Hour)}
	for j := range 12 {
		steps.Times = append(steps.Times, t0.Add(time.Duration(j*j)*20*time.Minute))
		steps.Labels = append(steps.Labels, "#"+strconv.Itoa(j+1))
	}
	for i, name := range []string{"cyberdojo/runner:aaaaaaa", "cyberdojo/saver:5a5a5a5", "other artifacts (sign in to see)", "cyberdojo/runner:16d9990"} {
		r := Row{Label: name}
		if i == 2 {
			r.Color = "#94a3b8"
		}
		for j := range 12 {
			v := float64((i + j) % 3)
			if i == 0 && j > 6 || i == 3 && j < 5 {
				v = 0
			}
			r.Values = append(r.Values, v)
		}
		steps.Series = append(steps.Series, r)
	}
	even := steps
	even.Even = true

	weeks := Bars{Groups: []string{"Oct 5", "Oct 12", "Oct 19", "Oct 26", "Nov 2"}, Series: []Row{
		{Label: "aws-beta", Values: []float64{1, 0, 2, 3, 1}},
		{Label: "aws-prod", Values: []float64{0, 1, 1, 2, 4}},
		{Label: "failed or rolled back", Color: "#dc2626", Values: []float64{0, 0, 1, 0, 1}},
	}}
	lead := Lines{Title: "Lead time", Unit: "hours", Lines: []Line{
		{Label: "aws-beta", Points: []TimePoint{{t0.Add(-9 * day), 2.5}, {t0.Add(-6 * day), 4}, {t0.Add(-day), 1.25}}},
		{Label: "aws-prod", Points: []TimePoint{{t0.Add(-8 * day), 20}, {t0, 24}}},
	}}
	percentiles := Chart{Title: "Latency by percentile", Width: 1000, PlotHeight: 228, Margin: latency.Margin,
		X: Axis{Min: 0, Max: 3, Ticks: []Tick{{At: 0, Label: "0%"}, {At: 1, Label: "90%"}, {At: 2, Label: "99%"}, {At: 3, Label: "99.9%", Anchor: "end"}}, TickMarks: true},
		Y: Axis{Scale: Log, Format: micros}, LegendAt: Above,
		Series: []Series{
			{Label: "all", Color: "#94a3b8", Width: 5, Points: []Point{{0, 900}, {1, 4000}, {2, 30_000}, {3, 400_000}}},
			{Label: "tweet", Color: "#2563eb", Width: 1.8, Points: []Point{{0, 1000}, {1, 5000}, {2, 20_000}, {3, 500_000}}},
		},
		Thresholds: []Threshold{{Value: 300_000, Label: "budget 300ms", Shade: "#fef2f2"}},
	}
	steppedLine := Chart{Title: "Replicas wanted", X: Axis{Scale: Time}, Y: Axis{Integer: true, Unit: "replicas"},
		Series: []Series{{Label: "wanted", Step: true, End: Unix(t0.Add(5 * 7 * day)), Points: []Point{
			{Unix(t0), 2}, {Unix(t0.Add(7 * day)), 3}, {Unix(t0.Add(10 * day)), math.NaN()}, {Unix(t0.Add(20 * day)), 1}}}},
		Thresholds: []Threshold{{Value: 2.5, Label: "target", Color: "#16a34a"}}}

	return map[string]Chart{
		"latency":      latency,
		"errors":       errors,
		"no-errors":    noErrors,
		"throughput":   throughput,
		"percentiles":  percentiles,
		"steps-time":   StackedSteps(steps),
		"steps-even":   StackedSteps(even),
		"bars-grouped": BarChart("Deployments per week", "deployments", weeks),
		"lines-time":   LineChart(lead),
		"step-line":    steppedLine,
		"empty":        LineChart(Lines{Title: "Lead time"}),
	}
}

// gallery is an HTML page of the golden charts, by name.
func gallery() (page []byte, names []string, charts map[string]Chart) {
	charts = goldenCharts()
	for name := range charts {
		names = append(names, name)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>internal/chart gallery</title></head>\n<body>\n")
	for _, name := range names {
		b.WriteString("<h2>" + name + "</h2>\n<div>" + charts[name].Render() + "</div>\n")
	}
	b.WriteString("</body></html>\n")
	return b.Bytes(), names, charts
}

// TestGalleryInChromium opens the gallery in headless Chromium and checks
// that every chart is laid out at full width with visible shapes; the
// screenshot goes to $CHART_SCREENSHOTS (or a temporary directory).
func TestGalleryInChromium(t *testing.T) {
	page, names, charts := gallery()
	file := filepath.Join(t.TempDir(), "gallery.html")
	if err := os.WriteFile(file, page, 0o644); err != nil {
		t.Fatal(err)
	}
	got := charttest.Shoot(t, "file://"+file, charttest.Dir(t), "chart-gallery", 1000)
	if len(got) != len(names) {
		t.Fatalf("%d charts in Chromium, want %d", len(got), len(names))
	}
	for i, name := range names {
		want := 20
		if !charts[name].hasData() && !charts[name].EmptyAxes {
			want = 2 // the placeholder: a box and its message
		}
		if c := got[i]; c.Label != charts[name].Title || c.Width < 900 || c.Height < 40 || c.Shapes < want {
			t.Errorf("%s drawn as %+v, want %q ≥ 900 wide with ≥ %d shapes", name, c, charts[name].Title, want)
		}
	}
}

// TestGolden renders each chart of goldenCharts and compares it with its
// golden SVG; run with -update after an intended change and look at
// testdata/gallery.html in a browser.
func TestGolden(t *testing.T) {
	page, names, charts := gallery()
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			out := charts[name].Render()
			parseSVG(t, out)
			testenv.Golden(t, name+".golden.svg", []byte(out+"\n"))
		})
	}
	if testenv.Updating() {
		if err := os.WriteFile(filepath.Join("testdata", "gallery.html"), page, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
