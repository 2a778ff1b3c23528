package dsn_test

import (
	"testing"

	"github.com/minitwit-cd/kit/internal/dsn"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct{ dsn, kind, target string }{
		{"minitwit.db", dsn.KindSQLite, "minitwit.db"},
		{"/data/minitwit.db", dsn.KindSQLite, "/data/minitwit.db"},
		{"sqlite:minitwit.db", dsn.KindSQLite, "minitwit.db"},
		{"sqlite:///data/x.db", dsn.KindSQLite, "/data/x.db"},
		{"sqlite://rel/x.db", dsn.KindSQLite, "rel/x.db"},
		{"file:/data/x.db?cache=shared", dsn.KindSQLite, "/data/x.db"},
		{"file://localhost/data/x.db", dsn.KindSQLite, "/data/x.db"},
		{"postgres://u:p@db:5432/minitwit", dsn.KindPostgres, "postgres://u:p@db:5432/minitwit"},
		{"PostgreSQL://db/minitwit?sslmode=disable", dsn.KindPostgres, "PostgreSQL://db/minitwit?sslmode=disable"},
	} {
		t.Run(tc.dsn, func(t *testing.T) {
			kind, target, err := dsn.Parse(tc.dsn)
			if err != nil || kind != tc.kind || target != tc.target {
				t.Fatalf("Parse = %q, %q, %v; want %q, %q", kind, target, err, tc.kind, tc.target)
			}
		})
	}
	for _, bad := range []string{"", "  ", "sqlite:", "sqlite://", "file:"} {
		if _, _, err := dsn.Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@h/db":       "postgres://u:xxxxx@h/db",
		"postgres://u:se@cret@h:bad/db":  "postgres://u:xxxxx@h:bad/db",
		"postgres://u@h/db":              "postgres://u@h/db",
		"/data/minitwit.db":              "/data/minitwit.db",
		"postgresql://u:p%zz@h:x/db?a=b": "postgresql://u:xxxxx@h:x/db?a=b",
	} {
		if got := dsn.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
