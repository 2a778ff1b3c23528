package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/minitwit-cd/kit/tracker/model"
)

// PutTrail implements model.Store.
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
		created, err = db.ensureTrail(ctx, tx, org, &t)
		if err != nil {
			return fmt.Errorf("sqlstore: put trail %s: %w", t.Name, err)
		}
		return nil
	})
	return t, created, err
}

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
	t.ID, err = db.insertID(ctx, tx, `INSERT INTO trails (flow_id, name, description, git_commit, created_at) VALUES (?, ?, ?, ?, ?)`,
		f.ID, t.Name, t.Description, t.GitCommit, micro(t.CreatedAt))
	return err == nil, db.raced(err)
}

// FindTrail implements model.Store.
func (db *DB) FindTrail(ctx context.Context, org, flow, name string) (model.Trail, error) {
	f, _, err := db.findFlow(ctx, db.R, org, flow)
	if err != nil {
		return model.Trail{}, fmt.Errorf("sqlstore: find trail %s: %w", name, err)
	}
	t := model.Trail{Flow: flow, Name: name}
	var at int64
	err = db.R.QueryRowContext(ctx, db.q(`SELECT id, description, git_commit, created_at FROM trails WHERE flow_id = ? AND name = ?`), f.ID, name).
		Scan(&t.ID, &t.Description, &t.GitCommit, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return t, model.Errorf(model.ENOTFOUND, "trail %s not found in flow %s", name, flow)
	}
	t.CreatedAt = fromMicro(at)
	if err != nil {
		return t, fmt.Errorf("sqlstore: find trail %s: %w", name, err)
	}
	return t, nil
}
