package web

import (
	"context"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/minitwit-cd/kit/internal/chart"
	"github.com/minitwit-cd/kit/tracker/model"
)

// snapshotsPerPage is the length of an environment's snapshot list page.
const snapshotsPerPage = 25

// chartSnapshots is how many of the latest snapshots the replicas chart
// covers: enough to see deployments come and go, bounded so the page stays
// quick for an environment that has reported for years.
const chartSnapshots = 100

// hiddenLabel is the one series an anonymous viewer sees for every
// artifact outside the public flows.
const hiddenLabel = "other artifacts (sign in to see)"

type snapshotRow struct {
	Name      string
	URL       string
	Time      time.Time
	Artifacts int
	Replicas  int
	DiffURL   string
}

// changeRow is one derived event in an environment's log, the web's
// `tracker log environment`.
type changeRow struct {
	Snapshot    string
	SnapshotURL string
	Name        string
	URL         string
	Description string
	Class       string
	Time        time.Time
}

// recentChanges is how many of the latest events the environment page
// lists.
const recentChanges = 20

type environmentView struct {
	Changes       []changeRow
	HiddenChanges int
	Env           envRow
	TimeScale     bool
	Window        int
	EvenURL       string
	TimeURL       string
	Chart         template.HTML
	Snapshots     []snapshotRow
	PrevURL       string
	NextURL       string
}

func (h *handler) environmentPage(w http.ResponseWriter, r *http.Request, o orgReq) {
	ctx := r.Context()
	env, err := h.findEnvironment(ctx, o, r.PathValue("env"))
	if err != nil {
		h.fail(w, r, o, err)
		return
	}
	pageNo, err := positiveParam(r, "page", 1, 1000000)
	if err != nil {
		h.fail(w, r, o, err)
		return
	}
	sums, total, err := h.store.ListSnapshots(ctx, o.org, env.Name, model.Page{Page: pageNo, PerPage: snapshotsPerPage})
	if err != nil {
		h.fail(w, r, o, fmt.Errorf("list snapshots of %s: %w", env.Name, err))
		return
	}
	v := environmentView{Env: toEnvRow(o.org, env), Snapshots: []snapshotRow{}}
	for _, s := range sums {
		row := snapshotRow{
			Name: fmt.Sprintf("%s#%d", env.Name, s.Index), URL: snapshotURL(o.org, env.Name, s.Index),
			Time: s.From, Artifacts: s.Artifacts, Replicas: s.Instances,
		}
		if s.Index > 1 {
			row.DiffURL = diffURL(o.org, fmt.Sprintf("%s#%d", env.Name, s.Index-1), row.Name)
		}
		v.Snapshots = append(v.Snapshots, row)
	}
	if pageNo > 1 {
		v.PrevURL = envURL(o.org, env.Name) + "?page=" + strconv.Itoa(pageNo-1)
	}
	if pageNo*snapshotsPerPage < total {
		v.NextURL = envURL(o.org, env.Name) + "?page=" + strconv.Itoa(pageNo+1)
	}
	flows, err := h.visibleFlows(ctx, o)
	if err != nil {
		h.fail(w, r, o, err)
		return
	}
	steps, err := h.replicaSteps(ctx, o, env, flows)
	if err != nil {
		h.fail(w, r, o, err)
		return
	}
	switch r.URL.Query().Get("scale") {
	case "", "snapshots":
		steps.Even = true
	case "time":
		v.TimeScale = true
	default:
		h.fail(w, r, o, model.Errorf(model.EINVALID, "invalid scale %q: want snapshots or time", r.URL.Query().Get("scale")))
		return
	}
	v.EvenURL, v.TimeURL = envURL(o.org, env.Name), envURL(o.org, env.Name)+"?scale=time"
	if err := h.fillChanges(ctx, o, env, flows, &v); err != nil {
		h.fail(w, r, o, err)
		return
	}
	v.Window = len(steps.Times)
	v.Chart = chart.StackedSteps(steps).HTML()
	h.render(w, r, http.StatusOK, "environment", page{
		Title: env.Name, Org: o.org, Authed: o.authed,
		Crumbs: []crumb{{Name: o.org, URL: orgURL(o.org)}, {Name: "environments", URL: orgURL(o.org) + "#environments"}, {Name: env.Name}},
		Data:   v,
	})
}

