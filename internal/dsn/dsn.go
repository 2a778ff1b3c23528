// Package dsn reads the database strings every program of the kit takes
// (--db): a postgres:// or postgresql:// URL selects PostgreSQL; anything
// else is a SQLite file path, optionally written sqlite:PATH,
// sqlite://PATH or file:PATH. Redact hides a URL's password before the
// string is logged or printed.
package dsn

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Kinds of store that Parse tells apart.
const (
	KindSQLite   = "sqlite"
	KindPostgres = "postgres"
)

// Parse splits a DSN into the kind of store and what that store's Open
// takes: the URL for PostgreSQL, the file path for SQLite.
func Parse(dsn string) (kind, target string, err error) {
	d := strings.TrimSpace(dsn)
	if d == "" {
		return "", "", errors.New("database: empty DSN: give a file path or a postgres:// URL")
	}
	lower := strings.ToLower(d)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		if _, err := url.Parse(d); err != nil {
			return "", "", fmt.Errorf("database %s: bad URL: %w", Redact(d), unwrapURLError(err))
		}
		return KindPostgres, d, nil
	case strings.HasPrefix(lower, "sqlite:"):
		d = d[len("sqlite:"):]
	case strings.HasPrefix(lower, "file:"):
		d = d[len("file:"):]
		// A file: URI's query holds SQLite URI options; ours are fixed.
		if i := strings.IndexByte(d, '?'); i >= 0 {
			d = d[:i]
		}
	default:
		return KindSQLite, d, nil
	}
	// sqlite://PATH and file://PATH: the path follows the two slashes, so
	// sqlite:///abs/x.db is /abs/x.db and sqlite://rel.db is rel.db.
	d = strings.TrimPrefix(d, "//")
	if strings.HasPrefix(d, "localhost/") {
		d = d[len("localhost"):]
	}
	if d == "" {
		return "", "", fmt.Errorf("database %s: no file path after the scheme", dsn)
	}
	return KindSQLite, d, nil
}

// Redact returns the DSN with the password of a URL replaced by "xxxxx",
// also when the rest of the URL does not parse.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err == nil {
		if u.User == nil {
			return dsn
		}
		return u.Redacted()
	}
	// scheme://user:password@rest: the password ends at the last '@'.
	i := strings.Index(dsn, "://")
	if i < 0 {
		return dsn
	}
	at := strings.LastIndexByte(dsn, '@')
	if at < i {
		return dsn
	}
	colon := strings.IndexByte(dsn[i+3:at], ':')
	if colon < 0 {
		return dsn
	}
	return dsn[:i+3+colon+1] + "xxxxx" + dsn[at:]
}

// unwrapURLError drops url.Error's copy of the input, which would repeat
// the password.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
