// Package postgres implements minitwit.Store on PostgreSQL with pgx v5
// (pgxpool). It keeps the SQLite store's behaviour and schema names; pgx
// prepares and caches each statement per connection on first use, so the
// hot paths send no SQL text after warm-up.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/minitwit-cd/kit/app/minitwit"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLock is the advisory lock key that serialises concurrent
// migrators of one database (several app replicas starting at once).
const migrationLock = 0x6d696e6974776974 // "minitwit"

// DB is an open MiniTwit PostgreSQL database. It implements minitwit.Store
// and bulk.Loader, and is safe for concurrent use.
type DB struct {
	pool *pgxpool.Pool
	name string // host/database, for error messages (never the password)
}

// Open connects to the database at the postgres:// URL, applies the
// migrations it lacks in one transaction and returns the store.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx redacts the password in parse errors.
		return nil, fmt.Errorf("postgres: %w", err)
	}
	name := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", name, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", name, err)
	}
	db := &DB{pool: pool, name: name}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", name, err)
	}
	return db, nil
}

func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name       TEXT PRIMARY KEY,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	for _, name := range names {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE name = $1`, name).Scan(&n); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if n > 0 {
			continue
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		// No arguments: the simple protocol runs the file's several statements.
		if _, err := tx.Exec(ctx, string(body), pgx.QueryExecModeSimpleProtocol); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`, name, time.Now().Unix()); err != nil {
			return fmt.Errorf("migrate %s: record: %w", name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping %s: %w", db.name, err)
	}
	return nil
}

