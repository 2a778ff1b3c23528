package replay

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minitwit-cd/kit/simulator/scenario"
)

// Model is what a replay implies about the target's state, kept for a
// bounded sample of users: the first Users users whose registration
// succeeded, their follow lists and their newest messages. Memory is bounded
// whatever the scenario's size. It also keeps a bounded pool of registered
// user names for load tests.
type Model struct {
	mu       sync.Mutex
	maxUsers int
	keep     int
	users    map[string]*modelUser
	order    []string
	pool     []string
	poolMax  int
}

type modelUser struct {
	followsUncertain bool
	msgsUncertain    bool
	follows          map[string]bool
	msgs             []string // the newest keep messages, oldest first
}

// NewModel returns a Model sampling up to users users and keeping their
// newest keep messages (defaults 32 and 10 when < 1).
func NewModel(users, keep int) *Model {
	if users < 1 {
		users = 32
	}
	if keep < 1 {
		keep = 10
	}
	return &Model{maxUsers: users, keep: keep, users: map[string]*modelUser{}, poolMax: 1000}
}

// Pool returns up to 1000 users whose registration succeeded, in scenario
// order.
func (m *Model) Pool() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.pool)
}

// apply records one action's outcome. Actions on one user's tweets and on
// one follow pair complete in scenario order (the dispatcher serialises
// them), so applying in completion order rebuilds the state.
func (m *Model) apply(a scenario.Action, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[a.User]
	switch a.Command {
	case scenario.Register:
		if !ok || u != nil {
			return
		}
		if len(m.pool) < m.poolMax && !slices.Contains(m.pool, a.User) {
			m.pool = append(m.pool, a.User)
		}
		if len(m.users) < m.maxUsers {
			m.users[a.User] = &modelUser{follows: map[string]bool{}}
			m.order = append(m.order, a.User)
		}
	case scenario.Tweet:
		if u == nil {
			return
		}
		if !ok {
			// A failed tweet may or may not have been stored.
			u.msgsUncertain = true
			return
		}
		if len(u.msgs) == m.keep {
			copy(u.msgs, u.msgs[1:])
			u.msgs = u.msgs[:m.keep-1]
		}
		u.msgs = append(u.msgs, a.Arg)
	case scenario.Follow, scenario.Unfollow:
		if u == nil {
			return
		}
		if !ok {
			u.followsUncertain = true
			return
		}
		if a.Command == scenario.Follow {
			u.follows[a.Arg] = true
		} else {
			delete(u.follows, a.Arg)
		}
	}
}

// Mismatch is one difference between the target's state and the model's.
type Mismatch struct {
	// Check is "latest", "follows" or "messages".
	Check string `json:"check"`
	// User is the user checked, empty for latest.
	User string `json:"user,omitempty"`
	// Want and Got describe the difference.
	Want string `json:"want"`
	Got  string `json:"got"`
}

// String formats the mismatch on one line.
func (m Mismatch) String() string {
	who := ""
	if m.User != "" {
		who = " of " + strconv.Quote(m.User)
	}
	return fmt.Sprintf("%s%s: want %s, got %s", m.Check, who, m.Want, m.Got)
}

// Verification is the result of Verify.
type Verification struct {
	// Checks is the number of checks made; Skipped the user checks left
	// out because an action on that user failed and its effect is unknown.
	Checks  int `json:"checks"`
	Skipped int `json:"skipped"`
	// Mismatches lists every difference found.
	Mismatches []Mismatch `json:"mismatches"`
}

// OK reports whether every check passed.
func (v Verification) OK() bool { return len(v.Mismatches) == 0 }

// verifyTimeout bounds each read-back request; verification is not judged
// by the latency budget.
const verifyTimeout = 5 * time.Second

