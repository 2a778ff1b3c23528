package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/minitwit-cd/kit/simulator/replay"
	"github.com/minitwit-cd/kit/simulator/report"
	"github.com/minitwit-cd/kit/simulator/scenario"
)

// Run measures one target; its phases add rows to Table.
type Run struct {
	// Target is the MiniTwit's base URL.
	Target string
	// MetricsURL is its Prometheus endpoint (default Target + "/metrics").
	MetricsURL string
	// Table receives the rows.
	Table *Table
	// HTMLDir, when set, gets one self-contained page of charts per phase
	// (the simulator report's), DIR/PHASE.html.
	HTMLDir string
	// Progress, when set, is told how far a phase is (total 0: unknown).
	Progress func(phase string, done, total int64)
}

func (r *Run) metrics() string {
	if r.MetricsURL != "" {
		return r.MetricsURL
	}
	return r.Target + "/metrics"
}

func (r *Run) progress(phase string, done, total int64) {
	if r.Progress != nil {
		r.Progress(phase, done, total)
	}
}

// patient is the request timeout of every phase: generous, so that a slow
// answer is measured rather than cut off; the rows count the answers that
// took the course's 300 ms or more.
const patient = 10 * time.Second

// Replay replays the scenario sequentially, like the course's simulator
// without its pauses: one action at a time, a new connection for each
// (Connection: close), on the engine. The target's database should be
// empty. total (0 if unknown) is for progress.
func (r *Run) Replay(ctx context.Context, src replay.Source, total int64) error {
	const phase = "replay"
	samp, err := StartSampler(ctx, r.metrics())
	if err != nil {
		return err
	}
	all, by := newLatencies(), &byKind{}
	rec := r.charts(phase)
	var done, unexpected, failed atomic.Int64
	e, err := replay.New(r.Target, replay.WithMode(replay.Max), replay.WithConcurrency(1), replay.WithKeepAlive(false),
		replay.WithTimeout(patient), replay.WithObserver(func(s report.Sample) {
			all.record(s.Latency)
			by.record(s.Command, s.Latency)
			switch {
			case s.Status == 0:
				failed.Add(1)
			case s.Outcome == report.WrongStatus || s.Outcome == report.Consequence:
				unexpected.Add(1)
			}
			if rec != nil {
				rec.Add(judged(s))
			}
			r.progress(phase, done.Add(1), total)
		}))
	if err != nil {
		return fmt.Errorf("bench: replay: %w", err)
	}
	defer e.Close()
	start := time.Now()
	st, err := e.Replay(ctx, src)
	elapsed := time.Since(start)
	if err != nil {
		samp.Stop(ctx)
		return fmt.Errorf("bench: replay: %w", err)
	}
	t := r.Table
	t.Add(phase, "actions", float64(st.Completed), "", "", nil)
	t.Add(phase, "total time", elapsed.Seconds(), "s", "", nil)
	all.addTo(t, phase, 5*time.Millisecond)
	for _, c := range scenario.Commands {
		if l := by.m[c.String()]; l != nil {
			t.Add(phase, fmt.Sprintf("%s: %d, p50 latency", c, l.count()), l.quantile(50), "s", "", nil)
			t.Add(phase, fmt.Sprintf("%s: %d, p99 latency", c, l.count()), l.quantile(99), "s", "", nil)
		}
	}
	t.Add(phase, "unexpected statuses", float64(unexpected.Load()), "", "0", isZero)
	t.Add(phase, "connection errors", float64(failed.Load()), "", "0", isZero)
	samp.addTo(ctx, t, phase, false)
	return r.writeCharts(phase, rec)
}

// MixedConfig is the mixed phase's traffic.
type MixedConfig struct {
	// Rate is the requests per second (an open model: they go out on
	// schedule whether or not earlier ones have answered), for Duration.
	Rate     float64
	Duration time.Duration
	// Users are the registered users to act as (at least two).
	Users []string
	// Seed seeds the choice of requests.
	Seed uint64
}

