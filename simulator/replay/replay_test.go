package replay_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/simulator/replay"
	"github.com/minitwit-cd/kit/simulator/report"
	"github.com/minitwit-cd/kit/simulator/scenario"
)

func openCourse(t testing.TB) *scenario.Reader {
	t.Helper()
	f, err := os.Open(testenv.CourseScenario(t))
	mustT(t, err)
	t.Cleanup(func() { f.Close() })
	return scenario.NewReader(f)
}

// generated returns a reader over a generated scenario.
func generated(t testing.TB, users int, actions int64, seed uint64) *scenario.Reader {
	t.Helper()
	var buf bytes.Buffer
	mustT(t, scenario.Generate(&buf, scenario.GenerateConfig{Users: users, Actions: actions, Seed: seed}))
	return scenario.NewReader(&buf)
}

// collector gathers samples by action ID.
type collector struct {
	mu      sync.Mutex
	samples map[int64]report.Sample
	order   []int64
}

func newCollector() *collector { return &collector{samples: map[int64]report.Sample{}} }

func (c *collector) add(s report.Sample) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.samples[s.ActionID] = s
	c.order = append(c.order, s.ActionID)
}

func (c *collector) outcomes() map[report.Outcome][]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[report.Outcome][]int64{}
	for id, s := range c.samples {
		out[s.Outcome] = append(out[s.Outcome], id)
	}
	for _, ids := range out {
		slices.Sort(ids)
	}
	return out
}

func replayAll(t *testing.T, target string, src replay.Source, opts ...replay.Option) (replay.Stats, *collector, error) {
	t.Helper()
	c := newCollector()
	// A generous budget unless the test sets one: under the race detector
	// on a busy machine a correct target can take longer than 300 ms.
	opts = append([]replay.Option{replay.WithTimeout(5 * time.Second)}, opts...)
	e, err := replay.New(target, append(opts, replay.WithObserver(c.add))...)
	mustT(t, err)
	defer e.Close()
	st, err := e.Replay(context.Background(), src)
	return st, c, err
}

func TestReplayKeepsCausalOrderUnderConcurrency(t *testing.T) {
	fake := newFake()
	// Random service times of up to 2 ms make concurrent requests overtake
	// each other; any ordering mistake then shows as a 404.
	var n int64
	var mu sync.Mutex
	fake.before = func(_ http.ResponseWriter, _ *http.Request, latest int64) bool {
		mu.Lock()
		n++
		d := time.Duration((n*7919)%2000) * time.Microsecond
		mu.Unlock()
		time.Sleep(d) // simulated service time, not a wait for a condition
		return true
	}
	srv := httptest.NewServer(prefixed("/api/v1", fake))
	defer srv.Close()
	model := replay.NewModel(40, 10)
	st, c, err := replayAll(t, srv.URL+"/api/v1/", generated(t, 60, 4000, 3),
		replay.WithConcurrency(16), replay.WithModel(model), replay.WithTimeout(5*time.Second))
	mustT(t, err)
	outs := c.outcomes()
	if len(outs[report.OK]) != 4000 || st.Sent != 4000 || st.Completed != 4000 {
		t.Fatalf("want 4000 OK, got sent %d completed %d outcomes %v", st.Sent, st.Completed, summarize(outs))
	}
	if st.OrderViolations != 0 {
		t.Errorf("%d ordering violations", st.OrderViolations)
	}
	e, _ := replay.New(srv.URL + "/api/v1")
	v, err := e.Verify(context.Background(), model, st)
	mustT(t, err)
	if !v.OK() || v.Checks < 2*40 {
		t.Errorf("verify: %d checks, mismatches %v", v.Checks, v.Mismatches)
	}
	// The same check catches a target that lost a message.
	fake.mu.Lock()
	for u, m := range fake.msgs {
		if len(m) > 0 {
			fake.msgs[u] = m[:len(m)-1]
		}
	}
	fake.follows = map[string]map[string]bool{}
	fake.mu.Unlock()
	v, err = e.Verify(context.Background(), model, st)
	mustT(t, err)
	var checks []string
	for _, m := range v.Mismatches {
		checks = append(checks, m.Check)
	}
	if !slices.Contains(checks, "messages") || !slices.Contains(checks, "follows") {
		t.Errorf("verify of a damaged target found only %v", v.Mismatches)
	}
}

