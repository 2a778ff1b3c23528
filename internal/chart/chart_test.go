package chart

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

// element is a parsed SVG element: its name, attributes and the text of
// its direct children, enough to count series and read tooltips.
type element struct {
	name  string
	attrs map[string]string
	text  string
}

// parseSVG checks that out is one well-formed SVG document that a strict
// CSP renders (no style, no script) and returns its elements in document
// order.
func parseSVG(t *testing.T, s string) []element {
	t.Helper()
	if !strings.HasPrefix(s, "<svg") || !strings.HasSuffix(s, "</svg>") {
		t.Fatalf("not an svg element: %.80q", s)
	}
	dec := xml.NewDecoder(strings.NewReader(s))
	var els []element
	var stack []int
	roots := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("svg is not well-formed: %v\n%s", err, s)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				roots++
			}
			e := element{name: tk.Name.Local, attrs: map[string]string{}}
			for _, a := range tk.Attr {
				e.attrs[a.Name.Local] = a.Value
				if a.Name.Local == "style" || strings.HasPrefix(a.Name.Local, "on") {
					t.Errorf("<%s> has a %s attribute, which the tracker's CSP blocks", e.name, a.Name.Local)
				}
			}
			switch e.name {
			case "style", "script", "foreignObject", "image", "use":
				t.Errorf("svg has a <%s> element", e.name)
			}
			els = append(els, e)
			stack = append(stack, len(els)-1)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				els[stack[len(stack)-1]].text += string(tk)
			}
		}
	}
	if roots != 1 {
		t.Errorf("%d root elements, want one svg", roots)
	}
	if strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
		t.Errorf("svg contains a non-finite number: %s", s)
	}
	if len(els) < 2 || els[1].name != "title" {
		t.Errorf("the svg's first child is not its <title>")
	}
	if els[0].attrs["role"] != "img" {
		t.Errorf("svg lacks role=img")
	}
	return els
}

func withClass(els []element, name, class string) []element {
	var out []element
	for _, e := range els {
		if e.name == name && strings.Contains(" "+e.attrs["class"]+" ", " "+class+" ") {
			out = append(out, e)
		}
	}
	return out
}

func texts(els []element) []string {
	out := make([]string, len(els))
	for i, e := range els {
		out[i] = e.text
	}
	return out
}

func float(t *testing.T, s string) float64 {
	t.Helper()
	var f float64
	if _, err := fmt.Sscan(s, &f); err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return f
}

var t0 = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)

