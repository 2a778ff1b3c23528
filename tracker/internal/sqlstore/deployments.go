package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/minitwit-cd/kit/tracker/model"
)

// marks returns n comma-separated placeholders.
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// depKey names the deployments of one flow's artifact to one environment.
type depKey struct{ env, flow, fp string }

// deploymentNumbers returns, in one query, the numbers of the org's
// deployments of any of fps to any of envs, ascending, by environment,
// flow and fingerprint.
func (db *DB) deploymentNumbers(ctx context.Context, orgID int64, envs, fps []string) (map[depKey][]int, error) {
	out := map[depKey][]int{}
	if len(envs) == 0 || len(fps) == 0 {
		return out, nil
	}
	args := make([]any, 0, 1+len(envs)+len(fps))
	args = append(args, orgID)
	for _, e := range envs {
		args = append(args, e)
	}
	for _, fp := range fps {
		args = append(args, fp)
	}
	rows, err := db.R.QueryContext(ctx, db.q(`SELECT d.environment, f.name, d.fingerprint, d.number FROM deployments d JOIN flows f ON f.id = d.flow_id
		WHERE f.org_id = ? AND d.environment IN (`+marks(len(envs))+`) AND d.fingerprint IN (`+marks(len(fps))+`) ORDER BY d.number`), args...)
	if err != nil {
		return nil, fmt.Errorf("deployments of running artifacts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k depKey
		var n int
		if err := rows.Scan(&k.env, &k.flow, &k.fp, &n); err != nil {
			return nil, err
		}
		out[k] = append(out[k], n)
	}
	return out, rows.Err()
}

// joinDeployments sets each snapshot artifact's deployments: those of its
// artifact (the flow joinArtifacts chose) to env.
func (db *DB) joinDeployments(ctx context.Context, orgID int64, env string, sets ...[]model.SnapshotArtifact) error {
	seen := map[string]bool{}
	var fps []string
	for _, arts := range sets {
		for _, a := range arts {
			if a.Known && !seen[a.Fingerprint] {
				seen[a.Fingerprint] = true
				fps = append(fps, a.Fingerprint)
			}
		}
	}
	nums, err := db.deploymentNumbers(ctx, orgID, []string{env}, fps)
	if err != nil {
		return err
	}
	for _, arts := range sets {
		for i := range arts {
			a := &arts[i]
			a.Deployments = []int{}
			if a.Known {
				a.Deployments = append(a.Deployments, nums[depKey{env, a.Flow, a.Fingerprint}]...)
			}
		}
	}
	return nil
}

// joinEventDeployments sets each event's deployments: those of its
// artifact (the event's Flow) to its environment.
func (db *DB) joinEventDeployments(ctx context.Context, orgID int64, evs []model.Event) error {
	envSeen, fpSeen := map[string]bool{}, map[string]bool{}
	var envs, fps []string
	for _, e := range evs {
		if e.Flow == "" {
			continue
		}
		if !envSeen[e.Environment] {
			envSeen[e.Environment] = true
			envs = append(envs, e.Environment)
		}
		if !fpSeen[e.Fingerprint] {
			fpSeen[e.Fingerprint] = true
			fps = append(fps, e.Fingerprint)
		}
	}
	nums, err := db.deploymentNumbers(ctx, orgID, envs, fps)
	if err != nil {
		return err
	}
	for i := range evs {
		e := &evs[i]
		e.Deployments = []int{}
		if e.Flow != "" {
			e.Deployments = append(e.Deployments, nums[depKey{e.Environment, e.Flow, e.Fingerprint}]...)
		}
	}
	return nil
}