// Close closes the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Stats counts users, messages and follow edges.
func (db *DB) Stats(ctx context.Context) (minitwit.Stats, error) {
	var s minitwit.Stats
	err := db.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM "user"),
		(SELECT count(*) FROM message),
		(SELECT count(*) FROM follower)`).Scan(&s.Users, &s.Messages, &s.Follows)
	if err != nil {
		return minitwit.Stats{}, fmt.Errorf("postgres: stats: %w", err)
	}
	return s, nil
}

// CreateUser inserts a user; the UNIQUE constraint makes a taken name an
// atomic ECONFLICT.
func (db *DB) CreateUser(ctx context.Context, username, email, pwHash string) (minitwit.User, error) {
	for _, f := range [][2]string{{"username", username}, {"email", email}, {"password hash", pwHash}} {
		if err := minitwit.CheckText(f[0], f[1], 0); err != nil {
			return minitwit.User{}, err
		}
	}
	u := minitwit.User{Username: username, Email: email, PwHash: pwHash}
	err := db.write(ctx, func(q querier) error {
		return q.QueryRow(ctx, `INSERT INTO "user" (username, email, pw_hash) VALUES ($1, $2, $3) RETURNING user_id`,
			username, email, pwHash).Scan(&u.ID)
	})
	if pgCode(err) == codeUnique {
		return minitwit.User{}, minitwit.Errorf(minitwit.ECONFLICT, "%s", minitwit.MsgUsernameTaken)
	} else if err != nil {
		return minitwit.User{}, fmt.Errorf("postgres: create user %q: %w", username, err)
	}
	return u, nil
}

// UserByName returns the user with exactly that username, or ENOTFOUND.
func (db *DB) UserByName(ctx context.Context, username string) (minitwit.User, error) {
	if minitwit.CheckText("username", username, 0) != nil {
		// No stored name contains such characters (CreateUser refuses
		// them), and PostgreSQL would fail on them as a parameter.
		return minitwit.User{}, minitwit.Errorf(minitwit.ENOTFOUND, "Unknown user %q", username)
	}
	var u minitwit.User
	err := db.pool.QueryRow(ctx, `SELECT user_id, username, email, pw_hash, session_gen FROM "user" WHERE username = $1`, username).
		Scan(&u.ID, &u.Username, &u.Email, &u.PwHash, &u.SessionGen)
	if errors.Is(err, pgx.ErrNoRows) {
		return minitwit.User{}, minitwit.Errorf(minitwit.ENOTFOUND, "Unknown user %q", username)
	} else if err != nil {
		return minitwit.User{}, fmt.Errorf("postgres: user %q: %w", username, err)
	}
	return u, nil
}

// UserByID returns the user with that ID, or ENOTFOUND.
func (db *DB) UserByID(ctx context.Context, id int64) (minitwit.User, error) {
	var u minitwit.User
	err := db.pool.QueryRow(ctx, `SELECT user_id, username, email, pw_hash, session_gen FROM "user" WHERE user_id = $1`, id).
		Scan(&u.ID, &u.Username, &u.Email, &u.PwHash, &u.SessionGen)
	if errors.Is(err, pgx.ErrNoRows) {
		return minitwit.User{}, minitwit.Errorf(minitwit.ENOTFOUND, "Unknown user %d", id)
	} else if err != nil {
		return minitwit.User{}, fmt.Errorf("postgres: user %d: %w", id, err)
	}
	return u, nil
}

// AddMessage stores a message by an existing user; ENOTFOUND when the
// author does not exist.
func (db *DB) AddMessage(ctx context.Context, authorID int64, text string, pubDate time.Time) (int64, error) {
	if err := minitwit.ValidateMessage(text); err != nil {
		return 0, err
	}
	var id int64
	err := db.write(ctx, func(q querier) error {
		return q.QueryRow(ctx, `INSERT INTO message (author_id, text, pub_date) VALUES ($1, $2, $3) RETURNING message_id`,
			authorID, text, pubDate.Unix()).Scan(&id)
	})
	if pgCode(err) == codeForeignKey {
		return 0, minitwit.Errorf(minitwit.ENOTFOUND, "Unknown user %d", authorID)
	} else if err != nil {
		return 0, fmt.Errorf("postgres: add message by %d: %w", authorID, err)
	}
	return id, nil
}

const messageColumns = `m.message_id, m.author_id, u.username, u.email, m.text, m.pub_date`

const (
	sqlPublic = `SELECT ` + messageColumns + `
		FROM message m JOIN "user" u ON u.user_id = m.author_id
		WHERE m.flagged = 0 AND m.message_id < $1
		ORDER BY m.message_id DESC LIMIT $2`
	sqlUser = `SELECT ` + messageColumns + `
		FROM message m JOIN "user" u ON u.user_id = m.author_id
		WHERE m.author_id = $3 AND m.flagged = 0 AND m.message_id < $1
		ORDER BY m.message_id DESC LIMIT $2`
	// The home timeline first finds the IDs: at most $2 newest from each
	// author (the user and everyone followed), by index-only scans of
	// message_author, of which it keeps the newest $2; only then does it
	// read those messages and their authors. The cost follows the number
	// of followed users and the page size, not the number of messages.
	sqlHome = `SELECT ` + messageColumns + `
		FROM message m JOIN "user" u ON u.user_id = m.author_id
		WHERE m.message_id IN (
			SELECT x.message_id
			FROM (SELECT whom_id AS a FROM follower WHERE who_id = $3 UNION SELECT $3::bigint) f
			CROSS JOIN LATERAL (
				SELECT message_id FROM message
				WHERE author_id = f.a AND flagged = 0 AND message_id < $1
				ORDER BY message_id DESC LIMIT $2) x
			ORDER BY x.message_id DESC LIMIT $2)
		ORDER BY m.message_id DESC`
)

// PublicTimeline returns everyone's unflagged messages, newest first.
func (db *DB) PublicTimeline(ctx context.Context, page minitwit.Page) ([]minitwit.Message, error) {
	msgs, err := db.timeline(ctx, sqlPublic, page.Before(), page.Size())
	if err != nil {
		return nil, fmt.Errorf("postgres: public timeline: %w", err)
	}
	return msgs, nil
}

// UserTimeline returns one user's unflagged messages, newest first.
func (db *DB) UserTimeline(ctx context.Context, userID int64, page minitwit.Page) ([]minitwit.Message, error) {
	msgs, err := db.timeline(ctx, sqlUser, page.Before(), page.Size(), userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: timeline of user %d: %w", userID, err)
	}
	return msgs, nil
}

// HomeTimeline returns the unflagged messages of the user and of everyone
// the user follows, newest first.
func (db *DB) HomeTimeline(ctx context.Context, userID int64, page minitwit.Page) ([]minitwit.Message, error) {
	msgs, err := db.timeline(ctx, sqlHome, page.Before(), page.Size(), userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: home timeline of user %d: %w", userID, err)
	}
	return msgs, nil
}

func (db *DB) timeline(ctx context.Context, query string, args ...any) ([]minitwit.Message, error) {
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	msgs := make([]minitwit.Message, 0, 32)
	for rows.Next() {
		var m minitwit.Message
		var pub int64
		if err := rows.Scan(&m.ID, &m.AuthorID, &m.Author, &m.Email, &m.Text, &pub); err != nil {
			return nil, err
		}
		m.PubDate = time.Unix(pub, 0).UTC()
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return msgs, nil
}

// Follow makes who follow whom; again keeps the one edge and its place in
// Following. ENOTFOUND when either user is missing.
func (db *DB) Follow(ctx context.Context, who, whom int64) error {
	err := db.write(ctx, func(q querier) error {
		_, err := q.Exec(ctx, `INSERT INTO follower (who_id, whom_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, who, whom)
		return err
	})
	if pgCode(err) == codeForeignKey {
		return minitwit.Errorf(minitwit.ENOTFOUND, "Unknown user")
	} else if err != nil {
		return fmt.Errorf("postgres: follow %d -> %d: %w", who, whom, err)
	}
	return nil
}