func TestStackedSteps(t *testing.T) {
	tests := []struct {
		name       string
		in         Steps
		wantSeries int
		wantPoints int
		wantEmpty  bool
	}{
		{
			name: "blue-green",
			in: Steps{
				Title: "aws-prod replicas", Unit: "replicas",
				Times: []time.Time{t0, t0.Add(time.Hour), t0.Add(2 * time.Hour), t0.Add(5 * time.Hour)},
				End:   t0.Add(6 * time.Hour),
				Series: []Row{
					{Label: "runner:old", Values: []float64{1, 1, 0, 0}},
					{Label: "runner:new", Values: []float64{0, 3, 3, 1}},
				},
			},
			wantSeries: 2, wantPoints: 4,
		},
		{
			name:       "one snapshot, end before it",
			in:         Steps{Title: "one", Times: []time.Time{t0}, End: t0.Add(-time.Hour), Series: []Row{{Label: "a", Values: []float64{2}}}},
			wantSeries: 1, wantPoints: 1,
		},
		{
			name:       "short values count as zero",
			in:         Steps{Title: "short", Times: []time.Time{t0, t0.Add(time.Minute)}, Series: []Row{{Label: "a"}, {Label: "b", Values: []float64{1}}}},
			wantSeries: 2, wantPoints: 2,
		},
		{name: "no snapshots", in: Steps{Title: "none"}, wantEmpty: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := StackedSteps(tc.in).Render()
			els := parseSVG(t, out)
			if tc.wantEmpty {
				if !strings.Contains(out, "No snapshots yet") || len(withClass(els, "path", "series")) != 0 {
					t.Fatalf("want the empty placeholder, got %s", out)
				}
				return
			}
			series := withClass(els, "path", "series")
			if len(series) != tc.wantSeries {
				t.Fatalf("got %d series paths, want %d", len(series), tc.wantSeries)
			}
			for i, s := range series {
				if s.attrs["data-series"] != tc.in.Series[i].Label {
					t.Errorf("series %d label %q, want %q", i, s.attrs["data-series"], tc.in.Series[i].Label)
				}
				if s.attrs["data-points"] != fmt.Sprint(tc.wantPoints) {
					t.Errorf("series %d has %s points, want %d", i, s.attrs["data-points"], tc.wantPoints)
				}
				// A step path has one H per step on its top edge and one per
				// step back along its bottom edge.
				if got := strings.Count(s.attrs["d"], "H"); got != 2*tc.wantPoints {
					t.Errorf("series %d path has %d horizontal segments, want %d: %s", i, got, 2*tc.wantPoints, s.attrs["d"])
				}
			}
			if got := len(withClass(els, "line", "mark")); got != tc.wantPoints {
				t.Errorf("got %d snapshot marks, want %d", got, tc.wantPoints)
			}
			if got := len(withClass(els, "g", "legend-item")); got != tc.wantSeries {
				t.Errorf("got %d legend items, want %d", got, tc.wantSeries)
			}
		})
	}
}

// TestStackedStepsStacks checks the geometry: the second band's top edge
// is drawn at the sum of both series, and the y axis reaches that sum.
func TestStackedStepsStacks(t *testing.T) {
	out := StackedSteps(Steps{
		Times:  []time.Time{t0, t0.Add(time.Hour)},
		End:    t0.Add(2 * time.Hour),
		Series: []Row{{Label: "a", Values: []float64{1, 1}}, {Label: "b", Values: []float64{3, 0}}},
	}).Render()
	els := parseSVG(t, out)
	// Max total 4 → y axis labels 0..4; the plot top is value 4.
	if got := strings.Join(texts(withClass(els, "text", "y")), ","); got != "0,1,2,3,4" {
		t.Fatalf("y axis labels %q, want 0,1,2,3,4", got)
	}
	series := withClass(els, "path", "series")
	if d := series[1].attrs["d"]; !strings.HasPrefix(d, fmt.Sprintf("M%s %s", num(DefaultMargin.Left), num(DefaultMargin.Top))) {
		t.Errorf("band b should start at the top of the plot (total 4): %s", d)
	}
}

// TestStackedStepsEven checks the one-step-per-snapshot layout: equal
// widths whatever the times, and a label per step.
func TestStackedStepsEven(t *testing.T) {
	in := Steps{
		Times:  []time.Time{t0, t0.Add(24 * time.Hour), t0.Add(24*time.Hour + time.Minute)},
		End:    t0.Add(48 * time.Hour),
		Series: []Row{{Label: "a", Values: []float64{1, 2, 1}}},
		Even:   true, Labels: []string{"#1", "#2", "#3"},
	}
	els := parseSVG(t, StackedSteps(in).Render())
	var xs []float64
	for _, e := range withClass(els, "line", "mark") {
		xs = append(xs, float(t, e.attrs["x1"]))
	}
	if len(xs) != 3 {
		t.Fatalf("got %d marks, want 3", len(xs))
	}
	if d1, d2 := xs[1]-xs[0], xs[2]-xs[1]; math.Abs(d1-d2) > 0.2 {
		t.Errorf("steps %v and %v wide, want equal", d1, d2)
	}
	labels := withClass(els, "text", "step-label")
	if len(labels) != 3 || labels[1].text != "#2 Nov 3 12:00" {
		t.Errorf("step labels %v, want 3 with \"#2 Nov 3 12:00\" second", labels)
	}
}

