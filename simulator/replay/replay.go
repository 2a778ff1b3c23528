package replay

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/minitwit-cd/kit/simulator/report"
	"github.com/minitwit-cd/kit/simulator/scenario"
)

// Stats describes a finished (or interrupted) replay.
type Stats struct {
	// Sent is the number of requests sent; Skipped the actions skipped
	// because their ID was not after WithAfter's.
	Sent    int64 `json:"sent"`
	Skipped int64 `json:"skipped"`
	// Completed is the number of answered or failed requests; it equals
	// Sent unless the replay was interrupted.
	Completed int64 `json:"completed"`
	// OrderViolations counts requests sent before an action they depend on
	// had completed. The scheduler makes it zero; it is measured
	// independently from the completion times as a check.
	OrderViolations int64 `json:"order_violations"`
	// FirstID is the ID of the first action sent, LastID the highest
	// (-1 when none was).
	FirstID int64 `json:"first_id"`
	LastID  int64 `json:"last_id"`
	// LatestLow and LatestHigh bound the IDs of the requests in flight
	// when the last one was sent: after a replay with concurrency, the
	// target's /latest may be any ID in [LatestLow, LatestHigh].
	LatestLow  int64 `json:"latest_low"`
	LatestHigh int64 `json:"latest_high"`
	// Start and End bound the replay.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Interrupted is set when the context ended the replay early.
	Interrupted bool `json:"interrupted"`
	// Resume is where a later replay picks up: the highest ID up to which
	// every action was acknowledged (answered with an HTTP status) or
	// skipped, and the acknowledged IDs above it. After a replay whose every
	// request was answered, Resume.Point is LastID and Resume.Acked empty.
	Resume Resume `json:"resume"`
}

// node is one action's completion, for the actions that depend on it.
type node struct {
	done   chan struct{}
	failed bool
	doneAt time.Time // set before done is closed
}

// Sentinels for completed actions whose node no longer needs a channel.
var (
	okNode     = &node{done: closedChan(), doneAt: time.Time{}}
	failedNode = &node{done: closedChan(), failed: true}
)

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

type userKeys struct {
	reg   *node // the user's registration
	tweet *node // the user's latest tweet, so tweets land in order
}

type pairKey struct{ user, other string }

// flight is one action between being handed to vegeta and its result.
type flight struct {
	a               scenario.Action
	seq             int64 // position in the file, for the resume point
	node            *node
	causal          [2]*node // registrations it needs: actor, other
	deps            []*node  // everything it waited for
	scheduled, sent time.Time
}

// dispatcher is the ordering layer: vegeta's workers pull targets from it
// one at a time, in file order, and it hands out an action only after the
// actions it depends on have completed and its scheduled time has come.
type dispatcher struct {
	e      *Engine
	ctx    context.Context
	src    Source
	header http.Header

	mu      sync.Mutex // held by the targeter: actions leave in file order
	stopped bool
	err     error
	stats   Stats
	started bool
	cum     int64
	window  int
	pending []*flight // read and planned, not yet sent, in file order
	seq     int64     // sequence number of the next action read
	acks    *ackLog

	sigMu sync.Mutex
	sig   chan struct{} // closed and replaced at every completion

	keysMu sync.Mutex
	users  map[string]*userKeys
	pairs  map[pairKey]*node

	flightMu sync.Mutex
	flights  map[int64]*flight

	srcDone    bool // the source or the limit ended the replay
	violations atomic.Int64
	completed  atomic.Int64 // not under mu: the targeter holds mu while it waits for completions
}

