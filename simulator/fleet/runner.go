package fleet

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http/httptrace"
	"os"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/minitwit-cd/kit/simulator/fleet/store"
	"github.com/minitwit-cd/kit/simulator/replay"
	"github.com/minitwit-cd/kit/simulator/report"
	"github.com/minitwit-cd/kit/simulator/scenario"
)

var errEOF = io.EOF

// recentTweets is how many of the newest acknowledged tweets the checks
// look for in the group's timelines.
const recentTweets = 5

// downAfter is the number of timeouts in a row that mark a group down.
const downAfter = 3

// LiveStatus is a group's replay as this worker sees it now.
type LiveStatus struct {
	// Running is false once the replay ended (scenario done or stopped).
	Running bool `json:"running"`
	// Finished is set when the whole scenario (or Limit) was replayed.
	Finished bool `json:"finished"`
	// Progress is the durable record as last written.
	Progress store.Progress `json:"progress"`
	// Answered is the highest action ID the group answered (any status).
	Answered int64 `json:"answered"`
	// LatenessP50/P99/Max are the send lateness (actual send time after
	// the scheduled one) of this run, in microseconds.
	LatenessP50 int64 `json:"lateness_p50_us"`
	LatenessP99 int64 `json:"lateness_p99_us"`
	LatenessMax int64 `json:"lateness_max_us"`
	// Err is the error that stopped the replay, if any.
	Err string `json:"error,omitempty"`
}

// runner is one group's sequential replay.
type runner struct {
	f      *Fleet
	id     string
	eng    *replay.Engine
	web    *replay.Engine // nil without a web URL
	cancel context.CancelFunc
	done   chan struct{}
	// holder is the worker whose lease the group runs under, "" without
	// leases: its progress writes are then guarded by the lease.
	holder string

	mu       sync.Mutex
	g        Group
	prog     store.Progress
	answered int64
	running  bool
	finished bool
	err      string
	windows  map[string]*store.Window // current minute, by command
	minute   time.Time
	dirty    bool
	// flushMu orders window writes: held from copying the windows to
	// writing them, so an older copy never overwrites a newer one (the
	// flusher, a minute's rollover and the final flush all write).
	flushMu  sync.Mutex
	lateness *hdr.Histogram
	// noAnswer counts the requests in a row without an HTTP answer, since
	// noAnswerSince.
	noAnswer      int
	noAnswerSince time.Time
	tweets        []string // newest acknowledged tweets, oldest first
}

func newRunner(f *Fleet, g Group) (*runner, error) {
	opts := []replay.Option{replay.WithTimeout(f.cfg.Budget), replay.WithKeepAlive(f.cfg.KeepAlive)}
	eng, err := replay.New(g.API, opts...)
	if err != nil {
		return nil, err
	}
	r := &runner{f: f, id: g.ID, eng: eng, g: g, done: make(chan struct{}), windows: map[string]*store.Window{},
		lateness: hdr.New(1, int64(time.Minute/time.Microsecond), 2), answered: -1}
	if f.leased { // the caller holds f.mu
		r.holder = f.worker
	}
	if g.Web != "" {
		if r.web, err = replay.New(g.Web, opts...); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *runner) group() Group {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.g
}

// setGroup updates the fields that need no restart; it reports whether
// anything changed.
func (r *runner) setGroup(g Group) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := fmt.Sprint(r.g) != fmt.Sprint(g)
	r.g = g
	return changed
}

// stop ends the replay and waits until its state is written.
func (r *runner) stop() {
	r.mu.Lock()
	cancel := r.cancel
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	<-r.done
}

func (r *runner) isRunning() bool {
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

func (r *runner) isFinished() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.finished
}

func (r *runner) status() LiveStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return LiveStatus{
		Running: r.running, Finished: r.finished, Progress: r.prog, Answered: r.answered, Err: r.err,
		LatenessP50: r.lateness.ValueAtQuantile(50), LatenessP99: r.lateness.ValueAtQuantile(99), LatenessMax: r.lateness.Max(),
	}
}

