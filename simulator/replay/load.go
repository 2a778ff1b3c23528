package replay

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/minitwit-cd/kit/simulator/report"
	"github.com/minitwit-cd/kit/simulator/scenario"
)

// LoadStats describes a finished load test.
type LoadStats struct {
	// Sent is the number of requests sent.
	Sent int64
	// Rate is the requested rate, per second.
	Rate float64
	// Start and End bound the test.
	Start, End time.Time
}

// ErrNoUsers is returned by Load without registered users to act as.
var ErrNoUsers = errors.New("load test needs at least two registered users (replay a scenario first)")

// Load runs an open-model load test: requests of the scenario's mix
// (tweets, follows and unfollows in the course's proportions, by the given
// registered users) at a constant rate for the duration, whatever the
// target's answers, fired by vegeta's constant pacer. Request i is
// scheduled at start + i/rate and its latency is measured from then, so a
// slow target or an overloaded generator shows up as latency instead of
// vanishing (coordinated omission). The requests carry no latest
// parameter, so the target's resume point stays at the replay's last
// action. Every sample goes to the engine's observer; ActionID is the
// request's sequence number.
func (e *Engine) Load(ctx context.Context, rate float64, duration time.Duration, users []string, seed uint64) (LoadStats, error) {
	return e.LoadMix(ctx, rate, duration, users, seed, CourseMix)
}

// Mix is the share of each kind of request in a load test, in any unit
// (the weights are relative). The writes are the scenario's commands; the
// reads are what dashboards and the instructors' tools ask: GET
// /msgs?no=100, GET /msgs/<user>?no=100, GET /fllws/<user>?no=100 and GET
// /latest, which expect 200.
type Mix struct {
	Tweet, Follow, Unfollow                        int
	Timeline, UserMessages, UserFollows, LatestGet int
	// WriteLatest makes the writes carry latest=1, 2, … as the simulator's
	// do (an extra write each on the target); without it they carry none,
	// so the target's resume point stays at the replay's last action.
	WriteLatest bool
}

// CourseMix is the course file's mix of non-register actions, without
// reads: what Load sends.
var CourseMix = Mix{Tweet: 11306, Follow: 9751, Unfollow: 4665}

// The Sample.Command of the read kinds of a Mix.
const (
	KindTimeline     = "GET /msgs"
	KindUserMessages = "GET /msgs/<user>"
	KindUserFollows  = "GET /fllws/<user>"
	KindLatest       = "GET /latest"
)

func (m Mix) total() int {
	return m.Tweet + m.Follow + m.Unfollow + m.Timeline + m.UserMessages + m.UserFollows + m.LatestGet
}

// LoadMix is Load with the given mix of requests: an open-model load test
// at rate for duration, acting as the given registered users.
func (e *Engine) LoadMix(ctx context.Context, rate float64, duration time.Duration, users []string, seed uint64, mix Mix) (LoadStats, error) {
	if mix.total() <= 0 || min(mix.Tweet, mix.Follow, mix.Unfollow, mix.Timeline, mix.UserMessages, mix.UserFollows, mix.LatestGet) < 0 {
		return LoadStats{}, fmt.Errorf("load mix %+v: weights must not be negative and not all zero", mix)
	}
	if !(rate > 0) || math.IsInf(rate, 0) {
		return LoadStats{}, fmt.Errorf("load rate %g: must be a positive number", rate)
	}
	if duration <= 0 {
		return LoadStats{}, fmt.Errorf("load duration %s: must be positive", duration)
	}
	if len(users) < 2 {
		return LoadStats{}, ErrNoUsers
	}
	tg := &mixTargeter{
		base:   e.base,
		header: e.requestHeader(),
		users:  users,
		mix:    mix,
		rng:    rand.New(rand.NewPCG(seed, seed+1)),
	}
	// Enough workers to keep the rate while every request uses its whole
	// budget, plus the configured concurrency; vegeta adds workers up to
	// this bound when all are busy.
	workers := uint64(math.Ceil(rate*e.cfg.timeout.Seconds()))*2 + uint64(e.cfg.concurrency)
	if e.cfg.loadWorkers > 0 {
		workers = uint64(max(e.cfg.loadWorkers, e.cfg.concurrency))
	}
	atk := vegeta.NewAttacker(
		vegeta.Client(e.client),
		vegeta.Workers(uint64(e.cfg.concurrency)),
		vegeta.MaxWorkers(workers),
		vegeta.MaxBody(1024),
	)
	interval := time.Duration(float64(time.Second) / rate)
	pacer := precisePacer{vegeta.ConstantPacer{Freq: int(math.Round(rate * 1000)), Per: 1000 * time.Second}}
	if rate >= 1 && rate == math.Trunc(rate) {
		pacer = precisePacer{vegeta.ConstantPacer{Freq: int(rate), Per: time.Second}}
	}
	stopAtk := context.AfterFunc(ctx, func() { atk.Stop() })
	st := LoadStats{Rate: rate, Start: time.Now()}
	for res := range atk.Attack(tg.target, pacer, duration, "load") {
		if res.URL == "" {
			continue
		}
		st.Sent++
		// vegeta's constant pacer fires hit n (Seq n, from 0) at
		// (n+1)·interval: the first one interval after the start.
		scheduled := st.Start.Add(time.Duration(res.Seq+1) * interval)
		if res.Timestamp.Before(scheduled) {
			scheduled = res.Timestamp
		}
		end := res.End()
		status := int(res.Code)
		cmd, kind := kindOf(res)
		var errText, exc string
		if status == 0 {
			errText, exc = res.Error, exception(res.Error, res.URL)
		}
		latency := end.Sub(scheduled)
		var out report.Outcome
		if cmd != 0 {
			out = classify(cmd, status, errText, latency, e.cfg.timeout, false)
		} else {
			out = classifyRead(status, errText, latency, e.cfg.timeout)
		}
		switch out {
		case report.WrongStatus:
			errText = fmt.Sprintf("status %d: %s", status, snippet(res.Body))
		case report.Timeout, report.ConnError:
			errText = describeError(res.Error)
		}
		if e.cfg.observe != nil {
			e.cfg.observe(report.Sample{
				ActionID:  int64(res.Seq),
				Command:   kind,
				Scheduled: scheduled,
				Sent:      res.Timestamp,
				Latency:   latency,
				Service:   res.Latency,
				Status:    status,
				Outcome:   out,
				Err:       errText,
				Exception: exc,
			})
		}
	}
	stopAtk()
	st.End = time.Now()
	if err := ctx.Err(); err != nil {
		return st, err
	}
	return st, nil
}

