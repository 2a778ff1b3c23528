package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
)

// TestMigrateAllOrNothing: a failing migration leaves no trace of the
// ones before it in the same run, and the error names it.
func TestMigrateAllOrNothing(t *testing.T) {
	ctx := context.Background()
	register()
	w, err := sql.Open(driverName, dsn(filepath.Join(t.TempDir(), "m.db"), false))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.SetMaxOpenConns(1)
	fsys := fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"migrations/0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER); THIS IS NOT SQL;")},
	}
	err = migrate(ctx, w, fsys)
	if err == nil || !strings.Contains(err.Error(), "0002_b.sql") {
		t.Fatalf("migrate = %v, want an error naming 0002_b.sql", err)
	}
	var n int
	if err := w.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name IN ('a', 'b', 'schema_migrations')`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d of the tables exist after a failed run (%v); want none", n, err)
	}

	// Fixed, it applies both; a later file is applied on the next run.
	fsys["migrations/0002_b.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE b (x INTEGER);")}
	if err := migrate(ctx, w, fsys); err != nil {
		t.Fatal(err)
	}
	fsys["migrations/0003_c.sql"] = &fstest.MapFile{Data: []byte("ALTER TABLE a ADD COLUMN y TEXT;")}
	if err := migrate(ctx, w, fsys); err != nil {
		t.Fatalf("second run (0001 and 0002 must be skipped): %v", err)
	}
	var names []string
	rows, err := w.Query(`SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		names = append(names, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names, ","); got != "migrations/0001_a.sql,migrations/0002_b.sql,migrations/0003_c.sql" {
		t.Fatalf("schema_migrations = %s", got)
	}
}

// TestConcurrentOpen: processes starting together on a new file (here,
// several Opens) all succeed and apply the schema once.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	var wg sync.WaitGroup
	dbs := make([]*DB, 4)
	errs := make([]error, 4)
	for i := range dbs {
		wg.Go(func() { dbs[i], errs[i] = Open(context.Background(), path) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	for i, db := range dbs {
		if _, err := db.CreateUser(context.Background(), fmt.Sprint("u", i), "e@x", "h"); err != nil {
			t.Fatal(err)
		}
	}
	st, err := dbs[0].Stats(context.Background())
	if err != nil || st.Users != 4 {
		t.Fatalf("Stats = %+v, %v; want the 4 users in one file", st, err)
	}
}