// BenchMix is the mixed phase's requests per 100: the writes keep the
// course scenario's proportions (tweet 44 %, follow 38 %, unfollow 18 % of
// its actions) and carry latest=N as the simulator's do; the reads are what
// dashboards and the instructors' tools ask.
var BenchMix = replay.Mix{Tweet: 22, Follow: 19, Unfollow: 9, Timeline: 20, UserMessages: 20, UserFollows: 5, LatestGet: 5, WriteLatest: true}

// MixedWorkers bounds the mixed phase's requests in flight.
const MixedWorkers = 2000

// mixedKinds are the mixed phase's rows per kind, in table order.
var mixedKinds = []struct{ row, kind string }{
	{"POST /msgs/<user>", "tweet"}, {"POST /fllws/<user>", "follow"}, {"POST /fllws/<user> (unfollow)", "unfollow"},
	{replay.KindTimeline, replay.KindTimeline}, {replay.KindUserMessages, replay.KindUserMessages},
	{replay.KindUserFollows, replay.KindUserFollows}, {replay.KindLatest, replay.KindLatest},
}

// Mixed sends BenchMix at cfg.Rate for cfg.Duration through the engine's
// open-model load test, on a seeded database.
func (r *Run) Mixed(ctx context.Context, cfg MixedConfig) error {
	const phase = "mixed"
	samp, err := StartSampler(ctx, r.metrics())
	if err != nil {
		return err
	}
	// The rows measure from the send, as the course's tools see a server;
	// the open model's latency from the schedule (what a user who clicked
	// then waited) has its own row, so that a generator or server falling
	// behind shows.
	all, fromSchedule, by := newLatencies(), newLatencies(), &byKind{}
	rec := r.charts(phase)
	expected := int64(cfg.Rate * cfg.Duration.Seconds())
	var n, failed, bad atomic.Int64
	var first, last time.Time
	e, err := replay.New(r.Target, replay.WithConcurrency(32), replay.WithLoadWorkers(MixedWorkers), replay.WithTimeout(patient), replay.WithObserver(func(s report.Sample) {
		if first.IsZero() || s.Scheduled.Before(first) {
			first = s.Scheduled
		}
		if s.Scheduled.After(last) {
			last = s.Scheduled
		}
		all.record(s.Service)
		fromSchedule.record(s.Latency)
		by.record(s.Command, s.Service)
		switch {
		case s.Status == 0:
			failed.Add(1)
		case s.Outcome == report.WrongStatus:
			bad.Add(1)
		}
		if rec != nil {
			rec.Add(judged(s))
		}
		r.progress(phase, n.Add(1), expected)
	}))
	if err != nil {
		return fmt.Errorf("bench: mixed: %w", err)
	}
	defer e.Close()
	if _, err := e.LoadMix(ctx, cfg.Rate, cfg.Duration, cfg.Users, cfg.Seed, BenchMix); err != nil {
		samp.Stop(ctx)
		return fmt.Errorf("bench: mixed: %w", err)
	}
	t := r.Table
	achieved := 0.0
	if span := last.Sub(first).Seconds(); span > 0 {
		achieved = float64(all.count()-1) / span
	}
	t.Add(phase, "requests", float64(all.count()), "", "", nil)
	t.Add(phase, "achieved rate", achieved, "/s", strconv.FormatFloat(cfg.Rate, 'f', -1, 64)+"/s", nil)
	all.addTo(t, phase, 20*time.Millisecond)
	t.Add(phase, "p99 latency from the schedule (open model)", fromSchedule.quantile(99), "s", "", nil)
	for _, k := range mixedKinds {
		if l := by.m[k.kind]; l != nil {
			t.Add(phase, fmt.Sprintf("%s: %d, p50 latency", k.row, l.count()), l.quantile(50), "s", "", nil)
			t.Add(phase, fmt.Sprintf("%s: %d, p99 latency", k.row, l.count()), l.quantile(99), "s", "", nil)
		}
	}
	t.Add(phase, "unexpected statuses", float64(bad.Load()), "", "0", isZero)
	t.Add(phase, "connection errors", float64(failed.Load()), "", "0", isZero)
	samp.addTo(ctx, t, phase, true)
	return r.writeCharts(phase, rec)
}

