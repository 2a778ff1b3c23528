package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/minitwit-cd/kit/tracker/model"
)

const flowCols = `f.id, f.name, f.description, f.visibility, f.template, f.created_at`

func scanFlow(sc interface{ Scan(...any) error }, org string) (model.Flow, error) {
	f := model.Flow{Org: org}
	var tpl string
	var at int64
	if err := sc.Scan(&f.ID, &f.Name, &f.Description, &f.Visibility, &tpl, &at); err != nil {
		return f, fmt.Errorf("sqlstore: scan flow: %w", err)
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
	if err != nil {
		return f, fmt.Errorf("sqlstore: find flow %s: %w", name, err)
	}
	return f, nil
}

// ListFlows implements model.Store.
func (db *DB) ListFlows(ctx context.Context, org string) ([]model.Flow, error) {
	id, err := db.orgID(ctx, db.R, org)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list flows of %s: %w", org, err)
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
			return nil, fmt.Errorf("sqlstore: list flows of %s: %w", org, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// PutFlow implements model.Store.
func (db *DB) PutFlow(ctx context.Context, org string, f model.Flow) (model.Flow, bool, error) {
	if err := f.Validate(); err != nil {
		return f, false, fmt.Errorf("sqlstore: put flow %s: %w", f.Name, err)
	}
	f.Org = org
	tpl, _ := json.Marshal(f.Template)
	created := false
	err := db.withTxInvalidate(ctx, func(tx *sql.Tx) error {
		created = false // a retried attempt starts afresh
		orgID, err := db.orgID(ctx, tx, org)
		if err != nil {
			return fmt.Errorf("sqlstore: put flow %s: %w", f.Name, err)
		}
		var id int64
		err = tx.QueryRowContext(ctx, db.q(`SELECT id FROM flows WHERE org_id = ? AND name = ?`+db.D.ForUpdate), orgID, f.Name).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = true
			f.CreatedAt = nowOr(f.CreatedAt)
			f.ID, err = db.insertID(ctx, tx, `INSERT INTO flows (org_id, name, description, visibility, template, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				orgID, f.Name, f.Description, f.Visibility, string(tpl), micro(f.CreatedAt))
			if err != nil {
				return fmt.Errorf("sqlstore: put flow %s: %w", f.Name, db.raced(err))
			}
			return nil
		case err != nil:
			return fmt.Errorf("sqlstore: put flow %s: %w", f.Name, err)
		}
		f.ID = id
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE flows SET description = ?, visibility = ?, template = ? WHERE id = ?`), f.Description, f.Visibility, string(tpl), id); err != nil {
			return fmt.Errorf("sqlstore: put flow %s: %w", f.Name, err)
		}
		// A new template changes every artifact's state.
		return db.refreshFlowStates(ctx, tx, id, f.Template)
	})
	if err != nil {
		return f, false, err
	}
	out, err := db.findFlowWriter(ctx, org, f.Name)
	return out, created, err
}

// findFlowWriter reads a flow through the writer (read-your-writes on SQLite).
func (db *DB) findFlowWriter(ctx context.Context, org, name string) (model.Flow, error) {
	f, _, err := db.findFlow(ctx, db.W, org, name)
	if err != nil {
		return f, fmt.Errorf("sqlstore: find flow %s: %w", name, err)
	}
	return f, nil
}
