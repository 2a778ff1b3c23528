package model

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// RunningArtifact is one fingerprint running in an environment as reported:
// one creation time (Unix seconds) per running instance.
type RunningArtifact struct {
	Fingerprint string
	Name        string
	// CreationTimestamps holds one Unix time per instance, sorted.
	CreationTimestamps []int64
}

// Instances is the number of running instances.
func (r RunningArtifact) Instances() int { return len(r.CreationTimestamps) }

// Instance is one reported running instance (a container, a process, a
// file on a server): the wire format sends one per instance.
type Instance struct {
	Fingerprint string
	Name        string
	CreatedAt   int64 // Unix seconds; 0 when unknown
}

// GroupInstances turns reported instances into running artifacts, one per
// fingerprint, sorted by fingerprint, validating each fingerprint. An
// unknown creation time becomes at (the report time).
func GroupInstances(instances []Instance, at time.Time) ([]RunningArtifact, error) {
	by := map[string]*RunningArtifact{}
	for _, in := range instances {
		fp, err := NormalizeFingerprint(in.Fingerprint)
		if err != nil {
			return nil, Errorf(EINVALID, "artifact %q: %s", in.Name, ErrorMessage(err))
		}
		ts := in.CreatedAt
		if ts <= 0 {
			ts = at.Unix()
		}
		r := by[fp]
		if r == nil {
			r = &RunningArtifact{Fingerprint: fp, Name: in.Name}
			by[fp] = r
		}
		// Keep one stable name when tags differ between instances.
		if in.Name != "" && (r.Name == "" || in.Name < r.Name) {
			r.Name = in.Name
		}
		r.CreationTimestamps = append(r.CreationTimestamps, ts)
	}
	out := make([]RunningArtifact, 0, len(by))
	for _, r := range by {
		slices.Sort(r.CreationTimestamps)
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Fingerprint < out[j].Fingerprint })
	return out, nil
}