// Replay sends the actions of src to the target and returns when every
// sent request has completed, the source is exhausted, the limit reached
// or ctx is done (then with ctx's error and Stats.Interrupted set). A
// malformed scenario line stops the replay with its *scenario.ParseError
// after the requests in flight have completed.
func (e *Engine) Replay(ctx context.Context, src Source) (Stats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := &dispatcher{
		e:       e,
		ctx:     ctx,
		src:     src,
		header:  e.requestHeader(),
		users:   map[string]*userKeys{},
		pairs:   map[pairKey]*node{},
		flights: map[int64]*flight{},
		acks:    newAckLog(),
		sig:     make(chan struct{}),
		window:  min(max(64, 8*e.cfg.concurrency), 4096),
	}
	if e.cfg.mode == Compat {
		d.window = 1 // strictly one after the other, like the course's script
	}
	d.stats.FirstID, d.stats.LastID, d.stats.LatestLow, d.stats.LatestHigh = -1, -1, -1, -1
	n := uint64(e.cfg.concurrency)
	atk := vegeta.NewAttacker(
		vegeta.Client(e.client),
		vegeta.Workers(n),
		vegeta.MaxWorkers(n),
		vegeta.MaxBody(1024),
	)
	stopAtk := context.AfterFunc(ctx, func() { atk.Stop() })
	d.stats.Start = time.Now()
	// A zero rate is vegeta's "as fast as the workers go": the pacing is
	// done by the dispatcher, which blocks the workers until an action is
	// due.
	for res := range atk.Attack(d.target, vegeta.Rate{}, 0, "") {
		d.complete(res)
	}
	stopAtk()
	d.stats.End = time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.stats
	st.OrderViolations = d.violations.Load()
	st.Completed = d.completed.Load()
	st.Resume = d.acks.resume()
	if ctx.Err() != nil && !d.srcDone {
		st.Interrupted = true
		return st, ctx.Err()
	}
	return st, d.err
}

// target is the vegeta Targeter. It keeps a window of the next actions
// read from the source (their dependencies computed in file order) and
// hands out the first whose dependencies have all completed, so an action
// waiting for a slow registration does not hold up the independent ones
// behind it.
func (d *dispatcher) target(tgt *vegeta.Target) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		if d.stopped {
			return vegeta.ErrNoTargets
		}
		if d.ctx.Err() != nil {
			d.stop()
			continue
		}
		// Take the completion signal before looking, so a completion
		// between the look and the wait is not missed.
		sig := d.signal()
		d.fill()
		if len(d.pending) == 0 {
			d.stop()
			continue
		}
		f := d.pickReady()
		if f == nil {
			select {
			case <-sig:
			case <-d.ctx.Done():
			}
			continue
		}
		if !d.pace(f) {
			d.abandon(f)
			d.stop()
			continue
		}
		a := f.a
		f.sent = time.Now()
		if d.stats.FirstID < 0 {
			d.stats.FirstID = a.ID
		}
		d.stats.LastID = max(d.stats.LastID, a.ID)
		d.stats.Sent++
		d.flightMu.Lock()
		d.flights[a.ID] = f
		// The target's /latest ends up as the ID of whichever request it
		// processed last: any request in flight with the last one sent.
		low, high := a.ID, a.ID
		for id := range d.flights {
			low, high = min(low, id), max(high, id)
		}
		d.flightMu.Unlock()
		d.stats.LatestLow, d.stats.LatestHigh = low, high
		req := a.Request()
		tgt.Method, tgt.URL, tgt.Body, tgt.Header = req.Method, req.URL(d.e.base), req.Body, d.header
		return nil
	}
}

// fill reads actions into the window until it is full, the source ends or
// the limit is reached. It reads one action beyond the window, so that
// pickReady knows which action is the last (see there).
func (d *dispatcher) fill() {
	for !d.srcDone && len(d.pending) <= d.window {
		if d.e.cfg.limit > 0 && d.stats.Sent+int64(len(d.pending)) >= d.e.cfg.limit {
			d.srcDone = true
			return
		}
		a, err := d.src.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				d.err = err
			}
			d.srcDone = true
			return
		}
		seq := d.seq
		d.seq++
		if a.ID <= d.e.cfg.after || (d.e.cfg.resume != nil && d.e.cfg.resume.Done(a.ID)) {
			d.skip(a)
			d.acks.done(seq, a.ID)
			continue
		}
		f := d.plan(a)
		f.seq = seq
		if d.e.cfg.mode == Speedup {
			// The schedule follows the file: action i is due at start
			// plus the recorded delays up to it, compressed.
			if !d.started {
				d.started, d.stats.Start = true, time.Now()
			} else {
				d.cum += a.Delay
			}
			f.scheduled = d.stats.Start.Add(time.Duration(float64(d.cum) * float64(time.Millisecond) / d.e.cfg.speedup))
		}
		d.pending = append(d.pending, f)
	}
}

