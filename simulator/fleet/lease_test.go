package fleet_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/simulator/fleet"
)

// TestFleetLeases runs two `simulator fleet run --lease` workers on one
// PostgreSQL store, kills one with SIGKILL mid-replay, and checks that the
// other takes its groups over within the lease time and finishes them,
// with no action sent twice, and that its dashboard shows every group.
func TestFleetLeases(t *testing.T) {
	pg := testenv.PostgresURL(t)
	const actions = 400
	const lease = 1500 * time.Millisecond
	dir := t.TempDir()
	sc := genScenario(t, 25, actions)
	var groups []fleet.Group
	pxs := map[string]*proxy{}
	for _, id := range []string{"p1", "p2", "p3", "p4"} {
		p := newProxy(t, startApp(t).url(), nil)
		pxs[id] = p
		groups = append(groups, fleet.Group{ID: id, API: p.url()})
	}
	gfile := filepath.Join(dir, "groups.yaml")
	writeGroups(t, gfile, groups)
	args := func(name string) []string {
		return []string{"--groups", gfile, "--db", pg, "-s", sc, "--speedup", "6000", "--flush-every", "200ms",
			"--check-every", "-1s", "--lease", lease.String(), "--worker", name}
	}
	w1 := startFleet(t, args("w1")...)
	w2 := startFleet(t, args("w2")...)

	db, err := sql.Open("pgx", pg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	holders := func() map[string]string {
		m := map[string]string{}
		rows, err := db.QueryContext(context.Background(), `SELECT group_id, holder FROM fleet_leases WHERE expires > $1`, time.Now().UnixMilli())
		if err != nil {
			return m
		}
		defer rows.Close()
		for rows.Next() {
			var g, h string
			if rows.Scan(&g, &h) == nil {
				m[g] = h
			}
		}
		if rows.Err() != nil {
			return map[string]string{}
		}
		return m
	}
	var split map[string]string
	waitFor(t, 60*time.Second, "both workers to hold two groups each", func() bool {
		split = holders()
		n := map[string]int{}
		for _, h := range split {
			n[h]++
		}
		return n["w1"] == 2 && n["w2"] == 2
	})
	waitFor(t, 60*time.Second, "w1's groups to be halfway", func() bool {
		for g, h := range split {
			if h == "w1" && pxs[g].count() < actions/2 {
				return false
			}
		}
		return true
	})
	w1.kill()
	killed := time.Now()
	var took time.Duration
	waitFor(t, 30*time.Second, "w2 to take w1's groups over", func() bool {
		for _, h := range holders() {
			if h != "w2" {
				return false
			}
		}
		took = time.Since(killed)
		return len(holders()) == 4
	})
	if took > lease+lease/3+time.Second {
		t.Errorf("the takeover took %s, want within the lease (%s) and a renewal round", took, lease)
	}
	waitFor(t, 90*time.Second, "every group to finish", func() bool {
		ov := w2.overview(t)
		for _, g := range ov {
			if g.Progress.Done != actions-1 {
				return false
			}
		}
		return len(ov) == 4
	})
	for id, p := range pxs {
		if d := p.duplicates(); len(d) > 0 || len(p.seen) != actions {
			t.Errorf("%s: %d distinct actions, sent twice %v; want %d, none", id, len(p.seen), d, actions)
		}
	}
	for g, h := range split {
		if h == "w1" && !strings.Contains(w2.log.String(), "lease: took "+g) {
			t.Errorf("w2's log does not show it took %s over:\n%s", g, w2.log.String())
		}
	}
	t.Logf("takeover %s after the kill (lease %s)", took.Round(time.Millisecond), lease)
}

// TestFleetLeaseLostMidReplay: a worker whose lease passes to another
// while it replays (it stalled past the lease: a pause, a frozen VM) stops
// at its very next action, before sending it, rather than at its next
// lease round (a third of a minute away here), and leaves the new
// holder's progress alone.
func TestFleetLeaseLostMidReplay(t *testing.T) {
	pg := testenv.PostgresURL(t)
	const actions = 5000
	dir := t.TempDir()
	sc := genScenario(t, 25, actions)
	p := newProxy(t, startApp(t).url(), nil)
	gfile := filepath.Join(dir, "groups.yaml")
	writeGroups(t, gfile, []fleet.Group{{ID: "g", API: p.url()}})
	w := startFleet(t, "--groups", gfile, "--db", pg, "-s", sc, "--speedup", "6000", "--flush-every", "200ms",
		"--check-every", "-1s", "--lease", "1m", "--worker", "w1")
	waitFor(t, 60*time.Second, "the replay to pass 100 actions", func() bool { return p.count() > 100 })

	db, err := sql.Open("pgx", pg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	// Another worker holds the lease now, as after w1 stalled past it.
	stolen := time.Now()
	if _, err := db.ExecContext(ctx, `UPDATE fleet_leases SET holder = 'w2', expires = $1 WHERE group_id = 'g'`,
		time.Now().Add(10*time.Minute).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "w1 to stop the group", func() bool {
		return strings.Contains(w.log.String(), "g: stopped: ") && strings.Contains(w.log.String(), "lease lost")
	})
	if d := time.Since(stolen); d > 10*time.Second {
		t.Fatalf("w1 stopped %s after losing the lease", d)
	}
	sent := p.count()
	var done int64
	if err := db.QueryRowContext(ctx, `SELECT done FROM fleet_progress WHERE group_id = 'g'`).Scan(&done); err != nil {
		t.Fatal(err)
	}
	// w2 (the test) moves the group on; w1 must not write over it.
	if _, err := db.ExecContext(ctx, `UPDATE fleet_progress SET done = $1 WHERE group_id = 'g'`, done+1000); err != nil {
		t.Fatal(err)
	}
	w.kill()
	if got := p.count(); got != sent {
		t.Errorf("w1 sent %d more actions after it stopped", got-sent)
	}
	if sent >= actions {
		t.Fatalf("the replay finished (%d actions) before the lease was taken", sent)
	}
	var after int64
	if err := db.QueryRowContext(ctx, `SELECT done FROM fleet_progress WHERE group_id = 'g'`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != done+1000 {
		t.Errorf("progress after w1 stopped is %d, want the new holder's %d", after, done+1000)
	}
	if d := p.duplicates(); len(d) > 0 {
		t.Errorf("actions %v were sent twice", d)
	}
}
