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
// deployed to or ran in during the window of days ending at now.
func FlowDORA(ctx context.Context, s Store, org, flow string, now time.Time, days int) ([]DORAMetrics, error) {
	if days <= 0 {
		days = 30
	}
	if _, err := s.FindFlow(ctx, org, flow); err != nil {
		return nil, err
	}
	from := now.Add(-time.Duration(days) * 24 * time.Hour)
	deps, err := s.ListDeployments(ctx, org, DeploymentFilter{Flow: flow})
	if err != nil {
		return nil, fmt.Errorf("dora deployments: %w", err)
	}
	arts := map[string]Artifact{}
	for p := 1; ; p++ {
		page, total, err := s.ListArtifacts(ctx, org, ArtifactFilter{Flow: flow, Page: Page{Page: p, PerPage: 1000}})
		if err != nil {
			return nil, fmt.Errorf("dora artifacts: %w", err)
		}
		for _, a := range page {
			arts[a.Fingerprint] = a
		}
		if len(page) == 0 || p*1000 >= total {
			break
		}
	}
	envSet := map[string]bool{}
	depsBy := map[string][]Deployment{}
	for _, d := range deps {
		envSet[d.Environment] = true
		depsBy[d.Environment] = append(depsBy[d.Environment], d)
	}
	var events []Event
	for p := 1; ; p++ {
		evs, total, err := s.ListEvents(ctx, org, EventFilter{Flow: flow, Type: EventStarted, Since: from, Page: Page{Page: p, PerPage: MaxPerPage}})
		if err != nil {
			return nil, fmt.Errorf("dora events: %w", err)
		}
		for _, e := range evs {
			envSet[e.Environment] = true
		}
		events = append(events, evs...)
		if len(evs) == 0 || p*MaxPerPage >= total {
			break
		}
	}
	envs := make([]string, 0, len(envSet))
	for e := range envSet {
		envs = append(envs, e)
	}
	sort.Strings(envs)
	eventsBy := map[string][]Event{}
	for _, e := range events {
		eventsBy[e.Environment] = append(eventsBy[e.Environment], e)
	}
	out := []DORAMetrics{}
	for _, env := range envs {
		out = append(out, ComputeDORA(flow, env, from, now, depsBy[env], eventsBy[env], arts))
	}
	return out, nil
}
