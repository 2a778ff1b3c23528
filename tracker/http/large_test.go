package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/minitwit-cd/kit/internal/testenv"
	trackerhttp "github.com/minitwit-cd/kit/tracker/http"
	"github.com/minitwit-cd/kit/tracker/internal/storetest"
	"github.com/minitwit-cd/kit/tracker/storage"
	"github.com/minitwit-cd/kit/tracker/web"
)

// largeReport is how many artifacts TestLargeSnapshots reports: past
// SQLite's 32,766 bound variables per statement, under the 10 MB body cap.
const largeReport = 50000

// reportBody is a report of n artifacts, labels big-0 … big-(n-1).
func reportBody(t testing.TB, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(`{"artifacts":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		label := fmt.Sprintf("big-%d", i)
		fmt.Fprintf(&b, `{"digests":{"cyberdojo/%s:latest":"%s"},"creationTimestamp":%d}`, label, storetest.FP(label), 1700000000+i)
	}
	b.WriteString(`]}`)
	if int64(b.Len()) > trackerhttp.DefaultMaxBodyBytes {
		t.Fatalf("report of %d artifacts is %d bytes, over the body cap", n, b.Len())
	}
	return b.Bytes()
}

// TestLargeSnapshots: a report of 50,000 artifacts is stored, and the
// environment's snapshot, snapshot list, events, diff and web pages, and
// the next report, all answer (they were 500 "too many SQL variables"
// from 32,767 artifacts on), on SQLite and PostgreSQL.
func TestLargeSnapshots(t *testing.T) {
	if testing.Short() {
		t.Skip("reports 50,000 artifacts")
	}
	dbs := []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "tracker.db") }},
		{"postgres", func(t *testing.T) string { return testenv.PostgresURL(t) }},
	}
	first, second := reportBody(t, largeReport), reportBody(t, largeReport+1)
	for _, db := range dbs {
		t.Run(db.name, func(t *testing.T) {
			ctx := context.Background()
			store, err := storage.Open(ctx, db.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close() })
			tok, err := store.CreateOrg(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			clk := testenv.NewClock(storetest.T0)
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			h := trackerhttp.New(store, trackerhttp.Config{Logger: quiet, Now: clk.Now, UI: web.New(store, web.Config{Logger: quiet, Now: clk.Now})})
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			e := &env{t: t, h: h, store: store, clk: clk, token: tok}
			e.ok("PUT", "/api/v2/flows/acme", map[string]any{"name": "runner", "visibility": "public"}, 201)
			e.ok("PUT", "/api/v2/environments/acme", map[string]any{"name": "big", "type": "docker", "visibility": "public"}, 201)
			// Three of them are known artifacts, one deployed to big.
			for i := range 3 {
				e.attestArtifact("runner", fmt.Sprintf("big-%d", i), fmt.Sprintf("%040d", i))
			}
			e.ok("POST", "/api/v2/deployments/acme/runner", map[string]any{"artifact_fingerprint": storetest.FP("big-0"), "environment": "big"}, 201)

			do := func(method, path string, body []byte, want int) []byte {
				t.Helper()
				req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != want {
					t.Fatalf("%s %s = %d, want %d: %.300s", method, path, resp.StatusCode, want, b)
				}
				return b
			}
			do("PUT", "/api/v2/environments/acme/big/report/docker", first, 201)
			clk.Advance(60e9)
			do("PUT", "/api/v2/environments/acme/big/report/docker", second, 201)

			var snap struct {
				Index     int `json:"index"`
				Artifacts []struct {
					Fingerprint string `json:"fingerprint"`
					FlowName    string `json:"flow_name"`
				} `json:"artifacts"`
			}
			if err := json.Unmarshal(do("GET", "/api/v2/snapshots/acme/big/1", nil, 200), &snap); err != nil {
				t.Fatal(err)
			}
			known := 0
			for _, a := range snap.Artifacts {
				if a.FlowName == "runner" {
					known++
				}
			}
			if snap.Index != 1 || len(snap.Artifacts) != largeReport || known != 3 {
				t.Fatalf("snapshot #%d has %d artifacts (%d of runner), want #1 with %d (3 of runner)", snap.Index, len(snap.Artifacts), known, largeReport)
			}
			var diff struct {
				Snappish2 struct {
					Artifacts []struct {
						Fingerprint string `json:"fingerprint"`
					} `json:"artifacts"`
				} `json:"snappish2"`
			}
			if err := json.Unmarshal(do("GET", "/api/v2/env-diff/acme?snappish1=big%231&snappish2=big", nil, 200), &diff); err != nil {
				t.Fatal(err)
			}
			if len(diff.Snappish2.Artifacts) != 1 || diff.Snappish2.Artifacts[0].Fingerprint != storetest.FP(fmt.Sprintf("big-%d", largeReport)) {
				t.Fatalf("diff #1 → #2: only in #2 = %+v, want the one new artifact", diff.Snappish2.Artifacts)
			}
			do("GET", "/api/v2/snapshots/acme/big", nil, 200)
			do("GET", "/api/v2/environments/acme/big/events?per_page=10", nil, 200)
			do("GET", "/api/v2/artifacts/acme/runner/fingerprint/"+storetest.FP("big-0"), nil, 200)
			do("GET", "/ui/acme/environments/big", nil, 200)
			do("GET", "/ui/acme/environments/big/snapshots/2", nil, 200)
			do("GET", "/ui/acme/diff?a=big%231&b=big%232", nil, 200)
		})
	}
}

// BenchmarkLargeSnapshot measures report, get and diff of a 50,000-artifact
// snapshot through HTTP on SQLite and PostgreSQL, and the environment's and
// the snapshot's web pages. Each report alternates
// between two sets that differ by one artifact, so each makes a snapshot.
//
//	go test ./tracker/http -run '^$' -bench LargeSnapshot -benchtime 3x
func BenchmarkLargeSnapshot(b *testing.B) {
	dbs := []struct {
		name string
		dsn  func(b *testing.B) string
	}{
		{"sqlite", func(b *testing.B) string { return filepath.Join(b.TempDir(), "tracker.db") }},
		{"postgres", func(b *testing.B) string { return testenv.PostgresURL(b) }},
	}
	bodies := [][]byte{reportBody(b, largeReport), reportBody(b, largeReport+1)}
	for _, db := range dbs {
		b.Run(db.name, func(b *testing.B) {
			ctx := context.Background()
			store, err := storage.Open(ctx, db.dsn(b))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { store.Close() })
			tok, err := store.CreateOrg(ctx, "acme")
			if err != nil {
				b.Fatal(err)
			}
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			srv := httptest.NewServer(trackerhttp.New(store, trackerhttp.Config{Logger: quiet, UI: web.New(store, web.Config{Logger: quiet})}))
			b.Cleanup(srv.Close)
			do := func(b *testing.B, method, path string, body []byte) {
				req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode >= 300 {
					b.Fatalf("%s %s = %d", method, path, resp.StatusCode)
				}
				b.SetBytes(n + int64(len(body)))
			}
			// Public, so that the web pages answer too.
			do(b, "PUT", "/api/v2/environments/acme", []byte(`{"name":"big","type":"docker","visibility":"public"}`))
			for _, body := range bodies {
				do(b, "PUT", "/api/v2/environments/acme/big/report/docker", body)
			}
			b.Run("report", func(b *testing.B) {
				for i := range b.N {
					do(b, "PUT", "/api/v2/environments/acme/big/report/docker", bodies[i%2])
				}
			})
			b.Run("get", func(b *testing.B) {
				for range b.N {
					do(b, "GET", "/api/v2/snapshots/acme/big/1", nil)
				}
			})
			b.Run("diff", func(b *testing.B) {
				for range b.N {
					do(b, "GET", "/api/v2/env-diff/acme?snappish1=big%231&snappish2=big%232", nil)
				}
			})
			b.Run("environment page", func(b *testing.B) {
				for range b.N {
					do(b, "GET", "/ui/acme/environments/big", nil)
				}
			})
			b.Run("snapshot page", func(b *testing.B) {
				for range b.N {
					do(b, "GET", "/ui/acme/environments/big/snapshots/1", nil)
				}
			})
		})
	}
}
