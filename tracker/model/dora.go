package model

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// DORAMetrics are the four DORA keys of one flow in one environment over a
// window ending at To.
type DORAMetrics struct {
	Flow        string
	Environment string
	From, To    time.Time
	Deployments int
	// DeploymentsPerDay is deployment frequency.
	DeploymentsPerDay float64
	// LeadTime is the median time from commit (or artifact creation when
	// the commit time is unknown) to first running in the environment;
	// LeadTimes counts the artifacts measured.
	LeadTime  time.Duration
	LeadTimes int
	// ChangeFailureRate is failed or rolled-back deployments / deployments.
	ChangeFailureRate float64
	Failures          int
	// TimeToRecovery is the mean time from a failed deployment to the next
	// succeeded one in the environment; Recoveries counts those measured.
	TimeToRecovery time.Duration
	Recoveries     int
}

// DORADay is one day of a flow's deployments to one environment, for
// charts.
type DORADay struct {
	Day         time.Time
	Deployments int
	Failures    int
}

// FlowStart is the first start of one of a flow's artifacts in one
// environment within a window.
type FlowStart struct {
	Environment string
	Fingerprint string
	// At is the first started event in the window.
	At time.Time
	// CommitTime and CreatedAt are the artifact's (CommitTime zero when
	// unknown): lead time runs from the first that is known.
	CommitTime time.Time
	CreatedAt  time.Time
}

// LeadStart is when the artifact's lead time starts: its commit, or its
// creation when the commit time is unknown.
func (f FlowStart) LeadStart() time.Time {
	if f.CommitTime.IsZero() {
		return f.CreatedAt
	}
	return f.CommitTime
}

// ComputeDORA computes the metrics of one flow in one environment from its
// deployments (any order), the runtime events of the environment and the
// flow's artifacts by fingerprint, over [from, to].
func ComputeDORA(flow, env string, from, to time.Time, deps []Deployment, events []Event, artifacts map[string]Artifact) DORAMetrics {
	m := DORAMetrics{Flow: flow, Environment: env, From: from, To: to}
	var in []Deployment
	for _, d := range deps {
		if d.Environment == env && !d.CreatedAt.Before(from) && !d.CreatedAt.After(to) {
			in = append(in, d)
		}
	}
	sort.Slice(in, func(i, j int) bool { return in[i].CreatedAt.Before(in[j].CreatedAt) })
	m.Deployments = len(in)
	days := to.Sub(from).Hours() / 24
	if days > 0 {
		m.DeploymentsPerDay = float64(len(in)) / days
	}
	var recover time.Duration
	for i, d := range in {
		if !d.Failed() {
			continue
		}
		m.Failures++
		for _, n := range in[i+1:] {
			if !n.Failed() {
				recover += n.CreatedAt.Sub(d.CreatedAt)
				m.Recoveries++
				break
			}
		}
	}
	if m.Deployments > 0 {
		m.ChangeFailureRate = float64(m.Failures) / float64(m.Deployments)
	}
	if m.Recoveries > 0 {
		m.TimeToRecovery = recover / time.Duration(m.Recoveries)
	}
	firstRun := map[string]time.Time{}
	for _, e := range events {
		if e.Environment != env || e.Type != EventStarted || e.At.Before(from) || e.At.After(to) {
			continue
		}
		if t, ok := firstRun[e.Fingerprint]; !ok || e.At.Before(t) {
			firstRun[e.Fingerprint] = e.At
		}
	}
	var leads []time.Duration
	for fp, at := range firstRun {
		a, ok := artifacts[fp]
		if !ok {
			continue
		}
		start := a.CommitTime
		if start.IsZero() {
			start = a.CreatedAt
		}
		if at.After(start) {
			leads = append(leads, at.Sub(start))
		}
	}
	sort.Slice(leads, func(i, j int) bool { return leads[i] < leads[j] })
	m.LeadTimes = len(leads)
	if len(leads) > 0 {
		m.LeadTime = leads[len(leads)/2]
	}
	return m
}

// FlowDORA computes DORA metrics for every environment the flow was
// deployed to or ran in during the window of days ending at now, in a
// fixed number of store queries (FindFlow, ListDeployments, FlowStarts).
func FlowDORA(ctx context.Context, s Store, org, flow string, now time.Time, days int) ([]DORAMetrics, error) {
	m, _, _, err := LoadFlowDORA(ctx, s, org, flow, now, days)
	return m, err
}

// LoadFlowDORA is FlowDORA that also returns what it loaded, the flow's
// deployments and first starts, for callers that chart them too.
func LoadFlowDORA(ctx context.Context, s Store, org, flow string, now time.Time, days int) ([]DORAMetrics, []Deployment, []FlowStart, error) {
	if days <= 0 {
		days = 30
	}
	if _, err := s.FindFlow(ctx, org, flow); err != nil {
		return nil, nil, nil, err
	}
	from := now.Add(-time.Duration(days) * 24 * time.Hour)
	deps, err := s.ListDeployments(ctx, org, DeploymentFilter{Flow: flow})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("dora deployments: %w", err)
	}
	// One query for every first start of the flow's artifacts in the
	// window, with the times lead time runs from.
	starts, err := s.FlowStarts(ctx, org, flow, from, now)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("dora starts: %w", err)
	}
	return DORAFromStarts(flow, from, now, deps, starts), deps, starts, nil
}

// DORAFromStarts applies ComputeDORA to every environment the flow was
// deployed to or started in, sorted by name.
func DORAFromStarts(flow string, from, now time.Time, deps []Deployment, starts []FlowStart) []DORAMetrics {
	envSet := map[string]bool{}
	depsBy := map[string][]Deployment{}
	for _, d := range deps {
		envSet[d.Environment] = true
		depsBy[d.Environment] = append(depsBy[d.Environment], d)
	}
	eventsBy := map[string][]Event{}
	arts := make(map[string]Artifact, len(starts))
	for _, st := range starts {
		envSet[st.Environment] = true
		eventsBy[st.Environment] = append(eventsBy[st.Environment], Event{Environment: st.Environment, Fingerprint: st.Fingerprint, Type: EventStarted, At: st.At})
		arts[st.Fingerprint] = Artifact{Flow: flow, Fingerprint: st.Fingerprint, CommitTime: st.CommitTime, CreatedAt: st.CreatedAt}
	}
	envs := make([]string, 0, len(envSet))
	for e := range envSet {
		envs = append(envs, e)
	}
	sort.Strings(envs)
	out := []DORAMetrics{}
	for _, env := range envs {
		out = append(out, ComputeDORA(flow, env, from, now, depsBy[env], eventsBy[env], arts))
	}
	return out
}
