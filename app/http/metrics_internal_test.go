package http

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/minitwit-cd/kit/app/minitwit"
	"github.com/minitwit-cd/kit/app/sqlite"
)

// countingStore is a real SQLite store that counts its Stats reads.
type countingStore struct {
	minitwit.Store
	reads atomic.Int64
}

func (c *countingStore) Stats(ctx context.Context) (minitwit.Stats, error) {
	c.reads.Add(1)
	return c.Store.Stats(ctx)
}

// TestStatsCollectorCaches: scrapes within StatsMaxAge share one read of
// the store's counts (concurrent ones too), a later scrape reads again and
// sees new rows, and a failed read is not kept.
func TestStatsCollectorCaches(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "minitwit.db"))
	if err != nil {
		t.Fatal(err)
	}
	store := &countingStore{Store: db}
	var mu sync.Mutex
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	c := &statsCollector{store: store, maxAge: StatsMaxAge, now: clock}
	wantUsers := func(n string) {
		t.Helper()
		want := "# HELP minitwit_users Registered users.\n# TYPE minitwit_users gauge\nminitwit_users " + n + "\n"
		if err := testutil.CollectAndCompare(c, strings.NewReader(want), "minitwit_users"); err != nil {
			t.Fatal(err)
		}
	}

	wantUsers("0")
	if got := store.reads.Load(); got != 1 {
		t.Fatalf("first scrape: %d reads of the store, want 1", got)
	}
	if _, err := db.CreateUser(ctx, "alice", "a@example.com", "x"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); _ = testutil.CollectAndCount(c, "minitwit_users") }()
	}
	wg.Wait()
	wantUsers("0") // the counts of the first read, still fresh
	if got := store.reads.Load(); got != 1 {
		t.Fatalf("scrapes within %s: %d reads of the store, want 1", StatsMaxAge, got)
	}

	advance(StatsMaxAge)
	wantUsers("1")
	if got := store.reads.Load(); got != 2 {
		t.Fatalf("a scrape after %s: %d reads in all, want 2", StatsMaxAge, got)
	}

	// A failed read says so and is tried again by the next scrape.
	advance(StatsMaxAge)
	db.Close()
	up := "# HELP minitwit_store_stats_up 1 when the last read of the store's counts succeeded.\n# TYPE minitwit_store_stats_up gauge\nminitwit_store_stats_up 0\n"
	for i := range 2 {
		if err := testutil.CollectAndCompare(c, strings.NewReader(up), "minitwit_store_stats_up"); err != nil {
			t.Fatal(err)
		}
		if got, want := store.reads.Load(), int64(3+i); got != want {
			t.Fatalf("failed scrape %d: %d reads in all, want %d", i+1, got, want)
		}
	}
}