// seriesInfo is what labels one artifact's band in the replicas chart.
type seriesInfo struct {
	fingerprint string
	name        string
	flow        string
	commit      string
	first       int // snapshot index where it first appears in the window
}

// replicaSteps builds the replicas-per-artifact chart of the latest
// chartSnapshots snapshots: the first snapshot of the window gives the
// starting counts and the derived events replay every change after it, so
// the whole chart costs one snapshot read and a walk over the events.
func (h *handler) replicaSteps(ctx context.Context, o orgReq, env model.Environment, flows flowSet) (chart.Steps, error) {
	steps := chart.Steps{Title: "Replicas per artifact in " + env.Name, Unit: "replicas", End: h.now()}
	count := env.Snapshots
	if count == 0 {
		return steps, nil
	}
	startIdx := max(1, count-chartSnapshots+1)
	base, err := h.store.FindSnapshot(ctx, o.org, env.Name, model.SnapshotRef{Index: startIdx})
	if err != nil {
		return steps, fmt.Errorf("snapshot %s#%d: %w", env.Name, startIdx, err)
	}
	sums, _, err := h.store.ListSnapshots(ctx, o.org, env.Name, model.Page{Page: 1, PerPage: count - startIdx + 1})
	if err != nil {
		return steps, fmt.Errorf("list snapshots of %s: %w", env.Name, err)
	}
	times := map[int]time.Time{startIdx: base.CreatedAt}
	for _, s := range sums {
		times[s.Index] = s.From
	}
	info := map[string]*seriesInfo{}
	counts := map[string]int{}
	for _, a := range base.Artifacts {
		info[a.Fingerprint] = &seriesInfo{fingerprint: a.Fingerprint, name: a.Name, flow: a.Flow, commit: a.GitCommit, first: startIdx}
		counts[a.Fingerprint] = a.Instances()
	}
	changes := map[int][]model.Event{}
	// Only the changes after the window's first snapshot: its own events
	// (a whole fleet starting at #1) are already in its counts.
	filter := model.EventFilter{Environment: env.Name, FromIndex: startIdx + 1, ToIndex: count}
	each := h.eachEvent
	if startIdx == count {
		each = func(context.Context, string, model.EventFilter, func(model.Event)) error { return nil }
	}
	err = each(ctx, o.org, filter, func(e model.Event) {
		if e.SnapshotIndex <= startIdx || e.SnapshotIndex > count {
			return
		}
		changes[e.SnapshotIndex] = append(changes[e.SnapshotIndex], e)
		if _, ok := info[e.Fingerprint]; !ok {
			info[e.Fingerprint] = &seriesInfo{fingerprint: e.Fingerprint, name: e.ArtifactName, flow: e.Flow, first: e.SnapshotIndex}
		}
		if t, ok := times[e.SnapshotIndex]; !ok || t.IsZero() {
			times[e.SnapshotIndex] = e.At
		}
	})
	if err != nil {
		return steps, err
	}
	order := make([]*seriesInfo, 0, len(info))
	for _, s := range info {
		order = append(order, s)
	}
	sort.Slice(order, func(i, j int) bool {
		// Bands stack in order of appearance, then by name, so a chart
		// keeps its shape as snapshots are added.
		a, b := order[i], order[j]
		if a.first != b.first {
			return a.first < b.first
		}
		if a.name != b.name {
			return a.name < b.name
		}
		return a.fingerprint < b.fingerprint
	})
	// Each visible artifact is a band; everything an anonymous viewer may
	// not see is summed into one.
	row := map[string]int{}
	hidden := -1
	for _, s := range order {
		if flows.visible(s.flow) {
			row[s.fingerprint] = len(steps.Series)
			steps.Series = append(steps.Series, chart.Row{Label: h.seriesLabel(ctx, o.org, s)})
			continue
		}
		if hidden < 0 {
			hidden = len(steps.Series)
			steps.Series = append(steps.Series, chart.Row{Label: hiddenLabel, Color: "#94a3b8"})
		}
		row[s.fingerprint] = hidden
	}
	for idx := startIdx; idx <= count; idx++ {
		for _, e := range changes[idx] {
			counts[e.Fingerprint] = e.Now
		}
		t, ok := times[idx]
		if !ok {
			// A snapshot whose time is unknown (no summary, no event)
			// cannot be placed on the axis; its counts carry over.
			continue
		}
		steps.Times = append(steps.Times, t)
		steps.Labels = append(steps.Labels, "#"+strconv.Itoa(idx))
		for i := range steps.Series {
			steps.Series[i].Values = append(steps.Series[i].Values, 0)
		}
		for fp, n := range counts {
			vals := steps.Series[row[fp]].Values
			vals[len(vals)-1] += float64(n)
		}
	}
	capBands(&steps, maxBands)
	return steps, nil
}

