package systemtest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/simulator/scenario"
)

// model is the state the scenario implies, built while replaying it.
type model struct {
	users    []string
	tweets   map[string][]string // user -> texts in posting order
	allTexts []simMessage        // every tweet in posting order
	follows  map[string]map[string]bool
	last     int64
}

func newModel() *model {
	return &model{tweets: map[string][]string{}, follows: map[string]map[string]bool{}, last: -1}
}

// apply records a successful action.
func (m *model) apply(a scenario.Action) {
	m.last = a.ID
	switch a.Command {
	case scenario.Register:
		m.users = append(m.users, a.User)
	case scenario.Tweet:
		m.tweets[a.User] = append(m.tweets[a.User], a.Arg)
		m.allTexts = append(m.allTexts, simMessage{Content: a.Arg, User: a.User})
	case scenario.Follow:
		if m.follows[a.User] == nil {
			m.follows[a.User] = map[string]bool{}
		}
		m.follows[a.User][a.Arg] = true
	case scenario.Unfollow:
		delete(m.follows[a.User], a.Arg)
	}
}

// TestScenarioReplay replays the whole course scenario, one action at a
// time as the course's simulator does (Connection: close), against a fresh
// SQLite database, and then checks the final state exactly. Latency under
// the 300 ms rule is measured by scripts/bench.sh (simulator bench), not asserted here.
func TestScenarioReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("the full scenario replay is not short")
	}
	path := testenv.CourseScenario(t)
	srv := startServer(t, filepath.Join(t.TempDir(), "minitwit.db"))
	c := newSimClient(srv.URL)

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := scenario.NewReader(f)
	c.auth = scenario.Authorization

	m := newModel()
	var unexpected []string
	total := 0
	for len(unexpected) < 20 {
		a, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("read scenario: %v", err)
		}
		total++
		req := a.Request()
		status, resp, err := c.raw(req.Method, req.PathQuery(), req.Body)
		switch {
		case err != nil:
			unexpected = append(unexpected, fmt.Sprintf("%d,%s,%v", a.ID, a.Command, err))
		// The database starts empty and the file registers each name once,
		// so even "register" must be a 204 here, not the tolerated 400.
		case status != http.StatusNoContent:
			unexpected = append(unexpected, fmt.Sprintf("%d,%s,status %d: %.200s", a.ID, a.Command, status, resp))
		default:
			m.apply(a)
		}
	}
	if len(unexpected) > 0 {
		t.Fatalf("unexpected outcomes (simulator log format id,command,outcome; stopped at 20):\n%s\nserver log tail:\n%s",
			strings.Join(unexpected, "\n"), tail(srv.Logs(), 2000))
	}
	if total != 25922 {
		t.Fatalf("replayed %d actions, the course scenario has 25922", total)
	}
	t.Logf("replayed %d actions with no unexpected status", total)

	// The final state, through the API, with a patient keep-alive client.
	q := newPooledClient(srv.URL, 10*time.Second)
	if got := q.latest(t); got != 25921 || got != m.last {
		t.Errorf("/latest = %d, want 25921 (the last action, %d)", got, m.last)
	}
	if len(m.users) != 200 {
		t.Fatalf("model has %d users, want 200", len(m.users))
	}
	for _, u := range m.users {
		// Every user's whole timeline: the scenario's busiest user has 769
		// messages, below the API's page cap, so one page holds them all.
		got := q.messages(t, userPath("/msgs/", u), 1000)
		want := slices.Clone(m.tweets[u])
		slices.Reverse(want)
		if len(got) != len(want) {
			t.Errorf("%s: %d messages, want %d", u, len(got), len(want))
			continue
		}
		for i := range got {
			if got[i].Content != want[i] || got[i].User != u {
				t.Errorf("%s: message %d (newest first) = %q by %q, want %q", u, i, got[i].Content, got[i].User, want[i])
				break
			}
		}
		gotF := q.follows(t, u, 1000)
		var wantF []string
		for f := range m.follows[u] {
			wantF = append(wantF, f)
		}
		slices.Sort(gotF)
		slices.Sort(wantF)
		if !slices.Equal(gotF, wantF) {
			t.Errorf("%s follows %d users %.5q…, want %d %.5q…", u, len(gotF), gotF, len(wantF), wantF)
		}
	}
	// The public timeline: the last 100 tweets, newest first.
	got := q.messages(t, "/msgs", 100)
	want := slices.Clone(m.allTexts[len(m.allTexts)-100:])
	slices.Reverse(want)
	if len(got) != len(want) {
		t.Fatalf("/msgs?no=100 returned %d messages", len(got))
	}
	for i := range got {
		if got[i].Content != want[i].Content || got[i].User != want[i].User {
			t.Fatalf("/msgs message %d = %q by %q, want %q by %q", i, got[i].Content, got[i].User, want[i].Content, want[i].User)
		}
		if got[i].PubDate <= 0 {
			t.Fatalf("/msgs message %d has pub_date %d", i, got[i].PubDate)
		}
	}
	edges := 0
	for _, fs := range m.follows {
		edges += len(fs)
	}
	t.Logf("verified 200 users, %d messages, %d follow edges", len(m.allTexts), edges)
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
