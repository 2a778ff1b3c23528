package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SetLatest records the simulator's latest action ID in one upsert; of
// concurrent calls the last to commit wins, as in the course reference.
func (db *DB) SetLatest(ctx context.Context, latest int64) error {
	if _, err := db.setLatest.ExecContext(ctx, latest); err != nil {
		return fmt.Errorf("sqlite: set latest %d: %w", latest, err)
	}
	return nil
}

// Latest returns the recorded ID, or -1 when none was ever recorded.
func (db *DB) Latest(ctx context.Context) (int64, error) {
	var v int64
	err := db.latest.QueryRowContext(ctx).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return -1, nil
	} else if err != nil {
		return 0, fmt.Errorf("sqlite: latest: %w", err)
	}
	return v, nil
}
