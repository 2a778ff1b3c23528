package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

// FlowStarts implements model.Store: one grouped join of the flow's
// artifacts (by the flow's unique (flow_id, fingerprint) index) with their
// started events (by events_org_fp_type, migration 0002), so a flow's
// metrics cost one query whatever else its org runs. CROSS JOIN makes
// SQLite loop over the flow's artifacts rather than over every event of
// the org; PostgreSQL plans it as the inner join it is.
func (db *DB) FlowStarts(ctx context.Context, org, flow string, from, to time.Time) ([]model.FlowStart, error) {
	f, orgID, err := db.findFlow(ctx, db.R, org, flow)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: flow starts of %s: %w", flow, err)
	}
	rows, err := db.R.QueryContext(ctx, db.q(`SELECT e.name, ev.fingerprint, min(ev.at), a.commit_time, a.created_at
		FROM artifacts a CROSS JOIN events ev JOIN environments e ON e.id = ev.env_id
		WHERE a.flow_id = ? AND ev.org_id = ? AND ev.fingerprint = a.fingerprint AND ev.type = ? AND ev.at >= ? AND ev.at <= ?
		GROUP BY e.name, ev.fingerprint, a.commit_time, a.created_at
		ORDER BY e.name, min(ev.at), ev.fingerprint`), f.ID, orgID, model.EventStarted, micro(from), micro(to))
	if err != nil {
		return nil, fmt.Errorf("flow starts of %s: %w", flow, err)
	}
	defer rows.Close()
	out := []model.FlowStart{}
	for rows.Next() {
		var s model.FlowStart
		var at, ct, created int64
		if err := rows.Scan(&s.Environment, &s.Fingerprint, &at, &ct, &created); err != nil {
			return nil, fmt.Errorf("sqlstore: flow starts of %s: %w", flow, err)
		}
		s.At, s.CommitTime, s.CreatedAt = fromMicro(at), fromMicro(ct), fromMicro(created)
		out = append(out, s)
	}
	return out, rows.Err()
}
