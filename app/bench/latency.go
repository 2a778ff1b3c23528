package main

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// slowLimit is the course simulator's read timeout: an answer this late is
// an error for it.
const slowLimit = 300 * time.Millisecond

// latencies is a latency histogram in microseconds (3 significant digits).
type latencies struct {
	h    *hdrhistogram.Histogram
	slow int64
}

func newLatencies() *latencies {
	return &latencies{h: hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)}
}

func (l *latencies) record(d time.Duration) {
	us := max(d.Microseconds(), 1)
	// Values beyond the range are clamped rather than dropped.
	_ = l.h.RecordValue(min(us, l.h.HighestTrackableValue()))
	if d >= slowLimit {
		l.slow++
	}
}

// quantile returns the q-th percentile (0..100) in seconds.
func (l *latencies) quantile(q float64) float64 {
	return float64(l.h.ValueAtQuantile(q)) / 1e6
}

func (l *latencies) max() float64 { return float64(l.h.Max()) / 1e6 }
func (l *latencies) count() int64 { return l.h.TotalCount() }
func (l *latencies) addTo(r *report, phase string, p99Target time.Duration) {
	r.add(phase, "p50 latency", l.quantile(50), "s", "", nil)
	r.add(phase, "p99 latency", l.quantile(99), "s", "< "+p99Target.String(), ltSeconds(p99Target))
	r.add(phase, "max latency", l.max(), "s", "", nil)
	r.add(phase, "answers >= 300 ms", float64(l.slow), "", "0", isZero)
}