// Verify reads the target back through the API and compares it with what
// the replay implies: /latest (within the IDs that were in flight at the
// end), and for each sampled user its follow list and newest messages. A
// read that fails is a mismatch, not an error: the error is for a context
// that ended.
func (e *Engine) Verify(ctx context.Context, m *Model, st Stats) (Verification, error) {
	var v Verification
	if st.Sent > 0 {
		v.Checks++
		latest, err := e.getLatest(ctx)
		want := strconv.FormatInt(st.LatestHigh, 10)
		if st.LatestLow < st.LatestHigh {
			want = fmt.Sprintf("between %d and %d", st.LatestLow, st.LatestHigh)
		}
		switch {
		case err != nil:
			v.Mismatches = append(v.Mismatches, Mismatch{Check: "latest", Want: want, Got: err.Error()})
		case latest < st.LatestLow || latest > st.LatestHigh:
			v.Mismatches = append(v.Mismatches, Mismatch{Check: "latest", Want: want, Got: strconv.FormatInt(latest, 10)})
		}
	}
	m.mu.Lock()
	names := slices.Clone(m.order)
	m.mu.Unlock()
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return v, err
		}
		m.mu.Lock()
		u := m.users[name]
		followsOK, msgsOK := !u.followsUncertain, !u.msgsUncertain
		follows := make([]string, 0, len(u.follows))
		for f := range u.follows {
			follows = append(follows, f)
		}
		msgs := slices.Clone(u.msgs)
		m.mu.Unlock()
		if followsOK && len(follows) <= 1000 {
			v.Checks++
			if mm, bad := e.checkFollows(ctx, name, follows); bad {
				v.Mismatches = append(v.Mismatches, mm)
			}
		} else {
			v.Skipped++
		}
		if msgsOK {
			v.Checks++
			if mm, bad := e.checkMessages(ctx, name, msgs, m.keep); bad {
				v.Mismatches = append(v.Mismatches, mm)
			}
		} else {
			v.Skipped++
		}
	}
	return v, nil
}

func (e *Engine) getLatest(ctx context.Context) (int64, error) {
	var body struct {
		Latest *int64 `json:"latest"`
	}
	if err := e.getJSON(ctx, "/latest", verifyTimeout, &body); err != nil {
		return 0, err
	}
	if body.Latest == nil {
		return 0, fmt.Errorf("no \"latest\" field in the answer")
	}
	return *body.Latest, nil
}

func (e *Engine) checkFollows(ctx context.Context, name string, want []string) (Mismatch, bool) {
	var body struct {
		Follows []string `json:"follows"`
	}
	mm := Mismatch{Check: "follows", User: name}
	if err := e.getJSON(ctx, "/fllws/"+url.PathEscape(name)+"?no=1000", verifyTimeout, &body); err != nil {
		mm.Want, mm.Got = fmt.Sprintf("%d users", len(want)), err.Error()
		return mm, true
	}
	wantSet := map[string]bool{}
	for _, w := range want {
		wantSet[w] = true
	}
	gotSet := map[string]bool{}
	var extra []string
	for _, g := range body.Follows {
		gotSet[g] = true
		if !wantSet[g] {
			extra = append(extra, g)
		}
	}
	var missing []string
	for _, w := range want {
		if !gotSet[w] {
			missing = append(missing, w)
		}
	}
	if len(missing) == 0 && len(extra) == 0 && len(body.Follows) == len(want) {
		return mm, false
	}
	slices.Sort(missing)
	slices.Sort(extra)
	mm.Want = fmt.Sprintf("%d users", len(want))
	mm.Got = fmt.Sprintf("%d users (missing %s; unexpected %s)", len(body.Follows), names5(missing), names5(extra))
	return mm, true
}

func (e *Engine) checkMessages(ctx context.Context, name string, want []string, keep int) (Mismatch, bool) {
	var body []struct {
		Content string `json:"content"`
		User    string `json:"user"`
	}
	mm := Mismatch{Check: "messages", User: name}
	if err := e.getJSON(ctx, "/msgs/"+url.PathEscape(name)+"?no="+strconv.Itoa(keep), verifyTimeout, &body); err != nil {
		mm.Want, mm.Got = fmt.Sprintf("%d newest messages", len(want)), err.Error()
		return mm, true
	}
	// The model keeps oldest first; the API answers newest first.
	if len(body) != len(want) {
		mm.Want = fmt.Sprintf("%d newest messages", len(want))
		mm.Got = fmt.Sprintf("%d messages", len(body))
		return mm, true
	}
	for i, got := range body {
		w := want[len(want)-1-i]
		if got.Content != w || got.User != name {
			mm.Want = fmt.Sprintf("newest message #%d %q by %q", i+1, w, name)
			mm.Got = fmt.Sprintf("%q by %q", got.Content, got.User)
			return mm, true
		}
	}
	return mm, false
}

// names5 lists up to five names.
func names5(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	q := make([]string, 0, 5)
	for i, n := range s {
		if i == 5 {
			q = append(q, fmt.Sprintf("and %d more", len(s)-5))
			break
		}
		q = append(q, strconv.Quote(n))
	}
	return strings.Join(q, ", ")
}
