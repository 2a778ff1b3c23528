package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/minitwit-cd/kit/app/internal/storetest"
	"github.com/minitwit-cd/kit/app/minitwit"
	"github.com/minitwit-cd/kit/app/postgres"
	"github.com/minitwit-cd/kit/app/storage"
	"github.com/minitwit-cd/kit/internal/testenv"
)

func open(t testing.TB, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) minitwit.Store {
		return open(t, testenv.PostgresURL(t))
	})
}

// TestReopenKeepsData: data survives a reopen and migrations run once.
func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	url := testenv.PostgresURL(t)
	db := open(t, url)
	u, err := db.CreateUser(ctx, "Jürgen Ünal", "j@example.com", "h")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetLatest(ctx, 7); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = open(t, url)
	if got, err := db.UserByName(ctx, "Jürgen Ünal"); err != nil || got != u {
		t.Fatalf("UserByName after reopen = %+v, %v", got, err)
	}
	if l, err := db.Latest(ctx); err != nil || l != 7 {
		t.Fatalf("Latest after reopen = %d, %v", l, err)
	}
}

func TestOpenErrorsHidePassword(t *testing.T) {
	for _, tc := range []struct{ name, url, want string }{
		{"refused", "postgres://u:s3cret@127.0.0.1:1/db?connect_timeout=2", "127.0.0.1:1/db"},
		{"bad port", "postgres://u:s3cret@127.0.0.1:notaport/db", "cannot parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := postgres.Open(context.Background(), tc.url)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q must say %q and hide the password", err, tc.want)
			}
		})
	}
}

// TestHomeTimelinePlan checks that the home timeline reads the per-author
// index with index-only scans and never scans the message table, once
// the planner has statistics for a few thousand messages.
func TestHomeTimelinePlan(t *testing.T) {
	ctx := context.Background()
	db := open(t, testenv.PostgresURL(t))
	if err := storage.Seed(ctx, db, storage.SeedSpec{Users: 100, Messages: 20_000, Follows: 1000, Seed: 1}, nil); err != nil {
		t.Fatal(err)
	}
	plan, err := db.ExplainHome(ctx, 1, 30)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Index Only Scan", "message_author", "Limit"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
	if strings.Contains(plan, "Seq Scan on message") {
		t.Errorf("plan scans the message table:\n%s", plan)
	}
}
