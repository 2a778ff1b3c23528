package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	trackerhttp "github.com/minitwit-cd/kit/tracker/http"
	"github.com/minitwit-cd/kit/tracker/web"
)

// TestBehindTheAPIServer mounts the UI the way `tracker serve` does, as
// the fallback of the API's router, and checks that pages, the stylesheet
// and the UI's own 404 keep their statuses there while /api/v2 stays the
// API's.
func TestBehindTheAPIServer(t *testing.T) {
	f := newFixture(t)
	clock := func() time.Time { return now }
	ui := web.New(f.st, web.Config{Now: clock})
	srv := httptest.NewServer(trackerhttp.New(f.st, trackerhttp.Config{UI: ui, Now: clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()
	tests := []struct {
		path, wantType, wantBody string
		wantCode                 int
	}{
		{"/", "text/html", "cyber-dojo", 200},
		{"/static/style.css", "text/css", "ol.timeline", 200},
		{"/ui/cyber-dojo/environments/aws-prod/snapshots/2", "text/html", "blue-green", 200},
		{"/ui/cyber-dojo/flows/nope", "text/html", "nope", 404},
		{"/ui/cyber-dojo/environments/aws-prod/snapshots/x", "text/html", "malformed snapshot", 400},
		{"/api/v2/no-such-route", "application/json", "message", 404},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantCode || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.wantType) || !strings.Contains(string(b), tc.wantBody) {
				t.Fatalf("GET %s = %d %s, want %d %s containing %q:\n%.300s", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.wantCode, tc.wantType, tc.wantBody, b)
			}
		})
	}
}
