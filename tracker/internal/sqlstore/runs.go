package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/minitwit-cd/kit/tracker/model"
)

func formatTimestamps(ts []int64) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = strconv.FormatInt(t, 10)
	}
	return strings.Join(parts, ",")
}

func parseTimestamps(s string) []int64 {
	if s == "" {
		return []int64{}
	}
	parts := strings.Split(s, ",")
	out := make([]int64, 0, len(parts))
	for _, p := range parts {
		if v, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, v)
		}
	}
	return out
}

type run struct {
	id   int64
	ra   model.RunningArtifact
	from int
	to   int
}

func (db *DB) queryRuns(ctx context.Context, q querier, query string, args ...any) ([]run, error) {
	rows, err := q.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("query runs: %w", err)
	}
	defer rows.Close()
	var out []run
	for rows.Next() {
		var r run
		var ts string
		if err := rows.Scan(&r.id, &r.ra.Fingerprint, &r.ra.Name, &ts, &r.from, &r.to); err != nil {
			return nil, fmt.Errorf("sqlstore: query runs: %w", err)
		}
		r.ra.CreationTimestamps = parseTimestamps(ts)
		out = append(out, r)
	}
	return out, rows.Err()
}

const runCols = `id, fingerprint, name, timestamps, from_idx, to_idx`