// TestStackedStepsEvenThinsLabels: 100 snapshots cannot all be labelled;
// every k-th is, from the start of its slot.
func TestStackedStepsEvenThinsLabels(t *testing.T) {
	s := Steps{End: t0.Add(200 * time.Minute), Even: true, Series: []Row{{Label: "a"}}}
	for j := range 100 {
		s.Times = append(s.Times, t0.Add(time.Duration(j)*time.Minute))
		s.Labels = append(s.Labels, fmt.Sprint("#", j+1))
	}
	labels := withClass(parseSVG(t, StackedSteps(s).Render()), "text", "step-label")
	if len(labels) < 5 || len(labels) > 12 {
		t.Fatalf("%d step labels for 100 steps, want a readable handful", len(labels))
	}
	for i := 1; i < len(labels); i++ {
		if float(t, labels[i].attrs["x"])-float(t, labels[i-1].attrs["x"]) < 90 {
			t.Errorf("labels %d and %d overlap", i-1, i)
		}
	}
}

func TestChartsEscapeLabels(t *testing.T) {
	evil := `<script>alert("x")</script>&'` + "\x01"
	outs := map[string]Chart{
		"steps": StackedSteps(Steps{Title: evil, Unit: evil, Times: []time.Time{t0}, Labels: []string{evil}, Even: true, Series: []Row{{Label: evil, Values: []float64{1}}}}),
		"bars":  BarChart(evil, evil, Bars{Groups: []string{evil}, Series: []Row{{Label: evil, Values: []float64{1}}, {Label: "b", Values: []float64{2}}}}),
		"lines": LineChart(Lines{Title: evil, Lines: []Line{{Label: evil, Points: []TimePoint{{T: t0, V: 1}}}}}),
		"empty": StackedSteps(Steps{Title: evil}),
		"core": {Title: evil, Desc: evil, ID: evil, Class: evil, Empty: evil, EmptyAxes: true,
			Thresholds: []Threshold{{Value: 1, Label: evil, Color: evil, Shade: evil}},
			Legend:     []Entry{{Label: evil, Color: evil, Dash: evil}}},
		"stacked bars": {Title: evil, X: Axis{Format: func(float64) string { return evil }}, Bars: &Bars{Stacked: true, Titles: []string{evil}, Series: []Row{{Label: evil, Color: evil, Values: []float64{1}}}}},
	}
	for name, c := range outs {
		t.Run(name, func(t *testing.T) {
			out := c.Render()
			els := parseSVG(t, out)
			if strings.Contains(out, "<script") {
				t.Fatalf("label not escaped: %s", out)
			}
			if !strings.Contains(out, "&lt;script&gt;") {
				t.Fatalf("escaped label missing: %s", out)
			}
			// The text reads back as given, the one character XML cannot
			// hold replaced.
			want := strings.ReplaceAll(evil, "\x01", "\uFFFD")
			found := false
			for _, e := range els {
				if e.name == "title" && e.text == want {
					found = true
				}
			}
			if !found {
				t.Errorf("no <title> reads back %q", want)
			}
		})
	}
}