func summarize(outs map[report.Outcome][]int64) string {
	var b strings.Builder
	for o, ids := range outs {
		fmt.Fprintf(&b, "%s:%d ", o, len(ids))
		if o != report.OK && len(ids) > 0 {
			fmt.Fprintf(&b, "%v ", ids[:min(5, len(ids))])
		}
	}
	return b.String()
}

// faultIDs picks the non-register actions of a generated scenario whose
// ID is a multiple of every (registers are excluded so that no failure
// has consequences in the classification tests).
func faultIDs(t *testing.T, users int, actions int64, seed uint64, every int64) map[int64]bool {
	t.Helper()
	r := generated(t, users, actions, seed)
	ids := map[int64]bool{}
	for {
		a, err := r.Next()
		if err != nil {
			break
		}
		if a.ID%every == every-1 && a.Command != scenario.Register {
			ids[a.ID] = true
		}
	}
	return ids
}

func hijack(w http.ResponseWriter) net.Conn {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	return conn
}

func TestReplayClassifiesInjectedFaults(t *testing.T) {
	const users, actions, seed = 8, 120, 5
	faulty := faultIDs(t, users, actions, seed, 7)
	tests := []struct {
		name  string
		want  report.Outcome
		fault func(w http.ResponseWriter)
	}{
		{"wrong status", report.WrongStatus, func(w http.ResponseWriter) { w.WriteHeader(500) }},
		{"slow", report.Timeout, func(w http.ResponseWriter) {
			time.Sleep(1500 * time.Millisecond) // the injected fault: slower than the 1 s budget
			w.WriteHeader(204)
		}},
		{"reset", report.ConnError, func(w http.ResponseWriter) {
			c := hijack(w)
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			c.Close()
		}},
		{"garbage", report.ConnError, func(w http.ResponseWriter) {
			c := hijack(w)
			_, _ = c.Write([]byte("SPAM SPAM SPAM\r\n\r\n"))
			c.Close()
		}},
		{"redirect", report.WrongStatus, func(w http.ResponseWriter) {
			w.Header().Set("Location", "http://example.com/")
			w.WriteHeader(302)
		}},
	}
	for _, tt := range tests {
		for _, conc := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/concurrency=%d", tt.name, conc), func(t *testing.T) {
				fake := newFake()
				fake.before = func(w http.ResponseWriter, _ *http.Request, latest int64) bool {
					if faulty[latest] {
						tt.fault(w)
						return false
					}
					return true
				}
				srv := httptest.NewServer(fake)
				defer srv.Close()
				st, c, err := replayAll(t, srv.URL, generated(t, users, actions, seed),
					replay.WithConcurrency(conc), replay.WithTimeout(time.Second))
				mustT(t, err)
				outs := c.outcomes()
				var want []int64
				for id := range faulty {
					want = append(want, id)
				}
				slices.Sort(want)
				if !slices.Equal(outs[tt.want], want) || len(outs[report.OK]) != actions-len(want) {
					t.Fatalf("want %s exactly for %v, got %s", tt.want, want, summarize(outs))
				}
				if st.OrderViolations != 0 {
					t.Errorf("%d ordering violations", st.OrderViolations)
				}
				s := c.samples[want[0]]
				if s.Err == "" {
					t.Errorf("sample %d has no error text", want[0])
				}
			})
		}
	}
}

