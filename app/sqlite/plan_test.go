package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQueryPlans pins the plans that keep every read's cost independent
// of the number of messages: no scan of a whole table, no sort of more
// than a page of rows per author. Checked on an empty file and after
// ANALYZE on some data, since statistics can change SQLite's choices.
func TestQueryPlans(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check := func(t *testing.T) {
		for _, tc := range []struct {
			name, query string
			must        []string
		}{
			{"public", sqlPublic, []string{"SEARCH m USING INTEGER PRIMARY KEY (rowid<?)", "SEARCH u USING INTEGER PRIMARY KEY (rowid=?)"}},
			{"user", sqlUser, []string{"SEARCH m USING INDEX message_author (author_id=? AND flagged=? AND message_id<?)"}},
			{"home", sqlHome, []string{
				"SEARCH follower USING", "(who_id=?)",
				"CORRELATED SCALAR SUBQUERY",
				"SEARCH message USING COVERING INDEX message_author (author_id=? AND flagged=? AND message_id<?)",
				"SEARCH x USING COVERING INDEX message_author (author_id=? AND flagged=? AND message_id>? AND message_id<?)",
				"SEARCH m USING INTEGER PRIMARY KEY (rowid=?)",
			}},
			{"following", `SELECT u.username FROM follower f CROSS JOIN user u ON u.user_id = f.whom_id
				WHERE f.who_id = ? ORDER BY f.seq LIMIT ?`, []string{"SEARCH f USING COVERING INDEX follower_seq (who_id=?)"}},
		} {
			plan := explain(t, db, tc.query)
			text := strings.Join(plan, "\n")
			for _, m := range tc.must {
				if !strings.Contains(text, m) {
					t.Errorf("%s: plan lacks %q:\n%s", tc.name, m, text)
				}
			}
			for _, bad := range []string{"SCAN m", "SCAN message", "SCAN x", "SCAN u", "SCAN user", "SCAN f", "SCAN follower"} {
				for _, line := range plan {
					if line == bad || strings.HasPrefix(line, bad+" ") {
						t.Errorf("%s: plan scans a table (%q):\n%s", tc.name, line, text)
					}
				}
			}
			// Only the home timeline sorts, and only its per-author IDs.
			if tc.name != "home" && strings.Contains(text, "TEMP B-TREE") {
				t.Errorf("%s: plan sorts:\n%s", tc.name, text)
			}
		}
	}
	t.Run("empty", check)
	for i := range 20 {
		u, err := db.CreateUser(ctx, fmt.Sprint("u", i), "e@x", "h")
		if err != nil {
			t.Fatal(err)
		}
		for j := range 50 {
			if _, err := db.AddMessage(ctx, u.ID, fmt.Sprint(j), time.Unix(int64(j), 0)); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Follow(ctx, u.ID, u.ID/2+1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.w.ExecContext(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	// Statistics are read when a connection prepares; start afresh.
	db.Close()
	if db, err = Open(ctx, db.path); err != nil {
		t.Fatal(err)
	}
	t.Run("analyzed", check)
}

// explain returns the detail column of the query's plan.
func explain(t *testing.T, db *DB, query string) []string {
	t.Helper()
	rows, err := db.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, 1, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

// TestPragmas checks the settings each pool's connections run with.
func TestPragmas(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "pragma.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		pool   string
		pragma string
		want   string
	}{
		{"writer", "journal_mode", "wal"},
		{"writer", "synchronous", "1"}, // NORMAL
		{"writer", "foreign_keys", "1"},
		{"writer", "busy_timeout", "5000"},
		{"writer", "temp_store", "2"}, // MEMORY
		{"writer", "query_only", "0"},
		{"reader", "query_only", "1"},
		{"reader", "foreign_keys", "1"},
		{"reader", "temp_store", "2"},
		{"reader", "busy_timeout", "5000"},
		// No mmap: mapped pages would count as the server's resident memory.
		{"writer", "mmap_size", "0"},
		{"reader", "mmap_size", "0"},
		{"writer", "cache_size", "-16000"},
		{"reader", "cache_size", "-16000"},
		// Stats counts whole tables through a small cache of its own.
		{"stats", "cache_size", "-1000"},
		{"stats", "query_only", "1"},
		{"stats", "mmap_size", "0"},
	} {
		pool := db.w
		switch tc.pool {
		case "reader":
			pool = db.r
		case "stats":
			pool = db.s
		}
		var got string
		if err := pool.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s: PRAGMA %s = %s, want %s", tc.pool, tc.pragma, got, tc.want)
		}
	}
	if _, err := db.r.ExecContext(ctx, "DELETE FROM user"); err == nil {
		t.Error("a reader connection could write")
	}
	if memstatusRC != 0 {
		t.Errorf("sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) = %d, want 0 (SQLITE_OK)", memstatusRC)
	}
}
