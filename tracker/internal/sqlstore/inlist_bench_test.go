package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/tracker/internal/storetest"
	"github.com/minitwit-cd/kit/tracker/postgres"
	"github.com/minitwit-cd/kit/tracker/sqlite"
)

// BenchmarkInList compares the two ways a query can take a list of any
// length: the list as one JSON array (what sqlstore does) and chunks of
// IN (?, ?, …) of 500 placeholders each, looking up 50,000 fingerprints
// in a table of 50,000 on SQLite and PostgreSQL.
//
//	go test ./tracker/internal/sqlstore -run '^$' -bench InList
func BenchmarkInList(b *testing.B) {
	const n, chunk = 50000, 500
	fps := make([]string, n)
	for i := range fps {
		fps[i] = storetest.FP(fmt.Sprint(i))
	}
	dbs := []struct {
		name, driver, jsonValues string
		dollar                   bool
		dsn                      func(b *testing.B) string
	}{
		{"sqlite", "sqlite3", sqlite.Dialect.JSONValues, false, func(b *testing.B) string { return "file:" + filepath.Join(b.TempDir(), "in.db") + "?_journal_mode=WAL" }},
		{"postgres", "pgx", postgres.Dialect.JSONValues, true, func(b *testing.B) string { return testenv.PostgresURL(b) }},
	}
	for _, d := range dbs {
		b.Run(d.name, func(b *testing.B) {
			ctx := context.Background()
			db, err := sql.Open(d.driver, d.dsn(b))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			rebind := func(q string) string {
				if !d.dollar {
					return q
				}
				var sb strings.Builder
				k := 0
				for _, r := range q {
					if r == '?' {
						k++
						fmt.Fprintf(&sb, "$%d", k)
						continue
					}
					sb.WriteRune(r)
				}
				return sb.String()
			}
			if _, err := db.ExecContext(ctx, `CREATE TABLE fps (fp TEXT PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
				b.Fatal(err)
			}
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			for i, fp := range fps {
				if _, err := tx.ExecContext(ctx, rebind(`INSERT INTO fps (fp, n) VALUES (?, ?)`), fp, i); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			count := func(b *testing.B, query string, args ...any) int {
				rows, err := db.QueryContext(ctx, rebind(query), args...)
				if err != nil {
					b.Fatal(err)
				}
				defer rows.Close()
				got := 0
				for rows.Next() {
					var fp string
					var k int
					if err := rows.Scan(&fp, &k); err != nil {
						b.Fatal(err)
					}
					got++
				}
				if err := rows.Err(); err != nil {
					b.Fatal(err)
				}
				return got
			}
			b.Run("json", func(b *testing.B) {
				for range b.N {
					data, _ := json.Marshal(fps)
					if got := count(b, `SELECT fp, n FROM fps WHERE fp IN (SELECT value FROM (`+d.jsonValues+`) AS list)`, string(data)); got != n {
						b.Fatalf("found %d of %d", got, n)
					}
				}
			})
			b.Run(fmt.Sprintf("chunks-of-%d", chunk), func(b *testing.B) {
				for range b.N {
					got := 0
					for i := 0; i < n; i += chunk {
						part := fps[i:min(i+chunk, n)]
						args := make([]any, len(part))
						for j, fp := range part {
							args[j] = fp
						}
						got += count(b, `SELECT fp, n FROM fps WHERE fp IN (`+strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")+`)`, args...)
					}
					if got != n {
						b.Fatalf("found %d of %d", got, n)
					}
				}
			})
		})
	}
}
