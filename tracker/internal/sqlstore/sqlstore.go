// Package sqlstore is the model.Store both SQL adapters share: one set of
// queries over database/sql, written with '?' placeholders and rebound for
// PostgreSQL. tracker/sqlite and tracker/postgres open their databases,
// run their own migrations and hand the handles to New with their Dialect.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

// Dialect is what differs between the SQL databases.
type Dialect struct {
	// Name is "sqlite" or "postgres".
	Name string
	// Dollar rebinds '?' placeholders to $1, $2, … (PostgreSQL).
	Dollar bool
	// ForUpdate is appended to SELECTs that must lock the row they read in
	// a transaction (" FOR UPDATE" on PostgreSQL; SQLite's single writer
	// with BEGIN IMMEDIATE already serializes writers).
	ForUpdate string
	// IsUnique reports whether err is a unique-constraint violation.
	IsUnique func(error) bool
	// CacheArtifacts enables the in-process cache of what a fingerprint
	// is; only safe when this process is the database's only writer.
	CacheArtifacts bool
	// JSONValues is a SELECT of one column, value, with the elements of
	// the JSON array bound to its one placeholder (SQLite's json_each,
	// PostgreSQL's json_array_elements_text). A list of any length is one
	// bound value, where IN (?, ?, …) stops at the driver's limit (32,766
	// variables in SQLite, 65,535 in PostgreSQL).
	JSONValues string
}

// DB is the shared store. Writes go through W, reads through R (the same
// pool on PostgreSQL; a one-connection writer and a reader pool on SQLite).
type DB struct {
	W, R    *sql.DB
	D       Dialect
	onClose func() error
	cache   fpCache
	// orgs caches org name -> id: orgs are never renamed or deleted.
	orgs sync.Map
	// authed caches successful token checks for authTTL: there is no
	// way to revoke a token, so a cached yes cannot become wrong, and
	// it saves a query on every request of a busy reporter.
	authed sync.Map
}

// New returns a store over the writer and reader handles. onClose, if not
// nil, runs on Close after both handles are closed.
func New(w, r *sql.DB, d Dialect, onClose func() error) *DB {
	return &DB{W: w, R: r, D: d, onClose: onClose}
}

var _ model.Store = (*DB)(nil)

func (db *DB) q(query string) string {
	if db.D.Dollar {
		return rebind(query)
	}
	return query
}

// Ping checks both handles.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.W.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlstore: ping: %w", err)
	}
	return db.R.PingContext(ctx)
}

// Close closes the handles.
func (db *DB) Close() error {
	err := db.W.Close()
	if db.R != db.W {
		err = errors.Join(err, db.R.Close())
	}
	if db.onClose != nil {
		err = errors.Join(err, db.onClose())
	}
	return err
}

// micro and fromMicro store times as Unix microseconds.
func micro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicro(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func nowOr(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().UTC()
	}
	return t.UTC()
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// in returns "col IN (…)" over values of any number, with its one
// argument: the values as a JSON array (see Dialect.JSONValues). cast, if
// not empty, is the SQL type the (text) elements are compared as.
func (db *DB) in(col, cast string, values any) (string, any, error) {
	data, err := json.Marshal(values)
	if err != nil {
		return "", nil, fmt.Errorf("sqlstore: encode list for %s: %w", col, err)
	}
	v := "value"
	if cast != "" {
		v = "CAST(value AS " + cast + ")"
	}
	return col + " IN (SELECT " + v + " FROM (" + db.D.JSONValues + ") AS list)", string(data), nil
}

// insertRows runs insert (ending in VALUES) over rows of equal width, in
// multi-row statements of at most maxVars bound values each.
func (db *DB) insertRows(ctx context.Context, q querier, insert string, rows [][]any) error {
	const maxVars = 10000 // well under SQLite's 32,766 and PostgreSQL's 65,535
	if len(rows) == 0 {
		return nil
	}
	width := len(rows[0])
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?,", width), ",") + ")"
	per := max(1, maxVars/width)
	for lo := 0; lo < len(rows); lo += per {
		part := rows[lo:min(lo+per, len(rows))]
		args := make([]any, 0, len(part)*width)
		for _, r := range part {
			args = append(args, r...)
		}
		stmt := insert + strings.TrimSuffix(strings.Repeat(tuple+",", len(part)), ",")
		if _, err := q.ExecContext(ctx, db.q(stmt), args...); err != nil {
			return err
		}
	}
	return nil
}
