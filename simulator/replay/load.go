package replay

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
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
	if !(rate > 0) || math.IsInf(rate, 0) {
		return LoadStats{}, fmt.Errorf("load rate %g: must be a positive number", rate)
	}
	if duration <= 0 {
		return LoadStats{}, fmt.Errorf("load duration %s: must be positive", duration)
	}
	if len(users) < 2 {
		return LoadStats{}, ErrNoUsers
	}
	mix := &mixTargeter{
		base:   e.base,
		header: e.requestHeader(),
		users:  users,
		rng:    rand.New(rand.NewPCG(seed, seed+1)),
	}
	// Enough workers to keep the rate while every request uses its whole
	// budget, plus the configured concurrency; vegeta adds workers up to
	// this bound when all are busy.
	workers := uint64(math.Ceil(rate*e.cfg.timeout.Seconds()))*2 + uint64(e.cfg.concurrency)
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
	for res := range atk.Attack(mix.target, pacer, duration, "load") {
		if res.URL == "" {
			continue
		}
		st.Sent++
		scheduled := st.Start.Add(time.Duration(res.Seq) * interval)
		if res.Timestamp.Before(scheduled) {
			scheduled = res.Timestamp
		}
		end := res.End()
		status := int(res.Code)
		cmd := commandOf(res)
		var errText, exc string
		if status == 0 {
			errText, exc = res.Error, exception(res.Error, res.URL)
		}
		latency := end.Sub(scheduled)
		out := classify(cmd, status, errText, latency, e.cfg.timeout, false)
		switch out {
		case report.WrongStatus:
			errText = fmt.Sprintf("status %d: %s", status, snippet(res.Body))
		case report.Timeout, report.ConnError:
			errText = describeError(res.Error)
		}
		if e.cfg.observe != nil {
			e.cfg.observe(report.Sample{
				ActionID:  int64(res.Seq),
				Command:   cmd.String(),
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

// commandOf recovers a load request's command from its URL and body.
func commandOf(res *vegeta.Result) scenario.Command {
	switch {
	case strings.Contains(res.URL, "/msgs/"):
		return scenario.Tweet
	case strings.HasSuffix(res.Method, "POST") && strings.Contains(res.URL, "/fllws/"):
		// The targeter encodes the command in a fragment-free query.
		if strings.HasSuffix(res.URL, "?op=unfollow") {
			return scenario.Unfollow
		}
		return scenario.Follow
	}
	return scenario.Tweet
}

// mixTargeter generates the scenario's mix between registered users.
type mixTargeter struct {
	mu     sync.Mutex
	base   string
	header http.Header
	users  []string
	rng    *rand.Rand
}

func (m *mixTargeter) target(tgt *vegeta.Target) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[m.rng.IntN(len(m.users))]
	o := m.users[m.rng.IntN(len(m.users)-1)]
	if o == u {
		o = m.users[len(m.users)-1]
	}
	a := scenario.Action{User: u}
	r := m.rng.IntN(courseMixTotal)
	switch {
	case r < courseMixTweets:
		a.Command, a.Arg = scenario.Tweet, "load test message "+fmt.Sprint(m.rng.Uint32())
	case r < courseMixTweets+courseMixFollows:
		a.Command, a.Arg = scenario.Follow, o
	default:
		a.Command, a.Arg = scenario.Unfollow, o
	}
	req := a.Request()
	tgt.Method, tgt.Body, tgt.Header = req.Method, req.Body, m.header
	// No latest parameter (see Load); an op marker tells follow from
	// unfollow when the result comes back.
	tgt.URL = m.base + req.Path
	if a.Command == scenario.Unfollow {
		tgt.URL += "?op=unfollow"
	}
	if _, err := url.Parse(tgt.URL); err != nil {
		return err
	}
	return nil
}

// The course file's mix of non-register actions.
const (
	courseMixTweets  = 11306
	courseMixFollows = 9751
	courseMixTotal   = 11306 + 9751 + 4665
)