// SnapshotHash is the canonical hash of a running set: the sorted
// fingerprints, with instance counts when scaling counts as a change. Two
// reports with the same hash are the same snapshot, which makes the common
// unchanged report one indexed read and one small update.
func SnapshotHash(running []RunningArtifact, includeScaling bool) string {
	keys := make([]string, 0, len(running))
	for _, r := range running {
		k := r.Fingerprint
		if includeScaling {
			k += "*" + strconv.Itoa(r.Instances())
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	sum := sha256.Sum256([]byte(strings.Join(keys, ",")))
	return hex.EncodeToString(sum[:])
}

// Annotation types say how an artifact in a snapshot differs from the
// previous snapshot.
const (
	AnnotationStarted   = "started"
	AnnotationExited    = "exited"
	AnnotationScaled    = "scaled"
	AnnotationUnchanged = "unchanged"
)

// Annotation is how an artifact's instance count moved from the previous
// snapshot (Was) to this one (Now).
type Annotation struct {
	Type string
	Was  int
	Now  int
}

// SnapshotArtifact is one artifact in a snapshot, joined with what the
// tracker knows of its fingerprint (flow, commit) when it was reported.
type SnapshotArtifact struct {
	RunningArtifact
	Annotation Annotation
	// Known is false when no flow has an artifact with this fingerprint.
	Known     bool
	Flow      string
	GitCommit string
	CommitURL string
	Compliant bool
	// Deployments are the numbers of the artifact's (its Flow's)
	// deployments to the snapshot's environment, ascending.
	Deployments []int
}

// RunningSince is the creation time of the oldest instance.
func (s SnapshotArtifact) RunningSince() time.Time {
	if len(s.CreationTimestamps) == 0 {
		return time.Time{}
	}
	return time.Unix(slices.Min(s.CreationTimestamps), 0).UTC()
}

// Snapshot is the set of artifacts running in an environment at a time,
// numbered per environment from 1.
type Snapshot struct {
	Environment string
	EnvType     string
	Index       int
	CreatedAt   time.Time
	// LastReportedAt is the latest report that found this same set (for
	// the latest snapshot); for older ones, when the next one started.
	LastReportedAt time.Time
	// Artifacts are the running artifacts, sorted by fingerprint.
	Artifacts []SnapshotArtifact
	// Exited are the artifacts of the previous snapshot that no longer
	// run (Annotation.Now == 0).
	Exited []SnapshotArtifact
}

// Compliant reports whether every running artifact is known and compliant.
func (s Snapshot) Compliant() bool {
	for _, a := range s.Artifacts {
		if !a.Known || !a.Compliant {
			return false
		}
	}
	return true
}

// Name is the snapshot's expression, e.g. "aws-prod#65".
func (s Snapshot) Name() string { return fmt.Sprintf("%s#%d", s.Environment, s.Index) }

// SnapshotSummary is one row of an environment's snapshot list.
type SnapshotSummary struct {
	Index     int
	From      time.Time
	To        time.Time // zero for the latest
	Artifacts int
	Instances int
	// Compliant is Snapshot.Compliant of this snapshot: every running
	// artifact known and compliant (by its artifact's current state).
	Compliant bool
}

// SnapshotReport is the result of reporting a running set.
type SnapshotReport struct {
	Index   int
	Created bool
	Events  []Event
}

// Event types derived from consecutive snapshots.
const (
	EventStarted = "started"
	EventScaled  = "scaled"
	EventExited  = "exited"
)

// Event is a change between snapshot Index-1 and Index of an environment:
// a fingerprint started (from 0 to Now), scaled (Was to Now) or exited
// (Was to 0).
type Event struct {
	ID            int64
	Environment   string
	SnapshotIndex int
	Fingerprint   string
	ArtifactName  string
	Type          string
	Was           int
	Now           int
	At            time.Time
	// Flow is the flow of the fingerprint's artifact, "" when unknown
	// (filled on reads).
	Flow string
	// Deployments are the numbers of that artifact's deployments to the
	// event's environment, ascending (filled on reads, never nil there).
	Deployments []int
}

// DeriveEvents compares the previous and the next running sets (both sorted
// by fingerprint or not) and returns the events, sorted by fingerprint.
// Scaling events are only derived when includeScaling is set.
func DeriveEvents(prev, next []RunningArtifact, includeScaling bool) []Event {
	old := map[string]RunningArtifact{}
	for _, r := range prev {
		old[r.Fingerprint] = r
	}
	var evs []Event
	seen := map[string]bool{}
	for _, r := range next {
		seen[r.Fingerprint] = true
		p, ok := old[r.Fingerprint]
		switch {
		case !ok:
			evs = append(evs, Event{Fingerprint: r.Fingerprint, ArtifactName: r.Name, Type: EventStarted, Was: 0, Now: r.Instances()})
		case includeScaling && p.Instances() != r.Instances():
			evs = append(evs, Event{Fingerprint: r.Fingerprint, ArtifactName: r.Name, Type: EventScaled, Was: p.Instances(), Now: r.Instances()})
		}
	}
	for _, p := range prev {
		if !seen[p.Fingerprint] {
			evs = append(evs, Event{Fingerprint: p.Fingerprint, ArtifactName: p.Name, Type: EventExited, Was: p.Instances(), Now: 0})
		}
	}
	sort.Slice(evs, func(i, j int) bool { return evs[i].Fingerprint < evs[j].Fingerprint })
	return evs
}

// Annotate sets each artifact's annotation relative to the previous running
// set and returns the exited artifacts of prev.
func Annotate(prev []RunningArtifact, arts []SnapshotArtifact) (exited []SnapshotArtifact) {
	old := map[string]RunningArtifact{}
	for _, r := range prev {
		old[r.Fingerprint] = r
	}
	seen := map[string]bool{}
	for i := range arts {
		a := &arts[i]
		seen[a.Fingerprint] = true
		p, ok := old[a.Fingerprint]
		switch {
		case !ok:
			a.Annotation = Annotation{Type: AnnotationStarted, Was: 0, Now: a.Instances()}
		case p.Instances() != a.Instances():
			a.Annotation = Annotation{Type: AnnotationScaled, Was: p.Instances(), Now: a.Instances()}
		default:
			a.Annotation = Annotation{Type: AnnotationUnchanged, Was: p.Instances(), Now: a.Instances()}
		}
	}
	for _, p := range prev {
		if !seen[p.Fingerprint] {
			exited = append(exited, SnapshotArtifact{
				RunningArtifact: RunningArtifact{Fingerprint: p.Fingerprint, Name: p.Name, CreationTimestamps: []int64{}},
				Annotation:      Annotation{Type: AnnotationExited, Was: p.Instances(), Now: 0},
			})
		}
	}
	sort.Slice(exited, func(i, j int) bool { return exited[i].Fingerprint < exited[j].Fingerprint })
	return exited
}

func plural(n int) string {
	if n == 1 {
		return "1 instance"
	}
	return strconv.Itoa(n) + " instances"
}

// Description is the event's line in `log environment`, e.g.
// "1 instance started running (from 0 to 1)." or
// "2 instances stopped running (from 3 to 1).".
func (e Event) Description() string {
	if e.Now >= e.Was {
		return fmt.Sprintf("%s started running (from %d to %d).", plural(e.Now-e.Was), e.Was, e.Now)
	}
	return fmt.Sprintf("%s stopped running (from %d to %d).", plural(e.Was-e.Now), e.Was, e.Now)
}

// HistoryText is the event's line in an artifact's history, e.g.
// "Started running in aws-beta#84 environment".
func (e Event) HistoryText() string {
	where := fmt.Sprintf("%s#%d", e.Environment, e.SnapshotIndex)
	switch {
	case e.Type == EventStarted:
		return fmt.Sprintf("Started running in %s environment", where)
	case e.Type == EventExited:
		return fmt.Sprintf("No longer running in %s environment", where)
	case e.Now < e.Was:
		return fmt.Sprintf("Scaled down from %d to %d in %s environment", e.Was, e.Now, where)
	default:
		return fmt.Sprintf("Scaled up from %d to %d in %s environment", e.Was, e.Now, where)
	}
}

// EventFilter selects events, oldest first unless Reverse.
type EventFilter struct {
	Environment string
	Fingerprint string
	// Flow keeps events of fingerprints recorded as artifacts of the flow.
	Flow string
	// Type keeps one event type (started, scaled, exited).
	Type  string
	Since time.Time
	// FromIndex and ToIndex, when not 0, keep the events of snapshots
	// FromIndex..ToIndex (of one environment; see ParseInterval).
	FromIndex, ToIndex int
	// Reverse lists newest first.
	Reverse bool
	Page
}

// SnapshotDiff is the difference between two snapshots: what runs only in
// the first, only in the second, what runs in both with a different
// instance count, and what is unchanged.
type SnapshotDiff struct {
	A, B    Snapshot
	OnlyA   []SnapshotArtifact
	OnlyB   []SnapshotArtifact
	Changed []ScaledArtifact
	Same    []SnapshotArtifact
}

// ScaledArtifact is an artifact in both snapshots with different counts.
type ScaledArtifact struct {
	SnapshotArtifact
	WasInstances int
	NowInstances int
}

// Diff compares snapshot a with snapshot b (of one environment or two).
func Diff(a, b Snapshot) SnapshotDiff {
	d := SnapshotDiff{A: a, B: b, OnlyA: []SnapshotArtifact{}, OnlyB: []SnapshotArtifact{}, Changed: []ScaledArtifact{}, Same: []SnapshotArtifact{}}
	inA := map[string]SnapshotArtifact{}
	for _, x := range a.Artifacts {
		inA[x.Fingerprint] = x
	}
	inB := map[string]bool{}
	for _, y := range b.Artifacts {
		inB[y.Fingerprint] = true
		x, ok := inA[y.Fingerprint]
		switch {
		case !ok:
			d.OnlyB = append(d.OnlyB, y)
		case x.Instances() != y.Instances():
			d.Changed = append(d.Changed, ScaledArtifact{SnapshotArtifact: y, WasInstances: x.Instances(), NowInstances: y.Instances()})
		default:
			d.Same = append(d.Same, y)
		}
	}
	for _, x := range a.Artifacts {
		if !inB[x.Fingerprint] {
			d.OnlyA = append(d.OnlyA, x)
		}
	}
	return d
}
