// Package storetest is the one contract test suite for minitwit.Store: the
// SQLite and PostgreSQL stores both run it, so they behave alike in every
// rule the HTTP layer relies on.
package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/app/minitwit"
)

// Flagger is implemented by stores that can hide a message (the course's
// moderation tool); the suite uses it to check that timelines skip flagged
// messages.
type Flagger interface {
	FlagMessage(ctx context.Context, id int64, flagged bool) error
}

// Run runs the contract against stores made by open, which must return a
// fresh, empty store and close it when the test ends.
func Run(t *testing.T, open func(t *testing.T) minitwit.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s minitwit.Store)
	}{
		{"Users", testUsers},
		{"UserNamesVerbatim", testUserNamesVerbatim},
		{"UnstorableText", testUnstorableText},
		{"DuplicateUsername", testDuplicateUsername},
		{"ConcurrentSameNameOneWinner", testConcurrentCreateUser},
		{"AddMessageFields", testAddMessageFields},
		{"AddMessageUnknownAuthor", testAddMessageUnknownAuthor},
		{"PublicTimelineOrder", testPublicTimelineOrder},
		{"PublicReadsItsWrites", testPublicReadsWrites},
		{"PagingBeforeID", testPaging},
		{"DefaultPageSize", testDefaultPageSize},
		{"FlaggedHidden", testFlaggedHidden},
		{"UserTimeline", testUserTimeline},
		{"HomeTimeline", testHomeTimeline},
		{"HomeTimelinePagesMatchModel", testHomeModel},
		{"Follow", testFollow},
		{"FollowUnknownUsers", testFollowUnknown},
		{"FollowingOrderAndLimit", testFollowingOrder},
		{"Latest", testLatest},
		{"ConcurrentLatest", testConcurrentLatest},
		{"LatestCommitsWithItsWrite", testLatestWithWrite},
		{"MessageLengthCap", testMessageLengthCap},
		{"EndSessions", testEndSessions},
		{"Stats", testStats},
		{"ConcurrentReadsAndWrites", testConcurrentReadWrite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// mustUser creates a user with a derived email and hash.
func mustUser(t *testing.T, s minitwit.Store, name string) minitwit.User {
	t.Helper()
	u, err := s.CreateUser(ctx(t), name, name+"@example.com", "hash-of-"+name)
	if err != nil {
		t.Fatalf("CreateUser(%q): %v", name, err)
	}
	return u
}

// mustPost adds a message and returns its ID.
func mustPost(t *testing.T, s minitwit.Store, u minitwit.User, text string, at time.Time) int64 {
	t.Helper()
	id, err := s.AddMessage(ctx(t), u.ID, text, at)
	if err != nil {
		t.Fatalf("AddMessage(%s, %q): %v", u.Username, text, err)
	}
	return id
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := minitwit.ErrorCode(err); got != code {
		t.Fatalf("%s: error %v has code %q, want %q", what, err, got, code)
	}
}

func texts(msgs []minitwit.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return out
}

func wantTexts(t *testing.T, what string, msgs []minitwit.Message, err error, want ...string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if want == nil {
		want = []string{}
	}
	if got := texts(msgs); !slices.Equal(got, want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testUsers(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	a, err := s.CreateUser(c, "alice", "alice@example.com", "$2a$10$hash")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 || a.Username != "alice" || a.Email != "alice@example.com" || a.PwHash != "$2a$10$hash" {
		t.Fatalf("CreateUser returned %+v", a)
	}
	b := mustUser(t, s, "bob")
	if b.ID == a.ID {
		t.Fatalf("two users share ID %d", a.ID)
	}
	for _, tc := range []struct {
		name string
		get  func() (minitwit.User, error)
		want minitwit.User
	}{
		{"by name", func() (minitwit.User, error) { return s.UserByName(c, "alice") }, a},
		{"by id", func() (minitwit.User, error) { return s.UserByID(c, b.ID) }, b},
	} {
		got, err := tc.get()
		if err != nil || got != tc.want {
			t.Fatalf("%s = %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	_, err = s.UserByName(c, "nobody")
	wantCode(t, "UserByName(nobody)", err, minitwit.ENOTFOUND)
	_, err = s.UserByName(c, "ALICE")
	wantCode(t, "UserByName is exact, not case-folded", err, minitwit.ENOTFOUND)
	_, err = s.UserByID(c, b.ID+1000)
	wantCode(t, "UserByID(unknown)", err, minitwit.ENOTFOUND)
	if err := s.Ping(c); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// testUserNamesVerbatim: the course scenario has names with spaces and
// non-ASCII letters; anything that looks like SQL is just text.
func testUserNamesVerbatim(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	names := []string{
		"Roger Histand",
		"Jürgen Ünal",
		"名前",
		"Robert'); DROP TABLE user;--",
		`" OR "1"="1`,
		"a%b_c\\d",
		"Alice", "alice", // case matters
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			u := mustUser(t, s, n)
			got, err := s.UserByName(c, n)
			if err != nil || got.ID != u.ID || got.Username != n {
				t.Fatalf("UserByName(%q) = %+v, %v", n, got, err)
			}
			id := mustPost(t, s, u, "text by "+n+" with 'quotes'; --", t0)
			msgs, err := s.UserTimeline(c, u.ID, minitwit.Page{})
			if err != nil || len(msgs) != 1 || msgs[0].ID != id || msgs[0].Author != n || msgs[0].Text != "text by "+n+" with 'quotes'; --" {
				t.Fatalf("UserTimeline = %+v, %v", msgs, err)
			}
		})
	}
	st, err := s.Stats(c)
	if err != nil || st.Users != int64(len(names)) {
		t.Fatalf("Stats = %+v, %v; want %d users (nothing dropped)", st, err, len(names))
	}
}

// testUnstorableText: NUL characters and invalid UTF-8 are EINVALID in
// every store (PostgreSQL cannot keep them), and lookups of such names
// find nobody rather than failing.
func testUnstorableText(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	u := mustUser(t, s, "alice")
	for _, bad := range []string{"nul\x00byte", "bad\xffutf8", "\x00"} {
		t.Run(fmt.Sprintf("%q", bad), func(t *testing.T) {
			_, err := s.CreateUser(c, bad, "e@example.com", "h")
			wantCode(t, "CreateUser(username)", err, minitwit.EINVALID)
			_, err = s.CreateUser(c, "fine", bad+"@example.com", "h")
			wantCode(t, "CreateUser(email)", err, minitwit.EINVALID)
			_, err = s.AddMessage(c, u.ID, bad, t0)
			wantCode(t, "AddMessage", err, minitwit.EINVALID)
			_, err = s.UserByName(c, bad)
			wantCode(t, "UserByName", err, minitwit.ENOTFOUND)
		})
	}
	st, err := s.Stats(c)
	if want := (minitwit.Stats{Users: 1}); err != nil || st != want {
		t.Fatalf("Stats = %+v, %v; want %+v (nothing stored)", st, err, want)
	}
}

func testDuplicateUsername(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	first := mustUser(t, s, "Roger Histand")
	_, err := s.CreateUser(c, "Roger Histand", "other@example.com", "x")
	wantCode(t, "second CreateUser", err, minitwit.ECONFLICT)
	if msg := minitwit.ErrorMessage(err); msg != minitwit.MsgUsernameTaken {
		t.Fatalf("message %q, want %q", msg, minitwit.MsgUsernameTaken)
	}
	got, err := s.UserByName(c, "Roger Histand")
	if err != nil || got != first {
		t.Fatalf("the first user changed: %+v, %v", got, err)
	}
}

func testConcurrentCreateUser(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = s.CreateUser(c, "racer", fmt.Sprintf("r%d@example.com", i), "x")
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch minitwit.ErrorCode(err) {
		case "":
			won++
		case minitwit.ECONFLICT:
		default:
			t.Errorf("call %d: %v (want success or ECONFLICT)", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d calls succeeded, want exactly 1", won)
	}
	if st, err := s.Stats(c); err != nil || st.Users != 1 {
		t.Fatalf("Stats = %+v, %v; want 1 user", st, err)
	}
}

func testAddMessageFields(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	u, err := s.CreateUser(c, "Jürgen Ünal", "j@example.com", "h")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 999_000_000, time.FixedZone("X", 3600))
	id := mustPost(t, s, u, "<b>hej</b> ✓", at)
	msgs, err := s.PublicTimeline(c, minitwit.Page{})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("PublicTimeline = %+v, %v", msgs, err)
	}
	m := msgs[0]
	want := minitwit.Message{ID: id, AuthorID: u.ID, Author: "Jürgen Ünal", Email: "j@example.com",
		Text: "<b>hej</b> ✓", PubDate: time.Unix(at.Unix(), 0).UTC()}
	if m != want {
		t.Fatalf("message = %+v, want %+v (seconds precision, UTC)", m, want)
	}
}

func testAddMessageUnknownAuthor(t *testing.T, s minitwit.Store) {
	u := mustUser(t, s, "alice")
	_, err := s.AddMessage(ctx(t), u.ID+1000, "orphan", t0)
	wantCode(t, "AddMessage(unknown author)", err, minitwit.ENOTFOUND)
	msgs, err := s.PublicTimeline(ctx(t), minitwit.Page{})
	wantTexts(t, "PublicTimeline after failed add", msgs, err)
}

// testPublicTimelineOrder: newest first by posting order, also within one
// second and when a clock steps back.
func testPublicTimelineOrder(t *testing.T, s minitwit.Store) {
	a, b := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	mustPost(t, s, a, "m1", t0)
	mustPost(t, s, b, "m2", t0)
	mustPost(t, s, a, "m3", t0)
	mustPost(t, s, b, "m4", t0.Add(time.Second))
	mustPost(t, s, a, "m5", t0.Add(-time.Hour)) // posted last, older clock
	msgs, err := s.PublicTimeline(ctx(t), minitwit.Page{})
	wantTexts(t, "PublicTimeline", msgs, err, "m5", "m4", "m3", "m2", "m1")
	for i := 1; i < len(msgs); i++ {
		if msgs[i-1].ID <= msgs[i].ID {
			t.Fatalf("IDs not descending: %d then %d", msgs[i-1].ID, msgs[i].ID)
		}
	}
	msgs, err = s.PublicTimeline(ctx(t), minitwit.Page{Limit: 2})
	wantTexts(t, "PublicTimeline limit 2", msgs, err, "m5", "m4")
}

// testPublicReadsWrites: the first page of the public timeline, which a
// store may cache, shows each write as soon as it returned.
func testPublicReadsWrites(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	a := mustUser(t, s, "alice")
	f, _ := s.(Flagger)
	for i := range 5 {
		for _, limit := range []int{1, 30, 100} {
			if _, err := s.PublicTimeline(c, minitwit.Page{Limit: limit}); err != nil {
				t.Fatal(err)
			}
		}
		text := fmt.Sprint("post ", i)
		id := mustPost(t, s, a, text, t0)
		for _, limit := range []int{1, 30, 100} {
			msgs, err := s.PublicTimeline(c, minitwit.Page{Limit: limit})
			if err != nil || len(msgs) == 0 || msgs[0].Text != text {
				t.Fatalf("after posting %q, PublicTimeline(limit %d) = %q, %v", text, limit, texts(msgs), err)
			}
			msgs[0].Text = "changed by the caller" // must not leak into later calls
		}
		if f != nil && i%2 == 1 {
			if err := f.FlagMessage(c, id, true); err != nil {
				t.Fatal(err)
			}
			msgs, err := s.PublicTimeline(c, minitwit.Page{Limit: 30})
			if err != nil || (len(msgs) > 0 && msgs[0].ID == id) {
				t.Fatalf("flagged message %d still first: %q, %v", id, texts(msgs), err)
			}
		}
	}
	msgs, err := s.PublicTimeline(c, minitwit.Page{Limit: 100})
	if f != nil {
		wantTexts(t, "final", msgs, err, "post 4", "post 2", "post 0")
	}
}

func testPaging(t *testing.T, s minitwit.Store) {
	a := mustUser(t, s, "alice")
	var want []string
	for i := range 7 {
		mustPost(t, s, a, fmt.Sprint("m", i), t0)
		want = append([]string{fmt.Sprint("m", i)}, want...)
	}
	for _, tc := range []struct {
		name  string
		fetch func(p minitwit.Page) ([]minitwit.Message, error)
	}{
		{"public", func(p minitwit.Page) ([]minitwit.Message, error) { return s.PublicTimeline(ctx(t), p) }},
		{"user", func(p minitwit.Page) ([]minitwit.Message, error) { return s.UserTimeline(ctx(t), a.ID, p) }},
		{"home", func(p minitwit.Page) ([]minitwit.Message, error) { return s.HomeTimeline(ctx(t), a.ID, p) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			p := minitwit.Page{Limit: 3}
			for pages := 0; ; pages++ {
				if pages > 5 {
					t.Fatal("paging does not end")
				}
				msgs, err := tc.fetch(p)
				if err != nil {
					t.Fatal(err)
				}
				if len(msgs) > 3 {
					t.Fatalf("page of %d > limit 3", len(msgs))
				}
				if len(msgs) == 0 {
					break
				}
				got = append(got, texts(msgs)...)
				p.BeforeID = msgs[len(msgs)-1].ID
			}
			if !slices.Equal(got, want) {
				t.Fatalf("pages = %q, want %q (no gaps, no repeats)", got, want)
			}
		})
	}
}

func testDefaultPageSize(t *testing.T, s minitwit.Store) {
	a := mustUser(t, s, "alice")
	for i := range minitwit.DefaultPageSize + 5 {
		mustPost(t, s, a, fmt.Sprint(i), t0)
	}
	for _, limit := range []int{0, -1} {
		msgs, err := s.PublicTimeline(ctx(t), minitwit.Page{Limit: limit})
		if err != nil || len(msgs) != minitwit.DefaultPageSize {
			t.Fatalf("Limit %d: %d messages, %v; want %d", limit, len(msgs), err, minitwit.DefaultPageSize)
		}
	}
	msgs, err := s.PublicTimeline(ctx(t), minitwit.Page{Limit: 1000})
	if err != nil || len(msgs) != minitwit.DefaultPageSize+5 {
		t.Fatalf("Limit 1000: %d messages, %v", len(msgs), err)
	}
}

func testFlaggedHidden(t *testing.T, s minitwit.Store) {
	f, ok := s.(Flagger)
	if !ok {
		t.Fatalf("%T does not implement storetest.Flagger", s)
	}
	c := ctx(t)
	a, b := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	if err := s.Follow(c, a.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	mustPost(t, s, a, "a1", t0)
	bad := mustPost(t, s, b, "b-bad", t0)
	mustPost(t, s, b, "b2", t0)
	if err := f.FlagMessage(c, bad, true); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "FlagMessage(unknown)", f.FlagMessage(c, bad+1000, true), minitwit.ENOTFOUND)
	msgs, err := s.PublicTimeline(c, minitwit.Page{})
	wantTexts(t, "public", msgs, err, "b2", "a1")
	msgs, err = s.UserTimeline(c, b.ID, minitwit.Page{})
	wantTexts(t, "user", msgs, err, "b2")
	msgs, err = s.HomeTimeline(c, a.ID, minitwit.Page{})
	wantTexts(t, "home", msgs, err, "b2", "a1")
	// A page of one skips the flagged message rather than coming back short.
	msgs, err = s.PublicTimeline(c, minitwit.Page{Limit: 1, BeforeID: bad + 1})
	wantTexts(t, "public page after flagged", msgs, err, "a1")
	if err := f.FlagMessage(c, bad, false); err != nil {
		t.Fatal(err)
	}
	msgs, err = s.UserTimeline(c, b.ID, minitwit.Page{})
	wantTexts(t, "user after unflag", msgs, err, "b2", "b-bad")
}

func testUserTimeline(t *testing.T, s minitwit.Store) {
	a, b := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	mustPost(t, s, a, "a1", t0)
	mustPost(t, s, b, "b1", t0)
	mustPost(t, s, a, "a2", t0)
	msgs, err := s.UserTimeline(ctx(t), a.ID, minitwit.Page{})
	wantTexts(t, "alice", msgs, err, "a2", "a1")
	for _, m := range msgs {
		if m.AuthorID != a.ID || m.Author != "alice" || m.Email != "alice@example.com" {
			t.Fatalf("message %+v is not alice's", m)
		}
	}
	msgs, err = s.UserTimeline(ctx(t), b.ID+1000, minitwit.Page{})
	wantTexts(t, "unknown user", msgs, err)
}

func testHomeTimeline(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	a, b, x := mustUser(t, s, "alice"), mustUser(t, s, "bob"), mustUser(t, s, "carol")
	lonely := mustUser(t, s, "dave")
	mustPost(t, s, a, "a1", t0)
	mustPost(t, s, b, "b1", t0)
	mustPost(t, s, x, "c1", t0)
	mustPost(t, s, a, "a2", t0)
	mustPost(t, s, b, "b2", t0)
	for _, step := range []struct {
		name string
		do   func() error
		want []string
	}{
		{"own only", func() error { return nil }, []string{"a2", "a1"}},
		{"own and followed", func() error { return s.Follow(c, a.ID, b.ID) }, []string{"b2", "a2", "b1", "a1"}},
		{"following self adds nothing twice", func() error { return s.Follow(c, a.ID, a.ID) }, []string{"b2", "a2", "b1", "a1"}},
		{"followers are not followed", func() error { return s.Follow(c, x.ID, a.ID) }, []string{"b2", "a2", "b1", "a1"}},
		{"after unfollow", func() error { return s.Unfollow(c, a.ID, b.ID) }, []string{"a2", "a1"}},
	} {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		msgs, err := s.HomeTimeline(c, a.ID, minitwit.Page{})
		wantTexts(t, step.name, msgs, err, step.want...)
	}
	if err := s.Follow(c, a.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	// Each author's messages interleave correctly under a small limit.
	msgs, err := s.HomeTimeline(c, a.ID, minitwit.Page{Limit: 3})
	wantTexts(t, "limit 3", msgs, err, "b2", "a2", "b1")
	msgs, err = s.HomeTimeline(c, a.ID, minitwit.Page{Limit: 3, BeforeID: msgs[2].ID})
	wantTexts(t, "next page", msgs, err, "a1")
	msgs, err = s.HomeTimeline(c, lonely.ID, minitwit.Page{})
	wantTexts(t, "no messages, no follows", msgs, err)
}

// testHomeModel pages through home timelines of several users with many
// interleaved messages (more per author than a page, one flagged) and
// compares every page size with the obvious model: the followed authors'
// messages, newest ID first.
func testHomeModel(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	users := make([]minitwit.User, 5)
	for i := range users {
		users[i] = mustUser(t, s, fmt.Sprint("m", i))
	}
	follows := map[int][]int{0: {1, 2}, 1: {0}, 2: {}, 3: {0, 1, 2, 4}}
	for who, whoms := range follows {
		for _, whom := range whoms {
			if err := s.Follow(c, users[who].ID, users[whom].ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	type post struct {
		id     int64
		author int
	}
	var posts []post
	for i := range 40 {
		a := (i*7 + i/3) % len(users)
		posts = append(posts, post{mustPost(t, s, users[a], fmt.Sprint("p", i), t0), a})
	}
	flagged := posts[25].id
	if f, ok := s.(Flagger); ok {
		if err := f.FlagMessage(c, flagged, true); err != nil {
			t.Fatal(err)
		}
	} else {
		flagged = -1
	}
	for who := range follows {
		in := map[int]bool{who: true}
		for _, whom := range follows[who] {
			in[whom] = true
		}
		var want []int64
		for i := len(posts) - 1; i >= 0; i-- {
			if in[posts[i].author] && posts[i].id != flagged {
				want = append(want, posts[i].id)
			}
		}
		for _, limit := range []int{1, 2, 3, 5, 30} {
			var got []int64
			p := minitwit.Page{Limit: limit}
			for range len(want) + 2 {
				msgs, err := s.HomeTimeline(c, users[who].ID, p)
				if err != nil {
					t.Fatal(err)
				}
				if len(msgs) > limit {
					t.Fatalf("page of %d > limit %d", len(msgs), limit)
				}
				if len(msgs) == 0 {
					break
				}
				for _, m := range msgs {
					got = append(got, m.ID)
				}
				p.BeforeID = msgs[len(msgs)-1].ID
			}
			if !slices.Equal(got, want) {
				t.Fatalf("home of m%d in pages of %d = %v, want %v", who, limit, got, want)
			}
		}
	}
}

func testFollow(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	a, b := mustUser(t, s, "alice"), mustUser(t, s, "Roger Histand")
	is := func(who, whom minitwit.User) bool {
		t.Helper()
		ok, err := s.IsFollowing(c, who.ID, whom.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if is(a, b) {
		t.Fatal("following before Follow")
	}
	for range 2 {
		if err := s.Follow(c, a.ID, b.ID); err != nil {
			t.Fatalf("Follow: %v", err)
		}
	}
	if !is(a, b) || is(b, a) {
		t.Fatalf("IsFollowing a->b %v, b->a %v; want true, false", is(a, b), is(b, a))
	}
	names, err := s.Following(c, a.ID, 100)
	if err != nil || !slices.Equal(names, []string{"Roger Histand"}) {
		t.Fatalf("Following after following twice = %q, %v", names, err)
	}
	if st, err := s.Stats(c); err != nil || st.Follows != 1 {
		t.Fatalf("Stats = %+v, %v; want 1 follow edge", st, err)
	}
	for range 2 {
		if err := s.Unfollow(c, a.ID, b.ID); err != nil {
			t.Fatalf("Unfollow (also of an absent edge): %v", err)
		}
	}
	if is(a, b) {
		t.Fatal("still following after Unfollow")
	}
	if err := s.Unfollow(c, a.ID, b.ID+1000); err != nil {
		t.Fatalf("Unfollow of an unknown user: %v", err)
	}
	names, err = s.Following(c, a.ID, 100)
	if err != nil || len(names) != 0 || names == nil {
		t.Fatalf("Following after Unfollow = %#v, %v; want an empty, non-nil list", names, err)
	}
}

func testFollowUnknown(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	a := mustUser(t, s, "alice")
	wantCode(t, "Follow(unknown whom)", s.Follow(c, a.ID, a.ID+1000), minitwit.ENOTFOUND)
	wantCode(t, "Follow(unknown who)", s.Follow(c, a.ID+1000, a.ID), minitwit.ENOTFOUND)
	if st, err := s.Stats(c); err != nil || st.Follows != 0 {
		t.Fatalf("Stats = %+v, %v; want no follow edges", st, err)
	}
}

func testFollowingOrder(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	me := mustUser(t, s, "me")
	users := map[string]minitwit.User{}
	// Creation order differs from follow order, and from name order.
	for _, n := range []string{"anna", "bo", "cy", "dee"} {
		users[n] = mustUser(t, s, n)
	}
	other := mustUser(t, s, "other")
	follow := func(n string) {
		t.Helper()
		if err := s.Follow(c, me.ID, users[n].ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"cy", "anna", "dee", "bo"} {
		follow(n)
	}
	if err := s.Follow(c, other.ID, users["anna"].ID); err != nil {
		t.Fatal(err)
	}
	follow("anna") // again: keeps its place
	for _, tc := range []struct {
		limit int
		want  []string
	}{
		{100, []string{"cy", "anna", "dee", "bo"}},
		{2, []string{"cy", "anna"}},
		{0, []string{}},
	} {
		got, err := s.Following(c, me.ID, tc.limit)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Fatalf("Following(limit %d) = %q, %v; want %q", tc.limit, got, err, tc.want)
		}
	}
	if err := s.Unfollow(c, me.ID, users["anna"].ID); err != nil {
		t.Fatal(err)
	}
	follow("anna") // re-followed: now the latest
	got, err := s.Following(c, me.ID, 100)
	if want := []string{"cy", "dee", "bo", "anna"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("Following after re-follow = %q, %v; want %q", got, err, want)
	}
	got, err = s.Following(c, other.ID, 100)
	if want := []string{"anna"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("Following(other) = %q, %v; want %q", got, err, want)
	}
}

func testLatest(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	got, err := s.Latest(c)
	if err != nil || got != -1 {
		t.Fatalf("Latest on an empty store = %d, %v; want -1", got, err)
	}
	for _, v := range []int64{5, 3, 0, 1 << 40} {
		if err := s.SetLatest(c, v); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Latest(c); err != nil || got != v {
			t.Fatalf("Latest after SetLatest(%d) = %d, %v", v, got, err)
		}
	}
}

// testLatestWithWrite: a write given minitwit.WithLatest records latest
// with it; a write that fails records neither.
func testLatestWithWrite(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	at := func(id int64) context.Context { return minitwit.WithLatest(c, id) }
	wantLatest := func(what string, want int64) {
		t.Helper()
		if got, err := s.Latest(c); err != nil || got != want {
			t.Fatalf("%s: Latest = %d, %v; want %d", what, got, err, want)
		}
	}
	a, err := s.CreateUser(at(1), "a", "a@a", "h")
	if err != nil {
		t.Fatal(err)
	}
	wantLatest("CreateUser", 1)
	b, err := s.CreateUser(at(2), "b", "b@b", "h")
	if err != nil {
		t.Fatal(err)
	}
	wantLatest("second CreateUser", 2)
	if _, err := s.AddMessage(at(3), a.ID, "hi", time.Now()); err != nil {
		t.Fatal(err)
	}
	wantLatest("AddMessage", 3)
	if err := s.Follow(at(4), a.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	wantLatest("Follow", 4)
	if err := s.Unfollow(at(5), a.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	wantLatest("Unfollow", 5)
	if err := s.Unfollow(at(6), a.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	wantLatest("Unfollow of an absent edge", 6)

	_, err = s.CreateUser(at(7), "a", "a@a", "h")
	wantCode(t, "CreateUser taken", err, minitwit.ECONFLICT)
	wantLatest("failed CreateUser", 6)
	_, err = s.AddMessage(at(8), 999_999, "x", time.Now())
	wantCode(t, "AddMessage unknown author", err, minitwit.ENOTFOUND)
	wantLatest("failed AddMessage", 6)
	wantCode(t, "Follow unknown", s.Follow(at(9), a.ID, 999_999), minitwit.ENOTFOUND)
	wantLatest("failed Follow", 6)
	// The failed writes left no half behind, and the store still works.
	if msgs, err := s.UserTimeline(c, a.ID, minitwit.Page{}); err != nil || len(msgs) != 1 {
		t.Fatalf("timeline after failed writes: %v, %v", texts(msgs), err)
	}
	if _, err := s.AddMessage(c, a.ID, "no latest", time.Now()); err != nil {
		t.Fatal(err)
	}
	wantLatest("a write without latest", 6)
}

func testMessageLengthCap(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	u := mustUser(t, s, "a")
	_, err := s.AddMessage(c, u.ID, strings.Repeat("é", minitwit.MaxMessageLen+1), time.Now())
	wantCode(t, "AddMessage over the cap", err, minitwit.EINVALID)
	mustPost(t, s, u, strings.Repeat("é", minitwit.MaxMessageLen), time.Now())
}

// testEndSessions: EndSessions moves the user's SessionGen, as both
// look-ups see it.
func testEndSessions(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	u := mustUser(t, s, "a")
	if u2, err := s.UserByID(c, u.ID); err != nil || u2.SessionGen != 0 {
		t.Fatalf("new user: SessionGen %d, %v", u2.SessionGen, err)
	}
	for want := int64(1); want <= 2; want++ {
		if err := s.EndSessions(c, u.ID); err != nil {
			t.Fatal(err)
		}
		byID, err1 := s.UserByID(c, u.ID)
		byName, err2 := s.UserByName(c, "a")
		if err1 != nil || err2 != nil || byID.SessionGen != want || byName.SessionGen != want {
			t.Fatalf("after %d EndSessions: %d %d (%v %v)", want, byID.SessionGen, byName.SessionGen, err1, err2)
		}
	}
	wantCode(t, "EndSessions unknown", s.EndSessions(c, 999_999), minitwit.ENOTFOUND)
}

func testConcurrentLatest(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	const n = 32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := s.SetLatest(c, int64(100+i)); err != nil {
				t.Errorf("SetLatest: %v", err)
			}
		})
	}
	wg.Wait()
	got, err := s.Latest(c)
	if err != nil || got < 100 || got >= 100+n {
		t.Fatalf("Latest = %d, %v; want one of the values set", got, err)
	}
}

func testStats(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	if st, err := s.Stats(c); err != nil || st != (minitwit.Stats{}) {
		t.Fatalf("Stats on an empty store = %+v, %v", st, err)
	}
	a, b, x := mustUser(t, s, "a"), mustUser(t, s, "b"), mustUser(t, s, "c")
	for i := range 4 {
		mustPost(t, s, a, fmt.Sprint(i), t0)
	}
	mustPost(t, s, b, "b", t0)
	for _, e := range [][2]minitwit.User{{a, b}, {a, x}, {b, a}, {a, b}} {
		if err := s.Follow(c, e[0].ID, e[1].ID); err != nil {
			t.Fatal(err)
		}
	}
	want := minitwit.Stats{Users: 3, Messages: 5, Follows: 3}
	if st, err := s.Stats(c); err != nil || st != want {
		t.Fatalf("Stats = %+v, %v; want %+v", st, err, want)
	}
}

// testConcurrentReadsAndWrites mixes every call from several goroutines;
// run with -race, and every write must be readable once it returned.
func testConcurrentReadWrite(t *testing.T, s minitwit.Store) {
	c := ctx(t)
	const workers, each = 6, 15
	users := make([]minitwit.User, workers)
	for i := range users {
		users[i] = mustUser(t, s, fmt.Sprint("w", i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			me := users[w]
			for i := range each {
				id, err := s.AddMessage(c, me.ID, fmt.Sprint(me.Username, "-", i), t0)
				if err == nil {
					err = s.Follow(c, me.ID, users[(w+i)%workers].ID)
				}
				if err == nil {
					err = s.SetLatest(c, int64(i))
				}
				if err != nil {
					errs <- err
					return
				}
				// Read your own write, through the read path.
				msgs, err := s.UserTimeline(c, me.ID, minitwit.Page{Limit: 1})
				if err != nil || len(msgs) != 1 || msgs[0].ID != id {
					errs <- fmt.Errorf("worker %d: just-posted message %d not first in %+v (%w)", w, id, msgs, err)
					return
				}
				if _, err := s.HomeTimeline(c, me.ID, minitwit.Page{}); err != nil {
					errs <- err
					return
				}
				if _, err := s.Following(c, me.ID, 10); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st, err := s.Stats(c)
	if err != nil || st.Messages != workers*each {
		t.Fatalf("Stats = %+v, %v; want %d messages", st, err, workers*each)
	}
}