func TestReplayReportsConsequencesOfAFailedRegistration(t *testing.T) {
	// Action 0 registers alice and fails; her tweets then get 404 from the
	// target and are consequences, bob's actions are unaffected.
	lines := []string{
		"0\t0\t1\tregister\talice\ta@x\tpw",
		"1\t0\t2\tregister\tbob\tb@x\tpw",
		"2\t0\t3\ttweet\talice\thello",
		"3\t0\t4\ttweet\tbob\thello",
		"4\t0\t5\tfollow\tbob\talice",
		"5\t0\t6\tfollow\talice\tbob",
		"6\t0\t7\ttweet\tbob\tagain",
	}
	fake := newFake()
	fake.before = func(w http.ResponseWriter, _ *http.Request, latest int64) bool {
		if latest == 0 {
			w.WriteHeader(500)
			return false
		}
		return true
	}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	_, c, err := replayAll(t, srv.URL, scenario.NewReader(strings.NewReader(strings.Join(lines, "\n"))), replay.WithConcurrency(3))
	mustT(t, err)
	outs := c.outcomes()
	if !slices.Equal(outs[report.WrongStatus], []int64{0}) || !slices.Equal(outs[report.Consequence], []int64{2, 4, 5}) ||
		!slices.Equal(outs[report.OK], []int64{1, 3, 6}) {
		t.Fatalf("got %v", outs)
	}
	if s := c.samples[2]; s.Status != 404 || !strings.HasPrefix(s.Err, "status 404") {
		t.Errorf("consequence sample: %+v", s)
	}
}

func TestReplayAgainstBrokenTargets(t *testing.T) {
	// A port nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	mustT(t, err)
	refused := "http://" + ln.Addr().String()
	ln.Close()

	// A listener that accepts and never answers.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	mustT(t, err)
	defer silent.Close()
	var held []net.Conn
	var heldMu sync.Mutex
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			heldMu.Lock()
			held = append(held, c)
			heldMu.Unlock()
		}
	}()
	defer func() {
		heldMu.Lock()
		for _, c := range held {
			c.Close()
		}
		heldMu.Unlock()
	}()

	tests := []struct {
		name   string
		target string
		want   report.Outcome
		errHas string
	}{
		{"unreachable", refused, report.ConnError, "connection refused"},
		{"never answers", "http://" + silent.Addr().String(), report.Timeout, "no answer within the budget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, c, err := replayAll(t, tt.target, generated(t, 4, 20, 1),
				replay.WithConcurrency(4), replay.WithTimeout(100*time.Millisecond))
			mustT(t, err)
			outs := c.outcomes()
			if len(outs[tt.want]) != 20 || st.Completed != 20 {
				t.Fatalf("want 20 × %s, got %s", tt.want, summarize(outs))
			}
			if s := c.samples[0]; !strings.Contains(s.Err, tt.errHas) {
				t.Errorf("error text %q does not say %q", s.Err, tt.errHas)
			}
			e, _ := replay.New(tt.target, replay.WithTimeout(100*time.Millisecond))
			if _, err := e.Latest(context.Background()); err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("Latest: %v, want an error saying %q", err, tt.errHas)
			}
		})
	}
}

