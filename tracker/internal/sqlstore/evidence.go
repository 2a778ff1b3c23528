package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/minitwit-cd/kit/tracker/model"
)

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
			return nil, fmt.Errorf("sqlstore: query evidence: %w", err)
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
		return e, fmt.Errorf("sqlstore: add evidence %s: %w", e.Name, err)
	}
	err := db.withTxInvalidate(ctx, func(tx *sql.Tx) error {
		f, _, err := db.findFlow(ctx, tx, org, e.Flow)
		if err != nil {
			return fmt.Errorf("sqlstore: add evidence %s: %w", e.Name, err)
		}
		var artTrail string
		if e.Fingerprint != "" {
			err := tx.QueryRowContext(ctx, db.q(`SELECT trail FROM artifacts WHERE flow_id = ? AND fingerprint = ?`), f.ID, e.Fingerprint).Scan(&artTrail)
			if errors.Is(err, sql.ErrNoRows) {
				return model.Errorf(model.ENOTFOUND, "artifact with fingerprint %s not found in flow %s", e.Fingerprint, e.Flow)
			}
			if err != nil {
				return fmt.Errorf("sqlstore: add evidence %s: %w", e.Name, err)
			}
		}
		if e.Trail != "" {
			if _, err := db.ensureTrail(ctx, tx, org, &model.Trail{Flow: e.Flow, Name: e.Trail, CreatedAt: e.CreatedAt}); err != nil {
				return fmt.Errorf("sqlstore: add evidence %s: %w", e.Name, err)
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
			if err != nil {
				return fmt.Errorf("sqlstore: add evidence %s: %w", e.Name, err)
			}
			return nil
		}
		// Trail evidence counts for every artifact of the trail.
		pairs, err := db.fingerprintTrails(ctx, tx, `SELECT fingerprint, trail FROM artifacts WHERE flow_id = ? AND trail = ?`, f.ID, e.Trail)
		if err != nil {
			return fmt.Errorf("sqlstore: add evidence %s: %w", e.Name, err)
		}
		for _, x := range pairs {
			if _, err := db.refreshArtifactState(ctx, tx, f.ID, f.Template, x[0], x[1]); err != nil {
				return fmt.Errorf("sqlstore: add evidence %s: %w", e.Name, err)
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
		return nil, fmt.Errorf("sqlstore: list evidence of flow %s: %w", fl.Flow, err)
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
		return nil, fmt.Errorf("sqlstore: list evidence of flow %s: %w", fl.Flow, err)
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
	ids := make([]int64, 0, len(evs))
	for i, e := range evs {
		byID[e.ID] = i
		ids = append(ids, e.ID)
	}
	inIDs, idArg, err := db.in("evidence_id", "BIGINT", ids)
	if err != nil {
		return nil, err
	}
	rows, err := db.R.QueryContext(ctx, db.q(`SELECT evidence_id, name, content FROM evidence_files WHERE `+inIDs+` ORDER BY id`), idArg)
	if err != nil {
		return nil, fmt.Errorf("evidence files: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var file model.File
		if err := rows.Scan(&id, &file.Name, &file.Content); err != nil {
			return nil, fmt.Errorf("sqlstore: list evidence of flow %s: %w", fl.Flow, err)
		}
		i := byID[id]
		evs[i].Files = append(evs[i].Files, file)
	}
	return evs, rows.Err()
}

// FindEvidence implements model.Store.
func (db *DB) FindEvidence(ctx context.Context, org string, id int64) (model.Evidence, error) {
	orgID, err := db.orgID(ctx, db.R, org)
	if err != nil {
		return model.Evidence{}, fmt.Errorf("sqlstore: find evidence %d: %w", id, err)
	}
	var flow string
	err = db.R.QueryRowContext(ctx, db.q(`SELECT f.name FROM evidence e JOIN flows f ON f.id = e.flow_id WHERE e.id = ? AND f.org_id = ?`), id, orgID).Scan(&flow)
	if errors.Is(err, sql.ErrNoRows) {
		return model.Evidence{}, model.Errorf(model.ENOTFOUND, "attestation %d not found in org %s", id, org)
	}
	if err != nil {
		return model.Evidence{}, fmt.Errorf("sqlstore: find evidence %d: %w", id, err)
	}
	evs, err := db.queryEvidence(ctx, db.R, `SELECT id, fingerprint, trail, name, type, compliant, description, data, created_at FROM evidence WHERE id = ?`, id)
	if err != nil || len(evs) != 1 {
		return model.Evidence{}, fmt.Errorf("sqlstore: find evidence %d: %w", id, errors.Join(err, sql.ErrNoRows))
	}
	e := evs[0]
	e.Flow = flow
	rows, err := db.R.QueryContext(ctx, db.q(`SELECT name, content FROM evidence_files WHERE evidence_id = ? ORDER BY id`), id)
	if err != nil {
		return e, fmt.Errorf("sqlstore: files of evidence %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var file model.File
		if err := rows.Scan(&file.Name, &file.Content); err != nil {
			return e, fmt.Errorf("sqlstore: files of evidence %d: %w", id, err)
		}
		e.Files = append(e.Files, file)
	}
	if err := rows.Err(); err != nil {
		return e, fmt.Errorf("sqlstore: files of evidence %d: %w", id, err)
	}
	return e, nil
}
