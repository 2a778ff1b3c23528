package http_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	mthttp "github.com/minitwit-cd/kit/app/http"
	"github.com/minitwit-cd/kit/app/sqlite"
	"github.com/minitwit-cd/kit/app/storage"
)

// benchHandler is a handler over an SQLite store seeded with a million
// messages, built once per `go test -bench` run (seeding takes seconds).
var benchHandler = sync.OnceValues(func() (http.Handler, error) {
	dir, err := tempDir()
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "bench.db"))
	if err != nil {
		return nil, err
	}
	if err := storage.Seed(ctx, db, storage.SeedSpec{Users: 10_000, Messages: 1_000_000, Follows: 100_000, Seed: 1}, nil); err != nil {
		return nil, err
	}
	return mthttp.NewHandler(testConfig(), db), nil
})

func handlerForBench(b *testing.B) http.Handler {
	b.Helper()
	h, err := benchHandler()
	if err != nil {
		b.Fatalf("seed: %v", err)
	}
	return h
}

// BenchmarkGetMsgs100 is GET /msgs?no=100 through the handler, one at a
// time, on a million messages; it reports the p99 latency.
func BenchmarkGetMsgs100(b *testing.B) {
	benchGet(b, "/msgs?no=100", simAuth)
}

// benchGet serves GET path (with Authorization auth, if not empty) through
// the seeded handler one request at a time, expecting 200, and reports the
// p50 and p99 latency.
func benchGet(b *testing.B, path, auth string) {
	h := handlerForBench(b)
	r := httptest.NewRequest("GET", path, nil)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(w, r)
		lat = append(lat, time.Since(start))
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
	reportLatency(b, lat)
}

// BenchmarkGetMsgs100HTTP is GET /msgs?no=100 over loopback HTTP with
// keep-alive and parallel clients; it reports requests per second.
func BenchmarkGetMsgs100HTTP(b *testing.B) {
	benchHTTP(b, "/msgs?no=100")
}

// BenchmarkGetUserMsgsHTTP is GET /msgs/<user>?no=100 over loopback HTTP.
func BenchmarkGetUserMsgsHTTP(b *testing.B) {
	benchHTTP(b, "/msgs/user42?no=100")
}

// BenchmarkPublicPageHTTP is the web UI's public timeline over HTTP.
func BenchmarkPublicPageHTTP(b *testing.B) {
	benchHTTP(b, "/public")
}

func benchHTTP(b *testing.B, path string) {
	ts := httptest.NewServer(handlerForBench(b))
	defer ts.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		r, _ := http.NewRequest("GET", ts.URL+path, nil)
		r.Header.Set("Authorization", simAuth)
		for pb.Next() {
			resp, err := client.Do(r)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*50/100].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkPublicPage renders the public timeline through the handler.
func BenchmarkPublicPage(b *testing.B) {
	benchGet(b, "/public", "")
}

// BenchmarkPostMsg is the simulator's tweet, POST /msgs/<user>?latest=N,
// through the handler on a fresh database: two write transactions (latest
// and the message) and a look-up.
func BenchmarkPostMsg(b *testing.B) {
	h, _ := newHandler(b)
	registerUser(b, h, "Roger Histand")
	lat := make([]time.Duration, 0, b.N)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		r := httptest.NewRequest("POST", "/msgs/Roger%20Histand?latest="+strconv.Itoa(i), strings.NewReader(`{"content":"From hour to hour yesterday I saw my white face of it?"}`))
		r.Header.Set("Authorization", simAuth)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(w, r)
		lat = append(lat, time.Since(start))
		if w.Code != http.StatusNoContent {
			b.Fatalf("status %d", w.Code)
		}
	}
	reportLatency(b, lat)
}

// BenchmarkGetUserMsgs100 is GET /msgs/<user>?no=100 through the handler,
// one at a time, on a million messages.
func BenchmarkGetUserMsgs100(b *testing.B) {
	benchGet(b, "/msgs/user42?no=100", simAuth)
}
