// Package sqlstore is the model.Store both SQL adapters share: one set of
// queries over database/sql, written with '?' placeholders and rebound for
// PostgreSQL. tracker/sqlite and tracker/postgres open their databases,
// run their own migrations and hand the handles to New with their Dialect.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
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

// authTTL bounds how long a successful token check is remembered.
const authTTL = time.Minute

// New returns a store over the writer and reader handles. onClose, if not
// nil, runs on Close after both handles are closed.
func New(w, r *sql.DB, d Dialect, onClose func() error) *DB {
	return &DB{W: w, R: r, D: d, onClose: onClose}
}

var _ model.Store = (*DB)(nil)

// Migrate applies the ordered *.sql files of dir in fsys that are not yet
// recorded in schema_migrations, each in its own transaction.
func Migrate(ctx context.Context, db *sql.DB, fsys embed.FS, dir string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		var n int
		if err := db.QueryRowContext(ctx, rebindFor(db, `SELECT count(*) FROM schema_migrations WHERE version = ?`), name).Scan(&n); err != nil {
			return fmt.Errorf("check migration %s: %w", name, err)
		}
		if n > 0 {
			continue
		}
		body, err := fsys.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, rebindFor(db, `INSERT INTO schema_migrations (version) VALUES (?)`), name); err != nil {
			tx.Rollback()
			return fmt.Errorf("record migration %s: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit migration %s: %w", name, err)
		}
	}
	return nil
}

// rebindFor guesses the placeholder style from the driver (only used by
// Migrate, which has no Dialect).
func rebindFor(db *sql.DB, q string) string {
	if strings.Contains(fmt.Sprintf("%T", db.Driver()), "pgx") || strings.Contains(fmt.Sprintf("%T", db.Driver()), "stdlib") {
		return rebind(q)
	}
	return q
}

func rebind(q string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

func (db *DB) q(query string) string {
	if db.D.Dollar {
		return rebind(query)
	}
	return query
}

// Ping checks both handles.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.W.PingContext(ctx); err != nil {
		return err
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
	return id, err
}

// orgID resolves an org name.
func (db *DB) orgID(ctx context.Context, q querier, org string) (int64, error) {
	if v, ok := db.orgs.Load(org); ok {
		return v.(int64), nil
	}
	var id int64
	err := q.QueryRowContext(ctx, db.q(`SELECT id FROM orgs WHERE name = ?`), org).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, model.Errorf(model.ENOTFOUND, "org %s not found", org)
	}
	if err != nil {
		return 0, fmt.Errorf("find org %s: %w", org, err)
	}
	db.orgs.Store(org, id)
	return id, nil
}

// CreateOrg implements model.Store.
func (db *DB) CreateOrg(ctx context.Context, name string) (string, error) {
	if err := model.ValidateName("org", name); err != nil {
		return "", err
	}
	token, err := model.NewToken()
	if err != nil {
		return "", err
	}
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		id, err := db.insertID(ctx, tx, `INSERT INTO orgs (name, created_at) VALUES (?, ?)`, name, micro(time.Now()))
		if err != nil {
			if db.D.IsUnique(err) {
				return model.Errorf(model.ECONFLICT, "org %s already exists", name)
			}
			return fmt.Errorf("insert org: %w", err)
		}
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO tokens (hash, org_id, created_at) VALUES (?, ?, ?)`), model.HashToken(token), id, micro(time.Now()))
		return err
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// CreateToken implements model.Store.
func (db *DB) CreateToken(ctx context.Context, org string) (string, error) {
	id, err := db.orgID(ctx, db.R, org)
	if err != nil {
		return "", err
	}
	token, err := model.NewToken()
	if err != nil {
		return "", err
	}
	if _, err := db.W.ExecContext(ctx, db.q(`INSERT INTO tokens (hash, org_id, created_at) VALUES (?, ?, ?)`), model.HashToken(token), id, micro(time.Now())); err != nil {
		return "", fmt.Errorf("insert token: %w", err)
	}
	return token, nil
}

// FindOrg implements model.Store.
func (db *DB) FindOrg(ctx context.Context, name string) (model.Org, error) {
	o := model.Org{Name: name}
	var at int64
	err := db.R.QueryRowContext(ctx, db.q(`SELECT id, created_at FROM orgs WHERE name = ?`), name).Scan(&o.ID, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return o, model.Errorf(model.ENOTFOUND, "org %s not found", name)
	}
	o.CreatedAt = fromMicro(at)
	return o, err
}

// ListOrgs implements model.Store.
func (db *DB) ListOrgs(ctx context.Context) ([]model.Org, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT id, name, created_at FROM orgs ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []model.Org{}
	for rows.Next() {
		var o model.Org
		var at int64
		if err := rows.Scan(&o.ID, &o.Name, &at); err != nil {
			return nil, err
		}
		o.CreatedAt = fromMicro(at)
		out = append(out, o)
	}
	return out, rows.Err()
}

// Authenticate implements model.Store.
func (db *DB) Authenticate(ctx context.Context, org, token string) error {
	id, err := db.orgID(ctx, db.R, org)
	if err != nil {
		return err
	}
	if token == "" {
		return model.Errorf(model.EUNAUTHORIZED, "missing API token for org %s", org)
	}
	hash := model.HashToken(token)
	key := strconv.FormatInt(id, 10) + ":" + hash
	if v, ok := db.authed.Load(key); ok && time.Now().Before(v.(time.Time)) {
		return nil
	}
	var n int
	if err := db.R.QueryRowContext(ctx, db.q(`SELECT count(*) FROM tokens WHERE hash = ? AND org_id = ?`), hash, id).Scan(&n); err != nil {
		return fmt.Errorf("check token: %w", err)
	}
	if n == 0 {
		return model.Errorf(model.EUNAUTHORIZED, "invalid API token for org %s", org)
	}
	db.authed.Store(key, time.Now().Add(authTTL))
	return nil
}
