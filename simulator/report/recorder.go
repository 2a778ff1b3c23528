package report

import (
	"strings"
	"sync"
	"time"
	"unicode"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Sample is the outcome of one request, as the engine hands it to Add.
type Sample struct {
	// ActionID is the scenario action's id, the `latest` value it sent.
	ActionID int64
	// Command is the scenario command: register, tweet, follow or unfollow.
	Command string
	// Scheduled is when the request should have been sent; Sent is when it
	// was. Sent is zero when the request never left (a consequence that was
	// skipped).
	Scheduled, Sent time.Time
	// Latency runs from Scheduled to the answer (or to giving up): what a
	// user who clicked at the scheduled time would have waited.
	Latency time.Duration
	// Service runs from Sent to the answer: what the server alone took.
	Service time.Duration
	// Status is the HTTP status, 0 when there was no answer.
	Status int
	// Outcome classifies the request.
	Outcome Outcome
	// Err describes the failure, empty on success.
	Err string
	// Exception, for a failure without an HTTP answer, names the exception
	// the course's Python script (requests) raises for it: ReadTimeout,
	// ConnectionError or another class, the last column of its error line.
	// Empty when there was an answer.
	Exception string
	// Timestamp is the scenario line's recorded Unix-millisecond timestamp,
	// the first column of the course-compatible error line.
	Timestamp int64
}

// Options configures a Recorder. The zero value works.
type Options struct {
	// Target is the base URL as given: the "host" column of error lines and
	// the title of reports.
	Target string
	// Budget is the per-request latency budget, default 300 ms (the course
	// simulator's read timeout).
	Budget time.Duration
	// Start is the run's start, the origin of the time series; when zero,
	// the first sample's scheduled time is used.
	Start time.Time
	// Bucket is the initial width of a time-series bucket, default 100 ms.
	// Whatever it is, the series never holds more than MaxBuckets buckets:
	// when a run outlasts them, neighbours merge and the width doubles.
	Bucket time.Duration
	// LateSend is how far behind its schedule a send may leave before it
	// counts as a late send, default 10 ms.
	LateSend time.Duration
}

const (
	// MaxBuckets bounds the time series; the width doubles past it.
	MaxBuckets = 2000
	// DefaultBudget is the course simulator's read timeout.
	DefaultBudget = 300 * time.Millisecond
	// DefaultBucket is the time series' initial bucket width.
	DefaultBucket = 100 * time.Millisecond
	// DefaultLateSend is the default lateness at which a send counts as late.
	DefaultLateSend = 10 * time.Millisecond

	// Histograms hold microseconds from 1 µs to histMax; larger values are
	// clamped into the top (the exact maximum is kept beside them).
	histMax = int64(5 * time.Minute / time.Microsecond)
	// Three significant digits for the per-command totals; two for the
	// sparse per-bucket histograms, which exist up to MaxBuckets times.
	histDigits   = 3
	seriesDigits = 2

	// numShards spreads Add over independent locks; a power of two so the
	// action id picks one with a mask.
	numShards = 8
	// maxCommands caps distinct command names; further ones count as
	// "other", so a garbage scenario cannot grow memory without bound.
	maxCommands = 16
	maxNameLen  = 32

	// AllCommands is the ByCommand key of the totals over every command.
	AllCommands = "all"
	// OtherCommand collects commands past the cap or with unusable names.
	OtherCommand = "other"
)

// Recorder accumulates samples. Create it with NewRecorder; all methods are
// safe for concurrent use.
type Recorder struct {
	opts   Options
	shards [numShards]shard

	namesMu sync.Mutex
	names   map[string]string // raw command -> name it is counted under

	ser series
}

// shard is one slice of the per-command state, with its own lock so that
// concurrent Adds rarely wait on each other.
type shard struct {
	mu        sync.Mutex
	cmds      map[string]*cmdAcc
	lateness  *hdr.Histogram
	lateMax   time.Duration
	lateSends int64
	end       time.Time
	_         [64]byte // keep neighbouring shards' locks off one cache line
}

// cmdAcc accumulates one command's samples: in one shard, or merged over
// the shards by totalsWithHistograms.
type cmdAcc struct {
	counts [numOutcomes]int64
	hist   *hdr.Histogram
	max    time.Duration
}

// add merges o's samples into a.
func (a *cmdAcc) add(o *cmdAcc) {
	for i, n := range o.counts {
		a.counts[i] += n
	}
	a.hist.Merge(o.hist)
	a.max = max(a.max, o.max)
}

// NewRecorder returns an empty recorder.
func NewRecorder(opts Options) *Recorder {
	if opts.Budget <= 0 {
		opts.Budget = DefaultBudget
	}
	if opts.Bucket <= 0 {
		opts.Bucket = DefaultBucket
	}
	if opts.LateSend <= 0 {
		opts.LateSend = DefaultLateSend
	}
	r := &Recorder{opts: opts, names: make(map[string]string)}
	for i := range r.shards {
		r.shards[i].cmds = make(map[string]*cmdAcc, 4)
		r.shards[i].lateness = newHist()
	}
	r.ser.start = opts.Start
	r.ser.width = opts.Bucket
	return r
}

func newHist() *hdr.Histogram { return hdr.New(1, histMax, histDigits) }

// micros converts a duration into a histogram value, clamped to its range.
func micros(d time.Duration) int64 {
	v := int64(d / time.Microsecond)
	switch {
	case v < 0:
		return 0
	case v > histMax:
		return histMax
	}
	return v
}

// Options returns the options in effect, defaults filled in.
func (r *Recorder) Options() Options { return r.opts }

// Add records one sample. An Outcome outside the defined constants is
// counted as ConnError: a failure that could not be classified is still a
// failure.
func (r *Recorder) Add(s Sample) {
	if !s.Outcome.valid() {
		s.Outcome = ConnError
	}
	if s.Latency < 0 {
		s.Latency = 0
	}
	lat := micros(s.Latency)
	var late time.Duration
	sent := !s.Sent.IsZero() && !s.Scheduled.IsZero()
	if sent {
		late = max(s.Sent.Sub(s.Scheduled), 0)
	}
	var end time.Time
	if !s.Scheduled.IsZero() {
		end = s.Scheduled.Add(s.Latency)
	}

	sh := &r.shards[uint64(s.ActionID)&(numShards-1)]
	sh.mu.Lock()
	acc := sh.cmds[s.Command]
	if acc == nil {
		acc = r.newAcc(sh, s.Command)
	}
	acc.counts[s.Outcome]++
	_ = acc.hist.RecordValue(lat) // cannot fail: lat is clamped into range
	acc.max = max(acc.max, s.Latency)
	if sent {
		_ = sh.lateness.RecordValue(micros(late))
		sh.lateMax = max(sh.lateMax, late)
		if late >= r.opts.LateSend {
			sh.lateSends++
		}
	}
	if end.After(sh.end) {
		sh.end = end
	}
	sh.mu.Unlock()

	r.ser.add(s.Scheduled, s.Outcome, s.Latency, lat)
}

// newAcc finds or creates the accumulator for a command not yet seen in this
// shard. Called with sh.mu held; the rare path.
func (r *Recorder) newAcc(sh *shard, raw string) *cmdAcc {
	name := r.canonical(raw)
	if acc := sh.cmds[name]; acc != nil {
		return acc
	}
	acc := &cmdAcc{hist: newHist()}
	sh.cmds[name] = acc
	return acc
}

// canonical returns the name a raw command is counted under: itself, or
// OtherCommand when the name is unusable or the cap is reached. Names are
// decided once for the whole recorder so that every shard agrees.
func (r *Recorder) canonical(raw string) string {
	r.namesMu.Lock()
	defer r.namesMu.Unlock()
	if n, ok := r.names[raw]; ok {
		return n
	}
	name := raw
	if !usableName(raw) || len(r.names) >= maxCommands {
		name = OtherCommand
	}
	if len(r.names) < maxCommands {
		r.names[raw] = name
	}
	return name
}

// usableName reports whether a command name can be a table row as it is.
func usableName(s string) bool {
	if s == "" || s == AllCommands || len(s) > maxNameLen {
		return false
	}
	return strings.IndexFunc(s, func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != '_' && c != '-' }) < 0
}
