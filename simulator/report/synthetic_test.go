package report

import (
	"math"
	"math/rand/v2"
	"time"
)

// syntheticRun replays a realistic run of n actions over about span: a
// healthy server answering in a few milliseconds, a slow patch a third of
// the way in (latency climbs past the budget, some timeouts), a short outage
// later on (connection errors, then consequences of the failed actions) and
// a sprinkling of wrong statuses. Deterministic for a given seed.
func syntheticRun(r *Recorder, n int, span time.Duration, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	cmds := []string{"tweet", "tweet", "tweet", "tweet", "follow", "follow", "follow", "unfollow", "unfollow"}
	step := span / time.Duration(n)
	budget := r.opts.Budget
	for i := range n {
		frac := float64(i) / float64(n)
		sched := r.opts.Start.Add(time.Duration(i) * step)
		cmd := cmds[rng.IntN(len(cmds))]
		if i < n/100 {
			cmd = "register"
		}
		// Log-normal service time around 3 ms, heavier in the slow patch.
		mu, sigma := math.Log(3), 0.45
		if frac > 0.33 && frac < 0.40 {
			mu, sigma = math.Log(90)+4*(frac-0.33), 0.8
		}
		service := time.Duration(math.Exp(mu+sigma*rng.NormFloat64()) * float64(time.Millisecond))
		lateBy := time.Duration(rng.ExpFloat64() * float64(200*time.Microsecond))
		if frac > 0.35 && frac < 0.38 {
			lateBy += time.Duration(rng.IntN(40)) * time.Millisecond
		}
		s := Sample{
			ActionID: int64(i), Command: cmd, Scheduled: sched, Sent: sched.Add(lateBy),
			Service: service, Latency: lateBy + service, Status: 204, Timestamp: 1_600_000_000_000 + int64(i)*250,
		}
		switch {
		case frac > 0.70 && frac < 0.72:
			s.Outcome, s.Status, s.Err, s.Service = ConnError, 0, "connection refused", 0
			s.Latency = lateBy + time.Millisecond
		case frac >= 0.72 && frac < 0.74 && rng.IntN(6) == 0:
			s.Outcome, s.Status = Consequence, 404
		case s.Latency >= budget && service >= budget:
			s.Outcome, s.Status, s.Err, s.Latency = Timeout, 0, "read timeout", budget
		case s.Latency >= budget:
			s.Outcome = Late
		case rng.IntN(2500) == 0:
			s.Outcome, s.Status = WrongStatus, 500
		}
		r.Add(s)
	}
}