// pickReady removes and returns the first pending action whose
// dependencies have all completed, or nil. The replay's last action (the
// last one of the source or of the limit) goes out alone, after every other
// request has completed, so the target's /latest ends at its ID whatever the
// concurrency; until the source has said whether more follow, the last
// action read is held back, since it may be that one.
func (d *dispatcher) pickReady() *flight {
	n := len(d.pending)
	if !d.srcDone {
		n--
	}
	for i, f := range d.pending[:max(n, 0)] {
		if !allDone(f.deps) {
			continue
		}
		if d.srcDone && i == len(d.pending)-1 && (i > 0 || d.inFlight() > 0) {
			continue
		}
		d.pending = append(d.pending[:i], d.pending[i+1:]...)
		return f
	}
	return nil
}

// inFlight is the number of requests sent and not yet completed.
func (d *dispatcher) inFlight() int {
	d.flightMu.Lock()
	defer d.flightMu.Unlock()
	return len(d.flights)
}

func allDone(deps []*node) bool {
	for _, dep := range deps {
		select {
		case <-dep.done:
		default:
			return false
		}
	}
	return true
}

// stop ends the dispatch; pending actions are abandoned.
func (d *dispatcher) stop() {
	d.stopped = true
	for _, f := range d.pending {
		d.abandon(f)
	}
	d.pending = nil
}

// signal returns the channel closed at the next completion.
func (d *dispatcher) signal() <-chan struct{} {
	d.sigMu.Lock()
	defer d.sigMu.Unlock()
	return d.sig
}

// broadcast wakes a targeter waiting for any completion.
func (d *dispatcher) broadcast() {
	d.sigMu.Lock()
	close(d.sig)
	d.sig = make(chan struct{})
	d.sigMu.Unlock()
}

// pace waits until f is due; it returns false when the context ended
// first.
func (d *dispatcher) pace(f *flight) bool {
	now := time.Now()
	switch d.e.cfg.mode {
	case Compat:
		// The course's script sleeps before each action, after the
		// previous one has answered.
		f.scheduled = now.Add(time.Duration(float64(f.a.Delay) / CompatDivisor * float64(time.Second)))
	case Speedup:
		// Scheduled when it was read (fill).
	default:
		// A closed model: an action is due as soon as it may be sent.
		f.scheduled = now
	}
	return sleepUntil(d.ctx, f.scheduled)
}

// coarseSlack is the last stretch before a send that sleepUntil waits out
// with preciseSleep instead of a runtime timer. Go's timers on Linux wake
// through epoll_pwait, whose timeout is whole milliseconds, so a timer
// alone is up to 1 ms late (a bare sleep loop measures 1.06 ms p99 here);
// a kernel high-resolution sleep of the rest lands within microseconds
// without spinning a core.
const coarseSlack = 2 * time.Millisecond

// sleepUntil waits for t or ctx; it returns false if ctx ended first. Only
// the final coarseSlack is not interruptible.
func sleepUntil(ctx context.Context, t time.Time) bool {
	if d := time.Until(t) - coarseSlack; d > 0 {
		timer := time.NewTimer(d)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return false
		}
	}
	if d := time.Until(t); d > 0 {
		preciseSleep(d)
	}
	return ctx.Err() == nil
}

func (d *dispatcher) user(name string) *userKeys {
	u := d.users[name]
	if u == nil {
		u = &userKeys{}
		d.users[name] = u
	}
	return u
}

// skip records an action before the resume point as done and successful.
func (d *dispatcher) skip(a scenario.Action) {
	d.stats.Skipped++
	if a.Command == scenario.Register {
		d.keysMu.Lock()
		if u := d.user(a.User); u.reg == nil {
			u.reg = okNode
		}
		d.keysMu.Unlock()
	}
	if m := d.e.cfg.model; m != nil {
		m.apply(a, true)
	}
}

