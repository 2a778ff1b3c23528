package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/minitwit-cd/kit/app/minitwit"
)

// SetLatest records the simulator's latest action ID in one upsert; of
// concurrent calls the last to commit wins, as in the course reference.
func (db *DB) SetLatest(ctx context.Context, latest int64) error {
	if _, err := db.setLatest.ExecContext(ctx, latest); err != nil {
		return fmt.Errorf("sqlite: set latest %d: %w", latest, err)
	}
	return nil
}

// write executes one of the writer's statements. When ctx carries a
// simulator action ID (minitwit.WithLatest), it runs in a transaction
// with the latest upsert, so both commit or neither, in one commit. The
// statement's own error comes back unwrapped, for the callers' mapping
// of constraint errors.
func (db *DB) write(ctx context.Context, st *sql.Stmt, args ...any) (sql.Result, error) {
	id, ok := minitwit.LatestFrom(ctx)
	if !ok {
		return st.ExecContext(ctx, args...)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	// Transaction-specific statements close with the transaction.
	res, err := tx.StmtContext(ctx, st).ExecContext(ctx, args...) //nolint:sqlclosecheck // closed by Commit/Rollback
	if err != nil {
		return nil, err
	}
	if _, err := tx.StmtContext(ctx, db.setLatest).ExecContext(ctx, id); err != nil { //nolint:sqlclosecheck // closed by Commit/Rollback
		return nil, fmt.Errorf("set latest %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return res, nil
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
