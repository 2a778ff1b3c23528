package sqlstore

import (
	"context"
	"fmt"

	"github.com/minitwit-cd/kit/tracker/model"
)

// refreshArtifactState recomputes the stored compliance state of one
// artifact (kept denormalized so snapshots can show compliance cheaply).
func (db *DB) refreshArtifactState(ctx context.Context, tx querier, flowID int64, template []string, fp, trail string) (string, error) {
	ev, err := db.latestEvidence(ctx, tx, flowID, fp, trail)
	if err != nil {
		return "", fmt.Errorf("sqlstore: refresh state of artifact %s: %w", fp, err)
	}
	state := model.ComplianceState(template, ev)
	_, err = tx.ExecContext(ctx, db.q(`UPDATE artifacts SET state = ? WHERE flow_id = ? AND fingerprint = ?`), state, flowID, fp)
	if err != nil {
		return state, fmt.Errorf("sqlstore: refresh state of artifact %s: %w", fp, err)
	}
	return state, nil
}

func (db *DB) refreshFlowStates(ctx context.Context, tx querier, flowID int64, template []string) error {
	pairs, err := db.fingerprintTrails(ctx, tx, `SELECT fingerprint, trail FROM artifacts WHERE flow_id = ?`, flowID)
	if err != nil {
		return fmt.Errorf("sqlstore: refresh artifact states of flow %d: %w", flowID, err)
	}
	for _, x := range pairs {
		if _, err := db.refreshArtifactState(ctx, tx, flowID, template, x[0], x[1]); err != nil {
			return fmt.Errorf("sqlstore: refresh artifact states of flow %d: %w", flowID, err)
		}
	}
	return nil
}

// fingerprintTrails runs a query of two text columns.
func (db *DB) fingerprintTrails(ctx context.Context, q querier, query string, args ...any) ([][2]string, error) {
	rows, err := q.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: query fingerprints and trails: %w", err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var x [2]string
		if err := rows.Scan(&x[0], &x[1]); err != nil {
			return nil, fmt.Errorf("sqlstore: query fingerprints and trails: %w", err)
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
		return nil, fmt.Errorf("sqlstore: latest evidence of %s: %w", fp, err)
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
