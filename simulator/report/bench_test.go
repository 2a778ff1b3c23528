package report

import (
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// benchSample is a typical sample: a few milliseconds, mostly OK.
func benchSample(id int64) Sample {
	sched := t0.Add(time.Duration(id) * 2 * time.Millisecond)
	lat := time.Duration(500+id%7919) * time.Microsecond
	o := OK
	if id%997 == 0 {
		o = Timeout
	}
	return Sample{ActionID: id, Command: benchCmds[id&3], Scheduled: sched, Sent: sched.Add(100 * time.Microsecond), Latency: lat, Service: lat, Status: 204, Outcome: o}
}

var benchCmds = [4]string{"register", "tweet", "follow", "unfollow"}

// BenchmarkAdd measures one goroutine recording samples.
func BenchmarkAdd(b *testing.B) {
	r := NewRecorder(Options{Start: t0})
	b.ReportAllocs()
	var id int64
	for b.Loop() {
		r.Add(benchSample(id))
		id++
	}
}

// BenchmarkAddParallel measures many goroutines recording at once, as the
// engine's workers do (GOMAXPROCS×16 goroutines).
func BenchmarkAddParallel(b *testing.B) {
	r := NewRecorder(Options{Start: t0})
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Add(benchSample(next.Add(1)))
		}
	})
}

// BenchmarkSummary measures a snapshot of a recorder holding a
// million-action run spread over the full time series, as the progress bar
// takes several times a second.
func BenchmarkSummary(b *testing.B) {
	r := NewRecorder(Options{Start: t0})
	for i := range int64(1_000_000) {
		r.Add(benchSample(i))
	}
	if n := len(r.Summary().Series); n < MaxBuckets/2 {
		b.Fatalf("only %d buckets", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Summary()
	}
}

// BenchmarkTotals is BenchmarkSummary without the time series.
func BenchmarkTotals(b *testing.B) {
	r := NewRecorder(Options{Start: t0})
	for i := range int64(1_000_000) {
		r.Add(benchSample(i))
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Totals()
	}
}

// BenchmarkMillionActions records a million samples from 64 goroutines and
// reports the heap the recorder holds afterwards.
func BenchmarkMillionActions(b *testing.B) {
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r := NewRecorder(Options{Start: t0})
		var next atomic.Int64
		done := make(chan struct{})
		for range 64 {
			go func() {
				for id := next.Add(1); id <= 1_000_000; id = next.Add(1) {
					r.Add(benchSample(id))
				}
				done <- struct{}{}
			}()
		}
		for range 64 {
			<-done
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MB-held")
		runtime.KeepAlive(r)
	}
}

// BenchmarkWriteHTML renders the HTML report of a 70-second run of
// 25,922 actions: four charts of 240 intervals and the table.
func BenchmarkWriteHTML(b *testing.B) {
	r := NewRecorder(Options{Target: "http://127.0.0.1:5001", Start: t0})
	syntheticRun(r, 25_922, 70*time.Second, 1)
	b.ReportAllocs()
	for b.Loop() {
		if err := r.WriteHTML(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
