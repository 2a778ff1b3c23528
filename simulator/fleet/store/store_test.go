package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/simulator/fleet/store"
	"github.com/minitwit-cd/kit/simulator/report"
)

// TestStore runs the same round trips on SQLite and PostgreSQL.
func TestStore(t *testing.T) {
	for name, dsn := range map[string]func() string{
		"sqlite":   func() string { return filepath.Join(t.TempDir(), "fleet.db") },
		"postgres": func() string { return testenv.PostgresURL(t) },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st, err := store.Open(ctx, dsn())
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()

			p, err := st.Progress(ctx, "g")
			if err != nil || p.Done != -1 || p.Acked != -1 || p.InFlight != -1 {
				t.Fatalf("fresh progress %+v %v", p, err)
			}
			down := time.Date(2026, 3, 1, 12, 0, 0, 123000, time.UTC)
			want := store.Progress{Group: "g", Done: 41, Acked: 40, InFlight: 42, Sent: 42, DownSince: down, Updated: down}
			if err := st.SaveProgress(ctx, want); err != nil {
				t.Fatal(err)
			}
			if got, err := st.Progress(ctx, "g"); err != nil || got != want {
				t.Errorf("progress %+v %v, want %+v", got, err, want)
			}

			minute := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			w := &store.Window{Group: "g", Start: minute, Command: "tweet", Hist: store.NewHistogram(), Traced: 2,
				DNS: time.Millisecond, TTFB: 3 * time.Millisecond, Conns: 2, LateSendMax: 40 * time.Microsecond}
			w.Counts[report.OK], w.Counts[report.Timeout] = 5, 1
			for _, v := range []int64{1000, 2000, 300000} {
				_ = w.Hist.RecordValue(v)
			}
			if err := st.SaveWindows(ctx, []*store.Window{w}); err != nil {
				t.Fatal(err)
			}
			w.Counts[report.OK] = 7 // a later flush replaces the row
			other := &store.Window{Group: "h", Start: minute.Add(time.Minute), Command: "register", Hist: store.NewHistogram()}
			other.Counts[report.ConnError] = 3
			if err := st.SaveWindows(ctx, []*store.Window{w, other}); err != nil {
				t.Fatal(err)
			}
			ws, err := st.Windows(ctx, "g", minute, minute.Add(time.Minute))
			if err != nil || len(ws) != 1 {
				t.Fatalf("windows %v %v", ws, err)
			}
			got := ws[0]
			if got.Counts != w.Counts || got.Total() != 8 || got.Hist.TotalCount() != 3 || got.Hist.Max() < 299000 ||
				got.DNS != time.Millisecond || got.TTFB != 3*time.Millisecond || got.Conns != 2 || got.LateSendMax != 40*time.Microsecond {
				t.Errorf("window %+v", got)
			}
			if all, err := st.Windows(ctx, "", minute, minute.Add(2*time.Minute)); err != nil || len(all) != 2 || all[1].Group != "h" {
				t.Errorf("all windows %v %v", all, err)
			}

			for i, line := range []string{"a", "b", "c"} {
				if err := st.AddError(ctx, store.ErrorEntry{Group: "g", At: minute.Add(time.Duration(i) * time.Second), Line: line, Detail: "d"}); err != nil {
					t.Fatal(err)
				}
			}
			es, err := st.Errors(ctx, "g", 2)
			if err != nil || len(es) != 2 || es[0].Line != "b" || es[1].Line != "c" {
				t.Errorf("newest 2 errors %+v %v", es, err)
			}

			for i, kind := range []string{"prestart", "latest", "latest", "msgs"} {
				c := store.Check{Group: "g", At: minute.Add(time.Duration(i) * time.Second), Kind: kind, OK: i != 2, Value: int64(i), Want: 3, Class: "ok"}
				if err := st.AddCheck(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			lc, err := st.LatestChecks(ctx, "g")
			if err != nil || len(lc) != 3 || lc["latest"].Value != 2 || lc["latest"].OK || lc["prestart"].Value != 0 {
				t.Errorf("latest checks %+v %v", lc, err)
			}
		})
	}
}

// TestSaveProgressHeld: under leases a progress write happens only while
// the writer holds the group's unexpired lease.
func TestSaveProgressHeld(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	// The fleet's lease table (simulator/fleet creates it the same way).
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS fleet_leases (group_id TEXT PRIMARY KEY, holder TEXT NOT NULL, expires BIGINT NOT NULL)`,
		`INSERT INTO fleet_leases VALUES ('g', 'w1', ` + fmt.Sprint(now.Add(time.Minute).UnixMilli()) + `)`,
	} {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	first := store.Progress{Group: "g", Done: 10, Acked: 10, InFlight: -1, Sent: 11}
	if err := st.SaveProgressHeld(ctx, first, "w1", now); err != nil {
		t.Fatalf("the holder's write: %v", err)
	}
	later := first
	later.Done, later.Sent = 20, 21
	if err := st.SaveProgressHeld(ctx, later, "w2", now); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("another worker's write: %v, want ErrLeaseLost", err)
	}
	if err := st.SaveProgressHeld(ctx, later, "w1", now.Add(2*time.Minute)); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("the holder's write after its lease expired: %v, want ErrLeaseLost", err)
	}
	if got, err := st.Progress(ctx, "g"); err != nil || got.Done != 10 || got.Sent != 11 {
		t.Errorf("progress %+v %v: the refused writes changed it", got, err)
	}

	lite, err := store.Open(ctx, filepath.Join(t.TempDir(), "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if err := lite.SaveProgressHeld(ctx, first, "w1", now); err == nil {
		t.Error("SQLite took a leased write")
	}
}