// Unfollow removes the edge, if there is one.
func (db *DB) Unfollow(ctx context.Context, who, whom int64) error {
	err := db.write(ctx, func(q querier) error {
		_, err := q.Exec(ctx, `DELETE FROM follower WHERE who_id = $1 AND whom_id = $2`, who, whom)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: unfollow %d -> %d: %w", who, whom, err)
	}
	return nil
}

// IsFollowing reports whether who follows whom.
func (db *DB) IsFollowing(ctx context.Context, who, whom int64) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM follower WHERE who_id = $1 AND whom_id = $2)`, who, whom).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("postgres: is %d following %d: %w", who, whom, err)
	}
	return ok, nil
}

// Following returns the usernames whom who follows, at most limit (< 1:
// none), in the order the follows were made.
func (db *DB) Following(ctx context.Context, who int64, limit int) ([]string, error) {
	names := []string{}
	if limit < 1 {
		return names, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT u.username FROM follower f JOIN "user" u ON u.user_id = f.whom_id
		WHERE f.who_id = $1 ORDER BY f.seq LIMIT $2`, who, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: following of %d: %w", who, err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("postgres: following of %d: %w", who, err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: following of %d: %w", who, err)
	}
	return names, nil
}

const sqlSetLatest = `INSERT INTO latest (id, value) VALUES (1, $1)
	ON CONFLICT (id) DO UPDATE SET value = excluded.value`

// querier is what a write needs of the pool or of a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// write runs fn on the pool. When ctx carries a simulator action ID
// (minitwit.WithLatest), fn runs in a transaction with the latest upsert,
// so both commit or neither. fn's error comes back unwrapped, for the
// callers' mapping of SQLSTATE codes.
func (db *DB) write(ctx context.Context, fn func(q querier) error) error {
	id, ok := minitwit.LatestFrom(ctx)
	if !ok {
		return fn(db.pool)
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlSetLatest, id); err != nil {
			return fmt.Errorf("set latest %d: %w", id, err)
		}
		return nil
	})
}

// EndSessions increments the user's session generation; ENOTFOUND for an
// unknown user.
func (db *DB) EndSessions(ctx context.Context, userID int64) error {
	tag, err := db.pool.Exec(ctx, `UPDATE "user" SET session_gen = session_gen + 1 WHERE user_id = $1`, userID)
	if err != nil {
		return fmt.Errorf("postgres: end sessions of %d: %w", userID, err)
	}
	if tag.RowsAffected() == 0 {
		return minitwit.Errorf(minitwit.ENOTFOUND, "Unknown user %d", userID)
	}
	return nil
}

// SetLatest records the simulator's latest action ID in one upsert; the
// last to commit wins.
func (db *DB) SetLatest(ctx context.Context, latest int64) error {
	_, err := db.pool.Exec(ctx, sqlSetLatest, latest)
	if err != nil {
		return fmt.Errorf("postgres: set latest %d: %w", latest, err)
	}
	return nil
}

// Latest returns the recorded ID, or -1 when none was ever recorded.
func (db *DB) Latest(ctx context.Context) (int64, error) {
	var v int64
	err := db.pool.QueryRow(ctx, `SELECT value FROM latest WHERE id = 1`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return -1, nil
	} else if err != nil {
		return 0, fmt.Errorf("postgres: latest: %w", err)
	}
	return v, nil
}

// SQLSTATE codes the store maps to domain errors.
const (
	codeUnique     = "23505"
	codeForeignKey = "23503"
)

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// FlagMessage hides (flagged) or shows a message, as the course's
// moderation tool does; ENOTFOUND for an unknown ID. Not part of
// minitwit.Store: no endpoint flags messages.
func (db *DB) FlagMessage(ctx context.Context, id int64, flagged bool) error {
	f := 0
	if flagged {
		f = 1
	}
	tag, err := db.pool.Exec(ctx, `UPDATE message SET flagged = $1 WHERE message_id = $2`, f, id)
	if err != nil {
		return fmt.Errorf("postgres: flag message %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return minitwit.Errorf(minitwit.ENOTFOUND, "Unknown message %d", id)
	}
	return nil
}
