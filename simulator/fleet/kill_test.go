package fleet_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/simulator/fleet"
	"github.com/minitwit-cd/kit/simulator/fleet/store"
)

type windowKey struct {
	group, command string
	minute         time.Time
}

// snapshot reads every stored window straight from the fleet's SQLite
// file (while the fleet writes it).
func snapshot(t *testing.T, db string) map[windowKey]int64 {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ws, err := st.Windows(ctx, "", time.Time{}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	m := map[windowKey]int64{}
	for _, w := range ws {
		m[windowKey{w.Group, w.Command, w.Start}] = w.Total()
	}
	return m
}

// TestFleetSIGKILL kills `simulator fleet run` with SIGKILL mid-replay and
// starts it again on the same store: no stored window is lost or shrinks,
// no action is sent twice, and every group still completes the scenario.
func TestFleetSIGKILL(t *testing.T) {
	const actions = 500
	dir := t.TempDir()
	sc := genScenario(t, 25, actions)
	var groups []fleet.Group
	var pxs []*proxy
	for _, id := range []string{"a", "b", "c"} {
		p := newProxy(t, startApp(t).url(), nil)
		pxs = append(pxs, p)
		groups = append(groups, fleet.Group{ID: id, API: p.url()})
	}
	gfile := filepath.Join(dir, "groups.yaml")
	writeGroups(t, gfile, groups)
	db := filepath.Join(dir, "fleet.db")
	args := []string{"--groups", gfile, "--db", db, "-s", sc, "--speedup", "10000", "--flush-every", "200ms", "--check-every", "-1s"}

	f := startFleet(t, args...)
	waitFor(t, 60*time.Second, "every group past action 200", func() bool {
		for _, g := range f.overview(t) {
			if g.Progress.Done < 200 {
				return false
			}
		}
		return true
	})
	before := snapshot(t, db)
	f.kill()
	// A request the fleet wrote just before it died may still be read by
	// a proxy and forwarded: count what was sent only once the dead
	// fleet's connections are all closed.
	waitFor(t, 30*time.Second, "the killed fleet's connections to close", func() bool {
		for _, p := range pxs {
			if p.open() > 0 {
				return false
			}
		}
		return true
	})
	sentBefore := 0
	for _, p := range pxs {
		sentBefore += p.count()
	}
	if len(before) == 0 {
		t.Fatal("no window was stored before the kill")
	}

	f = startFleet(t, args...)
	waitFor(t, 90*time.Second, "every group to finish after the restart", func() bool {
		for _, g := range f.overview(t) {
			if g.Live == nil || !g.Live.Finished {
				return false
			}
		}
		return true
	})
	after := snapshot(t, db)
	for k, n := range before {
		if after[k] < n {
			t.Errorf("window %v had %d requests before the kill, %d after the restart", k, n, after[k])
		}
	}
	for i, p := range pxs {
		if d := p.duplicates(); len(d) > 0 {
			t.Errorf("group %s: actions %v were sent twice", groups[i].ID, d)
		}
		if len(p.seen) != actions {
			t.Errorf("group %s: %d distinct actions reached the group, want %d", groups[i].ID, len(p.seen), actions)
		}
	}
	var total, stored int64
	for _, n := range after {
		total += n
	}
	for _, n := range before {
		stored += n
	}
	sentAfter := -sentBefore
	for _, p := range pxs {
		sentAfter += p.count()
	}
	// Everything stored before the kill and everything sent after the
	// restart is counted; only what the killed fleet counted after its
	// last flush (200 ms) and after the snapshot may be missing.
	if total > 3*actions || total < stored+int64(sentAfter) {
		t.Errorf("windows hold %d requests: want at most %d and at least the %d stored before the kill plus the %d sent after",
			total, 3*actions, stored, sentAfter)
	}
	t.Logf("%d actions reached the groups before the kill, %d after; the windows lost %d requests counted in the last 200 ms before it",
		sentBefore, sentAfter, 3*actions-total)
}
