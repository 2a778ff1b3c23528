package storage_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/app/minitwit"
	"github.com/minitwit-cd/kit/app/postgres"
	"github.com/minitwit-cd/kit/app/sqlite"
	"github.com/minitwit-cd/kit/app/storage"
	"github.com/minitwit-cd/kit/internal/testenv"
)

func TestOpenSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	for _, dsn := range []string{path, "sqlite:" + path, "file:" + path} {
		s, err := storage.Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("Open(%q): %v", dsn, err)
		}
		if _, ok := s.(*sqlite.DB); !ok {
			t.Fatalf("Open(%q) = %T, want *sqlite.DB", dsn, s)
		}
		if _, err := s.CreateUser(context.Background(), "u"+dsn[:1], "e@x", "h"); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	// All three DSNs named the same file.
	s, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if st, err := s.Stats(context.Background()); err != nil || st.Users != 3 {
		t.Fatalf("Stats = %+v, %v; want the 3 users in one file", st, err)
	}
}

func TestOpenPostgres(t *testing.T) {
	url := testenv.PostgresURL(t)
	s, err := storage.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*postgres.DB); !ok {
		t.Fatalf("Open = %T, want *postgres.DB", s)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrorsNameDSN(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no", "dir", "x.db")
	for _, tc := range []struct{ name, dsn, want string }{
		{"missing dir", missing, missing},
		{"postgres refused", "postgres://me:hunter2@127.0.0.1:1/db?connect_timeout=2", "postgres://me:xxxxx@127.0.0.1:1/db"},
		{"postgres bad URL", "postgres://me:hunter2@127.0.0.1:bad/db", "postgres://me:xxxxx@"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := storage.Open(context.Background(), tc.dsn)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error %q should contain %q and no password", err, tc.want)
			}
		})
	}
}

func TestSeed(t *testing.T) {
	spec := storage.SeedSpec{Users: 50, Messages: 1000, Follows: 300, Seed: 1}
	stores := map[string]func(t *testing.T) minitwit.Store{
		"sqlite": func(t *testing.T) minitwit.Store {
			s, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "seed.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		"postgres": func(t *testing.T) minitwit.Store {
			s, err := storage.Open(context.Background(), testenv.PostgresURL(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			var last, total, calls int
			err := storage.Seed(ctx, s, spec, func(done, tot int) {
				if done < last {
					t.Errorf("progress went back from %d to %d", last, done)
				}
				last, total = done, tot
				calls++
			})
			if err != nil {
				t.Fatal(err)
			}
			if calls == 0 || last != total || total != 50+1000+300 {
				t.Fatalf("progress ended at %d/%d after %d calls", last, total, calls)
			}
			want := minitwit.Stats{Users: 50, Messages: 1000, Follows: 300}
			if st, err := s.Stats(ctx); err != nil || st != want {
				t.Fatalf("Stats = %+v, %v; want %+v", st, err, want)
			}
			u, err := s.UserByName(ctx, "user7")
			if err != nil || u.Email != "user7@example.com" || !strings.HasPrefix(u.PwHash, "$2") {
				t.Fatalf("user7 = %+v, %v", u, err)
			}
			msgs, err := s.PublicTimeline(ctx, minitwit.Page{Limit: 1000})
			if err != nil || len(msgs) != 1000 {
				t.Fatalf("PublicTimeline: %d, %v", len(msgs), err)
			}
			for i := 1; i < len(msgs); i++ {
				if msgs[i].PubDate.After(msgs[i-1].PubDate) || msgs[i].ID >= msgs[i-1].ID {
					t.Fatalf("message %d is newer than the one before it", i)
				}
			}
			// Follows made in one batch keep their order, and a seeded
			// store goes on working.
			f, err := s.Following(ctx, u.ID, 100)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Follow(ctx, u.ID, msgs[0].AuthorID); err != nil {
				t.Fatal(err)
			}
			f2, err := s.Following(ctx, u.ID, 100)
			if err != nil || len(f2) < len(f) || (len(f2) > len(f) && f2[len(f2)-1] != msgs[0].Author) {
				t.Fatalf("Following before %q, after following %s: %q, %v", f, msgs[0].Author, f2, err)
			}
			// The store enforces its rules again after the load.
			if _, err := s.AddMessage(ctx, 1<<40, "orphan", time.Now()); minitwit.ErrorCode(err) != minitwit.ENOTFOUND {
				t.Fatalf("AddMessage by an unknown author after Seed: %v, want ENOTFOUND", err)
			}
			// Seeding twice collides on user0: all or nothing.
			err = storage.Seed(ctx, s, spec, nil)
			if minitwit.ErrorCode(err) != minitwit.ECONFLICT {
				t.Fatalf("second Seed: %v, want ECONFLICT", err)
			}
			if st, err := s.Stats(ctx); err != nil || st.Messages != 1000 {
				t.Fatalf("after failed seed Stats = %+v, %v", st, err)
			}
		})
	}
}

func TestSeedBadSpec(t *testing.T) {
	s, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, spec := range []storage.SeedSpec{
		{Users: -1},
		{Users: 0, Messages: 5},
		{Users: 3, Follows: 7},
	} {
		err := storage.Seed(context.Background(), s, spec, nil)
		if minitwit.ErrorCode(err) != minitwit.EINVALID {
			t.Errorf("Seed(%+v) = %v, want EINVALID", spec, err)
		}
	}
	// Every possible edge is fine.
	if err := storage.Seed(context.Background(), s, storage.SeedSpec{Users: 3, Follows: 6}, nil); err != nil {
		t.Fatal(err)
	}
}

// TestSeedDeterministic: one spec gives the same texts, authors and
// follow edges every time; another seed gives other ones.
func TestSeedDeterministic(t *testing.T) {
	ctx := context.Background()
	fingerprint := func(seed int64) string {
		s, err := storage.Open(ctx, filepath.Join(t.TempDir(), "d.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := storage.Seed(ctx, s, storage.SeedSpec{Users: 20, Messages: 200, Follows: 50, Seed: seed}, nil); err != nil {
			t.Fatal(err)
		}
		msgs, err := s.PublicTimeline(ctx, minitwit.Page{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, m := range msgs {
			b.WriteString(m.Author + ":" + m.Text + "\n")
		}
		for i := range 20 {
			u, err := s.UserByName(ctx, "user"+strconv.Itoa(i))
			if err != nil {
				t.Fatal(err)
			}
			f, err := s.Following(ctx, u.ID, 100)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(strings.Join(f, ",") + "\n")
		}
		return b.String()
	}
	a, b, c := fingerprint(7), fingerprint(7), fingerprint(8)
	if a != b {
		t.Fatal("the same seed gave different data")
	}
	if a == c {
		t.Fatal("different seeds gave the same data")
	}
}