// Read asks GET /msgs?no=100 as fast as workers keep-alive clients can (a
// closed model: each sends its next request when the last one answered)
// for duration, and reports the throughput.
func (r *Run) Read(ctx context.Context, duration time.Duration, workers int) error {
	const phase = "read"
	if workers < 1 || duration <= 0 {
		return fmt.Errorf("bench: read: %d workers for %s: want at least one worker and a positive duration", workers, duration)
	}
	samp, err := StartSampler(ctx, r.metrics())
	if err != nil {
		return err
	}
	tgt := vegeta.Target{
		Method: http.MethodGet,
		URL:    r.Target + "/msgs?no=100",
		Header: http.Header{"Authorization": {scenario.Authorization}},
	}
	w := uint64(workers)
	atk := vegeta.NewAttacker(
		vegeta.Timeout(patient),
		vegeta.KeepAlive(true),
		vegeta.Workers(w),
		vegeta.MaxWorkers(w),
		vegeta.Connections(workers),
		// Read every body (the client's share of the work), keep none.
		vegeta.MaxBody(0),
		vegeta.Proxy(nil),
	)
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	lat := newLatencies()
	rec := r.charts(phase)
	var bad int64
	start := time.Now()
	for res := range atk.Attack(vegeta.NewStaticTargeter(tgt), vegeta.Rate{Freq: 0}, duration, "read") {
		lat.record(res.Latency)
		if res.Code != http.StatusOK {
			bad++
		}
		if rec != nil {
			out := report.OK
			switch {
			case res.Code == 0:
				out = report.ConnError
			case res.Code != http.StatusOK:
				out = report.WrongStatus
			case res.Latency >= report.DefaultBudget:
				out = report.Late
			}
			rec.Add(report.Sample{ActionID: int64(res.Seq), Command: replay.KindTimeline, Scheduled: res.Timestamp, Sent: res.Timestamp,
				Latency: res.Latency, Service: res.Latency, Status: int(res.Code), Outcome: out})
		}
		if res.Seq%1000 == 0 {
			r.progress(phase, int64(time.Since(start)/time.Second), int64(duration/time.Second))
		}
	}
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		samp.Stop(context.WithoutCancel(ctx))
		return err
	}
	t := r.Table
	t.Add(phase, "requests", float64(lat.count()), "", "", nil)
	t.Add(phase, "throughput", float64(lat.count())/elapsed.Seconds(), "/s", ">= 5000/s", atLeast(5000))
	t.Add(phase, "p50 latency", lat.quantile(50), "s", "", nil)
	t.Add(phase, "p99 latency", lat.quantile(99), "s", "", nil)
	t.Add(phase, "non-200 answers", float64(bad), "", "0", isZero)
	samp.addTo(ctx, t, phase, true)
	return r.writeCharts(phase, rec)
}

// judged re-judges a sample against the course's 300 ms, for the charts:
// the phases send with a patient timeout so that slow answers are measured.
func judged(s report.Sample) report.Sample {
	if s.Outcome == report.OK && s.Latency >= report.DefaultBudget {
		s.Outcome = report.Late
	}
	return s
}

// charts returns the phase's chart recorder, nil without HTMLDir.
func (r *Run) charts(phase string) *report.Recorder {
	if r.HTMLDir == "" {
		return nil
	}
	return report.NewRecorder(report.Options{Target: r.Target + " (" + phase + ")", Budget: report.DefaultBudget})
}

// writeCharts writes the phase's page into HTMLDir.
func (r *Run) writeCharts(phase string, rec *report.Recorder) error {
	if rec == nil {
		return nil
	}
	var buf bytes.Buffer
	if err := rec.WriteHTML(&buf); err != nil {
		return fmt.Errorf("bench: %s charts: %w", phase, err)
	}
	if err := os.MkdirAll(r.HTMLDir, 0o755); err != nil {
		return fmt.Errorf("bench: %s charts: %w", phase, err)
	}
	p := filepath.Join(r.HTMLDir, phase+".html")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("bench: %s charts: %w", phase, err)
	}
	return nil
}