func TestReplayTargetDiesHalfway(t *testing.T) {
	const dieAt = 40
	fake := newFake()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	mustT(t, err)
	srv := &http.Server{Handler: fake}
	var dead sync.Once
	var isDead atomic.Bool
	var servedMu sync.Mutex
	served := map[int64]bool{}
	fake.before = func(w http.ResponseWriter, _ *http.Request, latest int64) bool {
		if latest == dieAt || isDead.Load() {
			// Dying: the connection drops, the listener closes, and a
			// request that still reaches a live connection is dropped too.
			isDead.Store(true)
			hijack(w).Close()
			dead.Do(func() {
				ln.Close()
				go srv.Close()
			})
			return false
		}
		servedMu.Lock()
		served[latest] = true
		servedMu.Unlock()
		return true
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	_, c, err := replayAll(t, "http://"+ln.Addr().String(), generated(t, 5, 100, 2), replay.WithConcurrency(2))
	mustT(t, err)
	// Exactly the requests the target answered before dying are OK; every
	// other one is a connection error.
	for id := int64(0); id < 100; id++ {
		want := report.ConnError
		if served[id] {
			want = report.OK
		}
		if got := c.samples[id].Outcome; got != want {
			t.Errorf("action %d: %s, want %s", id, got, want)
		}
	}
	if n := len(served); n < dieAt/2 || n >= 100 {
		t.Errorf("%d requests served before action %d killed the target", n, dieAt)
	}
}

func TestReplayStopsAtAMalformedLine(t *testing.T) {
	fake := newFake()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	in := "0\t0\t1\tregister\ta\ta@x\tpw\n1\t0\t2\ttweet\ta\thi\n2\t0\t3\tretweet\ta\thi\n3\t0\t4\ttweet\ta\tnever\n"
	st, c, err := replayAll(t, srv.URL, scenario.NewReader(strings.NewReader(in)), replay.WithConcurrency(2))
	var pe *scenario.ParseError
	if !errors.As(err, &pe) || pe.Line != 3 {
		t.Fatalf("err = %v, want a ParseError on line 3", err)
	}
	if st.Sent != 2 || len(c.samples) != 2 {
		t.Errorf("sent %d, samples %d; want the 2 actions before the bad line", st.Sent, len(c.samples))
	}
}

func TestReplayInterrupted(t *testing.T) {
	fake := newFake()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var done int
	var mu sync.Mutex
	e, err := replay.New(srv.URL, replay.WithConcurrency(4), replay.WithObserver(func(report.Sample) {
		mu.Lock()
		defer mu.Unlock()
		done++
		if done == 100 {
			cancel()
		}
	}))
	mustT(t, err)
	st, err := e.Replay(ctx, generated(t, 20, 5000, 9))
	if !errors.Is(err, context.Canceled) || !st.Interrupted {
		t.Fatalf("err = %v, interrupted %v", err, st.Interrupted)
	}
	if st.Sent >= 5000 || st.Completed != st.Sent {
		t.Errorf("sent %d, completed %d: want a partial replay with every sent request accounted for", st.Sent, st.Completed)
	}
}

func TestReplayResumeAndLimit(t *testing.T) {
	fake := newFake()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	model := replay.NewModel(20, 5)
	// First half, one request at a time: /latest is then exactly the last
	// action (after a concurrent replay it is whichever request the
	// target processed last, and resuming after it repeats the others).
	st, _, err := replayAll(t, srv.URL, generated(t, 30, 600, 4), replay.WithLimit(300))
	mustT(t, err)
	if st.Sent != 300 || st.LastID != 299 {
		t.Fatalf("limit: sent %d, last %d", st.Sent, st.LastID)
	}
	e, err := replay.New(srv.URL)
	mustT(t, err)
	latest, err := e.Latest(context.Background())
	mustT(t, err)
	if latest != 299 || st.LatestHigh != 299 {
		t.Fatalf("latest %d, stats say [%d, %d], want 299", latest, st.LatestLow, st.LatestHigh)
	}
	// Resume after /latest: nothing is sent twice, the model still knows
	// the whole history, and the final state verifies.
	st2, c, err := replayAll(t, srv.URL, generated(t, 30, 600, 4), replay.WithAfter(latest), replay.WithModel(model), replay.WithConcurrency(8))
	mustT(t, err)
	if st2.Skipped != latest+1 || st2.FirstID != latest+1 || st2.Sent != 600-latest-1 {
		t.Fatalf("resume: skipped %d first %d sent %d", st2.Skipped, st2.FirstID, st2.Sent)
	}
	outs := c.outcomes()
	if len(outs[report.OK]) != int(st2.Sent) {
		t.Fatalf("resume outcomes %s", summarize(outs))
	}
	v, err := e.Verify(context.Background(), model, st2)
	mustT(t, err)
	if !v.OK() {
		t.Errorf("verify after resume: %v", v.Mismatches)
	}
}

func TestCompatErrorLinesMatchTheCourseScript(t *testing.T) {
	// A server that answers every 100th action 400 ms late (after doing
	// the work, so later actions are unaffected): the course's script,
	// with its 300 ms read timeout, logs exactly one ReadTimeout line for
	// each of them, and nothing else. The replay starts at action 20,000,
	// where the course file's delays are short (its first 400 actions
	// sleep 13 s in compat mode), against a lenient target.
	const from, limit = 20000, 400
	fake := newFake()
	fake.lenient = true
	var conns sync.Map
	fake.before = func(_ http.ResponseWriter, r *http.Request, _ int64) bool {
		if r.Header.Get("Connection") != "close" && !r.Close {
			t.Errorf("compat request without Connection: close")
		}
		conns.Store(r.RemoteAddr, true)
		return true
	}
	fake.after = func(latest int64) {
		if latest%100 == 0 {
			time.Sleep(400 * time.Millisecond) // the injected fault
		}
	}
	srv := httptest.NewServer(fake)
	defer srv.Close()

	var buf bytes.Buffer
	seen := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	elog := report.NewCourseLog(&buf, srv.URL, func() time.Time { return seen })
	c := newCollector()
	e, err := replay.New(srv.URL, replay.WithMode(replay.Compat), replay.WithObserver(func(s report.Sample) {
		c.add(s)
		elog.Write(s)
	}), replay.WithLimit(limit), replay.WithAfter(from-1))
	mustT(t, err)
	st, err := e.Replay(context.Background(), openCourse(t))
	mustT(t, err)
	mustT(t, elog.Close())

	var want []string
	r := openCourse(t)
	for i := 0; i < from+limit; i++ {
		a, err := r.Next()
		mustT(t, err)
		if a.ID >= from && a.ID%100 == 0 {
			want = append(want, fmt.Sprintf("2026-12-01 12:00:00,%s,%d,ReadTimeout", srv.URL, a.ID))
		}
	}
	got := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if !slices.Equal(got, want) {
		t.Fatalf("error lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// One connection per action, like the course's script.
	n := 0
	conns.Range(func(any, any) bool { n++; return true })
	if st.Sent != limit || n != limit {
		t.Errorf("sent %d over %d connections, want %d over %d", st.Sent, n, limit, limit)
	}
	// Compat pacing sleeps the scaled delays: every send is at or after
	// its schedule, which is the previous answer plus delay/1e8 s.
	for id, s := range c.samples {
		if s.Sent.Before(s.Scheduled) {
			t.Fatalf("action %d sent %s before its schedule", id, s.Scheduled.Sub(s.Sent))
		}
	}
}

func TestSpeedupPacesTheRecordedDelays(t *testing.T) {
	fake := newFake()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	// The course file's first 200 actions span 845,606 s of recorded
	// delays; compressed 2,000,000× they take 0.42 s.
	r := openCourse(t)
	var total int64
	for i := 0; i < 200; i++ {
		a, err := r.Next()
		mustT(t, err)
		if i > 0 {
			total += a.Delay
		}
	}
	const speedup = 2e6
	st, c, err := replayAll(t, srv.URL, openCourse(t), replay.WithSpeedup(speedup), replay.WithLimit(200), replay.WithConcurrency(4))
	mustT(t, err)
	wantSpan := time.Duration(float64(total) * float64(time.Millisecond) / speedup)
	var first, last time.Time
	for _, s := range c.samples {
		if s.Sent.Before(s.Scheduled) {
			t.Fatalf("action %d sent before its schedule", s.ActionID)
		}
		if first.IsZero() || s.Scheduled.Before(first) {
			first = s.Scheduled
		}
		if s.Scheduled.After(last) {
			last = s.Scheduled
		}
	}
	if got := last.Sub(first); got < wantSpan-time.Millisecond || got > wantSpan+time.Millisecond {
		t.Errorf("schedule spans %s, want %s", got, wantSpan)
	}
	if st.End.Sub(st.Start) < wantSpan {
		t.Errorf("replay took %s, less than the compressed delays %s", st.End.Sub(st.Start), wantSpan)
	}
}

// loadTarget is a fake MiniTwit with a generated scenario's users
// registered: a load test's target and the users it acts as.
func loadTarget(t *testing.T) (url string, users []string) {
	t.Helper()
	srv := httptest.NewServer(newFake())
	t.Cleanup(srv.Close)
	model := replay.NewModel(5, 5)
	_, _, err := replayAll(t, srv.URL, generated(t, 10, 50, 1), replay.WithModel(model))
	mustT(t, err)
	return srv.URL, model.Pool()
}

func TestLoadRunsTheMixAtTheRate(t *testing.T) {
	url, users := loadTarget(t)
	c := newCollector()
	e, err := replay.New(url, replay.WithObserver(c.add), replay.WithConcurrency(4), replay.WithTimeout(5*time.Second))
	mustT(t, err)
	ls, err := e.Load(context.Background(), 400, 500*time.Millisecond, users, 1)
	mustT(t, err)
	outs := c.outcomes()
	if ls.Sent < 150 || ls.Sent > 201 || len(outs[report.OK]) != int(ls.Sent) {
		t.Fatalf("load sent %d: %s", ls.Sent, summarize(outs))
	}
	cmds := map[string]int{}
	for _, s := range c.samples {
		cmds[s.Command]++
		if s.Latency < s.Service {
			t.Fatalf("latency %s from schedule shorter than service time %s", s.Latency, s.Service)
		}
	}
	if cmds["tweet"] == 0 || cmds["follow"] == 0 || cmds["unfollow"] == 0 {
		t.Errorf("mix %v", cmds)
	}
	if _, err := e.Load(context.Background(), 10, time.Second, nil, 1); !errors.Is(err, replay.ErrNoUsers) {
		t.Errorf("load without users: %v", err)
	}
}

// TestLoadLatencyFromTheSchedule: at a slow rate the latency counted from
// each request's schedule is its own, not one interval more (vegeta fires
// hit n at (n+1)·interval): at 2/s every answer of a fast target is on
// time, where an interval's error (500 ms) would judge all of them late.
func TestLoadLatencyFromTheSchedule(t *testing.T) {
	url, users := loadTarget(t)
	c := newCollector()
	e, err := replay.New(url, replay.WithObserver(c.add))
	mustT(t, err)
	ls, err := e.Load(context.Background(), 2, 1500*time.Millisecond, users, 1)
	mustT(t, err)
	if ls.Sent < 2 {
		t.Fatalf("load at 2/s for 1.5 s sent %d", ls.Sent)
	}
	for _, s := range c.samples {
		if late := s.Sent.Sub(s.Scheduled); late > 250*time.Millisecond {
			t.Errorf("request %d sent %s after its schedule (the interval is 500 ms)", s.ActionID, late)
		}
		if s.Outcome != report.OK {
			t.Errorf("request %d: %s after %s from its schedule (service %s), want ok", s.ActionID, s.Outcome, s.Latency, s.Service)
		}
	}
}

func TestNewRejectsBadTargets(t *testing.T) {
	for _, target := range []string{"", "localhost:5000", "ftp://x", "http://", "http://h/?q=1"} {
		if _, err := replay.New(target); !errors.Is(err, replay.ErrBadTarget) {
			t.Errorf("%q: %v", target, err)
		}
	}
	if _, err := replay.New("http://h", replay.WithConcurrency(0)); err == nil {
		t.Error("concurrency 0 accepted")
	}
}
