package report

import (
	"encoding/json"
	"math"
	"slices"
	"time"
)

// Summary is a snapshot of a Recorder: totals, per-command statistics and the
// time series. Durations are time.Duration in Go and milliseconds (floats)
// in JSON.
type Summary struct {
	// Target is the base URL the run was sent to.
	Target string `json:"target"`
	// Budget is the per-request latency budget.
	Budget time.Duration `json:"-"`
	// Start is the origin of the time series; End is the latest answer seen.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Total is the number of samples recorded.
	Total int64 `json:"total"`
	// Errors counts independent errors: late, timeout, connection error and
	// wrong status. Consequences of earlier failures are not in it.
	Errors int64 `json:"errors"`
	// Consequences counts failures caused by an earlier failure.
	Consequences int64 `json:"consequences"`
	// ByCommand holds one entry per command plus AllCommands, the totals.
	ByCommand map[string]CommandStats `json:"by_command"`
	// Lateness describes how far behind schedule requests were sent.
	Lateness Lateness `json:"lateness"`
	// BucketWidth is the width of each entry of Series.
	BucketWidth time.Duration `json:"-"`
	// Series is the run over time, at most MaxBuckets entries.
	Series []Bucket `json:"series"`
}

// CommandStats is the tally of one command (or of all of them).
type CommandStats struct {
	Count, OK, Late, Timeout, ConnError, WrongStatus, Consequence int64
	// Latency percentiles and maximum, measured from the scheduled time.
	P50, P90, P99, Max time.Duration
}

// Errors returns the independent errors: every failure but consequences.
func (c CommandStats) Errors() int64 { return c.Late + c.Timeout + c.ConnError + c.WrongStatus }

// Lateness summarises how far behind schedule the requests were sent.
type Lateness struct {
	// Threshold is the lateness from which a send counts as late.
	Threshold time.Duration
	// LateSends counts sends that left Threshold or more after schedule.
	LateSends     int64
	P50, P99, Max time.Duration
}

// Bucket is one interval of the time series.
type Bucket struct {
	// Offset is the bucket's start relative to Summary.Start.
	Offset                                                        time.Duration
	Count, OK, Late, Timeout, ConnError, WrongStatus, Consequence int64
	P50, P99, Max                                                 time.Duration
}

// Errors returns the bucket's independent errors.
func (b Bucket) Errors() int64 { return b.Late + b.Timeout + b.ConnError + b.WrongStatus }

func (b *Bucket) setCounts(c [numOutcomes]int64) {
	b.OK, b.Late, b.Timeout, b.ConnError, b.WrongStatus, b.Consequence = c[OK], c[Late], c[Timeout], c[ConnError], c[WrongStatus], c[Consequence]
	b.Count = sumCounts(c)
}

func (c *CommandStats) setCounts(n [numOutcomes]int64) {
	c.OK, c.Late, c.Timeout, c.ConnError, c.WrongStatus, c.Consequence = n[OK], n[Late], n[Timeout], n[ConnError], n[WrongStatus], n[Consequence]
	c.Count = sumCounts(n)
}

func sumCounts(c [numOutcomes]int64) (n int64) {
	for _, v := range c {
		n += v
	}
	return n
}

// Duration is the time from Start to End.
func (s Summary) Duration() time.Duration {
	if s.Start.IsZero() || s.End.Before(s.Start) {
		return 0
	}
	return s.End.Sub(s.Start)
}

// Rate is the number of samples per second over Duration.
func (s Summary) Rate() float64 {
	d := s.Duration().Seconds()
	if d <= 0 {
		return 0
	}
	return float64(s.Total) / d
}

// commandOrder is the order of the course's commands in tables.
var commandOrder = []string{"register", "tweet", "follow", "unfollow"}

// Commands returns the keys of ByCommand in report order: the course's
// commands first, then others alphabetically, AllCommands last.
func (s Summary) Commands() []string {
	var out []string
	for _, c := range commandOrder {
		if _, ok := s.ByCommand[c]; ok {
			out = append(out, c)
		}
	}
	var rest []string
	for c := range s.ByCommand {
		if c != AllCommands && !slices.Contains(commandOrder, c) {
			rest = append(rest, c)
		}
	}
	slices.Sort(rest)
	out = append(out, rest...)
	if _, ok := s.ByCommand[AllCommands]; ok {
		out = append(out, AllCommands)
	}
	return out
}

