package model

import (
	"context"
	"sort"
	"time"
)

// TrailView is a trail with what was reported into it: its artifacts
// (each with its view), the trail's own evidence, the trail's compliance
// and when it last changed.
type TrailView struct {
	Trail     Trail
	Artifacts []ArtifactView
	// Evidence is the trail's own evidence (no fingerprint), latest per
	// name.
	Evidence       []Evidence
	State          string
	LastModifiedAt time.Time
}

// GetTrailView loads the flow's trail and what was reported into it. The
// trail is NON-COMPLIANT when an artifact or its own evidence is,
// INCOMPLETE when an artifact is or nothing was reported, else COMPLIANT.
func GetTrailView(ctx context.Context, s Store, org, flow, name string) (TrailView, error) {
	t, err := s.FindTrail(ctx, org, flow, name)
	if err != nil {
		return TrailView{}, err
	}
	v := TrailView{Trail: t, Artifacts: []ArtifactView{}, Evidence: []Evidence{}, LastModifiedAt: t.CreatedAt}
	arts, _, err := s.ListArtifacts(ctx, org, ArtifactFilter{Flow: flow, Trail: name, Page: Page{PerPage: MaxPerPage}})
	if err != nil {
		return TrailView{}, err
	}
	sort.SliceStable(arts, func(i, j int) bool { return arts[i].CreatedAt.Before(arts[j].CreatedAt) })
	for _, a := range arts {
		av, err := ComposeArtifactView(ctx, s, org, a)
		if err != nil {
			return TrailView{}, err
		}
		v.Artifacts = append(v.Artifacts, av)
		v.LastModifiedAt = latest(v.LastModifiedAt, a.CreatedAt)
		for _, e := range av.Evidence {
			v.LastModifiedAt = latest(v.LastModifiedAt, e.CreatedAt)
		}
	}
	evs, err := s.ListEvidence(ctx, org, EvidenceFilter{Flow: flow, Trail: name, Latest: false})
	if err != nil {
		return TrailView{}, err
	}
	var own []Evidence
	for _, e := range evs {
		if e.Fingerprint == "" {
			own = append(own, e)
			v.LastModifiedAt = latest(v.LastModifiedAt, e.CreatedAt)
		}
	}
	v.Evidence = latestPerName(own)
	v.State = Compliant
	if len(v.Artifacts) == 0 && len(v.Evidence) == 0 {
		v.State = Incomplete
	}
	for _, e := range v.Evidence {
		if !e.Compliant {
			v.State = NonCompliant
		}
	}
	for _, a := range v.Artifacts {
		switch {
		case a.State == NonCompliant:
			v.State = NonCompliant
		case a.State == Incomplete && v.State == Compliant:
			v.State = Incomplete
		}
	}
	return v, nil
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// latestPerName keeps the newest evidence of each name, in first-seen
// order (evs oldest first).
func latestPerName(evs []Evidence) []Evidence {
	idx := map[string]int{}
	out := []Evidence{}
	for _, e := range evs {
		if i, ok := idx[e.Name]; ok {
			out[i] = e
			continue
		}
		idx[e.Name] = len(out)
		out = append(out, e)
	}
	return out
}