func (r *runner) logf(format string, args ...any) {
	r.f.cfg.Logf("%s: "+format, append([]any{r.id}, args...)...)
}

// run replays the scenario after the group's durable record until ctx
// ends or the scenario is done.
func (r *runner) run(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	r.mu.Lock()
	r.cancel, r.running = cancel, true
	r.mu.Unlock()
	defer close(r.done)
	defer cancel()
	defer r.eng.Close()
	err := r.replay(ctx)
	finished := errors.Is(err, errDone)
	if finished {
		err = nil
	}
	// Write what is left with a fresh context: the parent may be done.
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if finished && r.f.cfg.CheckEvery > 0 {
		// The scenario is done: one last check of the final state.
		for _, c := range r.checks(wctx) {
			if cerr := r.f.st.AddCheck(wctx, c); cerr != nil {
				r.logf("%v", cerr)
			}
		}
	}
	if ferr := r.flush(wctx, true); ferr != nil && err == nil {
		err = ferr
	}
	r.mu.Lock()
	r.running = false
	r.finished = finished // only now: its windows are written
	if err != nil && !errors.Is(err, context.Canceled) {
		r.err = err.Error()
	}
	r.mu.Unlock()
	switch {
	case finished:
		r.logf("scenario done through action %d", r.status().Progress.Done)
	case errors.Is(err, context.Canceled):
		r.logf("stopped after action %d", r.status().Progress.Done)
	default:
		r.logf("stopped: %v", err)
	}
}

func (r *runner) replay(ctx context.Context) error {
	prog, err := r.f.st.Progress(ctx, r.id)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	minute := now.Truncate(time.Minute)
	// Continue the current minute's windows rather than overwrite them.
	ws, err := r.f.st.Windows(ctx, r.id, minute, minute.Add(time.Minute))
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.prog, r.minute = prog, minute
	for _, w := range ws {
		r.windows[w.Command] = w
	}
	r.mu.Unlock()
	file, err := os.Open(r.f.cfg.Scenario)
	if err != nil {
		return fmt.Errorf("scenario: %w", err)
	}
	defer file.Close()
	src := scenario.NewReader(file)

	if prog.InFlight > prog.Done {
		// Stopped while an action was in flight, without its answer: the
		// group's /latest says whether it arrived (then it is not sent
		// again; its outcome stays unknown).
		if v, class, detail := latestOf(ctx, r.eng); class == ClassOK && v == prog.InFlight {
			r.logf("action %d reached the group before the stop (its /latest says so): not sent again", v)
			prog.Done = v
		} else if class != ClassOK {
			r.logf("action %d was in flight at the stop and /latest cannot tell whether it arrived (%s): sending it again", prog.InFlight, detail)
		}
		prog.InFlight = -1
		if err := r.saveProgress(ctx, prog); err != nil {
			return err
		}
		r.mu.Lock()
		r.prog = prog
		r.mu.Unlock()
	}
	if prog.Done >= 0 {
		r.logf("resuming after action %d", prog.Done)
	}
	go r.flusher(ctx)
	if r.f.cfg.CheckEvery > 0 {
		go r.checker(ctx)
	}

	regFailed := map[string]bool{}
	var (
		start   time.Time
		cum     int64
		started bool
		sent    int64
	)
	// next reads the next action to send (nil at the end), skipping those
	// completed in an earlier run: they are never sent again.
	next := func() (*scenario.Action, error) {
		if lim := r.f.cfg.Limit; lim > 0 && sent >= lim {
			return nil, nil
		}
		for {
			a, err := src.Next()
			if errors.Is(err, io.EOF) {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			if a.ID > prog.Done {
				return &a, nil
			}
		}
	}
	a, err := next()
	if err != nil || a == nil {
		return cmpErr(err, errDone)
	}
	// The first action's intent; every later one is written with the
	// previous action's completion, in the same commit.
	if err := r.intend(ctx, a.ID); err != nil {
		return err
	}
	for a != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !started {
			start, started = time.Now(), true
		} else {
			cum += a.Delay
		}
		due := start.Add(time.Duration(float64(cum) * float64(time.Millisecond) / r.f.cfg.Speedup))
		// Like the course's script, an action never leaves before the
		// previous one has answered: when a slow answer (or a slow store)
		// put the replay behind its schedule, the action is due now (the
		// replay catches up), and its latency counts from then, not from a
		// time the group could not have been asked at.
		due = maxTime(due, time.Now())
		dep := regFailed[a.User]
		if a.Command == scenario.Follow || a.Command == scenario.Unfollow {
			dep = dep || regFailed[a.Arg]
		}
		var ph phases
		s, ok := r.eng.Send(httptrace.WithClientTrace(ctx, ph.trace()), *a, due, dep)
		if !ok {
			return ctx.Err()
		}
		sent++
		if a.Command == scenario.Register {
			if replay.Failed(s.Outcome) {
				regFailed[a.User] = true
			} else {
				delete(regFailed, a.User)
			}
		}
		following, err := next()
		if err != nil {
			return err
		}
		nextID := int64(-1)
		if following != nil {
			nextID = following.ID
		}
		// The answer is recorded even when the replay is being stopped:
		// an acknowledged action must never be sent again.
		if err := r.complete(context.WithoutCancel(ctx), *a, s, &ph, nextID); err != nil {
			return err
		}
		a = following
	}
	return errDone
}