// Summary returns a snapshot of everything recorded so far. It is cheap
// enough to call a few times a second while the run goes on.
func (r *Recorder) Summary() Summary {
	s := r.Totals()
	start, width, buckets := r.ser.snapshot()
	s.Start, s.BucketWidth, s.Series = start, width, buckets
	return s
}

// Totals returns a Summary without the time series (Series is nil and
// BucketWidth zero): what a progress line needs, for less than Summary costs.
func (r *Recorder) Totals() Summary {
	s, _ := r.totalsWithHistograms()
	return s
}

// totalsWithHistograms also returns the merged latency histogram of every
// command and of AllCommands, for the percentile chart.
func (r *Recorder) totalsWithHistograms() (Summary, map[string]*cmdAcc) {
	all := &cmdAcc{hist: newHist()}
	cmds := map[string]*cmdAcc{}
	lateness := newHist()
	var lat Lateness
	var end time.Time
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		for name, acc := range sh.cmds {
			m := cmds[name]
			if m == nil {
				m = &cmdAcc{hist: newHist()}
				cmds[name] = m
			}
			m.add(acc)
		}
		lateness.Merge(sh.lateness)
		lat.Max = max(lat.Max, sh.lateMax)
		lat.LateSends += sh.lateSends
		if sh.end.After(end) {
			end = sh.end
		}
		sh.mu.Unlock()
	}
	stats := func(m *cmdAcc) CommandStats {
		var c CommandStats
		c.setCounts(m.counts)
		if c.Count > 0 {
			v := m.hist.ValueAtPercentilesSlice([]float64{50, 90, 99})
			c.P50, c.P90, c.P99 = fromMicros(v[0], m.max), fromMicros(v[1], m.max), fromMicros(v[2], m.max)
		}
		c.Max = m.max
		return c
	}
	r.ser.mu.Lock()
	start := r.ser.start
	r.ser.mu.Unlock()
	s := Summary{
		Target:    r.opts.Target,
		Start:     start,
		Budget:    r.opts.Budget,
		End:       end,
		ByCommand: make(map[string]CommandStats, len(cmds)+1),
	}
	for name, m := range cmds {
		s.ByCommand[name] = stats(m)
		// The totals merge the per-command histograms, not every shard's:
		// a quarter of the merging work.
		all.add(m)
	}
	a := stats(all)
	s.ByCommand[AllCommands] = a
	s.Total = a.Count
	s.Errors = a.Errors()
	s.Consequences = a.Consequence
	lat.Threshold = r.opts.LateSend
	if lateness.TotalCount() > 0 {
		v := lateness.ValueAtPercentilesSlice([]float64{50, 99})
		lat.P50, lat.P99 = fromMicros(v[0], lat.Max), fromMicros(v[1], lat.Max)
	}
	s.Lateness = lat
	cmds[AllCommands] = all
	return s, cmds
}

// fromMicros turns a histogram value back into a duration, never above the
// exact maximum (the histogram reports the top of a value's bucket).
func fromMicros(v int64, ceiling time.Duration) time.Duration {
	return min(time.Duration(v)*time.Microsecond, ceiling)
}

// ms renders a duration as milliseconds with microsecond precision.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// fromMS is the inverse of ms.
func fromMS(f float64) time.Duration {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return time.Duration(math.Round(f * float64(time.Millisecond)))
}

type commandStatsJSON struct {
	Count       int64   `json:"count"`
	OK          int64   `json:"ok"`
	Late        int64   `json:"late"`
	Timeout     int64   `json:"timeout"`
	ConnError   int64   `json:"connection_error"`
	WrongStatus int64   `json:"wrong_status"`
	Consequence int64   `json:"consequence"`
	P50         float64 `json:"p50_ms"`
	P90         float64 `json:"p90_ms"`
	P99         float64 `json:"p99_ms"`
	Max         float64 `json:"max_ms"`
}

