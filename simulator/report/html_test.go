package report

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// parseHTML parses a report and fails on anything the parser had to repair
// in a way that matters: the page must have exactly one html, head and body.
func parseHTML(t *testing.T, b []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

func walk(n *html.Node, fn func(*html.Node)) {
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// byID returns the element with the given id.
func byID(doc *html.Node, id string) *html.Node {
	var found *html.Node
	walk(doc, func(n *html.Node) {
		if found == nil && n.Type == html.ElementNode && attr(n, "id") == id {
			found = n
		}
	})
	return found
}

func elements(root *html.Node, tag, class string) []*html.Node {
	var out []*html.Node
	walk(root, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag && (class == "" || strings.Contains(" "+attr(n, "class")+" ", " "+class+" ")) {
			out = append(out, n)
		}
	})
	return out
}

// checkWellFormed tokenizes the page and checks that every element the
// report opens is closed in order (void and self-closed SVG elements aside).
func checkWellFormed(t *testing.T, b []byte) {
	t.Helper()
	void := map[string]bool{"meta": true, "br": true, "img": true, "link": true, "input": true, "hr": true}
	z := html.NewTokenizer(bytes.NewReader(b))
	var stack []string
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if len(stack) != 0 {
				t.Fatalf("unclosed elements at the end: %v", stack)
			}
			return
		case html.StartTagToken:
			name, _ := z.TagName()
			if !void[string(name)] {
				stack = append(stack, string(name))
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if len(stack) == 0 || stack[len(stack)-1] != string(name) {
				t.Fatalf("</%s> closes %v", name, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
}

var pathCommand = regexp.MustCompile(`[ML]`)

func TestWriteHTML(t *testing.T) {
	r := NewRecorder(Options{Target: "http://127.0.0.1:5001", Start: t0})
	syntheticRun(r, 25_922, 70*time.Second, 1)
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if *htmlOut != "" {
		if err := os.WriteFile(*htmlOut, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkWellFormed(t, b.Bytes())
	doc := parseHTML(t, b.Bytes())

	// What the charts should show: the series at display resolution.
	_, _, view := r.ser.view(displayBuckets)
	var nonEmpty, withErrors int
	for _, bk := range view {
		if bk.Count > 0 {
			nonEmpty++
		}
		if bk.Errors()+bk.Consequence > 0 {
			withErrors++
		}
	}
	if len(view) > displayBuckets || nonEmpty == 0 || withErrors == 0 {
		t.Fatalf("fixture: %d display buckets, %d non-empty, %d with errors", len(view), nonEmpty, withErrors)
	}

	t.Run("latency chart", func(t *testing.T) {
		chart := byID(doc, "latency-chart")
		if chart == nil || chart.Data != "svg" {
			t.Fatal("no latency svg")
		}
		paths := elements(chart, "path", "series")
		names := map[string]bool{}
		for _, p := range paths {
			names[attr(p, "data-series")] = true
			n, _ := strconv.Atoi(attr(p, "data-points"))
			if got := len(pathCommand.FindAllString(attr(p, "d"), -1)); n != nonEmpty || got != nonEmpty {
				t.Errorf("%s: data-points %d, %d points drawn; want %d", attr(p, "data-series"), n, got, nonEmpty)
			}
		}
		for _, want := range []string{"p50", "p99", "max"} {
			if !names[want] {
				t.Errorf("no %s line (have %v)", want, names)
			}
		}
		if !strings.Contains(textOf(chart), "budget 300ms") {
			t.Error("no budget line label")
		}
	})
	t.Run("errors chart", func(t *testing.T) {
		chart := byID(doc, "errors-chart")
		if chart == nil {
			t.Fatal("no errors svg")
		}
		bars := elements(chart, "g", "bar")
		if len(bars) != withErrors {
			t.Errorf("%d bars, want %d (one per interval with errors)", len(bars), withErrors)
		}
		colors := map[string]bool{}
		for _, g := range bars {
			for _, rc := range elements(g, "rect", "") {
				colors[attr(rc, "fill")] = true
			}
		}
		// The synthetic run has every class of failure.
		if len(colors) != len(classColors) {
			t.Errorf("%d classes drawn, want %d", len(colors), len(classColors))
		}
	})
	t.Run("self-contained", func(t *testing.T) {
		walk(doc, func(n *html.Node) {
			if n.Type != html.ElementNode {
				return
			}
			switch n.Data {
			case "script", "link", "iframe", "img", "object", "embed":
				t.Errorf("page has a <%s> element", n.Data)
			}
			for _, a := range n.Attr {
				k := strings.TrimPrefix(a.Key, "xlink:")
				if (k == "src" || k == "href") && strings.Contains(strings.ToLower(a.Val), "http") {
					t.Errorf("<%s %s=%q> points to the network", n.Data, a.Key, a.Val)
				}
			}
		})
		if bytes.Contains(b.Bytes(), []byte("url(")) || bytes.Contains(b.Bytes(), []byte("@import")) {
			t.Error("the style sheet loads something")
		}
	})
	t.Run("table", func(t *testing.T) {
		rows := elements(doc, "tr", "")
		if len(rows) != 1+len(r.Summary().Commands()) {
			t.Errorf("%d table rows, want a header and one per command plus total", len(rows))
		}
	})
}

func textOf(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return b.String()
}

func TestWriteHTMLEscapes(t *testing.T) {
	target := `http://x/"><script>alert(1)</script><img src=http://evil>&amp;`
	r := NewRecorder(Options{Target: target, Start: t0})
	r.Add(Sample{ActionID: 1, Command: "tweet", Scheduled: t0, Latency: time.Millisecond, Outcome: WrongStatus, Status: 500})
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	checkWellFormed(t, b.Bytes())
	doc := parseHTML(t, b.Bytes())
	if n := len(elements(doc, "script", "")) + len(elements(doc, "img", "")); n != 0 {
		t.Fatalf("the target injected %d elements", n)
	}
	// The target is shown verbatim, as text.
	if !strings.Contains(textOf(doc), target) {
		t.Error("the target's text is not shown as given")
	}
}

func TestWriteHTMLNoErrors(t *testing.T) {
	r := NewRecorder(Options{Target: "http://127.0.0.1:5001", Start: t0})
	for i := range 100 {
		sched := t0.Add(time.Duration(i) * 50 * time.Millisecond)
		r.Add(Sample{ActionID: int64(i), Command: "tweet", Scheduled: sched, Sent: sched, Latency: 2 * time.Millisecond, Status: 204})
	}
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	doc := parseHTML(t, b.Bytes())
	chart := byID(doc, "errors-chart")
	if bars := elements(chart, "g", "bar"); len(bars) != 0 {
		t.Errorf("%d error bars in an error-free run", len(bars))
	}
	if !strings.Contains(textOf(chart), "No errors") {
		t.Error("the empty errors chart does not say so")
	}
	if !strings.Contains(textOf(doc), "no errors") {
		t.Error("no green verdict")
	}
}

// TestErrorAxisFitsTallestBar checks the errors chart's linear axis (the
// shared chart package's, which replaced the report's own niceScale): its
// top is a round number that holds the tallest bar without leaving most
// of the plot empty.
func TestErrorAxisFitsTallestBar(t *testing.T) {
	for _, v := range []int{1, 2, 5, 7, 11, 147, 6200, 8001} {
		r := NewRecorder(Options{Target: "http://127.0.0.1:5001", Start: t0, Bucket: time.Second})
		for i := range v {
			r.Add(Sample{ActionID: int64(i), Command: "tweet", Scheduled: t0, Latency: time.Millisecond, Outcome: WrongStatus, Status: 500})
		}
		r.Add(Sample{ActionID: int64(v), Command: "tweet", Scheduled: t0.Add(10 * time.Second), Latency: time.Millisecond, Status: 204})
		var b bytes.Buffer
		if err := r.WriteHTML(&b); err != nil {
			t.Fatal(err)
		}
		labels := elements(byID(parseHTML(t, b.Bytes()), "errors-chart"), "text", "y")
		if len(labels) < 2 {
			t.Fatalf("%d: %d y labels", v, len(labels))
		}
		top, err := strconv.ParseFloat(textOf(labels[len(labels)-1]), 64)
		if err != nil || top < float64(v) || top > 2*float64(v) && v > 1 {
			t.Errorf("tallest bar %d: axis top %q, want a round number from %d to %d", v, textOf(labels[len(labels)-1]), v, 2*v)
		}
	}
}

func TestPercentileChart(t *testing.T) {
	r := fixtureRecorder(t) // 40 samples: one decade of percentiles
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	chart := byID(parseHTML(t, b.Bytes()), "percentiles-chart")
	if chart == nil {
		t.Fatal("no percentile chart")
	}
	paths := elements(chart, "path", "series")
	var names []string
	for _, p := range paths {
		names = append(names, attr(p, "data-series"))
		// 10 samples per command resolve one decade (p0..p90): 21 points.
		n, _ := strconv.Atoi(attr(p, "data-points"))
		if got := len(pathCommand.FindAllString(attr(p, "d"), -1)); got != n || n != 21 {
			t.Errorf("%s: %d points drawn, data-points %d; want 21", attr(p, "data-series"), got, n)
		}
	}
	if want := []string{AllCommands, "register", "tweet", "follow", "unfollow"}; strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("lines %v, want %v", names, want)
	}
}
