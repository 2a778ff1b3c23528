package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/minitwit-cd/kit/tracker/model"
)

// PutAttestationType implements model.Store.
func (db *DB) PutAttestationType(ctx context.Context, org string, t model.AttestationType) (model.AttestationType, bool, error) {
	if err := model.ValidateName("attestation type", t.Name); err != nil {
		return t, false, fmt.Errorf("sqlstore: put attestation type %s: %w", t.Name, err)
	}
	if t.Rules == nil {
		t.Rules = []string{}
	}
	rules, err := json.Marshal(t.Rules)
	if err != nil {
		return t, false, fmt.Errorf("sqlstore: put attestation type %s: %w", t.Name, err)
	}
	created := false
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		created = false // a retried attempt starts afresh
		orgID, err := db.orgID(ctx, tx, org)
		if err != nil {
			return fmt.Errorf("sqlstore: put attestation type %s: %w", t.Name, err)
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE attestation_types SET description = ?, schema = ?, rules = ? WHERE org_id = ? AND name = ?`),
			t.Description, string(t.Schema), string(rules), orgID, t.Name)
		if err != nil {
			return fmt.Errorf("sqlstore: update attestation type %s: %w", t.Name, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		created = true
		_, err = db.insertID(ctx, tx, `INSERT INTO attestation_types (org_id, name, description, schema, rules, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			orgID, t.Name, t.Description, string(t.Schema), string(rules), micro(nowOr(t.CreatedAt)))
		if err != nil {
			return fmt.Errorf("sqlstore: insert attestation type %s: %w", t.Name, db.raced(err))
		}
		return nil
	})
	if err != nil {
		return t, false, err
	}
	out, err := db.findAttestationType(ctx, db.W, org, t.Name)
	return out, created, err
}

// FindAttestationType implements model.Store.
func (db *DB) FindAttestationType(ctx context.Context, org, name string) (model.AttestationType, error) {
	return db.findAttestationType(ctx, db.R, org, name)
}

func (db *DB) findAttestationType(ctx context.Context, q querier, org, name string) (model.AttestationType, error) {
	orgID, err := db.orgID(ctx, q, org)
	if err != nil {
		return model.AttestationType{}, fmt.Errorf("sqlstore: find attestation type %s: %w", name, err)
	}
	t := model.AttestationType{Org: org, Name: name}
	var schema, rules string
	var at int64
	err = q.QueryRowContext(ctx, db.q(`SELECT id, description, schema, rules, created_at FROM attestation_types WHERE org_id = ? AND name = ?`), orgID, name).
		Scan(&t.ID, &t.Description, &schema, &rules, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return t, model.Errorf(model.ENOTFOUND, "attestation type %s not found in org %s", name, org)
	}
	if err != nil {
		return t, fmt.Errorf("sqlstore: find attestation type %s: %w", name, err)
	}
	t.CreatedAt = fromMicro(at)
	t.Schema = rawOrNil(schema)
	if err := json.Unmarshal([]byte(rules), &t.Rules); err != nil {
		return t, fmt.Errorf("sqlstore: decode rules of attestation type %s: %w", name, err)
	}
	return t, nil
}
