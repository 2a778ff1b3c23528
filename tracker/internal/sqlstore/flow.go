package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

const flowCols = `f.id, f.name, f.description, f.visibility, f.template, f.created_at`

func scanFlow(sc interface{ Scan(...any) error }, org string) (model.Flow, error) {
	f := model.Flow{Org: org}
	var tpl string
	var at int64
	if err := sc.Scan(&f.ID, &f.Name, &f.Description, &f.Visibility, &tpl, &at); err != nil {
		return f, err
	}
	f.CreatedAt = fromMicro(at)
	f.Template = []string{}
	if tpl != "" {
		if err := json.Unmarshal([]byte(tpl), &f.Template); err != nil {
			return f, fmt.Errorf("decode template of flow %s: %w", f.Name, err)
		}
	}
	return f, nil
}

func (db *DB) findFlow(ctx context.Context, q querier, org, name string) (model.Flow, int64, error) {
	row := q.QueryRowContext(ctx, db.q(`SELECT `+flowCols+`, o.id FROM flows f JOIN orgs o ON o.id = f.org_id WHERE o.name = ? AND f.name = ?`), org, name)
	f := model.Flow{Org: org}
	var tpl string
	var at, orgID int64
	err := row.Scan(&f.ID, &f.Name, &f.Description, &f.Visibility, &tpl, &at, &orgID)
	if errors.Is(err, sql.ErrNoRows) {
		if _, oerr := db.orgID(ctx, q, org); oerr != nil {
			return f, 0, oerr
		}
		return f, 0, model.Errorf(model.ENOTFOUND, "flow %s not found in org %s", name, org)
	}
	if err != nil {
		return f, 0, fmt.Errorf("find flow %s: %w", name, err)
	}
	f.CreatedAt = fromMicro(at)
	f.Template = []string{}
	if tpl != "" {
		if err := json.Unmarshal([]byte(tpl), &f.Template); err != nil {
			return f, 0, fmt.Errorf("decode template of flow %s: %w", f.Name, err)
		}
	}
	return f, orgID, nil
}

// FindFlow implements model.Store.
func (db *DB) FindFlow(ctx context.Context, org, name string) (model.Flow, error) {
	f, _, err := db.findFlow(ctx, db.R, org, name)
	return f, err
}

// ListFlows implements model.Store.
func (db *DB) ListFlows(ctx context.Context, org string) ([]model.Flow, error) {
	id, err := db.orgID(ctx, db.R, org)
	if err != nil {
		return nil, err
	}
	rows, err := db.R.QueryContext(ctx, db.q(`SELECT `+flowCols+` FROM flows f WHERE f.org_id = ? ORDER BY f.name`), id)
	if err != nil {
		return nil, fmt.Errorf("list flows: %w", err)
	}
	defer rows.Close()
	out := []model.Flow{}
	for rows.Next() {
		f, err := scanFlow(rows, org)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// PutFlow implements model.Store.
func (db *DB) PutFlow(ctx context.Context, org string, f model.Flow) (model.Flow, bool, error) {
	if err := f.Validate(); err != nil {
		return f, false, err
	}
	f.Org = org
	tpl, _ := json.Marshal(f.Template)
	created := false
	err := db.withTxInvalidate(ctx, func(tx *sql.Tx) error {
		created = false // a retried attempt starts afresh
		orgID, err := db.orgID(ctx, tx, org)
		if err != nil {
			return err
		}
		var id int64
		err = tx.QueryRowContext(ctx, db.q(`SELECT id FROM flows WHERE org_id = ? AND name = ?`+db.D.ForUpdate), orgID, f.Name).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = true
			f.CreatedAt = nowOr(f.CreatedAt)
			f.ID, err = db.insertID(ctx, tx, `INSERT INTO flows (org_id, name, description, visibility, template, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				orgID, f.Name, f.Description, f.Visibility, string(tpl), micro(f.CreatedAt))
			return db.raced(err)
		case err != nil:
			return err
		}
		f.ID = id
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE flows SET description = ?, visibility = ?, template = ? WHERE id = ?`), f.Description, f.Visibility, string(tpl), id); err != nil {
			return err
		}
		// A new template changes every artifact's state.
		return db.refreshFlowStates(ctx, tx, id, f.Template)
	})
	if err != nil {
		return f, false, err
	}
	out, err := db.FindFlowW(ctx, org, f.Name)
	return out, created, err
}

// FindFlowW reads a flow through the writer (read-your-writes on SQLite).
func (db *DB) FindFlowW(ctx context.Context, org, name string) (model.Flow, error) {
	f, _, err := db.findFlow(ctx, db.W, org, name)
	return f, err
}

// PutTrail implements model.Store.
func (db *DB) PutTrail(ctx context.Context, org string, t model.Trail) (model.Trail, bool, error) {
	if err := t.Validate(); err != nil {
		return t, false, err
	}
	created := false
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		_, _, err := db.findFlow(ctx, tx, org, t.Flow)
		if err != nil {
			return err
		}
		created, err = db.ensureTrail(ctx, tx, org, &t)
		return err
	})
	return t, created, err
}

