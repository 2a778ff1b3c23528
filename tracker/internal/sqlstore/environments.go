package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/minitwit-cd/kit/tracker/model"
)

const envCols = `id, name, type, description, visibility, include_scaling, created_at, last_reported_at, last_changed_at, snapshots, included`

func scanEnv(sc interface{ Scan(...any) error }, org string) (model.Environment, error) {
	e := model.Environment{Org: org}
	var at, rep, chg int64
	var included string
	err := sc.Scan(&e.ID, &e.Name, &e.Type, &e.Description, &e.Visibility, &e.IncludeScaling, &at, &rep, &chg, &e.Snapshots, &included)
	e.CreatedAt, e.LastReportedAt, e.LastChangedAt = fromMicro(at), fromMicro(rep), fromMicro(chg)
	e.Included = splitNames(included)
	if err != nil {
		return e, fmt.Errorf("sqlstore: scan environment: %w", err)
	}
	return e, nil
}

func (db *DB) findEnv(ctx context.Context, q querier, org, name string) (model.Environment, int64, error) {
	orgID, err := db.orgID(ctx, q, org)
	if err != nil {
		return model.Environment{}, 0, fmt.Errorf("sqlstore: find environment %s: %w", name, err)
	}
	e, err := scanEnv(q.QueryRowContext(ctx, db.q(`SELECT `+envCols+` FROM environments WHERE org_id = ? AND name = ?`), orgID, name), org)
	if errors.Is(err, sql.ErrNoRows) {
		return e, 0, model.Errorf(model.ENOTFOUND, "Environment named '%s' does not exist for organization '%s'", name, org)
	}
	if err != nil {
		return e, 0, fmt.Errorf("find environment %s: %w", name, err)
	}
	return e, orgID, nil
}

// FindEnvironment implements model.Store.
func (db *DB) FindEnvironment(ctx context.Context, org, name string) (model.Environment, error) {
	e, _, err := db.findEnv(ctx, db.R, org, name)
	if err != nil {
		return e, fmt.Errorf("sqlstore: find environment %s: %w", name, err)
	}
	return e, nil
}

// ListEnvironments implements model.Store.
func (db *DB) ListEnvironments(ctx context.Context, org string) ([]model.Environment, error) {
	orgID, err := db.orgID(ctx, db.R, org)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list environments of %s: %w", org, err)
	}
	rows, err := db.R.QueryContext(ctx, db.q(`SELECT `+envCols+` FROM environments WHERE org_id = ? ORDER BY name`), orgID)
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	defer rows.Close()
	out := []model.Environment{}
	for rows.Next() {
		e, err := scanEnv(rows, org)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list environments of %s: %w", org, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// PutEnvironment implements model.Store.
func (db *DB) PutEnvironment(ctx context.Context, org string, e model.Environment) (model.Environment, bool, error) {
	if err := e.Validate(); err != nil {
		return e, false, fmt.Errorf("sqlstore: put environment %s: %w", e.Name, err)
	}
	created := false
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		created = false // a retried attempt starts afresh
		orgID, err := db.orgID(ctx, tx, org)
		if err != nil {
			return fmt.Errorf("sqlstore: put environment %s: %w", e.Name, err)
		}
		var id int64
		err = tx.QueryRowContext(ctx, db.q(`SELECT id FROM environments WHERE org_id = ? AND name = ?`+db.D.ForUpdate), orgID, e.Name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			created = true
			_, err = db.insertID(ctx, tx, `INSERT INTO environments (org_id, name, type, description, visibility, include_scaling, created_at, included) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				orgID, e.Name, e.Type, e.Description, e.Visibility, e.IncludeScaling, micro(nowOr(e.CreatedAt)), strings.Join(e.Included, ","))
			if err != nil {
				return fmt.Errorf("sqlstore: put environment %s: %w", e.Name, db.raced(err))
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("sqlstore: put environment %s: %w", e.Name, err)
		}
		// Changing the scaling flag changes what the latest hash means;
		// clearing it makes the next report compare afresh.
		_, err = tx.ExecContext(ctx, db.q(`UPDATE environments SET type = ?, description = ?, visibility = ?, included = ?,
			latest_hash = CASE WHEN include_scaling = ? THEN latest_hash ELSE '' END, include_scaling = ? WHERE id = ?`),
			e.Type, e.Description, e.Visibility, strings.Join(e.Included, ","), e.IncludeScaling, e.IncludeScaling, id)
		if err != nil {
			return fmt.Errorf("sqlstore: put environment %s: %w", e.Name, err)
		}
		return nil
	})
	if err != nil {
		return e, false, err
	}
	out, _, err := db.findEnv(ctx, db.W, org, e.Name)
	return out, created, err
}

// splitNames reads a comma-separated list of names (names never hold a
// comma: model.ValidateName).
func splitNames(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}
