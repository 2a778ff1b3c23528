package chart

import (
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
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

// parseSVG checks that out is one well-formed SVG document and returns its
// elements in document order.
func parseSVG(t *testing.T, out template.HTML) []element {
	t.Helper()
	s := string(out)
	if !strings.HasPrefix(s, "<svg") || !strings.HasSuffix(s, "</svg>") {
		t.Fatalf("not an svg element: %.80q", s)
	}
	dec := xml.NewDecoder(strings.NewReader(s))
	var els []element
	var stack []int
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
			e := element{name: tk.Name.Local, attrs: map[string]string{}}
			for _, a := range tk.Attr {
				e.attrs[a.Name.Local] = a.Value
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
	if strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
		t.Errorf("svg contains a non-finite number: %s", s)
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
				Series: []Series{
					{Label: "runner:old", Values: []float64{1, 1, 0, 0}},
					{Label: "runner:new", Values: []float64{0, 3, 3, 1}},
				},
			},
			wantSeries: 2, wantPoints: 4,
		},
		{
			name:       "one snapshot, end before it",
			in:         Steps{Title: "one", Times: []time.Time{t0}, End: t0.Add(-time.Hour), Series: []Series{{Label: "a", Values: []float64{2}}}},
			wantSeries: 1, wantPoints: 1,
		},
		{
			name:       "short values count as zero",
			in:         Steps{Title: "short", Times: []time.Time{t0, t0.Add(time.Minute)}, Series: []Series{{Label: "a"}, {Label: "b", Values: []float64{1}}}},
			wantSeries: 2, wantPoints: 2,
		},
		{name: "no snapshots", in: Steps{Title: "none"}, wantEmpty: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := StackedSteps(tc.in)
			els := parseSVG(t, out)
			if tc.wantEmpty {
				if !strings.Contains(string(out), "No snapshots yet") || len(withClass(els, "path", "series")) != 0 {
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
			if got := len(withClass(els, "line", "snapshot-tick")); got != tc.wantPoints {
				t.Errorf("got %d snapshot ticks, want %d", got, tc.wantPoints)
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
		Series: []Series{{Label: "a", Values: []float64{1, 1}}, {Label: "b", Values: []float64{3, 0}}},
	})
	els := parseSVG(t, out)
	// Max total 4 → y axis labels 0..4; the plot top (y=16) is value 4.
	var labels []string
	for _, e := range els {
		if e.name == "text" && e.attrs["text-anchor"] == "end" {
			labels = append(labels, e.text)
		}
	}
	if got := strings.Join(labels, ","); got != "0,1,2,3,4" {
		t.Fatalf("y axis labels %q, want 0,1,2,3,4", got)
	}
	series := withClass(els, "path", "series")
	if d := series[1].attrs["d"]; !strings.HasPrefix(d, fmt.Sprintf("M%d %d", marginLeft, marginTop)) {
		t.Errorf("band b should start at the top of the plot (total 4): %s", d)
	}
}

// TestStackedStepsEven checks the one-step-per-snapshot layout: equal
// widths whatever the times, and a label per step.
func TestStackedStepsEven(t *testing.T) {
	in := Steps{
		Times:  []time.Time{t0, t0.Add(24 * time.Hour), t0.Add(24*time.Hour + time.Minute)},
		End:    t0.Add(48 * time.Hour),
		Series: []Series{{Label: "a", Values: []float64{1, 2, 1}}},
		Even:   true, Labels: []string{"#1", "#2", "#3"},
	}
	els := parseSVG(t, StackedSteps(in))
	var xs []float64
	for _, e := range withClass(els, "line", "snapshot-tick") {
		var x float64
		fmt.Sscan(e.attrs["x1"], &x)
		xs = append(xs, x)
	}
	if len(xs) != 3 {
		t.Fatalf("got %d ticks, want 3", len(xs))
	}
	if d1, d2 := xs[1]-xs[0], xs[2]-xs[1]; math.Abs(d1-d2) > 0.2 {
		t.Errorf("steps %v and %v wide, want equal", d1, d2)
	}
	labels := withClass(els, "text", "step-label")
	if len(labels) != 3 || labels[1].text != "#2 Nov 3 12:00" {
		t.Errorf("step labels %v, want 3 with \"#2 Nov 3 12:00\" second", labels)
	}
}

func TestChartsEscapeLabels(t *testing.T) {
	evil := `<script>alert("x")</script>&`
	outs := map[string]template.HTML{
		"steps": StackedSteps(Steps{Title: evil, Times: []time.Time{t0}, Series: []Series{{Label: evil, Values: []float64{1}}}}),
		"bars":  BarChart(Bars{Title: evil, Groups: []string{evil}, Series: []Series{{Label: evil, Values: []float64{1}}, {Label: "b", Values: []float64{2}}}}),
		"lines": LineChart(Lines{Title: evil, Lines: []Line{{Label: evil, Points: []Point{{T: t0, V: 1}}}}}),
		"empty": StackedSteps(Steps{Title: evil}),
	}
	for name, out := range outs {
		t.Run(name, func(t *testing.T) {
			parseSVG(t, out)
			if strings.Contains(string(out), "<script") {
				t.Fatalf("label not escaped: %s", out)
			}
			if !strings.Contains(string(out), "&lt;script&gt;") {
				t.Fatalf("escaped label missing: %s", out)
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
			in: Bars{Title: "deployments per week", Groups: []string{"W1", "W2", "W3"}, Series: []Series{
				{Label: "aws-beta", Values: []float64{1, 0, 2}},
				{Label: "aws-prod", Values: []float64{0, 1, 1}},
			}},
			wantBars: 6, wantLeg: 2,
		},
		{name: "one series has no legend", in: Bars{Groups: []string{"a"}, Series: []Series{{Label: "x", Values: []float64{0.25}}}}, wantBars: 1},
		{name: "infinite values are drawn as zero", in: Bars{Groups: []string{"a", "b"}, Series: []Series{{Label: "x", Values: []float64{math.Inf(1), 1}}}}, wantBars: 2},
		{name: "no groups", in: Bars{Series: []Series{{Label: "x"}}}, wantEmpty: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := BarChart(tc.in)
			els := parseSVG(t, out)
			if tc.wantEmpty {
				if !strings.Contains(string(out), "No data yet") {
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
	els := parseSVG(t, BarChart(Bars{Groups: []string{"a", "b"}, Series: []Series{{Label: "x", Values: []float64{1, 2}}}}))
	bars := withClass(els, "rect", "bar")
	if bars[1].attrs["height"] == "0" || bars[0].attrs["height"]+"" == bars[1].attrs["height"] {
		t.Fatalf("bar heights not proportional: %v %v", bars[0].attrs, bars[1].attrs)
	}
	var h0, h1 float64
	fmt.Sscan(bars[0].attrs["height"], &h0)
	fmt.Sscan(bars[1].attrs["height"], &h1)
	if math.Abs(h1-2*h0) > 0.2 {
		t.Fatalf("bar heights %v and %v, want 1:2", h0, h1)
	}
	if !strings.Contains(string(BarChart(Bars{Groups: []string{"a", "b"}, Series: []Series{{Label: "x", Values: []float64{1, 2}}}})), "<title>x · b: 2</title>") {
		t.Errorf("bar tooltip should give series, group and value")
	}
}

func TestLineChart(t *testing.T) {
	in := Lines{Title: "lead time", Unit: "hours", Lines: []Line{
		{Label: "aws-beta", Points: []Point{{T: t0.Add(2 * time.Hour), V: 3}, {T: t0, V: 1.5}, {T: t0.Add(time.Hour), V: math.NaN()}}},
		{Label: "aws-prod", Points: []Point{{T: t0.Add(3 * time.Hour), V: 6}}},
	}}
	els := parseSVG(t, LineChart(in))
	groups := withClass(els, "g", "line")
	if len(groups) != 2 {
		t.Fatalf("got %d line groups, want 2", len(groups))
	}
	if groups[0].attrs["data-points"] != "2" || groups[1].attrs["data-points"] != "1" {
		t.Errorf("points per line %s,%s, want 2,1 (NaN dropped)", groups[0].attrs["data-points"], groups[1].attrs["data-points"])
	}
	if got := len(withClass(els, "circle", "point")); got != 3 {
		t.Errorf("got %d dots, want 3", got)
	}
	// A single point draws no polyline; two points draw one, left to right.
	polys := withClass(els, "polyline", "series")
	if len(polys) != 1 {
		t.Fatalf("got %d polylines, want 1", len(polys))
	}
	var x1, y1, x2, y2 float64
	if _, err := fmt.Sscanf(polys[0].attrs["points"], "%g,%g %g,%g", &x1, &y1, &x2, &y2); err != nil {
		t.Fatalf("points %q: %v", polys[0].attrs["points"], err)
	}
	if x1 >= x2 || y1 <= y2 {
		t.Errorf("points not sorted by time or values inverted: %q", polys[0].attrs["points"])
	}
	if out := LineChart(Lines{Lines: []Line{{Label: "x"}}}); !strings.Contains(string(out), "No data yet") {
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
			els := parseSVG(t, LineChart(Lines{Lines: []Line{{Label: "x", Points: []Point{{T: t0, V: tc.max}}}}}))
			var labels []string
			for _, e := range els {
				if e.name == "text" && e.attrs["text-anchor"] == "end" {
					labels = append(labels, e.text)
				}
			}
			if got := strings.Join(labels, ","); got != tc.want {
				t.Fatalf("labels %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTimeTicks(t *testing.T) {
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
	}
	for _, tc := range tests {
		t.Run(tc.span.String(), func(t *testing.T) {
			ticks, layout := timeTicks(t0, t0.Add(tc.span))
			if len(ticks) == 0 || len(ticks) > tc.atMost {
				t.Fatalf("%d ticks, want 1..%d", len(ticks), tc.atMost)
			}
			if got := ticks[0].Format(layout); got != tc.first {
				t.Errorf("first tick %q, want %q", got, tc.first)
			}
		})
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
}

// BenchmarkStackedSteps renders 100 snapshots of 50 artifacts.
func BenchmarkStackedSteps(b *testing.B) {
	s := Steps{Title: "bench", Unit: "replicas", End: t0.Add(200 * time.Minute), Even: true}
	for j := range 100 {
		s.Times = append(s.Times, t0.Add(time.Duration(j)*time.Minute))
		s.Labels = append(s.Labels, fmt.Sprint("#", j+1))
	}
	for i := range 50 {
		se := Series{Label: fmt.Sprint("artifact ", i)}
		for j := range 100 {
			se.Values = append(se.Values, float64((i+j)%3))
		}
		s.Series = append(s.Series, se)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = StackedSteps(s)
	}
}
