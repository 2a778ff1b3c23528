package replay_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/minitwit-cd/kit/app/server"
	"github.com/minitwit-cd/kit/simulator/replay"
	"github.com/minitwit-cd/kit/simulator/report"
	"github.com/minitwit-cd/kit/simulator/scenario"
)

// tweets is a Source of n tweets by users distinct enough that no two
// nearby actions depend on each other: raw generator capacity.
type tweets struct {
	n, i  int64
	delay int64
}

func (s *tweets) Next() (scenario.Action, error) {
	if s.i >= s.n {
		return scenario.Action{}, io.EOF
	}
	a := scenario.Action{ID: s.i, Delay: s.delay, Command: scenario.Tweet, User: "user " + strconv.FormatInt(s.i%4096, 10), Arg: "hello"}
	s.i++
	return a, nil
}

// trivial is a loopback server that answers 204 at once.
func trivial(b *testing.B) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(204)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkGenerator measures the engine's capacity against a trivial
// loopback server (which shares the machine's cores), with and without
// connection reuse.
func BenchmarkGenerator(b *testing.B) {
	for _, keepAlive := range []bool{true, false} {
		b.Run(fmt.Sprintf("keepalive=%v", keepAlive), func(b *testing.B) {
			srv := trivial(b)
			rec := report.NewRecorder(report.Options{})
			e, err := replay.New(srv.URL, replay.WithConcurrency(32), replay.WithKeepAlive(keepAlive), replay.WithObserver(rec.Add), replay.WithTimeout(5*time.Second))
			mustT(b, err)
			defer e.Close()
			b.ResetTimer()
			st, err := e.Replay(context.Background(), &tweets{n: int64(b.N)})
			b.StopTimer()
			mustT(b, err)
			sum := rec.Summary()
			if sum.Errors != 0 {
				b.Fatalf("%d errors", sum.Errors)
			}
			b.ReportMetric(float64(st.Sent)/st.End.Sub(st.Start).Seconds(), "req/s")
			b.ReportMetric(float64(sum.ByCommand[report.AllCommands].P99.Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkLateness measures how far behind schedule sends leave at 1,000
// requests per second: a speedup replay of 1 ms delays and the open-model
// load test, each for 3 s.
func BenchmarkLateness(b *testing.B) {
	report1 := func(b *testing.B, late []time.Duration) {
		slices.Sort(late)
		b.ReportMetric(float64(late[len(late)*99/100].Microseconds()), "late-p99-µs")
		b.ReportMetric(float64(late[len(late)-1].Microseconds()), "late-max-µs")
	}
	b.Run("speedup", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			srv := trivial(b)
			var mu sync.Mutex
			var late []time.Duration
			e, err := replay.New(srv.URL, replay.WithSpeedup(1), replay.WithConcurrency(16), replay.WithObserver(func(s report.Sample) {
				mu.Lock()
				late = append(late, s.Sent.Sub(s.Scheduled))
				mu.Unlock()
			}))
			mustT(b, err)
			_, err = e.Replay(context.Background(), &tweets{n: 3000, delay: 1})
			mustT(b, err)
			report1(b, late)
		}
	})
	b.Run("load", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			srv := trivial(b)
			var mu sync.Mutex
			var late []time.Duration
			e, err := replay.New(srv.URL, replay.WithConcurrency(16), replay.WithObserver(func(s report.Sample) {
				mu.Lock()
				late = append(late, s.Sent.Sub(s.Scheduled))
				mu.Unlock()
			}))
			mustT(b, err)
			_, err = e.Load(context.Background(), 1000, 3*time.Second, []string{"a", "b", "c"}, 1)
			mustT(b, err)
			report1(b, late)
		}
	})
}

// BenchmarkMemory1M replays a generated 1,000,000-action scenario, streamed
// from the generator, against a trivial server and reports the peak heap
// and the process's peak resident set (VmHWM, which includes the test
// binary and the in-process server).
func BenchmarkMemory1M(b *testing.B) {
	for i := 0; i < b.N; i++ {
		srv := trivial(b)
		pr, pw := io.Pipe()
		go func() {
			pw.CloseWithError(scenario.Generate(pw, scenario.GenerateConfig{Users: 5000, Actions: 1_000_000, Seed: 1}))
		}()
		rec := report.NewRecorder(report.Options{})
		model := replay.NewModel(32, 10)
		e, err := replay.New(srv.URL, replay.WithConcurrency(16), replay.WithObserver(rec.Add), replay.WithModel(model), replay.WithTimeout(5*time.Second))
		mustT(b, err)
		var peak uint64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			var ms runtime.MemStats
			for {
				select {
				case <-t.C:
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse)
				case <-stop:
					return
				}
			}
		}()
		st, err := e.Replay(context.Background(), scenario.NewReader(pr))
		close(stop)
		<-done
		mustT(b, err)
		if st.Sent != 1_000_000 || rec.Summary().Errors != 0 {
			b.Fatalf("sent %d, errors %d", st.Sent, rec.Summary().Errors)
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		b.ReportMetric(vmHWM()/(1<<10), "peak-rss-MB")
		b.ReportMetric(float64(st.Sent)/st.End.Sub(st.Start).Seconds(), "req/s")
	}
}

// vmHWM returns the process's peak resident set in KiB, from /proc.
func vmHWM() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	return 0
}

// BenchmarkCourseMax replays the whole course scenario with --max and 16
// requests in flight against a fresh in-process MiniTwit on SQLite (bcrypt
// at its minimum cost), as the acceptance criterion states it: wall time,
// p99 and errors.
func BenchmarkCourseMax(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		srv, err := server.New(context.Background(), server.Config{Addr: "127.0.0.1:0", DB: filepath.Join(b.TempDir(), "m.db"), BcryptCost: bcrypt.MinCost})
		mustT(b, err)
		mustT(b, srv.Start())
		rec := report.NewRecorder(report.Options{})
		model := replay.NewModel(32, 10)
		e, err := replay.New(srv.Addr(), replay.WithConcurrency(16), replay.WithObserver(rec.Add), replay.WithModel(model))
		mustT(b, err)
		src := openCourse(b)
		b.StartTimer()
		st, err := e.Replay(context.Background(), src)
		b.StopTimer()
		mustT(b, err)
		v, err := e.Verify(context.Background(), model, st)
		mustT(b, err)
		sum := rec.Summary()
		b.ReportMetric(st.End.Sub(st.Start).Seconds(), "wall-s")
		b.ReportMetric(float64(sum.ByCommand[report.AllCommands].P99.Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(sum.Errors), "errors")
		b.ReportMetric(float64(sum.Consequences), "consequences")
		b.ReportMetric(float64(st.OrderViolations), "violations")
		b.ReportMetric(float64(len(v.Mismatches)), "mismatches")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = srv.Shutdown(ctx)
		cancel()
	}
}
