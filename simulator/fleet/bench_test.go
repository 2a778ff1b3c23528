package fleet_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/simulator/fleet"
	"github.com/minitwit-cd/kit/simulator/fleet/store"
	"github.com/minitwit-cd/kit/simulator/scenario"
)

// benchTargetEnv makes the test binary a target process instead: it
// answers 204 on N loopback ports and prints them, so the benchmark's CPU
// and memory are the fleet's alone.
const benchTargetEnv = "FLEET_BENCH_TARGETS"

func init() {
	n, err := strconv.Atoi(os.Getenv(benchTargetEnv))
	if err != nil || n <= 0 {
		return
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/latest" {
			_, _ = w.Write([]byte(`{"latest": -1}`))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(ln.Addr().String())
		go func() { _ = http.Serve(ln, h) }()
	}
	fmt.Println("ready")
	select {}
}

// startTargets runs n instant targets in a child process.
func startTargets(b *testing.B, n int) []string {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchTargetEnv+"="+strconv.Itoa(n))
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var addrs []string
	sc := bufio.NewScanner(out)
	for sc.Scan() && sc.Text() != "ready" {
		addrs = append(addrs, "http://"+sc.Text())
	}
	if len(addrs) != n {
		b.Fatalf("target process gave %d addresses, want %d", len(addrs), n)
	}
	return addrs
}

// peakSlice writes the course scenario's busiest hour (the 250 actions
// from id 25672: 13 in its busiest minute) to a file.
func peakSlice(b *testing.B) (string, int) {
	src, err := os.Open(testenv.CourseScenario(b))
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	p := filepath.Join(b.TempDir(), "peak.tsv")
	dst, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	defer dst.Close()
	w := bufio.NewWriter(dst)
	r := scenario.NewReader(src)
	n := 0
	for {
		a, err := r.Next()
		if err != nil {
			break
		}
		if a.ID >= 25672 {
			_, _ = w.Write(a.AppendLine(nil))
			n++
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	return p, n
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func maxRSS() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss // KiB on Linux
}

// BenchmarkFleetPeak replays the course's busiest hour against instant
// targets (a child process) with N groups at a speedup, and reports the
// fleet's CPU per request and share of a core, its peak RSS and heap per
// group, and the scheduling lateness of the worst group.
//
//	go test -run '^$' -bench FleetPeak -benchtime 1x ./simulator/fleet/
func BenchmarkFleetPeak(b *testing.B) {
	for _, tc := range []struct {
		groups  int
		speedup float64
	}{{16, 1000}, {64, 100}} {
		b.Run(fmt.Sprintf("groups=%d/speedup=%g", tc.groups, tc.speedup), func(b *testing.B) {
			sc, actions := peakSlice(b)
			addrs := startTargets(b, tc.groups)
			for b.Loop() {
				benchFleet(b, sc, actions, addrs, tc.speedup)
			}
		})
	}
}

func benchFleet(b *testing.B, sc string, actions int, addrs []string, speedup float64) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "fleet.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var groups []fleet.Group
	for i, a := range addrs {
		groups = append(groups, fleet.Group{ID: "g" + strconv.Itoa(i), API: a})
	}
	f, err := fleet.New(st, fleet.Config{Scenario: sc, Speedup: speedup, CheckEvery: -1})
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0, t0 := cpuTime(), time.Now()
	f.Start(ctx, groups)
	var heap uint64
	// The machine's own wake-up lateness, measured beside the fleet: a
	// goroutine sleeping 5 ms at a time. On a shared, loaded machine the
	// fleet cannot be more punctual than this.
	base := hdr.New(1, int64(time.Minute/time.Microsecond), 3)
	stopBase := make(chan struct{})
	baseDone := make(chan struct{})
	go func() {
		defer close(baseDone)
		for {
			select {
			case <-stopBase:
				return
			default:
			}
			t := time.Now().Add(5 * time.Millisecond)
			time.Sleep(5 * time.Millisecond)
			_ = base.RecordValue(max(time.Since(t).Microseconds(), 1))
		}
	}()
	done := make(chan struct{})
	go func() { f.Wait(); close(done) }()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-done:
			break wait
		case <-tick.C:
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			heap = max(heap, m.HeapInuse)
		}
	}
	cpu, wall := cpuTime()-cpu0, time.Since(t0)
	close(stopBase)
	<-baseDone
	var p99s []int64
	var errs int64
	ov, err := f.Overview(ctx, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	for _, g := range ov {
		p99s = append(p99s, g.Live.LatenessP99)
		errs += g.Errors
		if g.Counts.Total != int64(actions) {
			b.Fatalf("%s: %d requests, want %d", g.ID, g.Counts.Total, actions)
		}
	}
	sort.Slice(p99s, func(i, j int) bool { return p99s[i] < p99s[j] })
	reqs := float64(actions * len(addrs))
	b.ReportMetric(float64(cpu.Microseconds())/reqs, "cpu-µs/req")
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "cpu-%")
	b.ReportMetric(reqs/wall.Seconds(), "req/s")
	b.ReportMetric(float64(maxRSS())/1024, "maxrss-MiB")
	b.ReportMetric(float64(heap-min(heap, before.HeapInuse))/float64(len(addrs))/1024, "heap-KiB/group")
	b.ReportMetric(float64(p99s[len(p99s)/2])/1000, "lateness-p99-median-group-ms")
	b.ReportMetric(float64(p99s[len(p99s)-1])/1000, "lateness-p99-worst-group-ms")
	b.ReportMetric(float64(errs), "errors")
	b.ReportMetric(float64(base.ValueAtQuantile(99))/1000, "machine-sleep-lateness-p99-ms")
	b.Logf("%d groups × %d actions at %g×: wall %s, fleet CPU %s; lateness p99 per group (µs): %s",
		len(addrs), actions, speedup, wall.Round(time.Millisecond), cpu.Round(time.Millisecond), strings.Trim(fmt.Sprint(p99s), "[]"))
}