func TestBarChart(t *testing.T) {
	tests := []struct {
		name      string
		in        Bars
		wantBars  int
		wantLeg   int
		wantEmpty bool
	}{
		{
			name: "two environments by week",
			in: Bars{Groups: []string{"W1", "W2", "W3"}, Series: []Row{
				{Label: "aws-beta", Values: []float64{1, 0, 2}},
				{Label: "aws-prod", Values: []float64{0, 1, 1}},
			}},
			wantBars: 6, wantLeg: 2,
		},
		{name: "one series has no legend", in: Bars{Groups: []string{"a"}, Series: []Row{{Label: "x", Values: []float64{0.25}}}}, wantBars: 1},
		{name: "infinite values are drawn as zero", in: Bars{Groups: []string{"a", "b"}, Series: []Row{{Label: "x", Values: []float64{math.Inf(1), 1}}}}, wantBars: 2},
		{name: "no groups", in: Bars{Series: []Row{{Label: "x"}}}, wantEmpty: true},
		{name: "all zero", in: Bars{Groups: []string{"a"}, Series: []Row{{Label: "x", Values: []float64{0}}}}, wantEmpty: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := BarChart("deployments per week", "", tc.in).Render()
			els := parseSVG(t, out)
			if tc.wantEmpty {
				if !strings.Contains(out, "No data yet") {
					t.Fatalf("want the placeholder: %s", out)
				}
				return
			}
			bars := withClass(els, "rect", "bar")
			if len(bars) != tc.wantBars {
				t.Fatalf("got %d bars, want %d", len(bars), tc.wantBars)
			}
			if got := len(withClass(els, "g", "legend-item")); got != tc.wantLeg {
				t.Errorf("got %d legend items, want %d", got, tc.wantLeg)
			}
		})
	}
	// Heights are proportional: a bar of 2 is twice a bar of 1.
	out := BarChart("", "", Bars{Groups: []string{"a", "b"}, Series: []Row{{Label: "x", Values: []float64{1, 2}}}}).Render()
	bars := withClass(parseSVG(t, out), "rect", "bar")
	h0, h1 := float(t, bars[0].attrs["height"]), float(t, bars[1].attrs["height"])
	if h0 == 0 || math.Abs(h1-2*h0) > 0.2 {
		t.Fatalf("bar heights %v and %v, want 1:2", h0, h1)
	}
	if !strings.Contains(out, "<title>x · b: 2</title>") {
		t.Errorf("bar tooltip should give series, group and value")
	}
}

// TestStackedBars checks the stacked layout: one group per non-empty
// slot, parts on top of each other, tiny parts still visible.
func TestStackedBars(t *testing.T) {
	c := Chart{Title: "errors", X: Axis{Scale: Elapsed, Min: 0, Max: 4}, Y: Axis{Integer: true},
		Bars: &Bars{Stacked: true, MinHeight: 2, Titles: []string{"", "second"}, Series: []Row{
			{Label: "timeout", Values: []float64{0, 1000, 0, 0}},
			{Label: "refused", Values: []float64{0, 1, 0, 5}},
		}}}
	els := parseSVG(t, c.Render())
	groups := withClass(els, "g", "bar")
	if len(groups) != 2 {
		t.Fatalf("%d bar groups, want 2 (empty slots are not drawn)", len(groups))
	}
	var rects []element
	for _, e := range els {
		if e.name == "rect" && e.attrs["fill"] != "" && e.attrs["class"] == "" {
			rects = append(rects, e)
		}
	}
	legendRects := len(withClass(els, "g", "legend-item"))
	rects = rects[:len(rects)-legendRects]
	if len(rects) != 3 {
		t.Fatalf("%d bar parts, want 3", len(rects))
	}
	if h := float(t, rects[1].attrs["height"]); h < 2 {
		t.Errorf("1 of 1001 is %v high, want at least MinHeight 2", h)
	}
	if top, bottom := float(t, rects[0].attrs["y"]), float(t, rects[1].attrs["y"])+float(t, rects[1].attrs["height"]); math.Abs(top-bottom) > 0.11 {
		t.Errorf("the second part (bottom %v) does not sit on the first (top %v)", bottom, top)
	}
	if groups[0].text != "second" && !strings.Contains(c.Render(), "<title>second</title>") {
		t.Errorf("stack tooltip should be the given title")
	}
	if !strings.Contains(c.Render(), "<title>5 refused</title>") {
		t.Errorf("default stack tooltip should list the parts: %s", c.Render())
	}
}

