// Package sqlite implements minitwit.Store on an SQLite file with
// mattn/go-sqlite3.
//
// The file runs in WAL mode, so readers never wait for the writer. Writes go
// through one connection of their own (SQLite allows one writer at a time;
// queueing them in Go is cheaper than SQLITE_BUSY retries), reads through a
// pool of query-only connections. synchronous=NORMAL keeps every committed
// transaction across a process crash (SIGKILL); only a power loss may drop
// the last few, which is the trade the course's deployments make too.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/minitwit-cd/kit/app/minitwit"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// driverName is our registration of the driver, with a hook that sets the
// pragmas the DSN cannot express.
const driverName = "sqlite3_minitwit"

var (
	registerOnce sync.Once
	// memstatusRC is disableMemstatus's result: 0 when it took effect.
	memstatusRC int
)

func register() {
	registerOnce.Do(func() {
		memstatusRC = disableMemstatus()
		sql.Register(driverName, &sqlite3.SQLiteDriver{ConnectHook: connectHook(cacheSize)})
		sql.Register(statsDriverName, &sqlite3.SQLiteDriver{ConnectHook: connectHook(statsCacheSize)})
	})
}

// connectHook sets a new connection's pragmas, with a page cache of
// cache (PRAGMA cache_size's value).
func connectHook(cache string) func(*sqlite3.SQLiteConn) error {
	return func(c *sqlite3.SQLiteConn) error {
		// temp_store=MEMORY: the scratch image has no /tmp for sorter
		// spill files. mmap stays off: with the whole database mapped,
		// every page a random-user workload touches counts toward the
		// server's resident memory (180 MB at 1M messages in the
		// benchmark's mixed phase, 61 MB without), and it bought no
		// measurable read speed. journal_size_limit truncates the WAL
		// after a checkpoint once it has grown past 64 MiB (after a bulk
		// load).
		for _, p := range []string{
			"PRAGMA temp_store = MEMORY",
			"PRAGMA mmap_size = 0",
			"PRAGMA cache_size = " + cache,
			"PRAGMA journal_size_limit = 67108864",
		} {
			if _, err := c.Exec(p, nil); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		return nil
	}
}

// statsDriverName is the driver of the one connection that counts rows
// for Stats, with a small page cache: a count reads a whole table, and
// in a reader's 16 MB cache those pages would stay resident and push out
// the pages the API reads (30 MB more resident memory in the benchmark's
// mixed phase).
const statsDriverName = driverName + "_stats"

// statsCacheSize is the stats connection's page cache: 1 MB.
const statsCacheSize = "-1000"

// cacheSize is each connection's page cache: 16 MB (negative: KiB).
const cacheSize = "-16000"

// BusyTimeout is how long a write waits for a lock another process holds
// (a second instance, a backup) before failing.
const BusyTimeout = 5 * time.Second

// DB is an open MiniTwit SQLite database. It implements minitwit.Store and
// bulk.Loader, and is safe for concurrent use.
type DB struct {
	path string
	w    *sql.DB // exactly one connection: all writes
	r    *sql.DB // query_only connections: all reads
	s    *sql.DB // one query_only connection with a small cache: Stats

	// Hot statements, prepared once at open.
	insUser, insMessage, insFollow, delFollow, setLatest *sql.Stmt
	userByName, userByID, isFollowing, following, latest *sql.Stmt
	public, user, home                                   *sql.Stmt

	cache publicCache
}

// Open opens (creating if needed) the database file at path, applies the
// migrations it lacks in one transaction and prepares the statements.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: open: empty database path")
	}
	if path == ":memory:" || strings.Contains(path, "mode=memory") {
		// Every pooled connection would get its own empty database.
		return nil, fmt.Errorf("sqlite: open %s: in-memory databases are not supported; use a file", path)
	}
	register()
	db := &DB{path: path}
	var err error
	db.w, err = sql.Open(driverName, dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxIdleTime(0)
	db.w.SetConnMaxLifetime(0)
	if err := db.w.PingContext(ctx); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := migrate(ctx, db.w, migrationFS); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// Readers open after the writer has switched the file to WAL.
	db.r, err = sql.Open(driverName, dsn(path, true))
	if err != nil {
		db.w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	db.r.SetMaxOpenConns(n)
	db.r.SetMaxIdleConns(n)
	db.r.SetConnMaxIdleTime(0)
	db.r.SetConnMaxLifetime(0)
	db.s, err = sql.Open(statsDriverName, dsn(path, true))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.s.SetMaxOpenConns(1)
	db.s.SetMaxIdleConns(1)
	if err := db.prepare(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// dsn builds a file: URI, so that any path (spaces, '?', '#') names the
// file, with the driver's per-connection settings.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(BusyTimeout.Milliseconds()))
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "NORMAL")
	// database/sql serialises use of a connection, so SQLite's own
	// per-connection mutex is pure overhead.
	q.Set("_mutex", "no")
	if readOnly {
		q.Set("_query_only", "1")
	} else {
		q.Set("_journal_mode", "WAL")
		// Take the write lock at BEGIN, so a transaction never fails
		// half-way on a lock upgrade.
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// migrate applies the embedded migrations that schema_migrations does not
// list yet, in name order, all in one immediate transaction, so concurrent
// openers of one file apply each exactly once.
func migrate(ctx context.Context, w *sql.DB, fsys fs.FS) error {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name       TEXT PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	for _, name := range names {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if n > 0 {
			continue
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, time.Now().Unix()); err != nil {
			return fmt.Errorf("migrate %s: record: %w", name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// The timeline queries select the same columns, scanned by scanMessages.
// CROSS JOIN fixes the join order: the message side drives, the author is
// a primary-key lookup per returned row.
const messageColumns = `m.message_id, m.author_id, u.username, u.email, m.text, m.pub_date`

const (
	sqlPublic = `SELECT ` + messageColumns + `
		FROM message m CROSS JOIN user u ON u.user_id = m.author_id
		WHERE m.flagged = 0 AND m.message_id < ?1
		ORDER BY m.message_id DESC LIMIT ?2`
	sqlUser = `SELECT ` + messageColumns + `
		FROM message m CROSS JOIN user u ON u.user_id = m.author_id
		WHERE m.author_id = ?3 AND m.flagged = 0 AND m.message_id < ?1
		ORDER BY m.message_id DESC LIMIT ?2`
	// The home timeline first finds the IDs, then reads only those
	// messages and their authors. For each author (the user and everyone
	// followed) it finds lo, the ID of the author's ?2-th newest message
	// before ?1, stepping through at most ?2 entries of the covering
	// message_author index; the author's candidates are then the index
	// range [lo, ?1), at most ?2 entries again. The newest ?2 of all
	// candidates are the page. The cost follows the number of followed
	// users and the page size, never the number of messages. (This beats
	// a correlated "IN (... LIMIT ?2)" per author, which SQLite evaluates
	// far more often than once per author.)
	sqlHome = `WITH authors(a) AS (
			SELECT whom_id FROM follower WHERE who_id = ?3
			UNION SELECT ?3
		),
		bounds(a, lo) AS (
			SELECT a, coalesce((
				SELECT message_id FROM message
				WHERE author_id = a AND flagged = 0 AND message_id < ?1
				ORDER BY message_id DESC LIMIT 1 OFFSET ?2 - 1), 0)
			FROM authors
		)
		SELECT ` + messageColumns + `
		FROM message m CROSS JOIN user u ON u.user_id = m.author_id
		WHERE m.message_id IN (
			SELECT x.message_id FROM bounds CROSS JOIN message x
			WHERE x.author_id = bounds.a AND x.flagged = 0
				AND x.message_id < ?1 AND x.message_id >= bounds.lo
			ORDER BY x.message_id DESC LIMIT ?2)
		ORDER BY m.message_id DESC`
)

func (db *DB) prepare(ctx context.Context) error {
	for _, s := range []struct {
		db   *sql.DB
		dst  **sql.Stmt
		text string
	}{
		{db.w, &db.insUser, `INSERT INTO user (username, email, pw_hash) VALUES (?, ?, ?)`},
		{db.w, &db.insMessage, `INSERT INTO message (author_id, text, pub_date, flagged) VALUES (?, ?, ?, 0)`},
		{db.w, &db.insFollow, `INSERT INTO follower (who_id, whom_id, seq)
			VALUES (?1, ?2, (SELECT coalesce(max(seq), 0) + 1 FROM follower WHERE who_id = ?1))
			ON CONFLICT (who_id, whom_id) DO NOTHING`},
		{db.w, &db.delFollow, `DELETE FROM follower WHERE who_id = ? AND whom_id = ?`},
		{db.w, &db.setLatest, `INSERT INTO latest (id, value) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET value = excluded.value`},
		{db.r, &db.userByName, `SELECT user_id, username, email, pw_hash, session_gen FROM user WHERE username = ?`},
		{db.r, &db.userByID, `SELECT user_id, username, email, pw_hash, session_gen FROM user WHERE user_id = ?`},
		{db.r, &db.isFollowing, `SELECT count(*) FROM follower WHERE who_id = ? AND whom_id = ?`},
		{db.r, &db.following, `SELECT u.username FROM follower f CROSS JOIN user u ON u.user_id = f.whom_id
			WHERE f.who_id = ? ORDER BY f.seq LIMIT ?`},
		{db.r, &db.latest, `SELECT value FROM latest WHERE id = 1`},
		{db.r, &db.public, sqlPublic},
		{db.r, &db.user, sqlUser},
		{db.r, &db.home, sqlHome},
	} {
		st, err := s.db.PrepareContext(ctx, s.text) //nolint:sqlclosecheck // kept open until Close
		if err != nil {
			return fmt.Errorf("prepare %q: %w", firstLine(s.text), err)
		}
		*s.dst = st
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Ping checks that both pools answer.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping %s: %w", db.path, err)
	}
	if err := db.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping %s: %w", db.path, err)
	}
	return nil
}

// Close closes the statements and both pools. It lets SQLite refresh its
// planner statistics first, which is cheap and only touches what changed.
func (db *DB) Close() error {
	for _, st := range []*sql.Stmt{db.insUser, db.insMessage, db.insFollow, db.delFollow, db.setLatest,
		db.userByName, db.userByID, db.isFollowing, db.following, db.latest, db.public, db.user, db.home} {
		if st != nil {
			st.Close()
		}
	}
	var errs []error
	if db.s != nil {
		errs = append(errs, db.s.Close())
	}
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, _ = db.w.ExecContext(ctx, "PRAGMA optimize")
		cancel()
		errs = append(errs, db.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close %s: %w", db.path, err)
	}
	return nil
}

// Stats counts users, messages and follow edges. count(*) walks the
// smallest index of each table: milliseconds per million rows, fine for a
// metrics scrape, not for a request path.
func (db *DB) Stats(ctx context.Context) (minitwit.Stats, error) {
	var s minitwit.Stats
	err := db.s.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM user),
		(SELECT count(*) FROM message),
		(SELECT count(*) FROM follower)`).Scan(&s.Users, &s.Messages, &s.Follows)
	if err != nil {
		return minitwit.Stats{}, fmt.Errorf("sqlite: stats: %w", err)
	}
	return s, nil
}

// sqliteCode returns the extended result code of an SQLite error, or 0.
func sqliteCode(err error) sqlite3.ErrNoExtended {
	var e sqlite3.Error
	if errors.As(err, &e) {
		return e.ExtendedCode
	}
	return 0
}
