package model

import (
	"context"
	"sort"
)

// LogicalSnapshot is what a logical environment shows: the latest snapshot
// of each of its included environments, their running artifacts side by
// side (sorted by fingerprint). A logical environment keeps no history of
// its own, so only the latest (ref zero, ENV or ENV~0) exists: any other
// ref is EINVALID. Its index is 0 and its time the newest included
// snapshot's.
func LogicalSnapshot(ctx context.Context, s Store, org string, env Environment, ref SnapshotRef) (Snapshot, error) {
	if ref.Index != 0 || ref.Behind != 0 || !ref.At.IsZero() {
		return Snapshot{}, Errorf(EINVALID, "environment %s is logical: it has only its current snapshot (%s or %s~0)", env.Name, env.Name, env.Name)
	}
	out := Snapshot{Environment: env.Name, EnvType: env.Type, Artifacts: []SnapshotArtifact{}, Exited: []SnapshotArtifact{}}
	for _, name := range env.Included {
		inc, err := s.FindEnvironment(ctx, org, name)
		if err != nil {
			return Snapshot{}, err
		}
		if inc.Snapshots == 0 {
			continue
		}
		snap, err := s.FindSnapshot(ctx, org, name, SnapshotRef{})
		if err != nil {
			return Snapshot{}, err
		}
		out.Artifacts = append(out.Artifacts, snap.Artifacts...)
		if snap.CreatedAt.After(out.CreatedAt) {
			out.CreatedAt = snap.CreatedAt
		}
		if snap.LastReportedAt.After(out.LastReportedAt) {
			out.LastReportedAt = snap.LastReportedAt
		}
	}
	sort.SliceStable(out.Artifacts, func(i, j int) bool { return out.Artifacts[i].Fingerprint < out.Artifacts[j].Fingerprint })
	return out, nil
}