func TestLineChart(t *testing.T) {
	in := Lines{Title: "lead time", Unit: "hours", Lines: []Line{
		{Label: "aws-beta", Points: []TimePoint{{T: t0.Add(2 * time.Hour), V: 3}, {T: t0, V: 1.5}, {T: t0.Add(time.Hour), V: math.NaN()}}},
		{Label: "aws-prod", Points: []TimePoint{{T: t0.Add(3 * time.Hour), V: 6}}},
	}}
	out := LineChart(in).Render()
	els := parseSVG(t, out)
	lines := withClass(els, "path", "series")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2", len(lines))
	}
	if lines[0].attrs["data-points"] != "2" || lines[1].attrs["data-points"] != "1" {
		t.Errorf("points per line %s,%s, want 2,1 (NaN dropped)", lines[0].attrs["data-points"], lines[1].attrs["data-points"])
	}
	if got := len(withClass(els, "circle", "point")); got != 3 {
		t.Errorf("got %d dots, want 3", got)
	}
	// A single point draws no segment; two points draw one, left to right.
	var x1, y1, x2, y2 float64
	if _, err := fmt.Sscanf(lines[0].attrs["d"], "M%g %gL%g %g", &x1, &y1, &x2, &y2); err != nil {
		t.Fatalf("d %q: %v", lines[0].attrs["d"], err)
	}
	if x1 >= x2 || y1 <= y2 {
		t.Errorf("points not sorted by time or values inverted: %q", lines[0].attrs["d"])
	}
	if d := lines[1].attrs["d"]; strings.Contains(d, "L") {
		t.Errorf("a single point drew a segment: %q", d)
	}
	if !strings.Contains(out, "<title>aws-beta · 2026-11-02 12:00: 1.5</title>") {
		t.Errorf("a dot's tooltip should give series, time and value: %s", out)
	}
	if out := LineChart(Lines{Lines: []Line{{Label: "x"}}}).Render(); !strings.Contains(out, "No data yet") {
		t.Errorf("no points should give the placeholder: %s", out)
	}
}

