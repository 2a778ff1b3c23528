package model

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// HistoryItem is one line of an artifact's history.
type HistoryItem struct {
	Event string
	At    time.Time
	// Kind orders items with equal times: created, evidence, deployment,
	// then runtime events.
	Kind int
}

// History item kinds, in the order they sort when times are equal.
const (
	HistoryCreated = iota
	HistoryEvidence
	HistoryDeployment
	HistoryRuntime
)

// ComposeHistory builds an artifact's history: "Artifact created", one
// "NAME evidence received" per evidence name (at its latest report),
// "Deployment #N to ENV environment" and the runtime events of its
// fingerprint, ordered by time.
func ComposeHistory(a Artifact, evidence []Evidence, deployments []Deployment, events []Event) []HistoryItem {
	items := []HistoryItem{{Event: "Artifact created", At: a.CreatedAt, Kind: HistoryCreated}}
	latest := map[string]time.Time{}
	var order []string
	for _, e := range evidence {
		t, ok := latest[e.Name]
		if !ok {
			order = append(order, e.Name)
		}
		if !ok || e.CreatedAt.After(t) {
			latest[e.Name] = e.CreatedAt
		}
	}
	for _, n := range order {
		items = append(items, HistoryItem{Event: n + " evidence received", At: latest[n], Kind: HistoryEvidence})
	}
	for _, d := range deployments {
		items = append(items, HistoryItem{Event: fmt.Sprintf("Deployment #%d to %s environment", d.Number, d.Environment), At: d.CreatedAt, Kind: HistoryDeployment})
	}
	for _, e := range events {
		items = append(items, HistoryItem{Event: e.HistoryText(), At: e.At, Kind: HistoryRuntime})
	}
	sort.SliceStable(items, func(i, j int) bool {
		if !items[i].At.Equal(items[j].At) {
			return items[i].At.Before(items[j].At)
		}
		return items[i].Kind < items[j].Kind
	})
	return items
}

// EnvSnapshot names one snapshot of an environment an artifact runs in
// (its current snapshot) or ran in (the snapshot it exited in).
type EnvSnapshot struct {
	Environment   string
	SnapshotIndex int
	At            time.Time
}

// ArtifactView is everything shown for one artifact: the record, its
// compliance state, latest evidence, deployments, where it runs and where
// it exited, and its history.
type ArtifactView struct {
	Artifact    Artifact
	State       string
	Template    []string
	Evidence    []Evidence // latest per name
	Deployments []Deployment
	Running     []EnvSnapshot
	Exited      []EnvSnapshot
	History     []HistoryItem
}

// GetArtifactView loads and composes the view of the flow's artifact whose
// fingerprint starts with fingerprintPrefix.
func GetArtifactView(ctx context.Context, s Store, org, flow, fingerprintPrefix string) (ArtifactView, error) {
	a, err := s.FindArtifact(ctx, org, flow, fingerprintPrefix)
	if err != nil {
		return ArtifactView{}, err
	}
	return ComposeArtifactView(ctx, s, org, a)
}

// ComposeArtifactView loads what belongs to a and composes its view.
func ComposeArtifactView(ctx context.Context, s Store, org string, a Artifact) (ArtifactView, error) {
	f, err := s.FindFlow(ctx, org, a.Flow)
	if err != nil {
		return ArtifactView{}, err
	}
	ev, err := s.ListEvidence(ctx, org, EvidenceFilter{Flow: a.Flow, Fingerprint: a.Fingerprint, Latest: true})
	if err != nil {
		return ArtifactView{}, fmt.Errorf("artifact evidence: %w", err)
	}
	if a.Trail != "" {
		tev, err := s.ListEvidence(ctx, org, EvidenceFilter{Flow: a.Flow, Trail: a.Trail, Latest: true})
		if err != nil {
			return ArtifactView{}, fmt.Errorf("trail evidence: %w", err)
		}
		for _, e := range tev {
			if e.Fingerprint == "" {
				ev = append(ev, e)
			}
		}
	}
	deps, err := s.ListDeployments(ctx, org, DeploymentFilter{Flow: a.Flow, Fingerprint: a.Fingerprint})
	if err != nil {
		return ArtifactView{}, fmt.Errorf("artifact deployments: %w", err)
	}
	evs, _, err := s.ListEvents(ctx, org, EventFilter{Fingerprint: a.Fingerprint, Page: Page{PerPage: 1000}})
	if err != nil {
		return ArtifactView{}, fmt.Errorf("artifact events: %w", err)
	}
	// Runtime events before the artifact was recorded belong to the same
	// fingerprint but the artifact's history starts at its creation.
	sort.SliceStable(deps, func(i, j int) bool { return deps[i].Number < deps[j].Number })
	v := ArtifactView{
		Artifact:    a,
		Template:    f.Template,
		State:       ComplianceState(f.Template, ev),
		Evidence:    ev,
		Deployments: deps,
		Running:     []EnvSnapshot{},
		Exited:      []EnvSnapshot{},
	}
	if v.Template == nil {
		v.Template = []string{}
	}
	last := map[string]Event{}
	var envOrder []string
	for _, e := range evs {
		if _, ok := last[e.Environment]; !ok {
			envOrder = append(envOrder, e.Environment)
		}
		last[e.Environment] = e
	}
	for _, env := range envOrder {
		e := last[env]
		es := EnvSnapshot{Environment: env, SnapshotIndex: e.SnapshotIndex, At: e.At}
		if e.Type == EventExited {
			v.Exited = append(v.Exited, es)
			continue
		}
		// Still running: name the environment's current snapshot.
		if env, err := s.FindEnvironment(ctx, org, e.Environment); err == nil && env.Snapshots > es.SnapshotIndex {
			es.SnapshotIndex, es.At = env.Snapshots, env.LastChangedAt
		}
		v.Running = append(v.Running, es)
	}
	v.History = ComposeHistory(a, ev, deps, evs)
	return v, nil
}
