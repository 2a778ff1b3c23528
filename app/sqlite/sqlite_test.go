package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/minitwit-cd/kit/app/internal/storetest"
	"github.com/minitwit-cd/kit/app/minitwit"
	"github.com/minitwit-cd/kit/app/sqlite"
)

func open(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) minitwit.Store {
		return open(t, filepath.Join(t.TempDir(), "minitwit.db"))
	})
}

// TestReopenKeepsData: everything survives a close and reopen, and the
// migrations are recorded once, not re-applied.
func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dir with space", "mini?twit#1.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := db.CreateUser(ctx, "Roger Histand", "r@example.com", "h")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := db.CreateUser(ctx, "b", "b@example.com", "h")
	if _, err := db.AddMessage(ctx, a.ID, "hello", time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	if err := db.Follow(ctx, a.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.SetLatest(ctx, 42); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not at the path given: %v", err)
	}
	applied := migrations(t, path)
	if !strings.Contains(applied, "0001_init.sql") {
		t.Fatalf("schema_migrations = %q, want 0001_init.sql recorded", applied)
	}

	for round := range 2 {
		db := open(t, path)
		st, err := db.Stats(ctx)
		if want := (minitwit.Stats{Users: 2, Messages: 1, Follows: 1}); err != nil || st != want {
			t.Fatalf("round %d: Stats = %+v, %v; want %+v", round, st, err, want)
		}
		if l, err := db.Latest(ctx); err != nil || l != 42 {
			t.Fatalf("round %d: Latest = %d, %v", round, l, err)
		}
		msgs, err := db.HomeTimeline(ctx, a.ID, minitwit.Page{})
		if err != nil || len(msgs) != 1 || msgs[0].Text != "hello" || msgs[0].PubDate.Unix() != 1700000000 {
			t.Fatalf("round %d: HomeTimeline = %+v, %v", round, msgs, err)
		}
		db.Close()
	}

	// Reopening would fail if a migration ran again (its CREATE TABLEs
	// exist); the record of them must not change either.
	if after := migrations(t, path); after != applied {
		t.Fatalf("schema_migrations changed on reopen:\n%s\nthen\n%s", applied, after)
	}
	raw := rawDB(t, path)
	var mode string
	if err := raw.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
}

func TestOpenBadPath(t *testing.T) {
	for _, tc := range []struct{ name, path, want string }{
		{"empty", "", "empty database path"},
		{"memory", ":memory:", "in-memory"},
		{"missing directory", filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"), "unable to open"},
		{"not a database", notADatabase(t), "not a database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := sqlite.Open(context.Background(), tc.path)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded", tc.path)
			}
			if !strings.Contains(err.Error(), tc.want) || (tc.path != "" && !strings.Contains(err.Error(), tc.path)) {
				t.Fatalf("error %q should name the path and say %q", err, tc.want)
			}
		})
	}
}

func notADatabase(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(p, []byte(strings.Repeat("this is not sqlite\n", 300)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func sqliteOpen(path string) (*sqlite.DB, error) { return sqlite.Open(context.Background(), path) }

// rawDB opens the file read-only with the plain driver, bypassing the store.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	u := (&url.URL{Path: path}).EscapedPath()
	raw, err := sql.Open("sqlite3", "file:"+u+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// migrations lists schema_migrations as "name applied_at" lines.
func migrations(t *testing.T, path string) string {
	t.Helper()
	rows, err := rawDB(t, path).Query(`SELECT name, applied_at FROM schema_migrations ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var name string
		var at int64
		if err := rows.Scan(&name, &at); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %d\n", name, at)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
