package systemtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/app/minitwit"
)

// residentBytes reads the server's process_resident_memory_bytes from its
// /metrics (the standard process collector).
func residentBytes(t testing.TB, base string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_resident_memory_bytes "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("process_resident_memory_bytes %q: %v", v, err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no process_resident_memory_bytes")
	return 0
}

// largeMessageAttack is issue 12's memory attack with the public
// credentials: the largest tweets the server takes (first trying one of
// the body cap's size, which must be refused), 120 of them, then 4
// parallel GET /msgs?no=1000 and 16 parallel anonymous GET /public, each
// repeated. It returns the server's resident memory afterwards.
func largeMessageAttack(t testing.TB, base string) float64 {
	c := newPooledClient(base, 30*time.Second)
	c.must(t, http.StatusNoContent, http.MethodPost, "/register", -1, map[string]string{"username": "alice", "email": "a@a", "pwd": "p"})
	huge := strings.Repeat("x", 1<<20-64)
	if st, b, err := c.call(http.MethodPost, "/msgs/alice", -1, map[string]string{"content": huge}); err != nil || st != http.StatusBadRequest {
		t.Fatalf("a tweet of 1 MB: %d %.200s %v; want 400", st, b, err)
	}
	// Four-byte runes store the most bytes per character, '<' is the
	// widest in JSON (\u003c): alternate them.
	biggest := strings.Repeat("😀<", minitwit.MaxMessageLen/2)
	for i := range 120 {
		c.must(t, http.StatusNoContent, http.MethodPost, "/msgs/alice", int64(i), map[string]string{"content": biggest})
	}
	var wg sync.WaitGroup
	get := func(path, auth string) {
		defer wg.Done()
		for range 10 {
			r, _ := http.NewRequest(http.MethodGet, base+path, nil)
			if auth != "" {
				r.Header.Set("Authorization", auth)
			}
			resp, err := c.http.Do(r)
			if err != nil {
				t.Errorf("GET %s: %v", path, err)
				return
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || n == 0 {
				t.Errorf("GET %s: %d, %d bytes", path, resp.StatusCode, n)
				return
			}
		}
	}
	for range 4 {
		wg.Add(1)
		go get("/msgs?no=1000", simAuth)
	}
	wg.Wait()
	for range 16 {
		wg.Add(1)
		go get("/public", "")
	}
	wg.Wait()
	return residentBytes(t, base)
}

// TestLargeMessageAttackMemory: after the attack the server stays under
// 150 MB resident (it reached 2.1 GB when tweets could be 1 MB).
func TestLargeMessageAttackMemory(t *testing.T) {
	t.Parallel()
	srv := startServer(t, filepath.Join(t.TempDir(), "minitwit.db"))
	before := residentBytes(t, srv.URL)
	after := largeMessageAttack(t, srv.URL)
	t.Logf("resident memory %.1f MB before, %.1f MB after the attack", before/1e6, after/1e6)
	if after > 150e6 {
		t.Fatalf("resident memory after the attack %.1f MB, over 150 MB", after/1e6)
	}
}

// BenchmarkLargeMessageAttack reports the resident memory after the
// attack (MB-rss) of a fresh server per iteration.
//
//	go test -run '^$' -bench LargeMessageAttack -benchtime 1x ./app/internal/systemtest/
func BenchmarkLargeMessageAttack(b *testing.B) {
	var rss float64
	for range b.N {
		srv := startServer(b, filepath.Join(b.TempDir(), "minitwit.db"))
		rss = max(rss, largeMessageAttack(b, srv.URL))
		srv.stop(b)
	}
	b.ReportMetric(rss/1e6, "MB-rss")
}

// BenchmarkTweetLatencyUnderLoginAttack measures the simulator API's
// tweet latency (sequential, Connection: close, as the course's simulator
// sends) alone and while 16 connections sign in as fast as they are
// answered: from one address (the throttle answers most with 429) and,
// behind --trust-proxy, from a new address each time (only the bound on
// concurrent password checks is left). It reports p50, p99 and max.
//
//	go test -run '^$' -bench TweetLatencyUnderLoginAttack -benchtime 1x ./app/internal/systemtest/
func BenchmarkTweetLatencyUnderLoginAttack(b *testing.B) {
	for _, attack := range []string{"none", "one address", "many addresses"} {
		b.Run(attack, func(b *testing.B) {
			srv := startServer(b, filepath.Join(b.TempDir(), "minitwit.db"), "--trust-proxy")
			c := newSimClient(srv.URL)
			c.must(b, http.StatusNoContent, http.MethodPost, "/register", -1, map[string]string{"username": "a", "email": "a@a", "pwd": "p"})
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			var logins, throttled sync.Map
			if attack != "none" {
				for w := range 16 {
					wg.Go(func() {
						hc := &http.Client{Transport: &http.Transport{Proxy: nil}}
						for i := 0; ctx.Err() == nil; i++ {
							r, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/login", strings.NewReader("username=a&password=wrong"))
							r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
							if attack == "many addresses" {
								r.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", w, i/250%250, i%250))
							}
							resp, err := hc.Do(r)
							if err != nil {
								continue
							}
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							m := &logins
							if resp.StatusCode == http.StatusTooManyRequests {
								m = &throttled
							}
							v, _ := m.LoadOrStore(w, new(int))
							*v.(*int)++
						}
					})
				}
				time.Sleep(time.Second) // let the attack reach full speed
			}
			var lat []time.Duration
			b.ResetTimer()
			for i := range b.N * 3000 {
				start := time.Now()
				c.must(b, http.StatusNoContent, http.MethodPost, "/msgs/a", int64(i), map[string]string{"content": "tweet"})
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			cancel()
			wg.Wait()
			slices.Sort(lat)
			q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(q(0.5), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
			b.ReportMetric(q(1), "max-ms")
			count := func(m *sync.Map) (n int) {
				m.Range(func(_, v any) bool { n += *v.(*int); return true })
				return n
			}
			b.ReportMetric(float64(count(&logins)), "logins-checked")
			b.ReportMetric(float64(count(&throttled)), "logins-429")
		})
	}
}
