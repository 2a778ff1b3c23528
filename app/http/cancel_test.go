package http_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/minitwit-cd/kit/app/minitwit"
)

// TestWritesOutliveTheirClient sends writes whose client has already gone
// (the course simulator gives up after 300 ms): each must still land, or
// a registration lost half-way turns every later action of that user
// into a 404.
func TestWritesOutliveTheirClient(t *testing.T) {
	h, store := newHandler(t)
	cancelled := func(method, target, body string) *httptest.ResponseRecorder {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r := httptest.NewRequest(method, target, strings.NewReader(body)).WithContext(ctx)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", simAuth)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	if w := cancelled(http.MethodPost, "/register?latest=7", `{"username":"gone","email":"g@x","pwd":"p"}`); w.Code != http.StatusNoContent {
		t.Fatalf("register with a cancelled client: %d %s", w.Code, w.Body)
	}
	if w := cancelled(http.MethodPost, "/msgs/gone?latest=8", `{"content":"still here"}`); w.Code != http.StatusNoContent {
		t.Fatalf("tweet with a cancelled client: %d %s", w.Code, w.Body)
	}
	ctx := context.Background()
	u, err := store.UserByName(ctx, "gone")
	if err != nil {
		t.Fatalf("user registered by a cancelled request is missing: %v", err)
	}
	msgs, err := store.UserTimeline(ctx, u.ID, minitwit.Page{Limit: 10})
	if err != nil || len(msgs) != 1 || msgs[0].Text != "still here" {
		t.Fatalf("timeline = %v, %v; want the one message", msgs, err)
	}
	if latest, _ := store.Latest(ctx); latest != 8 {
		t.Fatalf("latest = %d, want 8", latest)
	}

	// A read whose client left is not a server error.
	if w := cancelled(http.MethodGet, "/msgs?no=5", ""); w.Code >= 500 {
		t.Fatalf("read with a cancelled client: %d, want 499 or a success", w.Code)
	}
}
