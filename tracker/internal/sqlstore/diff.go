package sqlstore

import (
	"context"
	"fmt"
	"sort"

	"github.com/minitwit-cd/kit/tracker/model"
)

// DiffSnapshots implements model.SnapshotDiffer: two snapshots of one
// environment come from one scan of the runs covering both and one join
// of their fingerprints, rather than two full FindSnapshot calls. The
// snapshots in the result carry their environment, index, times and
// artifacts (no annotations).
func (db *DB) DiffSnapshots(ctx context.Context, org string, a, b model.SnapshotExpr) (model.SnapshotDiff, error) {
	if a.Environment != b.Environment {
		x, err := db.FindSnapshot(ctx, org, a.Environment, a.Ref)
		if err != nil {
			return model.SnapshotDiff{}, fmt.Errorf("sqlstore: diff snapshots of %s: %w", a.Environment, err)
		}
		y, err := db.FindSnapshot(ctx, org, b.Environment, b.Ref)
		if err != nil {
			return model.SnapshotDiff{}, fmt.Errorf("sqlstore: diff snapshots of %s: %w", a.Environment, err)
		}
		return model.Diff(x, y), nil
	}
	env, orgID, err := db.findEnv(ctx, db.R, org, a.Environment)
	if err != nil {
		return model.SnapshotDiff{}, fmt.Errorf("sqlstore: diff snapshots of %s: %w", a.Environment, err)
	}
	ia, err := db.resolveRef(ctx, env, a.Ref)
	if err != nil {
		return model.SnapshotDiff{}, fmt.Errorf("sqlstore: diff snapshots of %s: %w", a.Environment, err)
	}
	ib, err := db.resolveRef(ctx, env, b.Ref)
	if err != nil {
		return model.SnapshotDiff{}, fmt.Errorf("sqlstore: diff snapshots of %s: %w", a.Environment, err)
	}
	lo, hi := min(ia, ib), max(ia, ib)
	runs, err := db.queryRuns(ctx, db.R, `SELECT `+runCols+` FROM runs WHERE env_id = ? AND from_idx <= ? AND (to_idx = 0 OR to_idx > ?)`, env.ID, hi, lo)
	if err != nil {
		return model.SnapshotDiff{}, fmt.Errorf("sqlstore: diff snapshots of %s: %w", a.Environment, err)
	}
	snaps := [2]model.Snapshot{}
	for i, idx := range []int{ia, ib} {
		s := model.Snapshot{Environment: env.Name, EnvType: env.Type, Index: idx, Artifacts: []model.SnapshotArtifact{}, Exited: []model.SnapshotArtifact{}}
		if err := db.snapshotTimes(ctx, env.ID, idx, &s); err != nil {
			return model.SnapshotDiff{}, fmt.Errorf("sqlstore: diff snapshots of %s: %w", a.Environment, err)
		}
		if idx == env.Snapshots {
			s.LastReportedAt = env.LastReportedAt
		}
		for _, r := range runs {
			if r.from <= idx && (r.to == 0 || r.to > idx) {
				s.Artifacts = append(s.Artifacts, model.SnapshotArtifact{RunningArtifact: r.ra})
			}
		}
		sort.Slice(s.Artifacts, func(i, j int) bool { return s.Artifacts[i].Fingerprint < s.Artifacts[j].Fingerprint })
		snaps[i] = s
	}
	// One join for both: the union of their artifacts.
	all := make([]model.SnapshotArtifact, 0, len(snaps[0].Artifacts)+len(snaps[1].Artifacts))
	all = append(all, snaps[0].Artifacts...)
	all = append(all, snaps[1].Artifacts...)
	if err := db.joinArtifacts(ctx, orgID, all); err != nil {
		return model.SnapshotDiff{}, fmt.Errorf("sqlstore: diff snapshots of %s: %w", a.Environment, err)
	}
	n := len(snaps[0].Artifacts)
	copy(snaps[0].Artifacts, all[:n])
	copy(snaps[1].Artifacts, all[n:])
	return model.Diff(snaps[0], snaps[1]), nil
}
