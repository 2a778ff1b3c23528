package report

import (
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// series is the run's time series: fixed-width buckets of outcome counts and
// latencies, indexed by scheduled send time. It keeps at most MaxBuckets
// buckets; a sample beyond them merges neighbouring buckets pairwise and
// doubles the width, so memory stays bounded however long the run.
type series struct {
	mu      sync.Mutex
	start   time.Time
	width   time.Duration
	buckets []seriesBucket
}

type seriesBucket struct {
	counts [numOutcomes]int64
	hist   *hdr.PackedHistogram // nil until the first sample
	max    time.Duration
	// p50 and p99 are cached while the bucket is clean, so a live Summary
	// only recomputes the few buckets that changed since the last one.
	dirty    bool
	p50, p99 time.Duration
}

func newSeriesHist() *hdr.PackedHistogram { return hdr.NewPacked(1, histMax, seriesDigits) }

func (s *series) add(at time.Time, o Outcome, lat time.Duration, latMicros int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// A sample without a scheduled time cannot be placed; it goes into the
	// first bucket rather than dragging the origin back to year one.
	if s.start.IsZero() && !at.IsZero() {
		s.start = at
	}
	var idx int64
	if d := at.Sub(s.start); d > 0 && !at.IsZero() {
		idx = int64(d / s.width)
	}
	for idx >= MaxBuckets {
		s.halve()
		idx /= 2
	}
	for int64(len(s.buckets)) <= idx {
		s.buckets = append(s.buckets, seriesBucket{})
	}
	b := &s.buckets[idx]
	b.counts[o]++
	if b.hist == nil {
		b.hist = newSeriesHist()
	}
	_ = b.hist.RecordValue(latMicros) // clamped into range by the caller
	b.max = max(b.max, lat)
	b.dirty = true
}

// halve merges buckets pairwise and doubles the width.
func (s *series) halve() {
	n := (len(s.buckets) + 1) / 2
	for i := range n {
		a := s.buckets[2*i]
		if 2*i+1 < len(s.buckets) {
			a.merge(&s.buckets[2*i+1])
		}
		s.buckets[i] = a
	}
	clear(s.buckets[n:])
	s.buckets = s.buckets[:n]
	s.width *= 2
}

// merge adds o's samples to b. b's histogram may be replaced, never shared.
func (b *seriesBucket) merge(o *seriesBucket) {
	for i := range b.counts {
		b.counts[i] += o.counts[i]
	}
	if o.hist != nil {
		if b.hist == nil {
			b.hist = newSeriesHist()
		}
		b.hist.Merge(o.hist)
	}
	b.max = max(b.max, o.max)
	b.dirty = true
}

// refresh recomputes the cached percentiles of a dirty bucket.
func (b *seriesBucket) refresh() {
	if !b.dirty {
		return
	}
	b.dirty = false
	b.p50, b.p99 = 0, 0
	if b.hist == nil || b.hist.TotalCount() == 0 {
		return
	}
	v := b.hist.ValueAtPercentilesSlice([]float64{50, 99})
	b.p50, b.p99 = fromMicros(v[0], b.max), fromMicros(v[1], b.max)
}

func (b *seriesBucket) export(offset time.Duration) Bucket {
	b.refresh()
	out := Bucket{Offset: offset, P50: b.p50, P99: b.p99, Max: b.max}
	out.setCounts(b.counts)
	return out
}

// snapshot returns the series at its own resolution.
func (s *series) snapshot() (start time.Time, width time.Duration, out []Bucket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.start, s.width, s.exportLocked()
}

// exportLocked exports every bucket at the series' own width; s.mu is held.
func (s *series) exportLocked() []Bucket {
	out := make([]Bucket, len(s.buckets))
	for i := range s.buckets {
		out[i] = s.buckets[i].export(time.Duration(i) * s.width)
	}
	return out
}

// view returns the series merged down to at most n buckets, with exact
// percentiles per merged bucket (histograms merge, percentiles do not).
func (s *series) view(n int) (start time.Time, width time.Duration, out []Bucket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	start = s.start
	k := 1
	for (len(s.buckets)+k-1)/k > n {
		k *= 2
	}
	width = s.width * time.Duration(k)
	if k == 1 {
		return start, width, s.exportLocked()
	}
	out = make([]Bucket, 0, (len(s.buckets)+k-1)/k)
	for i := 0; i < len(s.buckets); i += k {
		var m seriesBucket
		for j := i; j < min(i+k, len(s.buckets)); j++ {
			m.merge(&s.buckets[j])
		}
		out = append(out, m.export(time.Duration(len(out))*width))
	}
	return start, width, out
}
