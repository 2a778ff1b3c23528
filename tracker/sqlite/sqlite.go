// Package sqlite implements model.Store on SQLite (mattn/go-sqlite3): WAL,
// a busy timeout, foreign keys, one writer connection (BEGIN IMMEDIATE)
// beside a pool of read-only connections, and embedded ordered migrations.
// The queries live in tracker/internal/sqlstore, shared with PostgreSQL.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"

	"github.com/mattn/go-sqlite3"
	"github.com/minitwit-cd/kit/tracker/internal/sqlstore"
	"github.com/minitwit-cd/kit/tracker/model"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect is SQLite's: '?' placeholders, no row locks (the single writer
// connection and BEGIN IMMEDIATE serialize writers), and the fingerprint
// cache, since one process owns the file.
var Dialect = sqlstore.Dialect{
	Name:           "sqlite",
	CacheArtifacts: true,
	JSONValues:     `SELECT value FROM json_each(?)`,
	IsUnique: func(err error) bool {
		var se sqlite3.Error
		return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
	},
}

// Open opens (creating if needed) and migrates the SQLite database file at
// path. A bare ":memory:" is refused: each pooled connection would get its
// own empty database.
func Open(ctx context.Context, path string) (model.Store, error) {
	if path == "" || path == ":memory:" || strings.Contains(path, "mode=memory") {
		return nil, fmt.Errorf("sqlite: need a database file path, got %q", path)
	}
	path = strings.TrimPrefix(path, "sqlite://")
	path = strings.TrimPrefix(path, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	// A 16 MB page cache per connection (five connections) keeps the
	// server's memory bounded; the OS page cache holds the rest.
	base := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_journal_mode=WAL&_busy_timeout=10000&_foreign_keys=on&_synchronous=NORMAL&_cache_size=-16000"
	w, err := sql.Open("sqlite3", base+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	// One writer: SQLite has one anyway, and queueing in Go is cheaper
	// than spinning on SQLITE_BUSY.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := sqlstore.Migrate(ctx, w, migrations, "migrations"); err != nil {
		w.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	r, err := sql.Open("sqlite3", base+"&_query_only=true")
	if err != nil {
		w.Close()
		return nil, err
	}
	n := max(4, runtime.NumCPU()*2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	return sqlstore.New(w, r, Dialect, nil), nil
}
