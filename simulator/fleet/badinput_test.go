package fleet_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/simulator/fleet"
	"github.com/minitwit-cd/kit/simulator/fleet/store"
)

// answering serves the same status and body to every request.
func answering(t *testing.T, status int, body string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// rawServer accepts connections and hands them to serve (garbage bytes,
// or silence).
func rawServer(t *testing.T, serve func(net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	return "http://" + ln.Addr().String()
}

// TestFleetBadGroups runs the fleet (in-process) against groups that are
// unreachable or answer garbage, beside a real MiniTwit: every bad answer
// is a classified pre-start check and classified errors, the fleet
// finishes every group, and the healthy group is untouched.
func TestFleetBadGroups(t *testing.T) {
	const actions = 20
	garbage := rawServer(t, func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 4096)
		_, _ = c.Read(buf)
		_, _ = c.Write([]byte("\x00\x01garbage, not HTTP\r\n\r\n"))
	})
	silent := rawServer(t, func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	})
	groups := []fleet.Group{
		{ID: "healthy", API: startApp(t).url()},
		{ID: "unreachable", API: "http://" + freeAddr(t)},
		{ID: "garbage", API: garbage},
		{ID: "silent", API: silent},
		{ID: "page404", API: answering(t, 404, "<html><body><h1>Not Found</h1></body></html>")},
		{ID: "bare0", API: answering(t, 200, "0")},
		{ID: "err500", API: answering(t, 500, "Internal Server Error")},
		{ID: "pydict", API: answering(t, 200, "{'latest': 700}")},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// A generous budget: this test is about classes, not speed (a loaded
	// machine must not turn a garbage answer into a timeout).
	f, err := fleet.New(st, fleet.Config{Scenario: genScenario(t, 10, actions), Speedup: 1e6, Budget: time.Second,
		CheckEvery: -1, FlushEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	checks := f.Start(ctx, groups)
	want := map[string]struct{ class, detail string }{
		"healthy":     {fleet.ClassOK, ""},
		"unreachable": {fleet.ClassUnreachable, "connection refused"},
		"garbage":     {fleet.ClassUnreachable, "not HTTP"},
		"silent":      {fleet.ClassUnreachable, "no answer within the budget"},
		"page404":     {fleet.ClassWrongStatus, "GET /latest answered 404: <html>"},
		"bare0":       {fleet.ClassGarbage, `a bare number, not {"latest": N}`},
		"err500":      {fleet.ClassWrongStatus, "answered 500"},
		"pydict":      {fleet.ClassGarbage, "single-quoted keys"},
	}
	for _, c := range checks {
		w := want[c.Group]
		if c.Class != w.class || !strings.Contains(c.Detail, w.detail) || c.OK != (w.class == fleet.ClassOK) {
			t.Errorf("%s: prestart %s %q, want %s containing %q", c.Group, c.Class, c.Detail, w.class, w.detail)
		}
	}
	done := make(chan struct{})
	go func() { f.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("the fleet stalled")
	}
	ov, err := f.Overview(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range ov {
		c := g.Counts
		if c.Total != actions || g.Progress.Done != actions-1 {
			t.Errorf("%s: %d requests through action %d, want %d", g.ID, c.Total, g.Progress.Done, actions)
		}
		var ok bool
		switch g.ID {
		case "healthy":
			ok = c.OK+c.Late == actions
		case "unreachable", "garbage":
			ok = c.ConnError == actions && g.DownSince != nil
		case "silent":
			ok = c.Timeout == actions && g.DownSince != nil
		default:
			ok = c.WrongStatus+c.Consequence == actions && c.WrongStatus > 0 && g.DownSince == nil
		}
		if !ok {
			t.Errorf("%s: counts %+v down since %v", g.ID, c, g.DownSince)
		}
	}
}