// precisePacer is vegeta's constant pacer with the last coarseSlack of
// each wait slept by preciseSleep: vegeta sleeps the waits Pace returns
// with time.Sleep, which is up to a millisecond late on Linux, so Pace
// hands it only the coarse part and sleeps the rest itself.
type precisePacer struct{ vegeta.ConstantPacer }

// Pace implements vegeta.Pacer.
func (p precisePacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	wait, stop := p.ConstantPacer.Pace(elapsed, hits)
	switch {
	case stop || wait <= 0:
		return wait, stop
	case wait > coarseSlack:
		return wait - coarseSlack, false
	}
	preciseSleep(wait)
	return 0, false
}

// kindOf recovers a load request's kind from its method and URL: the
// scenario command of a write (0 for a read) and the Sample.Command.
func kindOf(res *vegeta.Result) (scenario.Command, string) {
	u, err := url.Parse(res.URL)
	if err != nil {
		return 0, "other"
	}
	if res.Method == http.MethodGet {
		switch p := u.Path; {
		case strings.HasSuffix(p, "/latest"):
			return 0, KindLatest
		case strings.Contains(p, "/fllws/"):
			return 0, KindUserFollows
		case strings.Contains(p, "/msgs/"):
			return 0, KindUserMessages
		}
		return 0, KindTimeline
	}
	switch {
	case strings.Contains(u.Path, "/msgs/"):
		return scenario.Tweet, scenario.Tweet.String()
	case u.Query().Get("op") == "unfollow":
		// The targeter marks unfollows: they share follow's route.
		return scenario.Unfollow, scenario.Unfollow.String()
	}
	return scenario.Follow, scenario.Follow.String()
}

// mixTargeter generates a Mix between registered users.
type mixTargeter struct {
	mu     sync.Mutex
	base   string
	header http.Header
	users  []string
	mix    Mix
	rng    *rand.Rand
	latest int64
}

func (m *mixTargeter) target(tgt *vegeta.Target) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[m.rng.IntN(len(m.users))]
	o := m.users[m.rng.IntN(len(m.users)-1)]
	if o == u {
		o = m.users[len(m.users)-1]
	}
	r := m.rng.IntN(m.mix.total())
	read := ""
	a := scenario.Action{User: u}
	switch mx := m.mix; {
	case r < mx.Tweet:
		a.Command, a.Arg = scenario.Tweet, "load test message "+fmt.Sprint(m.rng.Uint32())
	case r < mx.Tweet+mx.Follow:
		a.Command, a.Arg = scenario.Follow, o
	case r < mx.Tweet+mx.Follow+mx.Unfollow:
		a.Command, a.Arg = scenario.Unfollow, o
	case r < mx.Tweet+mx.Follow+mx.Unfollow+mx.Timeline:
		read = "/msgs?no=100"
	case r < mx.Tweet+mx.Follow+mx.Unfollow+mx.Timeline+mx.UserMessages:
		read = "/msgs/" + url.PathEscape(u) + "?no=100"
	case r < mx.total()-mx.LatestGet:
		read = "/fllws/" + url.PathEscape(u) + "?no=100"
	default:
		read = "/latest"
	}
	tgt.Header = m.header
	if read != "" {
		tgt.Method, tgt.URL, tgt.Body = http.MethodGet, m.base+read, nil
		return nil
	}
	req := a.Request()
	tgt.Method, tgt.Body = req.Method, req.Body
	// No latest parameter unless asked (see Mix.WriteLatest); an op
	// marker tells follow from unfollow when the result comes back.
	var q []string
	if m.mix.WriteLatest {
		m.latest++
		q = append(q, "latest="+strconv.FormatInt(m.latest, 10))
	}
	if a.Command == scenario.Unfollow {
		q = append(q, "op=unfollow")
	}
	tgt.URL = m.base + req.Path
	if len(q) > 0 {
		tgt.URL += "?" + strings.Join(q, "&")
	}
	return nil
}
