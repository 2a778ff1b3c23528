package bench

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/minitwit-cd/kit/simulator/report"
)

// latencies is a latency histogram in microseconds (3 significant digits)
// and the count of answers at or over the course's 300 ms.
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
	if d >= report.DefaultBudget {
		l.slow++
	}
}

// quantile returns the q-th percentile (0..100) in seconds.
func (l *latencies) quantile(q float64) float64 { return float64(l.h.ValueAtQuantile(q)) / 1e6 }
func (l *latencies) max() float64               { return float64(l.h.Max()) / 1e6 }
func (l *latencies) count() int64               { return l.h.TotalCount() }

func (l *latencies) addTo(t *Table, phase string, p99Target time.Duration) {
	t.Add(phase, "p50 latency", l.quantile(50), "s", "", nil)
	t.Add(phase, "p99 latency", l.quantile(99), "s", "< "+p99Target.String(), ltSeconds(p99Target))
	t.Add(phase, "max latency", l.max(), "s", "", nil)
	t.Add(phase, "answers >= 300 ms", float64(l.slow), "", "0", isZero)
}

// byKind keeps one histogram per kind of request, in first-seen order.
type byKind struct {
	order []string
	m     map[string]*latencies
}

func (b *byKind) record(kind string, d time.Duration) {
	if b.m == nil {
		b.m = map[string]*latencies{}
	}
	l := b.m[kind]
	if l == nil {
		l = newLatencies()
		b.m[kind] = l
		b.order = append(b.order, kind)
	}
	l.record(d)
}
