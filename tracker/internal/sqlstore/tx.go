package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/minitwit-cd/kit/tracker/model"
)

// errRace marks a unique violation from a concurrent insert of the same
// record: the transaction is retried, and the retry finds the record.
type errRace struct{ err error }

func (e errRace) Error() string { return "concurrent insert: " + e.err.Error() }

func (e errRace) Unwrap() error { return e.err }

// raced wraps err as errRace when it is a unique violation.
func (db *DB) raced(err error) error {
	if err != nil && db.D.IsUnique(err) {
		return errRace{err}
	}
	return err
}

// withTx runs fn in a write transaction, rolling back on error, and
// retries it a few times when it lost an insert race (PostgreSQL; SQLite's
// single writer cannot race).
func (db *DB) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		err = db.tryTx(ctx, fn)
		var race errRace
		if !errors.As(err, &race) {
			return err
		}
	}
	return model.Errorf(model.ECONFLICT, "too many concurrent writes of the same record; retry (%v)", err)
}

func (db *DB) tryTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// withTxInvalidate is withTx for writes that change what a fingerprint
// shows in snapshots (artifacts, evidence, flows).
func (db *DB) withTxInvalidate(ctx context.Context, fn func(tx *sql.Tx) error) error {
	err := db.withTx(ctx, fn)
	db.cache.invalidate()
	return err
}

func (db *DB) insertID(ctx context.Context, q querier, query string, args ...any) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, db.q(query+" RETURNING id"), args...).Scan(&id)
	if err != nil {
		return id, fmt.Errorf("sqlstore: insert: %w", err)
	}
	return id, nil
}
