package fleet

import (
	"embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/minitwit-cd/kit/internal/chart"
)

//go:embed dashboard.html.tmpl
var templatesFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"pct": func(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + " %" },
	"ms":  func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " ms" },
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		return t.UTC().Format("2006-01-02 15:04:05")
	},
}).ParseFS(templatesFS, "dashboard.html.tmpl"))

// Dashboard options.
type DashboardOptions struct {
	// Refresh is the pages' meta-refresh period (default 10 s).
	Refresh time.Duration
	// ActivityDir holds the SVG charts `simulator fleet activity` wrote;
	// served under /activity/ when set.
	ActivityDir string
	// Now is the clock (default time.Now), for tests.
	Now func() time.Time
}

// Handler serves the dashboard: the overview (/), a page per group
// (/groups/{id}), the same numbers as JSON (/api/overview,
// /api/groups/{id}) and CSV (/overview.csv, /groups/{id}/minutes.csv), a
// group's error log in the course's format (/groups/{id}/errors.log) and
// the activity charts (/activity/). The pages refresh themselves and need
// neither JavaScript nor anything from another site.
func (f *Fleet) Handler(o DashboardOptions) http.Handler {
	if o.Refresh <= 0 {
		o.Refresh = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	d := &dashboard{f: f, o: o}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", d.overviewPage)
	mux.HandleFunc("GET /api/overview", d.overviewJSON)
	mux.HandleFunc("GET /overview.csv", d.overviewCSV)
	mux.HandleFunc("GET /groups/{id}", d.groupPage)
	mux.HandleFunc("GET /api/groups/{id}", d.groupJSON)
	mux.HandleFunc("GET /groups/{id}/minutes.csv", d.groupCSV)
	mux.HandleFunc("GET /groups/{id}/errors.log", d.groupErrors)
	mux.HandleFunc("GET /activity/", d.activity)
	return mux
}

type dashboard struct {
	f *Fleet
	o DashboardOptions
}

func (d *dashboard) fail(w http.ResponseWriter, err error) {
	http.Error(w, "dashboard: "+err.Error(), http.StatusServiceUnavailable)
}

type overviewData struct {
	Title       string
	Refresh     int
	Now         time.Time
	ConfigError string
	Groups      []GroupSummary
	Charts      []figure
	// Activity lists the activity charts present in ActivityDir.
	Activity []string
}

// figure is a chart with its heading.
type figure struct {
	Title string
	SVG   template.HTML
}

func fig(c chart.Chart) figure { return figure{Title: c.Title, SVG: c.HTML()} }

func (d *dashboard) overviewPage(w http.ResponseWriter, r *http.Request) {
	now := d.o.Now()
	gs, err := d.f.Overview(r.Context(), now)
	if err != nil {
		d.fail(w, err)
		return
	}
	data := overviewData{Title: "MiniTwit simulator fleet", Refresh: int(d.o.Refresh / time.Second), Now: now,
		ConfigError: d.f.ConfigError(), Groups: gs, Charts: overviewCharts(gs)}
	if d.o.ActivityDir != "" {
		for _, name := range ActivityFiles {
			if _, err := os.Stat(filepath.Join(d.o.ActivityDir, name)); err == nil {
				data.Activity = append(data.Activity, name)
			}
		}
	}
	d.render(w, "overview", data)
}

func (d *dashboard) render(w http.ResponseWriter, name string, data any) {
	var b strings.Builder
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		d.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (d *dashboard) overviewJSON(w http.ResponseWriter, r *http.Request) {
	gs, err := d.f.Overview(r.Context(), d.o.Now())
	if err != nil {
		d.fail(w, err)
		return
	}
	writeJSON(w, map[string]any{"groups": gs, "config_error": d.f.ConfigError()})
}

func f64(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
func i64(v int64) string   { return strconv.FormatInt(v, 10) }

func (d *dashboard) overviewCSV(w http.ResponseWriter, r *http.Request) {
	gs, err := d.f.Overview(r.Context(), d.o.Now())
	if err != nil {
		d.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "name", "total", "ok", "late", "timeout", "connection_error", "wrong_status", "consequence",
		"availability", "ok_share", "p50_ms", "p99_ms", "latest", "done", "acked", "down_since"})
	for _, g := range gs {
		c := g.Counts
		down := ""
		if g.DownSince != nil {
			down = g.DownSince.Format(time.RFC3339)
		}
		_ = cw.Write([]string{g.ID, g.Name, i64(c.Total), i64(c.OK), i64(c.Late), i64(c.Timeout), i64(c.ConnError),
			i64(c.WrongStatus), i64(c.Consequence), f64(g.Availability), f64(g.OKShare), f64(g.P50), f64(g.P99),
			i64(g.Latest), i64(g.Progress.Done), i64(g.Progress.Acked), down})
	}
	cw.Flush()
}

// since reads ?since= (RFC 3339 or a duration back from now; default the
// last 24 hours).
func (d *dashboard) since(r *http.Request) (time.Time, error) {
	now := d.o.Now()
	v := r.URL.Query().Get("since")
	if v == "" {
		return now.Add(-24 * time.Hour), nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if dur, err := time.ParseDuration(v); err == nil && dur > 0 {
		return now.Add(-dur), nil
	}
	return time.Time{}, fmt.Errorf("since=%q: want an RFC 3339 time or a duration such as 6h", v)
}

func (d *dashboard) detail(w http.ResponseWriter, r *http.Request) (GroupDetail, bool) {
	since, err := d.since(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return GroupDetail{}, false
	}
	id := r.PathValue("id")
	gd, ok, err := d.f.Detail(r.Context(), id, since, d.o.Now())
	if err != nil {
		d.fail(w, err)
		return gd, false
	}
	if !ok {
		http.Error(w, fmt.Sprintf("no group %q", id), http.StatusNotFound)
		return gd, false
	}
	return gd, true
}

type groupData struct {
	Title   string
	Refresh int
	Now     time.Time
	D       GroupDetail
	Charts  []figure
}

func (d *dashboard) groupPage(w http.ResponseWriter, r *http.Request) {
	gd, ok := d.detail(w, r)
	if !ok {
		return
	}
	d.render(w, "group", groupData{Title: gd.Summary.Name, Refresh: int(d.o.Refresh / time.Second), Now: d.o.Now(), D: gd,
		Charts: groupCharts(gd, d.f.cfg.Budget)})
}

func (d *dashboard) groupJSON(w http.ResponseWriter, r *http.Request) {
	if gd, ok := d.detail(w, r); ok {
		writeJSON(w, gd)
	}
}

func (d *dashboard) groupCSV(w http.ResponseWriter, r *http.Request) {
	gd, ok := d.detail(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"minute", "total", "ok", "late", "timeout", "connection_error", "wrong_status", "consequence",
		"p50_ms", "p90_ms", "p99_ms", "max_ms", "dns_ms", "connect_ms", "tls_ms", "ttfb_ms", "connections", "late_send_max_ms"})
	for _, m := range gd.Minutes {
		c, p := m.Counts, m.Phases
		_ = cw.Write([]string{m.Start.Format(time.RFC3339), i64(c.Total), i64(c.OK), i64(c.Late), i64(c.Timeout), i64(c.ConnError),
			i64(c.WrongStatus), i64(c.Consequence), f64(m.P50), f64(m.P90), f64(m.P99), f64(m.Max),
			f64(p.DNS), f64(p.Connect), f64(p.TLS), f64(p.TTFB), i64(p.Conns), f64(m.LateSendMax)})
	}
	cw.Flush()
}

func (d *dashboard) groupErrors(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	es, err := d.f.st.Errors(r.Context(), id, 100000)
	if err != nil {
		d.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	for _, e := range es {
		fmt.Fprintln(w, e.Line)
	}
}

func (d *dashboard) activity(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/activity/")
	if d.o.ActivityDir == "" || name == "" || strings.ContainsAny(name, `/\`) || !strings.HasSuffix(name, ".svg") {
		http.NotFound(w, r)
		return
	}
	b, err := os.ReadFile(filepath.Join(d.o.ActivityDir, name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	_, _ = w.Write(b)
}

// overviewCharts: errors today per group by class, and the latest action
// each group reports against the latest sent.
func overviewCharts(gs []GroupSummary) []figure {
	var names []string
	rows := errorRows()
	sent := chart.Row{Label: "latest action sent"}
	latest := chart.Row{Label: "group's /latest"}
	for _, g := range gs {
		names = append(names, g.ID)
		addCounts(rows, g.Counts)
		sent.Values = append(sent.Values, float64(g.Progress.Done))
		latest.Values = append(latest.Values, float64(max(g.Latest, -1)))
	}
	errs := chart.BarChart("Errors today per group, by class", "requests", chart.Bars{Groups: names, Series: rows, Stacked: true, MinHeight: 2})
	errs.Empty, errs.EmptyOK, errs.EmptyAxes = "No errors today", true, true
	if !anyValue(rows) {
		errs.Bars = nil
	}
	lat := chart.BarChart("Latest action: sent and reported by /latest", "action id", chart.Bars{Groups: names, Series: []chart.Row{sent, latest}})
	return []figure{fig(errs), fig(lat)}
}

func errorRows() []chart.Row {
	return []chart.Row{
		{Label: "late", Color: "#e6a700"}, {Label: "timeout", Color: "#d62728"}, {Label: "connection error", Color: "#7f3fbf"},
		{Label: "wrong status", Color: "#1f77b4"}, {Label: "consequence", Color: "#999999"},
	}
}

func addCounts(rows []chart.Row, c Counts) {
	for i, v := range []int64{c.Late, c.Timeout, c.ConnError, c.WrongStatus, c.Consequence} {
		rows[i].Values = append(rows[i].Values, float64(v))
	}
}

func anyValue(rows []chart.Row) bool {
	for _, r := range rows {
		for _, v := range r.Values {
			if v != 0 {
				return true
			}
		}
	}
	return false
}

// groupCharts: errors per minute by class, latency percentiles, phases and
// /latest over time.
func groupCharts(gd GroupDetail, budget time.Duration) []figure {
	rows := errorRows()
	var labels []string
	p50 := chart.Line{Label: "p50"}
	p99 := chart.Line{Label: "p99"}
	mx := chart.Line{Label: "max"}
	dns := chart.Line{Label: "DNS"}
	conn := chart.Line{Label: "connect"}
	tlsL := chart.Line{Label: "TLS"}
	ttfb := chart.Line{Label: "first byte (the app)"}
	for _, m := range gd.Minutes {
		labels = append(labels, m.Start.Format("15:04"))
		addCounts(rows, m.Counts)
		p50.Points = append(p50.Points, chart.TimePoint{T: m.Start, V: m.P50})
		p99.Points = append(p99.Points, chart.TimePoint{T: m.Start, V: m.P99})
		mx.Points = append(mx.Points, chart.TimePoint{T: m.Start, V: m.Max})
		dns.Points = append(dns.Points, chart.TimePoint{T: m.Start, V: m.Phases.DNS})
		conn.Points = append(conn.Points, chart.TimePoint{T: m.Start, V: m.Phases.Connect})
		tlsL.Points = append(tlsL.Points, chart.TimePoint{T: m.Start, V: m.Phases.TLS})
		ttfb.Points = append(ttfb.Points, chart.TimePoint{T: m.Start, V: m.Phases.TTFB})
	}
	errs := chart.BarChart("Errors per minute, by class", "requests", chart.Bars{Groups: labels, Series: rows, Stacked: true, MinHeight: 2})
	errs.Empty, errs.EmptyOK, errs.EmptyAxes = "No errors", true, true
	if !anyValue(rows) {
		errs.Bars = nil
	}
	lat := chart.LineChart(chart.Lines{Title: "Latency per minute (from the scheduled send)", Unit: "ms", Lines: []chart.Line{p50, p99, mx}})
	lat.Thresholds = []chart.Threshold{{Value: float64(budget) / float64(time.Millisecond), Label: "budget"}}
	ph := chart.LineChart(chart.Lines{Title: "Mean request phases per minute: network (DNS, connect, TLS) or the app (first byte)", Unit: "ms",
		Lines: []chart.Line{dns, conn, tlsL, ttfb}})
	reported := chart.Line{Label: "/latest"}
	sent := chart.Line{Label: "latest answered"}
	for _, c := range gd.Latest {
		if c.Value >= -1 {
			reported.Points = append(reported.Points, chart.TimePoint{T: c.At, V: float64(c.Value)})
		}
		sent.Points = append(sent.Points, chart.TimePoint{T: c.At, V: float64(c.Want)})
	}
	lt := chart.LineChart(chart.Lines{Title: "/latest over time", Unit: "action id", Lines: []chart.Line{sent, reported}})
	return []figure{fig(errs), fig(lat), fig(ph), fig(lt)}
}