// plan creates f's completion node and finds what f depends on: the
// registrations of the users it names (causal: their failure makes f's
// failure a consequence), and the previous action on the same key (order
// only): the user's previous tweet, so messages land in posting order, or
// the previous follow/unfollow of the same pair, so an unfollow never
// overtakes the follow it undoes.
func (d *dispatcher) plan(a scenario.Action) *flight {
	f := &flight{a: a, node: &node{done: make(chan struct{})}}
	d.keysMu.Lock()
	defer d.keysMu.Unlock()
	u := d.user(a.User)
	switch a.Command {
	case scenario.Register:
		if u.reg != nil {
			f.deps = append(f.deps, u.reg)
		} else {
			u.reg = f.node
		}
	case scenario.Tweet:
		f.causal[0] = u.reg
		if u.tweet != nil {
			f.deps = append(f.deps, u.tweet)
		}
		u.tweet = f.node
	case scenario.Follow, scenario.Unfollow:
		f.causal[0] = u.reg
		f.causal[1] = d.user(a.Arg).reg
		k := pairKey{a.User, a.Arg}
		if prev := d.pairs[k]; prev != nil {
			f.deps = append(f.deps, prev)
		}
		d.pairs[k] = f.node
	}
	for _, c := range f.causal {
		if c != nil {
			f.deps = append(f.deps, c)
		}
	}
	return f
}

// abandon completes a planned action that was never sent (interrupted), so
// nothing waits on it forever.
func (d *dispatcher) abandon(f *flight) {
	f.node.failed = true
	f.node.doneAt = time.Now()
	close(f.node.done)
	d.release(f)
}

// release drops f's node from the key maps once it is done, so memory
// holds only users and the actions in flight.
func (d *dispatcher) release(f *flight) {
	d.keysMu.Lock()
	defer d.keysMu.Unlock()
	u := d.users[f.a.User]
	if u == nil {
		return
	}
	if u.reg == f.node {
		u.reg = okNode
		if f.node.failed {
			u.reg = failedNode
		}
	}
	if u.tweet == f.node {
		u.tweet = nil
	}
	k := pairKey{f.a.User, f.a.Arg}
	if d.pairs[k] == f.node {
		delete(d.pairs, k)
	}
}

// latestOf extracts the latest query parameter from a request URL the
// dispatcher built.
func latestOf(u string) (int64, bool) {
	i := strings.LastIndex(u, "latest=")
	if i < 0 {
		return 0, false
	}
	id, err := strconv.ParseInt(u[i+len("latest="):], 10, 64)
	return id, err == nil
}

// complete classifies one vegeta result and releases the actions waiting
// on it.
func (d *dispatcher) complete(res *vegeta.Result) {
	id, ok := latestOf(res.URL)
	if !ok {
		return // the targeter's own "no more targets" result
	}
	d.flightMu.Lock()
	f := d.flights[id]
	delete(d.flights, id)
	d.flightMu.Unlock()
	if f == nil {
		return
	}
	end := res.End()
	if end.Before(f.sent) {
		end = f.sent
	}
	status := int(res.Code)
	depFailed := false
	for _, c := range f.causal {
		if c != nil && c.failed {
			depFailed = true
		}
	}
	for _, dep := range f.deps {
		if dep.doneAt.After(f.sent) {
			d.violations.Add(1)
		}
	}
	latency := end.Sub(f.scheduled)
	var errText, exc string
	if status == 0 {
		errText, exc = res.Error, exception(res.Error, res.URL)
	}
	out := classify(f.a.Command, status, errText, latency, d.e.cfg.timeout, depFailed)
	switch out {
	case report.WrongStatus, report.Consequence:
		errText = "status " + strconv.Itoa(status) + ": " + snippet(res.Body)
	case report.Timeout, report.ConnError:
		errText = describeError(res.Error)
	case report.Late:
		errText = "answered " + latency.Round(time.Millisecond).String() + " after its scheduled time"
	}
	if status != 0 {
		d.acks.done(f.seq, f.a.ID)
	}
	f.node.failed = failed(out)
	f.node.doneAt = time.Now()
	close(f.node.done)
	d.release(f)
	d.broadcast()
	if m := d.e.cfg.model; m != nil {
		m.apply(f.a, !f.node.failed)
	}
	d.completed.Add(1)
	if d.e.cfg.observe != nil {
		d.e.cfg.observe(report.Sample{
			ActionID:  f.a.ID,
			Command:   f.a.Command.String(),
			Scheduled: f.scheduled,
			Sent:      f.sent,
			Latency:   latency,
			Service:   end.Sub(f.sent),
			Status:    status,
			Outcome:   out,
			Err:       errText,
			Exception: exc,
			Timestamp: f.a.Timestamp,
		})
	}
}
