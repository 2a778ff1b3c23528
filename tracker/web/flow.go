package web

import (
	"context"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/minitwit-cd/kit/internal/chart"
	"github.com/minitwit-cd/kit/tracker/model"
)

// artifactsPerPage is how many artifacts a flow's page lists.
const artifactsPerPage = 25

// artifactRow is one artifact in a flow's list.
type artifactRow struct {
	Name        string
	URL         string
	Commit      string
	Fingerprint string
	State       string
	Created     time.Time
}

// metricRow is one environment's DORA metrics, formatted.
type metricRow struct {
	Env         string
	EnvURL      string
	Deployments int
	Frequency   string
	LeadTime    string
	FailureRate string
	Recovery    string
}

// titledChart is a chart with its heading.
type titledChart struct {
	Title string
	SVG   template.HTML
}

// flowDeployment is one row of a flow's recent deployments.
type flowDeployment struct {
	Number int
	Name   string
	URL    string
	Commit string
	Env    string
	EnvURL string
	Status string
	Failed bool
	Time   time.Time
}

// recentDeployments is how many deployments a flow's page lists.
const recentDeployments = 10

type flowView struct {
	Deployments []flowDeployment
	Flow        flowRow
	Template    []string
	Artifacts   []artifactRow
	PrevURL     string
	NextURL     string
	MetricsNote string
	Metrics     []metricRow
	Charts      []titledChart
}

// positiveParam reads an optional positive integer query parameter,
// bounded, with a 400 naming it when it is anything else.
func positiveParam(r *http.Request, name string, def, max int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, model.Errorf(model.EINVALID, "invalid %s %q: want a whole number from 1 to %d", name, s, max)
	}
	return n, nil
}

func (h *handler) flowPage(w http.ResponseWriter, r *http.Request, o orgReq) {
	ctx := r.Context()
	f, err := h.findFlow(ctx, o, r.PathValue("flow"))
	if err != nil {
		h.fail(w, r, o, err)
		return
	}
	pageNo, err := positiveParam(r, "page", 1, 100000)
	if err != nil {
		h.fail(w, r, o, err)
		return
	}
	days, err := positiveParam(r, "days", 30, 365)
	if err != nil {
		h.fail(w, r, o, err)
		return
	}
	arts, total, err := h.store.ListArtifacts(ctx, o.org, model.ArtifactFilter{Flow: f.Name, Page: model.Page{Page: pageNo, PerPage: artifactsPerPage}})
	if err != nil {
		h.fail(w, r, o, fmt.Errorf("list artifacts of %s: %w", f.Name, err))
		return
	}
	v := flowView{Flow: toFlowRow(o.org, f), Template: f.Template, Artifacts: []artifactRow{}}
	for _, a := range arts {
		// The store keeps each artifact's compliance state up to date,
		// so the page needs no evidence query per row.
		v.Artifacts = append(v.Artifacts, artifactRow{
			Name: a.Name, URL: artifactURL(o.org, f.Name, a.Fingerprint), Commit: shortCommit(a.GitCommit),
			Fingerprint: a.Fingerprint, State: a.State, Created: a.CreatedAt,
		})
	}
	q := func(p int) string {
		vals := url.Values{"page": {strconv.Itoa(p)}}
		if days != 30 {
			vals.Set("days", strconv.Itoa(days))
		}
		return flowURL(o.org, f.Name) + "?" + vals.Encode()
	}
	if pageNo > 1 {
		v.PrevURL = q(pageNo - 1)
	}
	if pageNo*artifactsPerPage < total {
		v.NextURL = q(pageNo + 1)
	}
	metrics, deps, starts, err := model.LoadFlowDORA(ctx, h.store, o.org, f.Name, h.now(), days)
	if err != nil {
		h.fail(w, r, o, fmt.Errorf("dora metrics of %s: %w", f.Name, err))
		return
	}
	// Newest first, whatever order the store keeps.
	sort.SliceStable(deps, func(i, j int) bool { return deps[i].Number > deps[j].Number })
	for _, d := range deps[:min(len(deps), recentDeployments)] {
		v.Deployments = append(v.Deployments, flowDeployment{
			Number: d.Number, Name: d.ArtifactName, URL: artifactURL(o.org, f.Name, d.Fingerprint), Commit: shortCommit(d.GitCommit),
			Env: d.Environment, EnvURL: envURL(o.org, d.Environment), Status: d.Status, Failed: d.Failed(), Time: d.CreatedAt,
		})
	}
	fillMetrics(o, days, h.now(), metrics, deps, starts, &v)
	h.render(w, r, http.StatusOK, "flow", page{
		Title: f.Name, Org: o.org, Authed: o.authed,
		Crumbs: []crumb{{Name: o.org, URL: orgURL(o.org)}, {Name: "flows", URL: orgURL(o.org) + "#flows"}, {Name: f.Name}},
		Data:   v,
	})
}