// maxBands bounds the bands of the replicas chart: past a score of
// artifacts neither colours nor the legend can be told apart.
const maxBands = 16

// capBands keeps the max-1 bands with the highest peak and sums the rest
// into one grey band, preserving the order of the ones it keeps.
func capBands(s *chart.Steps, max int) {
	if len(s.Series) <= max {
		return
	}
	peak := func(se chart.Row) float64 {
		p := 0.0
		for _, v := range se.Values {
			p = math.Max(p, v)
		}
		return p
	}
	idx := make([]int, len(s.Series))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return peak(s.Series[idx[a]]) > peak(s.Series[idx[b]]) })
	keep := map[int]bool{}
	for _, i := range idx[:max-1] {
		keep[i] = true
	}
	rest := chart.Row{Values: make([]float64, len(s.Times)), Color: "#cbd5e1"}
	var kept []chart.Row
	merged := 0
	for i, se := range s.Series {
		if keep[i] {
			kept = append(kept, se)
			continue
		}
		merged++
		for j := range rest.Values {
			if j < len(se.Values) {
				rest.Values[j] += se.Values[j]
			}
		}
	}
	rest.Label = fmt.Sprintf("%d more artifacts", merged)
	s.Series = append(kept, rest)
}

// seriesLabel names an artifact's band: its name and the commit it was
// built from (looked up when the event did not carry it).
func (h *handler) seriesLabel(ctx context.Context, org string, s *seriesInfo) string {
	if s.commit == "" && s.flow != "" {
		if a, err := h.store.FindArtifact(ctx, org, s.flow, s.fingerprint); err == nil {
			s.commit = a.GitCommit
			if s.name == "" {
				s.name = a.Name
			}
		}
	}
	ref := shortCommit(s.commit)
	if ref == "" {
		ref = "fp " + shortCommit(s.fingerprint)
	}
	name := s.name
	if name == "" {
		name = shortFingerprint(s.fingerprint)
	}
	if strings.Contains(name, ref) {
		// An image tagged with its commit already says it.
		return name
	}
	return name + " @ " + ref
}

// fillChanges lists the environment's latest events, newest first, with
// the artifacts an anonymous viewer may not see left out and counted.
func (h *handler) fillChanges(ctx context.Context, o orgReq, env model.Environment, flows flowSet, v *environmentView) error {
	evs, _, err := h.store.ListEvents(ctx, o.org, model.EventFilter{Environment: env.Name, Reverse: true, Page: model.Page{Page: 1, PerPage: recentChanges}})
	if err != nil {
		return fmt.Errorf("events of %s: %w", env.Name, err)
	}
	for _, e := range evs {
		if !flows.visible(e.Flow) {
			v.HiddenChanges++
			continue
		}
		c := changeRow{
			Snapshot: fmt.Sprintf("%s#%d", env.Name, e.SnapshotIndex), SnapshotURL: snapshotURL(o.org, env.Name, e.SnapshotIndex),
			Name: e.ArtifactName, Description: e.Description(), Class: e.Type, Time: e.At,
		}
		if e.Flow != "" {
			c.URL = artifactURL(o.org, e.Flow, e.Fingerprint)
		}
		if c.Name == "" {
			c.Name = shortFingerprint(e.Fingerprint)
		}
		v.Changes = append(v.Changes, c)
	}
	return nil
}
