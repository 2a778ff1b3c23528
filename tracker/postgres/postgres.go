// Package postgres implements model.Store on PostgreSQL through pgx (its
// database/sql driver), for a shared or replicated deployment. Writers that
// must not race (snapshot numbering, deployment numbering) lock the
// environment or flow row with SELECT … FOR UPDATE. The queries live in
// tracker/internal/sqlstore, shared with SQLite.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/minitwit-cd/kit/tracker/internal/sqlstore"
	"github.com/minitwit-cd/kit/tracker/model"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect is PostgreSQL's: $n placeholders and row locks.
var Dialect = sqlstore.Dialect{
	Name:       "postgres",
	Dollar:     true,
	ForUpdate:  " FOR UPDATE",
	JSONValues: `SELECT value FROM json_array_elements_text(CAST(? AS json)) AS elements(value)`,
	IsUnique: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "23505"
	},
}

// Open connects to and migrates the PostgreSQL database at url.
func Open(ctx context.Context, url string) (model.Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	// Serialize concurrent migrations of one database (several servers
	// starting at once) with an advisory lock.
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(727274)`); err != nil {
		db.Close()
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	merr := sqlstore.Migrate(ctx, db, migrations, "migrations")
	if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(727274)`); err != nil && merr == nil {
		merr = err
	}
	if merr != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %w", merr)
	}
	return sqlstore.New(db, db, Dialect, nil), nil
}
