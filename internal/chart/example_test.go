package chart_test

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/minitwit-cd/kit/internal/chart"
)

// A latency chart: two lines on a log axis over the time since the start,
// a budget line with the plot shaded above it, and the legend on top.
// HTML gives the SVG to a template; Render gives it as a string.
func ExampleChart() {
	var p50, p99 []chart.Point
	for i := range 60 {
		x := float64(i) + 0.5 // seconds since the start
		p50 = append(p50, chart.Point{X: x, Y: 3000})
		p99 = append(p99, chart.Point{X: x, Y: 12000 + 1000*float64(i%7)})
	}
	p99[30].Y = 420_000 // one slow second, over the budget
	c := chart.Chart{
		Title:    "Latency over time",
		X:        chart.Axis{Scale: chart.Elapsed, Min: 0, Max: 60},
		Y:        chart.Axis{Scale: chart.Log, Format: func(us float64) string { return fmt.Sprint(time.Duration(us) * time.Microsecond) }},
		LegendAt: chart.Above,
		Series: []chart.Series{
			{Label: "p50", Color: "#2563eb", Points: p50},
			{Label: "p99", Color: "#7c3aed", Points: p99},
		},
		Thresholds: []chart.Threshold{{Value: 300_000, Label: "budget 300ms", Shade: "#fef2f2"}},
		Empty:      "No requests recorded.",
	}
	page := template.Must(template.New("page").Parse(`<section><h2>Latency</h2>{{.}}</section>`))
	var b strings.Builder
	if err := page.Execute(&b, c.HTML()); err != nil {
		panic(err)
	}
	fmt.Println(strings.HasPrefix(b.String(), `<section><h2>Latency</h2><svg class="chart"`))
	svg := c.Render()
	fmt.Println(strings.Count(svg, `class="series"`), "lines,", strings.Count(svg, `class="tick y"`), "y labels (1ms to 1s)")
	// Output:
	// true
	// 2 lines, 4 y labels (1ms to 1s)
}

// Replicas per version of an environment over time, one step per
// snapshot.
func ExampleStackedSteps() {
	t0 := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	c := chart.StackedSteps(chart.Steps{
		Title: "Replicas per version", Unit: "replicas",
		Times: []time.Time{t0, t0.Add(time.Hour), t0.Add(2 * time.Hour)},
		End:   t0.Add(3 * time.Hour),
		Series: []chart.Row{
			{Label: "v1", Values: []float64{3, 2, 0}},
			{Label: "v2", Values: []float64{0, 1, 3}},
		},
		Even: true, Labels: []string{"#1", "#2", "#3"},
	})
	svg := c.Render()
	fmt.Println(strings.Count(svg, `data-points="3"`), "bands of 3 steps")
	// Output: 2 bands of 3 steps
}
