package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/minitwit-cd/kit/tracker/model"
)

const artifactCols = `a.id, f.name, a.fingerprint, a.name, a.git_commit, a.commit_url, a.build_url, a.repo_url, a.commit_time, a.trail, a.created_at, a.state, a.template_name`

func scanArtifact(sc interface{ Scan(...any) error }) (model.Artifact, error) {
	var a model.Artifact
	var ct, at int64
	err := sc.Scan(&a.ID, &a.Flow, &a.Fingerprint, &a.Name, &a.GitCommit, &a.CommitURL, &a.BuildURL, &a.RepoURL, &ct, &a.Trail, &at, &a.State, &a.TemplateName)
	a.CommitTime, a.CreatedAt = fromMicro(ct), fromMicro(at)
	if err != nil {
		return a, fmt.Errorf("sqlstore: scan artifact: %w", err)
	}
	return a, nil
}

// PutArtifact implements model.Store.
func (db *DB) PutArtifact(ctx context.Context, org string, a model.Artifact) (model.Artifact, bool, error) {
	if err := a.Validate(); err != nil {
		return a, false, fmt.Errorf("sqlstore: put artifact %s: %w", a.Fingerprint, err)
	}
	created := false
	err := db.withTxInvalidate(ctx, func(tx *sql.Tx) error {
		f, orgID, err := db.findFlow(ctx, tx, org, a.Flow)
		if err != nil {
			return fmt.Errorf("sqlstore: put artifact %s: %w", a.Fingerprint, err)
		}
		row := tx.QueryRowContext(ctx, db.q(`SELECT `+artifactCols+` FROM artifacts a JOIN flows f ON f.id = a.flow_id WHERE a.flow_id = ? AND a.fingerprint = ?`), f.ID, a.Fingerprint)
		old, err := scanArtifact(row)
		if err == nil {
			a = old
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlstore: put artifact %s: %w", a.Fingerprint, err)
		}
		if a.Trail != "" {
			if _, err := db.ensureTrail(ctx, tx, org, &model.Trail{Flow: a.Flow, Name: a.Trail, GitCommit: a.GitCommit, CreatedAt: a.CreatedAt}); err != nil {
				return fmt.Errorf("sqlstore: put artifact %s: %w", a.Fingerprint, err)
			}
		}
		a.CreatedAt = nowOr(a.CreatedAt)
		a.ID, err = db.insertID(ctx, tx, `INSERT INTO artifacts (org_id, flow_id, fingerprint, name, git_commit, commit_url, build_url, repo_url, commit_time, trail, state, created_at, template_name)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			orgID, f.ID, a.Fingerprint, a.Name, a.GitCommit, a.CommitURL, a.BuildURL, a.RepoURL, micro(a.CommitTime), a.Trail, model.Incomplete, micro(a.CreatedAt), a.TemplateName)
		if err != nil {
			return fmt.Errorf("insert artifact: %w", db.raced(err))
		}
		created = true
		a.State, err = db.refreshArtifactState(ctx, tx, f.ID, f.Template, a.Fingerprint, a.Trail)
		if err != nil {
			return fmt.Errorf("sqlstore: put artifact %s: %w", a.Fingerprint, err)
		}
		return nil
	})
	return a, created, err
}

// FindArtifact implements model.Store.
func (db *DB) FindArtifact(ctx context.Context, org, flow, prefix string) (model.Artifact, error) {
	p, err := model.ValidateHexPrefix("fingerprint", prefix)
	if err != nil {
		return model.Artifact{}, fmt.Errorf("sqlstore: find artifact %s: %w", prefix, err)
	}
	f, _, err := db.findFlow(ctx, db.R, org, flow)
	if err != nil {
		return model.Artifact{}, fmt.Errorf("sqlstore: find artifact %s: %w", prefix, err)
	}
	rows, err := db.R.QueryContext(ctx, db.q(`SELECT `+artifactCols+` FROM artifacts a JOIN flows f ON f.id = a.flow_id
		WHERE a.flow_id = ? AND a.fingerprint >= ? AND a.fingerprint < ? ORDER BY a.fingerprint LIMIT 2`), f.ID, p, p+"~")
	if err != nil {
		return model.Artifact{}, fmt.Errorf("find artifact: %w", err)
	}
	defer rows.Close()
	var found []model.Artifact
	for rows.Next() {
		a, err := scanArtifact(rows)
		if err != nil {
			return a, fmt.Errorf("sqlstore: find artifact %s: %w", prefix, err)
		}
		found = append(found, a)
	}
	if err := rows.Err(); err != nil {
		return model.Artifact{}, fmt.Errorf("sqlstore: find artifact %s: %w", prefix, err)
	}
	switch len(found) {
	case 0:
		return model.Artifact{}, model.Errorf(model.ENOTFOUND, "artifact with fingerprint %s not found in flow %s", prefix, flow)
	case 1:
		return found[0], nil
	}
	return model.Artifact{}, model.Errorf(model.EINVALID, "fingerprint prefix %s is ambiguous in flow %s: give more digits", prefix, flow)
}

// FindArtifactsByCommit implements model.Store.
func (db *DB) FindArtifactsByCommit(ctx context.Context, org, flow, prefix string) ([]model.Artifact, error) {
	p, err := model.ValidateHexPrefix("commit", prefix)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: find artifacts of commit %s: %w", prefix, err)
	}
	f, _, err := db.findFlow(ctx, db.R, org, flow)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: find artifacts of commit %s: %w", prefix, err)
	}
	rows, err := db.R.QueryContext(ctx, db.q(`SELECT `+artifactCols+` FROM artifacts a JOIN flows f ON f.id = a.flow_id
		WHERE a.flow_id = ? AND a.git_commit >= ? AND a.git_commit < ? ORDER BY a.created_at DESC, a.id DESC LIMIT 100`), f.ID, p, p+"~")
	if err != nil {
		return nil, fmt.Errorf("find artifacts by commit: %w", err)
	}
	defer rows.Close()
	out := []model.Artifact{}
	for rows.Next() {
		a, err := scanArtifact(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: find artifacts of commit %s: %w", prefix, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: find artifacts of commit %s: %w", prefix, err)
	}
	if len(out) == 0 {
		return nil, model.Errorf(model.ENOTFOUND, "no artifact with git commit %s in flow %s", prefix, flow)
	}
	return out, nil
}

// ListArtifacts implements model.Store.
func (db *DB) ListArtifacts(ctx context.Context, org string, fl model.ArtifactFilter) ([]model.Artifact, int, error) {
	p := fl.Normalize()
	where := `a.org_id = ?`
	orgID, err := db.orgID(ctx, db.R, org)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: list artifacts of %s: %w", org, err)
	}
	args := []any{orgID}
	if fl.Flow != "" {
		f, _, err := db.findFlow(ctx, db.R, org, fl.Flow)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlstore: list artifacts of %s: %w", org, err)
		}
		where = `a.flow_id = ?`
		args = []any{f.ID}
	}
	if fl.Fingerprint != "" {
		fp, err := model.ValidateHexPrefix("fingerprint", fl.Fingerprint)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlstore: list artifacts of %s: %w", org, err)
		}
		where += ` AND a.fingerprint >= ? AND a.fingerprint < ?`
		args = append(args, fp, fp+"~")
	}
	if fl.Trail != "" || fl.TemplateName != "" {
		if fl.Flow == "" {
			return nil, 0, model.Errorf(model.EINVALID, "list artifacts: a trail or template name needs a flow")
		}
		if fl.Trail != "" {
			where += ` AND a.trail = ?`
			args = append(args, fl.Trail)
		}
		if fl.TemplateName != "" {
			where += ` AND a.template_name = ?`
			args = append(args, fl.TemplateName)
		}
	}
	if fl.GitCommit != "" {
		c, err := model.ValidateHexPrefix("commit", fl.GitCommit)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlstore: list artifacts of %s: %w", org, err)
		}
		where += ` AND a.git_commit >= ? AND a.git_commit < ?`
		args = append(args, c, c+"~")
	}
	var total int
	if err := db.R.QueryRowContext(ctx, db.q(`SELECT count(*) FROM artifacts a WHERE `+where), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count artifacts: %w", err)
	}
	rows, err := db.R.QueryContext(ctx, db.q(`SELECT `+artifactCols+` FROM artifacts a JOIN flows f ON f.id = a.flow_id WHERE `+where+
		` ORDER BY a.created_at DESC, a.id DESC LIMIT ? OFFSET ?`), append(args, p.PerPage, p.Offset())...)
	if err != nil {
		return nil, 0, fmt.Errorf("list artifacts: %w", err)
	}
	defer rows.Close()
	out := []model.Artifact{}
	for rows.Next() {
		a, err := scanArtifact(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlstore: list artifacts of %s: %w", org, err)
		}
		out = append(out, a)
	}
	return out, total, rows.Err()
}
