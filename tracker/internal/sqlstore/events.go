package sqlstore

import (
	"context"
	"fmt"

	"github.com/minitwit-cd/kit/tracker/model"
)

// ListEvents implements model.Store.
func (db *DB) ListEvents(ctx context.Context, org string, fl model.EventFilter) ([]model.Event, int, error) {
	p := fl.Normalize()
	orgID, err := db.orgID(ctx, db.R, org)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: list events of %s: %w", org, err)
	}
	where := `ev.org_id = ?`
	args := []any{orgID}
	if fl.Environment != "" {
		env, _, err := db.findEnv(ctx, db.R, org, fl.Environment)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlstore: list events of %s: %w", org, err)
		}
		where = `ev.env_id = ?`
		args = []any{env.ID}
	}
	if fl.Fingerprint != "" {
		where += ` AND ev.fingerprint = ?`
		args = append(args, fl.Fingerprint)
	}
	if fl.Flow != "" {
		f, _, err := db.findFlow(ctx, db.R, org, fl.Flow)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlstore: list events of %s: %w", org, err)
		}
		where += ` AND ev.fingerprint IN (SELECT fingerprint FROM artifacts WHERE flow_id = ?)`
		args = append(args, f.ID)
	}
	if fl.Type != "" {
		where += ` AND ev.type = ?`
		args = append(args, fl.Type)
	}
	if fl.FromIndex > 0 {
		where += ` AND ev.idx >= ?`
		args = append(args, fl.FromIndex)
	}
	if fl.ToIndex > 0 {
		where += ` AND ev.idx <= ?`
		args = append(args, fl.ToIndex)
	}
	if !fl.Since.IsZero() {
		where += ` AND ev.at >= ?`
		args = append(args, micro(fl.Since))
	}
	var total int
	if err := db.R.QueryRowContext(ctx, db.q(`SELECT count(*) FROM events ev WHERE `+where), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count events: %w", err)
	}
	order := `ev.at, ev.idx, ev.fingerprint`
	if fl.Reverse {
		order = `ev.at DESC, ev.idx DESC, ev.fingerprint DESC`
	}
	// The flow of each event's fingerprint: known when filtering by flow
	// (filled in below, so no name is ever spliced into the SQL), else
	// the org's most recent artifact with it.
	flowCol := `coalesce((SELECT f.name FROM artifacts a JOIN flows f ON f.id = a.flow_id WHERE a.org_id = ev.org_id AND a.fingerprint = ev.fingerprint ORDER BY a.created_at DESC LIMIT 1), '')`
	if fl.Flow != "" {
		flowCol = `''`
	}
	rows, err := db.R.QueryContext(ctx, db.q(`SELECT ev.id, e.name, ev.idx, ev.fingerprint, ev.name, ev.type, ev.was, ev.now, ev.at, `+flowCol+`
		FROM events ev JOIN environments e ON e.id = ev.env_id WHERE `+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`), append(args, p.PerPage, p.Offset())...)
	if err != nil {
		return nil, 0, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	out := []model.Event{}
	for rows.Next() {
		var e model.Event
		var at int64
		if err := rows.Scan(&e.ID, &e.Environment, &e.SnapshotIndex, &e.Fingerprint, &e.ArtifactName, &e.Type, &e.Was, &e.Now, &at, &e.Flow); err != nil {
			return nil, 0, fmt.Errorf("sqlstore: list events of %s: %w", org, err)
		}
		e.At = fromMicro(at)
		if fl.Flow != "" {
			e.Flow = fl.Flow
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: list events of %s: %w", org, err)
	}
	rows.Close() // before the next query: one pooled connection at a time
	if err := db.joinEventDeployments(ctx, orgID, out); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: list events of %s: %w", org, err)
	}
	return out, total, nil
}