// cmpErr returns err, or def when err is nil.
func cmpErr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

// errDone ends a replay that went through the whole scenario.
var errDone = errors.New("scenario done")

// saveProgress writes the group's durable record; under leases only while
// this worker holds the group's lease (store.ErrLeaseLost otherwise, which
// stops the replay before anything else is sent).
func (r *runner) saveProgress(ctx context.Context, p store.Progress) error {
	if r.holder != "" {
		return r.f.st.SaveProgressHeld(ctx, p, r.holder, time.Now())
	}
	return r.f.st.SaveProgress(ctx, p)
}

// intend records, durably, that action id is about to leave.
func (r *runner) intend(ctx context.Context, id int64) error {
	r.mu.Lock()
	p := r.prog
	r.mu.Unlock()
	p.InFlight = id
	if err := r.saveProgress(ctx, p); err != nil {
		return err
	}
	r.mu.Lock()
	r.prog = p
	r.mu.Unlock()
	return nil
}

// complete records one answered (or failed) action: first the durable
// progress (with the intent of the next action, nextID, -1 at the end),
// committed before the next action may leave, then the window and, for a
// failure, the error log.
func (r *runner) complete(ctx context.Context, a scenario.Action, s report.Sample, ph *phases, nextID int64) error {
	end := s.Sent.Add(s.Service)
	r.mu.Lock()
	p := r.prog
	p.Done = a.ID
	p.InFlight = nextID
	p.Sent++
	p.Updated = end
	if s.Outcome == report.OK || s.Outcome == report.Late {
		p.Acked = a.ID
	}
	// Down: a refused or broken connection, or downAfter timeouts in a
	// row (one slow answer is not an outage), since the first of them.
	if s.Status > 0 {
		p.DownSince, r.noAnswer, r.noAnswerSince = time.Time{}, 0, time.Time{}
		r.answered = a.ID
	} else {
		if r.noAnswer == 0 {
			r.noAnswerSince = s.Sent
		}
		r.noAnswer++
		if p.DownSince.IsZero() && (s.Outcome == report.ConnError || r.noAnswer >= downAfter) {
			p.DownSince = r.noAnswerSince
		}
	}
	if a.Command == scenario.Tweet && s.Status > 0 && !replay.Failed(s.Outcome) {
		r.tweets = append(r.tweets, a.Arg)
		if len(r.tweets) > recentTweets {
			r.tweets = r.tweets[1:]
		}
	}
	r.mu.Unlock()
	if err := r.saveProgress(ctx, p); err != nil {
		return err
	}
	r.mu.Lock()
	r.prog = p
	lateness := s.Sent.Sub(s.Scheduled)
	_ = r.lateness.RecordValue(max(lateness.Microseconds(), 1))
	minute := end.UTC().Truncate(time.Minute)
	var closed []*store.Window
	if minute.After(r.minute) {
		for _, w := range r.windows {
			closed = append(closed, w)
		}
		r.windows = map[string]*store.Window{}
		r.minute = minute
	}
	w := r.windows[s.Command]
	if w == nil {
		w = &store.Window{Group: r.id, Start: r.minute, Command: s.Command, Hist: store.NewHistogram()}
		r.windows[s.Command] = w
	}
	w.Counts[s.Outcome]++
	_ = w.Hist.RecordValue(max(s.Latency.Microseconds(), 1))
	w.LateSendMax = max(w.LateSendMax, lateness)
	ph.addTo(w)
	r.dirty = true
	target := r.g.API // the host column: the URL as the groups file gives it
	r.mu.Unlock()
	if len(closed) > 0 {
		r.flushMu.Lock()
		err := r.f.st.SaveWindows(ctx, closed)
		r.flushMu.Unlock()
		if err != nil {
			return err
		}
	}
	if line := report.CourseLine(s, target, end); line != "" {
		if err := r.f.st.AddError(ctx, store.ErrorEntry{Group: r.id, At: end, Line: line, Detail: s.Err}); err != nil {
			return err
		}
	}
	return nil
}

