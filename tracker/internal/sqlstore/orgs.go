package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

// orgID resolves an org name.
func (db *DB) orgID(ctx context.Context, q querier, org string) (int64, error) {
	if v, ok := db.orgs.Load(org); ok {
		return v.(int64), nil
	}
	var id int64
	err := q.QueryRowContext(ctx, db.q(`SELECT id FROM orgs WHERE name = ?`), org).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, model.Errorf(model.ENOTFOUND, "org %s not found", org)
	}
	if err != nil {
		return 0, fmt.Errorf("find org %s: %w", org, err)
	}
	db.orgs.Store(org, id)
	return id, nil
}

// CreateOrg implements model.Store.
func (db *DB) CreateOrg(ctx context.Context, name string) (string, error) {
	if err := model.ValidateName("org", name); err != nil {
		return "", fmt.Errorf("sqlstore: create org %s: %w", name, err)
	}
	token, err := model.NewToken()
	if err != nil {
		return "", fmt.Errorf("sqlstore: create org %s: %w", name, err)
	}
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		id, err := db.insertID(ctx, tx, `INSERT INTO orgs (name, created_at) VALUES (?, ?)`, name, micro(time.Now()))
		if err != nil {
			if db.D.IsUnique(err) {
				return model.Errorf(model.ECONFLICT, "org %s already exists", name)
			}
			return fmt.Errorf("insert org: %w", err)
		}
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO tokens (hash, org_id, created_at) VALUES (?, ?, ?)`), model.HashToken(token), id, micro(time.Now()))
		if err != nil {
			return fmt.Errorf("sqlstore: create org %s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// FindOrg implements model.Store.
func (db *DB) FindOrg(ctx context.Context, name string) (model.Org, error) {
	o := model.Org{Name: name}
	var at int64
	err := db.R.QueryRowContext(ctx, db.q(`SELECT id, created_at FROM orgs WHERE name = ?`), name).Scan(&o.ID, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return o, model.Errorf(model.ENOTFOUND, "org %s not found", name)
	}
	o.CreatedAt = fromMicro(at)
	if err != nil {
		return o, fmt.Errorf("sqlstore: find org %s: %w", name, err)
	}
	return o, nil
}

// ListOrgs implements model.Store.
func (db *DB) ListOrgs(ctx context.Context) ([]model.Org, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT id, name, created_at FROM orgs ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list orgs: %w", err)
	}
	defer rows.Close()
	out := []model.Org{}
	for rows.Next() {
		var o model.Org
		var at int64
		if err := rows.Scan(&o.ID, &o.Name, &at); err != nil {
			return nil, fmt.Errorf("sqlstore: list orgs: %w", err)
		}
		o.CreatedAt = fromMicro(at)
		out = append(out, o)
	}
	return out, rows.Err()
}