func (db *DB) ensureTrail(ctx context.Context, tx querier, org string, t *model.Trail) (bool, error) {
	f, _, err := db.findFlow(ctx, tx, org, t.Flow)
	if err != nil {
		return false, err
	}
	var at int64
	err = tx.QueryRowContext(ctx, db.q(`SELECT id, description, git_commit, created_at FROM trails WHERE flow_id = ? AND name = ?`), f.ID, t.Name).
		Scan(&t.ID, &t.Description, &t.GitCommit, &at)
	if err == nil {
		t.CreatedAt = fromMicro(at)
		return false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	t.CreatedAt = nowOr(t.CreatedAt)
	t.ID, err = db.insertID(ctx, tx, `INSERT INTO trails (flow_id, name, description, git_commit, created_at) VALUES (?, ?, ?, ?, ?)`,
		f.ID, t.Name, t.Description, t.GitCommit, micro(t.CreatedAt))
	return err == nil, db.raced(err)
}

// FindTrail implements model.Store.
func (db *DB) FindTrail(ctx context.Context, org, flow, name string) (model.Trail, error) {
	f, _, err := db.findFlow(ctx, db.R, org, flow)
	if err != nil {
		return model.Trail{}, err
	}
	t := model.Trail{Flow: flow, Name: name}
	var at int64
	err = db.R.QueryRowContext(ctx, db.q(`SELECT id, description, git_commit, created_at FROM trails WHERE flow_id = ? AND name = ?`), f.ID, name).
		Scan(&t.ID, &t.Description, &t.GitCommit, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return t, model.Errorf(model.ENOTFOUND, "trail %s not found in flow %s", name, flow)
	}
	t.CreatedAt = fromMicro(at)
	return t, err
}

const artifactCols = `a.id, f.name, a.fingerprint, a.name, a.git_commit, a.commit_url, a.build_url, a.repo_url, a.commit_time, a.trail, a.created_at, a.state`

func scanArtifact(sc interface{ Scan(...any) error }) (model.Artifact, error) {
	var a model.Artifact
	var ct, at int64
	err := sc.Scan(&a.ID, &a.Flow, &a.Fingerprint, &a.Name, &a.GitCommit, &a.CommitURL, &a.BuildURL, &a.RepoURL, &ct, &a.Trail, &at, &a.State)
	a.CommitTime, a.CreatedAt = fromMicro(ct), fromMicro(at)
	return a, err
}

// PutArtifact implements model.Store.
func (db *DB) PutArtifact(ctx context.Context, org string, a model.Artifact) (model.Artifact, bool, error) {
	if err := a.Validate(); err != nil {
		return a, false, err
	}
	created := false
	err := db.withTxInvalidate(ctx, func(tx *sql.Tx) error {
		f, orgID, err := db.findFlow(ctx, tx, org, a.Flow)
		if err != nil {
			return err
		}
		row := tx.QueryRowContext(ctx, db.q(`SELECT `+artifactCols+` FROM artifacts a JOIN flows f ON f.id = a.flow_id WHERE a.flow_id = ? AND a.fingerprint = ?`), f.ID, a.Fingerprint)
		old, err := scanArtifact(row)
		if err == nil {
			a = old
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if a.Trail != "" {
			if _, err := db.ensureTrail(ctx, tx, org, &model.Trail{Flow: a.Flow, Name: a.Trail, GitCommit: a.GitCommit, CreatedAt: a.CreatedAt}); err != nil {
				return err
			}
		}
		a.CreatedAt = nowOr(a.CreatedAt)
		a.ID, err = db.insertID(ctx, tx, `INSERT INTO artifacts (org_id, flow_id, fingerprint, name, git_commit, commit_url, build_url, repo_url, commit_time, trail, state, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			orgID, f.ID, a.Fingerprint, a.Name, a.GitCommit, a.CommitURL, a.BuildURL, a.RepoURL, micro(a.CommitTime), a.Trail, model.Incomplete, micro(a.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert artifact: %w", db.raced(err))
		}
		created = true
		a.State, err = db.refreshArtifactState(ctx, tx, f.ID, f.Template, a.Fingerprint, a.Trail)
		return err
	})
	return a, created, err
}

// FindArtifact implements model.Store.
func (db *DB) FindArtifact(ctx context.Context, org, flow, prefix string) (model.Artifact, error) {
	p, err := model.ValidateHexPrefix("fingerprint", prefix)
	if err != nil {
		return model.Artifact{}, err
	}
	f, _, err := db.findFlow(ctx, db.R, org, flow)
	if err != nil {
		return model.Artifact{}, err
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
			return a, err
		}
		found = append(found, a)
	}
	if err := rows.Err(); err != nil {
		return model.Artifact{}, err
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
		return nil, err
	}
	f, _, err := db.findFlow(ctx, db.R, org, flow)
	if err != nil {
		return nil, err
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
			return nil, err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
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
		return nil, 0, err
	}
	args := []any{orgID}
	if fl.Flow != "" {
		f, _, err := db.findFlow(ctx, db.R, org, fl.Flow)
		if err != nil {
			return nil, 0, err
		}
		where = `a.flow_id = ?`
		args = []any{f.ID}
	}
	if fl.Fingerprint != "" {
		fp, err := model.ValidateHexPrefix("fingerprint", fl.Fingerprint)
		if err != nil {
			return nil, 0, err
		}
		where += ` AND a.fingerprint >= ? AND a.fingerprint < ?`
		args = append(args, fp, fp+"~")
	}
	if fl.GitCommit != "" {
		c, err := model.ValidateHexPrefix("commit", fl.GitCommit)
		if err != nil {
			return nil, 0, err
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
			return nil, 0, err
		}
		out = append(out, a)
	}
	return out, total, rows.Err()
}

// refreshArtifactState recomputes the stored compliance state of one
// artifact (kept denormalized so snapshots can show compliance cheaply).
func (db *DB) refreshArtifactState(ctx context.Context, tx querier, flowID int64, template []string, fp, trail string) (string, error) {
	ev, err := db.latestEvidence(ctx, tx, flowID, fp, trail)
	if err != nil {
		return "", err
	}
	state := model.ComplianceState(template, ev)
	_, err = tx.ExecContext(ctx, db.q(`UPDATE artifacts SET state = ? WHERE flow_id = ? AND fingerprint = ?`), state, flowID, fp)
	return state, err
}

func (db *DB) refreshFlowStates(ctx context.Context, tx querier, flowID int64, template []string) error {
	pairs, err := db.strings2(ctx, tx, `SELECT fingerprint, trail FROM artifacts WHERE flow_id = ?`, flowID)
	if err != nil {
		return err
	}
	for _, x := range pairs {
		if _, err := db.refreshArtifactState(ctx, tx, flowID, template, x[0], x[1]); err != nil {
			return err
		}
	}
	return nil
}

// strings2 runs a query of two text columns.
func (db *DB) strings2(ctx context.Context, q querier, query string, args ...any) ([][2]string, error) {
	rows, err := q.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var x [2]string
		if err := rows.Scan(&x[0], &x[1]); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// latestEvidence is the counted evidence of an artifact: its own and its
// trail's, newest per name.
func (db *DB) latestEvidence(ctx context.Context, q querier, flowID int64, fp, trail string) ([]model.Evidence, error) {
	query := `SELECT id, fingerprint, trail, name, type, compliant, description, data, created_at FROM evidence WHERE flow_id = ? AND fingerprint = ?`
	args := []any{flowID, fp}
	if trail != "" {
		query = `SELECT id, fingerprint, trail, name, type, compliant, description, data, created_at FROM evidence WHERE flow_id = ? AND (fingerprint = ? OR (fingerprint = '' AND trail = ?))`
		args = append(args, trail)
	}
	evs, err := db.queryEvidence(ctx, q, query+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, err
	}
	return latestPerName(evs), nil
}

func latestPerName(evs []model.Evidence) []model.Evidence {
	idx := map[string]int{}
	out := []model.Evidence{}
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

func (db *DB) queryEvidence(ctx context.Context, q querier, query string, args ...any) ([]model.Evidence, error) {
	rows, err := q.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("query evidence: %w", err)
	}
	defer rows.Close()
	out := []model.Evidence{}
	for rows.Next() {
		var e model.Evidence
		var data string
		var at int64
		if err := rows.Scan(&e.ID, &e.Fingerprint, &e.Trail, &e.Name, &e.Type, &e.Compliant, &e.Description, &data, &at); err != nil {
			return nil, err
		}
		if data != "" {
			e.Data = json.RawMessage(data)
		}
		e.CreatedAt = fromMicro(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// AddEvidence implements model.Store.
func (db *DB) AddEvidence(ctx context.Context, org string, e model.Evidence) (model.Evidence, error) {
	if err := e.Validate(); err != nil {
		return e, err
	}
	err := db.withTxInvalidate(ctx, func(tx *sql.Tx) error {
		f, _, err := db.findFlow(ctx, tx, org, e.Flow)
		if err != nil {
			return err
		}
		var artTrail string
		if e.Fingerprint != "" {
			err := tx.QueryRowContext(ctx, db.q(`SELECT trail FROM artifacts WHERE flow_id = ? AND fingerprint = ?`), f.ID, e.Fingerprint).Scan(&artTrail)
			if errors.Is(err, sql.ErrNoRows) {
				return model.Errorf(model.ENOTFOUND, "artifact with fingerprint %s not found in flow %s", e.Fingerprint, e.Flow)
			}
			if err != nil {
				return err
			}
		}
		if e.Trail != "" {
			if _, err := db.ensureTrail(ctx, tx, org, &model.Trail{Flow: e.Flow, Name: e.Trail, CreatedAt: e.CreatedAt}); err != nil {
				return err
			}
		}
		e.CreatedAt = nowOr(e.CreatedAt)
		e.ID, err = db.insertID(ctx, tx, `INSERT INTO evidence (flow_id, fingerprint, trail, name, type, compliant, description, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.ID, e.Fingerprint, e.Trail, e.Name, e.Type, e.Compliant, e.Description, string(e.Data), micro(e.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert evidence: %w", err)
		}
		for _, file := range e.Files {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO evidence_files (evidence_id, name, content) VALUES (?, ?, ?)`), e.ID, file.Name, file.Content); err != nil {
				return fmt.Errorf("insert evidence file: %w", err)
			}
		}
		if e.Fingerprint != "" {
			_, err := db.refreshArtifactState(ctx, tx, f.ID, f.Template, e.Fingerprint, artTrail)
			return err
		}
		// Trail evidence counts for every artifact of the trail.
		pairs, err := db.strings2(ctx, tx, `SELECT fingerprint, trail FROM artifacts WHERE flow_id = ? AND trail = ?`, f.ID, e.Trail)
		if err != nil {
			return err
		}
		for _, x := range pairs {
			if _, err := db.refreshArtifactState(ctx, tx, f.ID, f.Template, x[0], x[1]); err != nil {
				return err
			}
		}
		return nil
	})
	return e, err
}

// ListEvidence implements model.Store.
func (db *DB) ListEvidence(ctx context.Context, org string, fl model.EvidenceFilter) ([]model.Evidence, error) {
	f, _, err := db.findFlow(ctx, db.R, org, fl.Flow)
	if err != nil {
		return nil, err
	}
	query := `SELECT id, fingerprint, trail, name, type, compliant, description, data, created_at FROM evidence WHERE flow_id = ?`
	args := []any{f.ID}
	if fl.Fingerprint != "" {
		query += ` AND fingerprint = ?`
		args = append(args, fl.Fingerprint)
	}
	if fl.Trail != "" {
		query += ` AND trail = ?`
		args = append(args, fl.Trail)
	}
	evs, err := db.queryEvidence(ctx, db.R, query+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, err
	}
	for i := range evs {
		evs[i].Flow = fl.Flow
	}
	if fl.Latest {
		evs = latestPerName(evs)
	}
	if len(evs) == 0 {
		return evs, nil
	}
	byID := map[int64]int{}
	ids := make([]any, 0, len(evs))
	for i, e := range evs {
		byID[e.ID] = i
		ids = append(ids, e.ID)
	}
	rows, err := db.R.QueryContext(ctx, db.q(`SELECT evidence_id, name, content FROM evidence_files WHERE evidence_id IN (`+marks(len(ids))+`) ORDER BY id`), ids...)
	if err != nil {
		return nil, fmt.Errorf("evidence files: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var file model.File
		if err := rows.Scan(&id, &file.Name, &file.Content); err != nil {
			return nil, err
		}
		i := byID[id]
		evs[i].Files = append(evs[i].Files, file)
	}
	return evs, rows.Err()
}

const deploymentCols = `d.id, f.name, d.number, d.fingerprint, d.artifact_name, d.git_commit, d.environment, d.description, d.build_url, d.approved, d.status, d.created_at, d.status_at`

func scanDeployment(sc interface{ Scan(...any) error }) (model.Deployment, error) {
	var d model.Deployment
	var at, sat int64
	err := sc.Scan(&d.ID, &d.Flow, &d.Number, &d.Fingerprint, &d.ArtifactName, &d.GitCommit, &d.Environment, &d.Description, &d.BuildURL, &d.Approved, &d.Status, &at, &sat)
	d.CreatedAt, d.StatusAt = fromMicro(at), fromMicro(sat)
	return d, err
}

// CreateDeployment implements model.Store.
func (db *DB) CreateDeployment(ctx context.Context, org string, d model.Deployment) (model.Deployment, error) {
	if err := d.Validate(); err != nil {
		return d, err
	}
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		f, orgID, err := db.findFlow(ctx, tx, org, d.Flow)
		if err != nil {
			return err
		}
		// Lock the flow row so concurrent deployments get distinct numbers.
		var fid int64
		if err := tx.QueryRowContext(ctx, db.q(`SELECT id FROM flows WHERE id = ?`+db.D.ForUpdate), f.ID).Scan(&fid); err != nil {
			return err
		}
		var n int
		err = tx.QueryRowContext(ctx, db.q(`SELECT count(*) FROM environments WHERE org_id = ? AND name = ?`), orgID, d.Environment).Scan(&n)
		if err != nil {
			return err
		}
		if n == 0 {
			return model.Errorf(model.ENOTFOUND, "environment %s not found in org %s", d.Environment, org)
		}
		err = tx.QueryRowContext(ctx, db.q(`SELECT name, git_commit FROM artifacts WHERE flow_id = ? AND fingerprint = ?`), f.ID, d.Fingerprint).Scan(&d.ArtifactName, &d.GitCommit)
		if errors.Is(err, sql.ErrNoRows) {
			return model.Errorf(model.ENOTFOUND, "artifact with fingerprint %s not found in flow %s", d.Fingerprint, d.Flow)
		}
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, db.q(`SELECT coalesce(max(number), 0) + 1 FROM deployments WHERE flow_id = ?`), f.ID).Scan(&d.Number); err != nil {
			return err
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
		return model.Deployment{}, err
	}
	var d model.Deployment
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		f, _, err := db.findFlow(ctx, tx, org, flow)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE deployments SET status = ?, status_at = ? WHERE flow_id = ? AND number = ?`), status, micro(nowOr(at)), f.ID, number)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return model.Errorf(model.ENOTFOUND, "deployment #%d not found in flow %s", number, flow)
		}
		d, err = scanDeployment(tx.QueryRowContext(ctx, db.q(`SELECT `+deploymentCols+` FROM deployments d JOIN flows f ON f.id = d.flow_id WHERE d.flow_id = ? AND d.number = ?`), f.ID, number))
		return err
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
			return nil, err
		}
		where, args = `d.flow_id = ?`, []any{f.ID}
	} else {
		id, err := db.orgID(ctx, db.R, org)
		if err != nil {
			return nil, err
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
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