// flusher writes the current windows every FlushEvery.
func (r *runner) flusher(ctx context.Context) {
	t := time.NewTicker(r.f.cfg.FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.flush(ctx, false); err != nil && ctx.Err() == nil {
				r.logf("%v", err)
			}
		}
	}
}

// flush writes the current windows if they changed (always when final).
func (r *runner) flush(ctx context.Context, final bool) error {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	r.mu.Lock()
	if !r.dirty && !final {
		r.mu.Unlock()
		return nil
	}
	ws := make([]*store.Window, 0, len(r.windows))
	for _, w := range r.windows {
		c := *w
		c.Hist = hdr.Import(w.Hist.Export())
		ws = append(ws, &c)
	}
	r.dirty = false
	r.mu.Unlock()
	return r.f.st.SaveWindows(ctx, ws)
}

// phases records one request's httptrace timings.
type phases struct {
	mu                                                                      sync.Mutex // the transport may call back from its dial goroutine
	dnsStart, dnsDone, connStart, connDone, tlsStart, tlsDone, wrote, first time.Time
}

func (p *phases) trace() *httptrace.ClientTrace {
	set := func(t *time.Time) {
		p.mu.Lock()
		if t.IsZero() {
			*t = time.Now()
		}
		p.mu.Unlock()
	}
	return &httptrace.ClientTrace{
		DNSStart:             func(httptrace.DNSStartInfo) { set(&p.dnsStart) },
		DNSDone:              func(httptrace.DNSDoneInfo) { set(&p.dnsDone) },
		ConnectStart:         func(string, string) { set(&p.connStart) },
		ConnectDone:          func(string, string, error) { set(&p.connDone) },
		TLSHandshakeStart:    func() { set(&p.tlsStart) },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { set(&p.tlsDone) },
		WroteRequest:         func(httptrace.WroteRequestInfo) { set(&p.wrote) },
		GotFirstResponseByte: func() { set(&p.first) },
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func span(a, b time.Time) time.Duration {
	if a.IsZero() || b.IsZero() || b.Before(a) {
		return 0
	}
	return b.Sub(a)
}

// addTo adds the phases to a window; a request that got no first byte
// contributes its network phases only.
func (p *phases) addTo(w *store.Window) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.wrote.IsZero() && p.connStart.IsZero() && p.dnsStart.IsZero() {
		return
	}
	w.Traced++
	w.DNS += span(p.dnsStart, p.dnsDone)
	w.Connect += span(p.connStart, p.connDone)
	w.TLS += span(p.tlsStart, p.tlsDone)
	w.TTFB += span(p.wrote, p.first)
	if !p.connStart.IsZero() {
		w.Conns++
	}
}
