package testenv

import (
	"context"
	"database/sql"
	"strings"
	"testing"
)

func TestPostgresURLGivesAFreshDatabase(t *testing.T) {
	u1 := PostgresURL(t)
	u2 := PostgresURL(t)
	if u1 == u2 {
		t.Fatalf("two calls returned the same database %s", u1)
	}
	db, err := sql.Open("pgx", u1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name string
	if err := db.QueryRowContext(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(name, "test_") || !strings.Contains(u1, name) {
		t.Fatalf("connected to %q via %s", name, u1)
	}
}