// MarshalJSON writes the durations as milliseconds.
func (c CommandStats) MarshalJSON() ([]byte, error) {
	return json.Marshal(commandStatsJSON{c.Count, c.OK, c.Late, c.Timeout, c.ConnError, c.WrongStatus, c.Consequence, ms(c.P50), ms(c.P90), ms(c.P99), ms(c.Max)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *CommandStats) UnmarshalJSON(b []byte) error {
	var j commandStatsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = CommandStats{j.Count, j.OK, j.Late, j.Timeout, j.ConnError, j.WrongStatus, j.Consequence, fromMS(j.P50), fromMS(j.P90), fromMS(j.P99), fromMS(j.Max)}
	return nil
}

type latenessJSON struct {
	Threshold float64 `json:"threshold_ms"`
	LateSends int64   `json:"late_sends"`
	P50       float64 `json:"p50_ms"`
	P99       float64 `json:"p99_ms"`
	Max       float64 `json:"max_ms"`
}

// MarshalJSON writes the durations as milliseconds.
func (l Lateness) MarshalJSON() ([]byte, error) {
	return json.Marshal(latenessJSON{ms(l.Threshold), l.LateSends, ms(l.P50), ms(l.P99), ms(l.Max)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *Lateness) UnmarshalJSON(b []byte) error {
	var j latenessJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*l = Lateness{fromMS(j.Threshold), j.LateSends, fromMS(j.P50), fromMS(j.P99), fromMS(j.Max)}
	return nil
}

type bucketJSON struct {
	Offset      float64 `json:"t_s"`
	Count       int64   `json:"count"`
	OK          int64   `json:"ok"`
	Late        int64   `json:"late"`
	Timeout     int64   `json:"timeout"`
	ConnError   int64   `json:"connection_error"`
	WrongStatus int64   `json:"wrong_status"`
	Consequence int64   `json:"consequence"`
	P50         float64 `json:"p50_ms"`
	P99         float64 `json:"p99_ms"`
	Max         float64 `json:"max_ms"`
}

// MarshalJSON writes the offset in seconds and the latencies in milliseconds.
func (b Bucket) MarshalJSON() ([]byte, error) {
	return json.Marshal(bucketJSON{b.Offset.Seconds(), b.Count, b.OK, b.Late, b.Timeout, b.ConnError, b.WrongStatus, b.Consequence, ms(b.P50), ms(b.P99), ms(b.Max)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (b *Bucket) UnmarshalJSON(data []byte) error {
	var j bucketJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*b = Bucket{time.Duration(math.Round(j.Offset * float64(time.Second))), j.Count, j.OK, j.Late, j.Timeout, j.ConnError, j.WrongStatus, j.Consequence, fromMS(j.P50), fromMS(j.P99), fromMS(j.Max)}
	return nil
}

// summaryJSON adds the fields Summary keeps as durations or computes.
type summaryJSON struct {
	summaryAlias
	Budget      float64 `json:"budget_ms"`
	Duration    float64 `json:"duration_s"`
	Rate        float64 `json:"rate_per_s"`
	BucketWidth float64 `json:"bucket_s"`
}

type summaryAlias Summary

// MarshalJSON writes the summary with durations in milliseconds (seconds for
// the run's duration and the bucket width) and the computed rate.
func (s Summary) MarshalJSON() ([]byte, error) {
	return json.Marshal(summaryJSON{
		summaryAlias: summaryAlias(s),
		Budget:       ms(s.Budget),
		Duration:     math.Round(s.Duration().Seconds()*1000) / 1000,
		Rate:         math.Round(s.Rate()*100) / 100,
		BucketWidth:  s.BucketWidth.Seconds(),
	})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Summary) UnmarshalJSON(b []byte) error {
	var j summaryJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = Summary(j.summaryAlias)
	s.Budget = fromMS(j.Budget)
	s.BucketWidth = time.Duration(math.Round(j.BucketWidth * float64(time.Second)))
	return nil
}
