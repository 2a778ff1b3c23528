package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

const deploymentCols = `d.id, f.name, d.number, d.fingerprint, d.artifact_name, d.git_commit, d.environment, d.description, d.build_url, d.approved, d.status, d.created_at, d.status_at`

func scanDeployment(sc interface{ Scan(...any) error }) (model.Deployment, error) {
	var d model.Deployment
	var at, sat int64
	err := sc.Scan(&d.ID, &d.Flow, &d.Number, &d.Fingerprint, &d.ArtifactName, &d.GitCommit, &d.Environment, &d.Description, &d.BuildURL, &d.Approved, &d.Status, &at, &sat)
	d.CreatedAt, d.StatusAt = fromMicro(at), fromMicro(sat)
	if err != nil {
		return d, fmt.Errorf("sqlstore: scan deployment: %w", err)
	}
	return d, nil
}

// CreateDeployment implements model.Store.
func (db *DB) CreateDeployment(ctx context.Context, org string, d model.Deployment) (model.Deployment, error) {
	if err := d.Validate(); err != nil {
		return d, fmt.Errorf("sqlstore: create deployment of %s: %w", d.Fingerprint, err)
	}
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		f, orgID, err := db.findFlow(ctx, tx, org, d.Flow)
		if err != nil {
			return fmt.Errorf("sqlstore: create deployment of %s: %w", d.Fingerprint, err)
		}
		// Lock the flow row so concurrent deployments get distinct numbers.
		var fid int64
		if err := tx.QueryRowContext(ctx, db.q(`SELECT id FROM flows WHERE id = ?`+db.D.ForUpdate), f.ID).Scan(&fid); err != nil {
			return fmt.Errorf("sqlstore: create deployment of %s: %w", d.Fingerprint, err)
		}
		var n int
		err = tx.QueryRowContext(ctx, db.q(`SELECT count(*) FROM environments WHERE org_id = ? AND name = ?`), orgID, d.Environment).Scan(&n)
		if err != nil {
			return fmt.Errorf("sqlstore: create deployment of %s: %w", d.Fingerprint, err)
		}
		if n == 0 {
			return model.Errorf(model.ENOTFOUND, "environment %s not found in org %s", d.Environment, org)
		}
		err = tx.QueryRowContext(ctx, db.q(`SELECT name, git_commit FROM artifacts WHERE flow_id = ? AND fingerprint = ?`), f.ID, d.Fingerprint).Scan(&d.ArtifactName, &d.GitCommit)
		if errors.Is(err, sql.ErrNoRows) {
			return model.Errorf(model.ENOTFOUND, "artifact with fingerprint %s not found in flow %s", d.Fingerprint, d.Flow)
		}
		if err != nil {
			return fmt.Errorf("sqlstore: create deployment of %s: %w", d.Fingerprint, err)
		}
		if err := tx.QueryRowContext(ctx, db.q(`SELECT coalesce(max(number), 0) + 1 FROM deployments WHERE flow_id = ?`), f.ID).Scan(&d.Number); err != nil {
			return fmt.Errorf("sqlstore: create deployment of %s: %w", d.Fingerprint, err)
		}
		d.CreatedAt = nowOr(d.CreatedAt)
		d.StatusAt = d.CreatedAt
		d.ID, err = db.insertID(ctx, tx, `INSERT INTO deployments (flow_id, number, fingerprint, artifact_name, git_commit, environment, description, build_url, approved, status, created_at, status_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.ID, d.Number, d.Fingerprint, d.ArtifactName, d.GitCommit, d.Environment, d.Description, d.BuildURL, d.Approved, d.Status, micro(d.CreatedAt), micro(d.StatusAt))
		if err != nil {
			return fmt.Errorf("insert deployment: %w", err)
		}
		return nil
	})
	return d, err
}

// SetDeploymentStatus implements model.Store.
func (db *DB) SetDeploymentStatus(ctx context.Context, org, flow string, number int, status string, at time.Time) (model.Deployment, error) {
	status, err := model.ValidateDeploymentStatus(status)
	if err != nil {
		return model.Deployment{}, fmt.Errorf("sqlstore: set status of deployment %d: %w", number, err)
	}
	var d model.Deployment
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		f, _, err := db.findFlow(ctx, tx, org, flow)
		if err != nil {
			return fmt.Errorf("sqlstore: set status of deployment %d: %w", number, err)
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE deployments SET status = ?, status_at = ? WHERE flow_id = ? AND number = ?`), status, micro(nowOr(at)), f.ID, number)
		if err != nil {
			return fmt.Errorf("sqlstore: set status of deployment %d: %w", number, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return model.Errorf(model.ENOTFOUND, "deployment #%d not found in flow %s", number, flow)
		}
		d, err = scanDeployment(tx.QueryRowContext(ctx, db.q(`SELECT `+deploymentCols+` FROM deployments d JOIN flows f ON f.id = d.flow_id WHERE d.flow_id = ? AND d.number = ?`), f.ID, number))
		if err != nil {
			return fmt.Errorf("sqlstore: set status of deployment %d: %w", number, err)
		}
		return nil
	})
	return d, err
}

// ListDeployments implements model.Store.
func (db *DB) ListDeployments(ctx context.Context, org string, fl model.DeploymentFilter) ([]model.Deployment, error) {
	var where string
	var args []any
	if fl.Flow != "" {
		f, _, err := db.findFlow(ctx, db.R, org, fl.Flow)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list deployments of %s: %w", org, err)
		}
		where, args = `d.flow_id = ?`, []any{f.ID}
	} else {
		id, err := db.orgID(ctx, db.R, org)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list deployments of %s: %w", org, err)
		}
		where, args = `f.org_id = ?`, []any{id}
	}
	if fl.Fingerprint != "" {
		where += ` AND d.fingerprint = ?`
		args = append(args, fl.Fingerprint)
	}
	if fl.Environment != "" {
		where += ` AND d.environment = ?`
		args = append(args, fl.Environment)
	}
	rows, err := db.R.QueryContext(ctx, db.q(`SELECT `+deploymentCols+` FROM deployments d JOIN flows f ON f.id = d.flow_id WHERE `+where+` ORDER BY d.created_at DESC, d.id DESC`), args...)
	if err != nil {
		return nil, fmt.Errorf("list deployments: %w", err)
	}
	defer rows.Close()
	out := []model.Deployment{}
	for rows.Next() {
		d, err := scanDeployment(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list deployments of %s: %w", org, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
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
	inEnvs, envArg, err := db.in("d.environment", "", envs)
	if err != nil {
		return nil, err
	}
	inFPs, fpArg, err := db.in("d.fingerprint", "", fps)
	if err != nil {
		return nil, err
	}
	rows, err := db.R.QueryContext(ctx, db.q(`SELECT d.environment, f.name, d.fingerprint, d.number FROM deployments d JOIN flows f ON f.id = d.flow_id
		WHERE f.org_id = ? AND `+inEnvs+` AND `+inFPs+` ORDER BY d.number`), orgID, envArg, fpArg)
	if err != nil {
		return nil, fmt.Errorf("deployments of running artifacts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k depKey
		var n int
		if err := rows.Scan(&k.env, &k.flow, &k.fp, &n); err != nil {
			return nil, fmt.Errorf("sqlstore: deployment numbers: %w", err)
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
		return fmt.Errorf("sqlstore: join deployments to %s: %w", env, err)
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
		return fmt.Errorf("sqlstore: join deployments to events: %w", err)
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