// fillMetrics formats the flow's DORA metrics per environment over the
// last days and draws the two charts: deployments per week and lead time
// of each artifact that started running.
func fillMetrics(o orgReq, days int, now time.Time, metrics []model.DORAMetrics, deps []model.Deployment, starts []model.FlowStart, v *flowView) {
	from := now.Add(-time.Duration(days) * 24 * time.Hour)
	v.MetricsNote = fmt.Sprintf("Over the last %d days (%s to %s), per environment. Lead time runs from the commit to the first snapshot the artifact runs in; failures are deployments marked failed or rolled back.",
		days, from.UTC().Format("2 Jan 2006"), now.UTC().Format("2 Jan 2006"))
	dash := "–"
	for _, m := range metrics {
		row := metricRow{
			Env: m.Environment, EnvURL: envURL(o.org, m.Environment), Deployments: m.Deployments,
			Frequency: frequency(m.DeploymentsPerDay), LeadTime: dash, FailureRate: dash, Recovery: dash,
		}
		if m.LeadTimes > 0 {
			row.LeadTime = humanDuration(m.LeadTime)
		}
		if m.Deployments > 0 {
			row.FailureRate = fmt.Sprintf("%.0f%% (%d of %d)", m.ChangeFailureRate*100, m.Failures, m.Deployments)
		}
		if m.Recoveries > 0 {
			row.Recovery = humanDuration(m.TimeToRecovery)
		}
		v.Metrics = append(v.Metrics, row)
	}
	if len(metrics) == 0 {
		return
	}
	envs := make([]string, len(metrics))
	for i, m := range metrics {
		envs[i] = m.Environment
	}
	v.Charts = append(v.Charts, titledChart{Title: "Deployments per week", SVG: chart.BarChart("Deployments per week", "deployments", weeklyDeployments(envs, deps, from, now)).HTML()})
	lead := leadTimes(envs, starts)
	v.Charts = append(v.Charts, titledChart{Title: "Lead time from commit to running (" + lead.Unit + ")", SVG: chart.LineChart(lead).HTML()})
}

// weeklyDeployments buckets deployments into 7-day groups ending at now,
// one series per environment and one for failed or rolled-back ones.
func weeklyDeployments(envs []string, deps []model.Deployment, from, now time.Time) chart.Bars {
	weeks := int(math.Ceil(now.Sub(from).Hours() / (24 * 7)))
	if weeks < 1 {
		weeks = 1
	}
	start := now.Add(-time.Duration(weeks) * 7 * 24 * time.Hour)
	var b chart.Bars
	for i := 0; i < weeks; i++ {
		b.Groups = append(b.Groups, start.Add(time.Duration(i)*7*24*time.Hour).UTC().Format("Jan 2"))
	}
	idx := map[string]int{}
	for i, e := range envs {
		idx[e] = i
		b.Series = append(b.Series, chart.Row{Label: e, Values: make([]float64, weeks)})
	}
	failed := chart.Row{Label: "failed or rolled back", Values: make([]float64, weeks), Color: "#dc2626"}
	anyFailed := false
	for _, d := range deps {
		i, ok := idx[d.Environment]
		if !ok || d.CreatedAt.Before(start) || d.CreatedAt.After(now) {
			continue
		}
		wk := int(d.CreatedAt.Sub(start) / (7 * 24 * time.Hour))
		if wk >= weeks {
			wk = weeks - 1
		}
		b.Series[i].Values[wk]++
		if d.Failed() {
			failed.Values[wk]++
			anyFailed = true
		}
	}
	if anyFailed {
		b.Series = append(b.Series, failed)
	}
	return b
}

// leadTimes measures, per environment, each of the flow's artifacts that
// started running there in the window (starts, from the store's one
// FlowStarts query): the time from its commit (or its creation when the
// commit time is unknown) to its first start.
func leadTimes(envs []string, starts []model.FlowStart) chart.Lines {
	byEnv := map[string][]chart.TimePoint{}
	for _, st := range starts {
		if start := st.LeadStart(); !st.At.Before(start) {
			byEnv[st.Environment] = append(byEnv[st.Environment], chart.TimePoint{T: st.At, V: st.At.Sub(start).Seconds()})
		}
	}
	out := chart.Lines{Title: "Lead time"}
	for _, env := range envs {
		line := chart.Line{Label: env, Points: byEnv[env]}
		sort.Slice(line.Points, func(i, j int) bool { return line.Points[i].T.Before(line.Points[j].T) })
		out.Lines = append(out.Lines, line)
	}
	scaleLeadTimes(&out)
	return out
}

// scaleLeadTimes converts lead times from seconds to the unit that suits
// the longest: a pipeline that deploys within minutes should not be drawn
// as fractions of an hour.
func scaleLeadTimes(l *chart.Lines) {
	longest := 0.0
	for _, ln := range l.Lines {
		for _, p := range ln.Points {
			longest = math.Max(longest, p.V)
		}
	}
	unit, div := "seconds", 1.0
	switch {
	case longest >= 2*24*3600:
		unit, div = "days", 24*3600
	case longest >= 2*3600:
		unit, div = "hours", 3600
	case longest >= 2*60:
		unit, div = "minutes", 60
	}
	l.Unit = unit
	for i := range l.Lines {
		for j := range l.Lines[i].Points {
			l.Lines[i].Points[j].V /= div
		}
	}
}

// eventPage is the page size for walking an environment's events.
const eventPage = 1000

// eachEvent calls fn for every event matching f, oldest first, a page at
// a time.
func (h *handler) eachEvent(ctx context.Context, org string, f model.EventFilter, fn func(model.Event)) error {
	for p := 1; ; p++ {
		f.Page = model.Page{Page: p, PerPage: eventPage}
		evs, total, err := h.store.ListEvents(ctx, org, f)
		if err != nil {
			return fmt.Errorf("events of %s: %w", f.Environment, err)
		}
		for _, e := range evs {
			fn(e)
		}
		if len(evs) == 0 || p*eventPage >= total {
			return nil
		}
	}
}