// TestAxisLabelsAreRound checks tick labels for tiny, fractional and large
// maxima: each is a short round number, never float noise.
func TestAxisLabelsAreRound(t *testing.T) {
	tests := []struct {
		max  float64
		want string
	}{
		{0.0003, "0,0.0001,0.0002,0.0003"},
		{0.7, "0,0.2,0.4,0.6,0.8"},
		{2, "0,0.5,1,1.5,2"},
		{42, "0,10,20,30,40,50"},
		{1e-9, "0,1"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.max), func(t *testing.T) {
			els := parseSVG(t, LineChart(Lines{Lines: []Line{{Label: "x", Points: []TimePoint{{T: t0, V: tc.max}}}}}).Render())
			if got := strings.Join(texts(withClass(els, "text", "y")), ","); got != tc.want {
				t.Fatalf("labels %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTimeTicks(t *testing.T) {
	const plotW = 808 // the default chart's
	tests := []struct {
		span   time.Duration
		first  string
		atMost int
	}{
		{200 * time.Millisecond, "12:00:00", 2},
		{40 * time.Second, "12:00:00", 7},
		{3 * time.Hour, "12:00", 7},
		{3 * 24 * time.Hour, "Nov 2 12:00", 7},
		{60 * 24 * time.Hour, "Nov 9", 7},
		{3 * 365 * 24 * time.Hour, "Jan 2027", 7}, {200 * 24 * time.Hour, "Dec 2026", 7},
	}
	for _, tc := range tests {
		t.Run(tc.span.String(), func(t *testing.T) {
			ticks, layout := timeTicks(t0, t0.Add(tc.span), plotW, time.UTC)
			if len(ticks) == 0 || len(ticks) > tc.atMost {
				t.Fatalf("%d ticks, want 1..%d", len(ticks), tc.atMost)
			}
			if got := ticks[0].Format(layout); got != tc.first {
				t.Errorf("first tick %q, want %q", got, tc.first)
			}
		})
	}
}

// TestTimeTicksSecondsToWeeks: from seconds to weeks, a time axis gets a
// few ticks, evenly spaced at a round step inside the span, with distinct
// labels; days start at midnight of the axis's zone.
func TestTimeTicksSecondsToWeeks(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	start := time.Date(2026, 11, 2, 9, 17, 23, 0, time.UTC)
	for _, span := range []time.Duration{5 * time.Second, 50 * time.Second, 10 * time.Minute, 2 * time.Hour, 20 * time.Hour, 4 * day, 3 * 7 * day, 10 * 7 * day} {
		for _, loc := range []*time.Location{time.UTC, berlin} {
			t.Run(span.String()+" "+loc.String(), func(t *testing.T) {
				ticks, layout := timeTicks(start, start.Add(span), 808, loc)
				if len(ticks) < 2 || len(ticks) > 7 {
					t.Fatalf("%d ticks over %v, want 2..7", len(ticks), span)
				}
				step := ticks[1].Sub(ticks[0])
				seen := map[string]bool{}
				for i, tk := range ticks {
					if tk.Before(start) || tk.After(start.Add(span)) {
						t.Errorf("tick %v outside the span", tk)
					}
					if i > 0 && tk.Sub(ticks[i-1]) != step {
						t.Errorf("uneven ticks %v", ticks)
					}
					label := tk.In(loc).Format(layout)
					if seen[label] {
						t.Errorf("label %q repeats", label)
					}
					seen[label] = true
					if step >= day && step < 30*day && (tk.In(loc).Hour() != 0 || tk.In(loc).Minute() != 0) {
						t.Errorf("day tick %v is not at midnight in %s", tk.In(loc), loc)
					}
				}
			})
		}
	}
}

func TestElapsedTicks(t *testing.T) {
	tests := []struct {
		span float64
		want string
	}{
		{0.9, "0s,0.1s,0.2s,0.3s,0.4s,0.5s,0.6s,0.7s,0.8s,0.9s"},
		{70, "0s,10s,20s,30s,40s,50s,1m,1m10s"},
		{3 * 3600, "0s,30m,1h00m,1h30m,2h00m,2h30m,3h00m"},
		{9 * 86400, "0s,1d00h,2d00h,3d00h,4d00h,5d00h,6d00h,7d00h,8d00h,9d00h"},
	}
	for _, tc := range tests {
		var labels []string
		for _, tk := range elapsedTicks(0, tc.span, 912) {
			labels = append(labels, tk.Label)
		}
		if got := strings.Join(labels, ","); got != tc.want {
			t.Errorf("elapsed ticks over %vs: %s, want %s", tc.span, got, tc.want)
		}
	}
}

func TestNiceMax(t *testing.T) {
	tests := []struct {
		in       float64
		integer  bool
		max, stp float64
	}{
		{0, true, 1, 1},
		{3, true, 3, 1},
		{4, true, 4, 1},
		{7, true, 8, 2},
		{0.3, false, 0.3, 0.1},
		{42, false, 50, 10},
		{147, true, 150, 50},
		{math.NaN(), false, 1, 1},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.in), func(t *testing.T) {
			m, s := niceMax(tc.in, tc.integer)
			if math.Abs(m-tc.max) > 1e-9 || math.Abs(s-tc.stp) > 1e-9 {
				t.Fatalf("niceMax(%v) = %v, %v; want %v, %v", tc.in, m, s, tc.max, tc.stp)
			}
		})
	}
	// Whatever the value, the top holds it without wasting most of the
	// plot, in whole steps.
	for v := 0.013; v < 1e7; v *= 1.37 {
		top, step := niceMax(v, false)
		if top < v || top > 2*v || math.Abs(top/step-math.Round(top/step)) > 1e-9 || top/step > 10 {
			t.Errorf("niceMax(%v) = %v, %v", v, top, step)
		}
	}
}

// TestLogAxisTicks: whatever the data, the labelled ticks of a log axis
// are successive powers of ten that enclose the data, and every drawn
// point lies inside the plot.
func TestLogAxisTicks(t *testing.T) {
	for _, r := range [][2]float64{{1, 1}, {3, 7}, {0.004, 2}, {12, 340_000}, {1e-7, 1e9}, {999, 1001}} {
		t.Run(fmt.Sprint(r), func(t *testing.T) {
			c := Chart{Title: "log", Y: Axis{Scale: Log}, Series: []Series{{Label: "v", Points: []Point{{X: 0, Y: r[0]}, {X: 1, Y: r[1]}}}}}
			l := c.layout()
			var majors []float64
			for _, tk := range l.yTicks {
				if tk.Minor {
					if tk.At <= math.Pow(10, l.y.lo) || tk.At >= math.Pow(10, l.y.hi) {
						t.Errorf("minor tick %v outside the range", tk.At)
					}
					continue
				}
				majors = append(majors, tk.At)
				if e := math.Log10(tk.At); math.Abs(e-math.Round(e)) > 1e-9 {
					t.Errorf("tick %v is not a power of ten", tk.At)
				}
			}
			if len(majors) < 2 || majors[0] > r[0]*(1+1e-9) || majors[len(majors)-1] < r[1]*(1-1e-9) {
				t.Errorf("ticks %v do not enclose %v", majors, r)
			}
			for i := 1; i < len(majors); i++ {
				if math.Abs(majors[i]/majors[i-1]-10) > 1e-6 {
					t.Errorf("ticks %v skip a decade", majors)
				}
			}
			for _, e := range withClass(parseSVG(t, c.Render()), "text", "y") {
				if e.text == "" {
					t.Errorf("empty tick label")
				}
			}
		})
	}
}

// TestLogAxisBadValues: zero, negative, NaN and infinite values on a log
// axis neither break the SVG nor leave the plot; NaN and Inf are gaps.
func TestLogAxisBadValues(t *testing.T) {
	c := Chart{Title: "bad", Y: Axis{Scale: Log}, Series: []Series{{Label: "v", Dots: true, Points: []Point{
		{X: 0, Y: 10}, {X: 1, Y: 0}, {X: 2, Y: -5}, {X: 3, Y: math.NaN()}, {X: 4, Y: math.Inf(1)}, {X: 5, Y: math.Inf(-1)}, {X: 6, Y: 1000}, {X: math.NaN(), Y: 1},
	}}}, Thresholds: []Threshold{{Value: -1, Label: "neg"}, {Value: math.NaN(), Label: "nan"}}}
	els := parseSVG(t, c.Render())
	line := withClass(els, "path", "series")[0]
	if line.attrs["data-points"] != "4" {
		t.Errorf("data-points %s, want 4 (10, 0, -5 and 1000; the rest are gaps)", line.attrs["data-points"])
	}
	if got := strings.Count(line.attrs["d"], "M"); got != 2 {
		t.Errorf("%d path starts, want 2 (one gap): %s", got, line.attrs["d"])
	}
	l := c.layout()
	for _, dot := range withClass(els, "circle", "point") {
		if y := float(t, dot.attrs["cy"]); y < l.top-0.1 || y > l.top+l.plotH+0.1 {
			t.Errorf("dot at y=%v outside the plot", y)
		}
	}
	// Nothing but bad values: the empty state, still valid.
	only := Chart{Title: "nothing", Y: Axis{Scale: Log}, Series: []Series{{Points: []Point{{X: 0, Y: math.NaN()}, {X: 1, Y: math.Inf(1)}}}}}
	if out := only.Render(); !strings.Contains(out, "No data yet") {
		t.Errorf("a series of NaN should render the empty state: %s", out)
	}
	parseSVG(t, only.Render())
}

// TestEmptyStates: nothing to plot renders the message, never axes with
// nothing on them (unless EmptyAxes asks for them).
func TestEmptyStates(t *testing.T) {
	for name, c := range map[string]Chart{
		"zero chart":     {},
		"series no data": {Series: []Series{{Label: "a"}, {Label: "b", Points: []Point{{X: 1, Y: math.NaN()}}}}},
		"bars of zero":   {Bars: &Bars{Stacked: true, Series: []Row{{Label: "a", Values: []float64{0, 0}}}}},
		"log axis":       {Y: Axis{Scale: Log}},
		"time axis":      {X: Axis{Scale: Time}},
		"lines":          LineChart(Lines{}),
		"bar chart":      BarChart("", "", Bars{}),
		"steps":          StackedSteps(Steps{Times: []time.Time{t0}}),
	} {
		t.Run(name, func(t *testing.T) {
			els := parseSVG(t, c.Render())
			if len(withClass(els, "text", "empty")) != 1 || len(withClass(els, "line", "grid")) != 0 {
				t.Errorf("want the placeholder only: %s", c.Render())
			}
		})
	}
	c := Chart{Title: "errors", Empty: "No errors", EmptyAxes: true, EmptyOK: true, X: Axis{Scale: Elapsed, Min: 0, Max: 60},
		Bars: &Bars{Stacked: true, Series: []Row{{Label: "a", Values: []float64{0}}}}}
	els := parseSVG(t, c.Render())
	msg := withClass(els, "text", "empty")
	if len(msg) != 1 || msg[0].text != "No errors" || msg[0].attrs["fill"] != colOK {
		t.Errorf("want the good-news message in the plot: %v", msg)
	}
	if len(withClass(els, "text", "x")) == 0 || len(withClass(els, "line", "grid")) == 0 {
		t.Errorf("EmptyAxes should keep the axes")
	}
	// Without data or a range there is no time to mark: no x labels.
	c.X = Axis{Scale: Elapsed}
	c.Bars = nil
	if n := len(withClass(parseSVG(t, c.Render()), "text", "x")); n != 0 {
		t.Errorf("%d x labels on an axis without a range", n)
	}
}

// TestDeterministic: the same chart renders the same bytes.
func TestDeterministic(t *testing.T) {
	for name, c := range goldenCharts() {
		if a, b := c.Render(), c.Render(); a != b {
			t.Errorf("%s renders differently twice", name)
		}
	}
}

func TestNum(t *testing.T) {
	for in, want := range map[float64]string{0: "0", -0.04: "0", 1.25: "1.3", 12.0: "12", -3.14: "-3.1", math.NaN(): "0", math.Inf(-1): "0", 1e7: "10000000"} {
		if got := num(in); got != want {
			t.Errorf("num(%v) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkStackedSteps renders 100 snapshots of 50 artifacts.
func BenchmarkStackedSteps(b *testing.B) {
	s := Steps{Title: "bench", Unit: "replicas", End: t0.Add(200 * time.Minute), Even: true}
	for j := range 100 {
		s.Times = append(s.Times, t0.Add(time.Duration(j)*time.Minute))
		s.Labels = append(s.Labels, fmt.Sprint("#", j+1))
	}
	for i := range 50 {
		se := Row{Label: fmt.Sprint("artifact ", i)}
		for j := range 100 {
			se.Values = append(se.Values, float64((i+j)%3))
		}
		s.Series = append(s.Series, se)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = StackedSteps(s).Render()
	}
}

// BenchmarkLatency renders a latency chart of 240 buckets and 3 lines on
// a log axis, the simulator report's biggest.
func BenchmarkLatency(b *testing.B) {
	c := goldenCharts()["latency"]
	b.ReportAllocs()
	for b.Loop() {
		_ = c.Render()
	}
}

// BenchmarkLineChart renders two lines of 1,000 dotted points each on a
// time axis, the tracker's lead-time chart of a busy flow.
func BenchmarkLineChart(b *testing.B) {
	l := Lines{Title: "lead time", Unit: "hours"}
	for e := range 2 {
		ln := Line{Label: fmt.Sprint("env-", e)}
		for i := range 1000 {
			ln.Points = append(ln.Points, TimePoint{T: t0.Add(time.Duration(i) * time.Hour), V: float64(i%17) / 3})
		}
		l.Lines = append(l.Lines, ln)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = LineChart(l).Render()
	}
}
