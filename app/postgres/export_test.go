package postgres

import (
	"context"
	"math"
	"strings"
)

// ExplainHome returns the plan of the home timeline query, for tests.
func (db *DB) ExplainHome(ctx context.Context, userID int64, limit int) (string, error) {
	rows, err := db.pool.Query(ctx, "EXPLAIN "+sqlHome, int64(math.MaxInt64), limit, userID)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return "", err
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n"), rows.Err()
}
