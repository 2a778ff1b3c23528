package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/minitwit-cd/kit/tracker/model"
)

const trailCols = `t.id, f.name, t.name, t.description, t.git_commit, t.created_at, t.git_commit_info, t.user_data, t.repo_info, t.external_urls, t.origin_url`

func scanTrail(sc interface{ Scan(...any) error }) (model.Trail, error) {
	var t model.Trail
	var at int64
	var info, user, repo, urls string
	if err := sc.Scan(&t.ID, &t.Flow, &t.Name, &t.Description, &t.GitCommit, &at, &info, &user, &repo, &urls, &t.OriginURL); err != nil {
		return t, err
	}
	t.CreatedAt = fromMicro(at)
	t.CommitInfo, t.UserData, t.RepoInfo, t.ExternalURLs = rawOrNil(info), rawOrNil(user), rawOrNil(repo), rawOrNil(urls)
	return t, nil
}

// rawOrNil is a stored JSON document, nil when none was stored.
func rawOrNil(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// PutTrail implements model.Store: a new trail is created; an existing
// one takes the description, commit and documents the call gives.
func (db *DB) PutTrail(ctx context.Context, org string, t model.Trail) (model.Trail, bool, error) {
	if err := t.Validate(); err != nil {
		return t, false, fmt.Errorf("sqlstore: put trail %s: %w", t.Name, err)
	}
	created := false
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		_, _, err := db.findFlow(ctx, tx, org, t.Flow)
		if err != nil {
			return fmt.Errorf("sqlstore: put trail %s: %w", t.Name, err)
		}
		want := t
		created, err = db.ensureTrail(ctx, tx, org, &t)
		if err != nil {
			return fmt.Errorf("sqlstore: put trail %s: %w", t.Name, err)
		}
		if created {
			return nil
		}
		keep := func(given, old string) string {
			if given != "" {
				return given
			}
			return old
		}
		old, err := scanTrail(tx.QueryRowContext(ctx, db.q(`SELECT `+trailCols+` FROM trails t JOIN flows f ON f.id = t.flow_id WHERE t.id = ?`), t.ID))
		if err != nil {
			return fmt.Errorf("sqlstore: put trail %s: read: %w", t.Name, err)
		}
		_, err = tx.ExecContext(ctx, db.q(`UPDATE trails SET description = ?, git_commit = ?, git_commit_info = ?, user_data = ?, repo_info = ?, external_urls = ?, origin_url = ? WHERE id = ?`),
			keep(want.Description, old.Description), keep(want.GitCommit, old.GitCommit), keep(string(want.CommitInfo), string(old.CommitInfo)),
			keep(string(want.UserData), string(old.UserData)), keep(string(want.RepoInfo), string(old.RepoInfo)),
			keep(string(want.ExternalURLs), string(old.ExternalURLs)), keep(want.OriginURL, old.OriginURL), t.ID)
		if err != nil {
			return fmt.Errorf("sqlstore: update trail %s: %w", t.Name, err)
		}
		return nil
	})
	if err != nil {
		return t, false, err
	}
	out, err := db.findTrail(ctx, db.W, org, t.Flow, t.Name)
	return out, created, err
}

// ensureTrail finds the flow's trail t.Name or creates it from t (the
// trail artifacts and evidence name when they are reported first).
func (db *DB) ensureTrail(ctx context.Context, tx querier, org string, t *model.Trail) (bool, error) {
	f, _, err := db.findFlow(ctx, tx, org, t.Flow)
	if err != nil {
		return false, fmt.Errorf("sqlstore: ensure trail %s: %w", t.Name, err)
	}
	var at int64
	err = tx.QueryRowContext(ctx, db.q(`SELECT id, description, git_commit, created_at FROM trails WHERE flow_id = ? AND name = ?`), f.ID, t.Name).
		Scan(&t.ID, &t.Description, &t.GitCommit, &at)
	if err == nil {
		t.CreatedAt = fromMicro(at)
		return false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("sqlstore: ensure trail %s: %w", t.Name, err)
	}
	t.CreatedAt = nowOr(t.CreatedAt)
	t.ID, err = db.insertID(ctx, tx, `INSERT INTO trails (flow_id, name, description, git_commit, created_at, git_commit_info, user_data, repo_info, external_urls, origin_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, t.Name, t.Description, t.GitCommit, micro(t.CreatedAt), string(t.CommitInfo), string(t.UserData), string(t.RepoInfo), string(t.ExternalURLs), t.OriginURL)
	return err == nil, db.raced(err)
}

// FindTrail implements model.Store.
func (db *DB) FindTrail(ctx context.Context, org, flow, name string) (model.Trail, error) {
	return db.findTrail(ctx, db.R, org, flow, name)
}

func (db *DB) findTrail(ctx context.Context, q querier, org, flow, name string) (model.Trail, error) {
	f, _, err := db.findFlow(ctx, q, org, flow)
	if err != nil {
		return model.Trail{}, fmt.Errorf("sqlstore: find trail %s: %w", name, err)
	}
	t, err := scanTrail(q.QueryRowContext(ctx, db.q(`SELECT `+trailCols+` FROM trails t JOIN flows f ON f.id = t.flow_id WHERE t.flow_id = ? AND t.name = ?`), f.ID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return model.Trail{Flow: flow, Name: name}, model.Errorf(model.ENOTFOUND, "Trail with name '%s' does not exist for Organization '%s' and Flow '%s'", name, org, flow)
	}
	if err != nil {
		return t, fmt.Errorf("sqlstore: find trail %s: %w", name, err)
	}
	return t, nil
}

// ListTrails implements model.Store.
func (db *DB) ListTrails(ctx context.Context, org string, fl model.TrailFilter) ([]model.Trail, int, error) {
	p := fl.Normalize()
	orgID, err := db.orgID(ctx, db.R, org)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: list trails of %s: %w", org, err)
	}
	where, args := `f.org_id = ?`, []any{orgID}
	if fl.Flow != "" {
		f, _, err := db.findFlow(ctx, db.R, org, fl.Flow)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlstore: list trails of %s: %w", fl.Flow, err)
		}
		where, args = `t.flow_id = ?`, []any{f.ID}
	}
	if fl.Fingerprint != "" {
		fp, err := model.NormalizeFingerprint(fl.Fingerprint)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlstore: list trails of %s: %w", org, err)
		}
		where += ` AND EXISTS (SELECT 1 FROM artifacts a WHERE a.flow_id = t.flow_id AND a.trail = t.name AND a.fingerprint = ?)`
		args = append(args, fp)
	}
	var total int
	if err := db.R.QueryRowContext(ctx, db.q(`SELECT count(*) FROM trails t JOIN flows f ON f.id = t.flow_id WHERE `+where), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: count trails of %s: %w", org, err)
	}
	rows, err := db.R.QueryContext(ctx, db.q(`SELECT `+trailCols+` FROM trails t JOIN flows f ON f.id = t.flow_id WHERE `+where+
		` ORDER BY t.created_at DESC, t.id DESC LIMIT ? OFFSET ?`), append(args, p.PerPage, p.Offset())...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: list trails of %s: %w", org, err)
	}
	defer rows.Close()
	out := []model.Trail{}
	for rows.Next() {
		t, err := scanTrail(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlstore: list trails of %s: %w", org, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: list trails of %s: %w", org, err)
	}
	return out, total, nil
}
