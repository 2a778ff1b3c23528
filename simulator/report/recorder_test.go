package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestOutcomeNames(t *testing.T) {
	want := map[Outcome]string{OK: "ok", Late: "late", Timeout: "timeout", ConnError: "connection error", WrongStatus: "wrong status", Consequence: "consequence"}
	for o, name := range want {
		t.Run(name, func(t *testing.T) {
			if got := o.String(); got != name {
				t.Errorf("String() = %q, want %q", got, name)
			}
			if got := o.IsError(); got != (o != OK) {
				t.Errorf("IsError() = %v", got)
			}
			b, err := o.MarshalText()
			if err != nil {
				t.Fatal(err)
			}
			var back Outcome
			if err := back.UnmarshalText(b); err != nil || back != o {
				t.Errorf("round trip: %v, %v", back, err)
			}
		})
	}
	if _, err := Outcome(42).MarshalText(); err == nil {
		t.Error("MarshalText of an undefined outcome succeeded")
	}
	var o Outcome
	if err := o.UnmarshalText([]byte("exploded")); err == nil {
		t.Error("UnmarshalText of an unknown name succeeded")
	}
	if got := Outcome(42).String(); got != "outcome(42)" {
		t.Errorf("String of an undefined outcome = %q", got)
	}
}

func TestSummaryCounts(t *testing.T) {
	s := fixtureRecorder(t).Summary()
	all := s.ByCommand[AllCommands]
	if s.Total != 40 || all.Count != 40 {
		t.Fatalf("total = %d, all.Count = %d, want 40", s.Total, all.Count)
	}
	// The fixture has one late, one timeout, one connection error, two
	// wrong statuses and one consequence.
	if s.Errors != 5 || s.Consequences != 1 {
		t.Errorf("errors = %d, consequences = %d, want 5 and 1", s.Errors, s.Consequences)
	}
	if all.OK != 34 || all.Late != 1 || all.Timeout != 1 || all.ConnError != 1 || all.WrongStatus != 2 || all.Consequence != 1 {
		t.Errorf("all = %+v", all)
	}
	if all.Max != 320*time.Millisecond {
		t.Errorf("max = %v, want the late sample's 320ms", all.Max)
	}
	if all.P50 < 5*time.Millisecond || all.P50 > 7*time.Millisecond {
		t.Errorf("p50 = %v, want about 6ms", all.P50)
	}
	if all.P50 > all.P90 || all.P90 > all.P99 || all.P99 > all.Max {
		t.Errorf("percentiles out of order: %+v", all)
	}
	if got := s.Commands(); !reflect.DeepEqual(got, []string{"register", "tweet", "follow", "unfollow", AllCommands}) {
		t.Errorf("Commands() = %v", got)
	}
	if s.Lateness.LateSends != 1 || s.Lateness.Max != 25*time.Millisecond {
		t.Errorf("lateness = %+v, want one late send, max 25ms", s.Lateness)
	}
	if !s.Start.Equal(t0) || s.BucketWidth != 500*time.Millisecond || len(s.Series) != 8 {
		t.Errorf("series: start %v, width %v, %d buckets; want %v, 500ms, 8", s.Start, s.BucketWidth, len(s.Series), t0)
	}
	var n int64
	for _, b := range s.Series {
		n += b.Count
	}
	if n != 40 {
		t.Errorf("series holds %d samples, want 40", n)
	}
}

func TestTotalsIsSummaryWithoutSeries(t *testing.T) {
	r := fixtureRecorder(t)
	s, tot := r.Summary(), r.Totals()
	if tot.Series != nil || tot.BucketWidth != 0 {
		t.Errorf("Totals has a series: %d buckets of %v", len(tot.Series), tot.BucketWidth)
	}
	s.Series, s.BucketWidth = nil, 0
	if !reflect.DeepEqual(s, tot) {
		t.Errorf("Totals = %+v\nSummary = %+v", tot, s)
	}
}

func TestSummaryJSONRoundTrip(t *testing.T) {
	s := fixtureRecorder(t).Summary()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Summary
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Start.Equal(s.Start) || !back.End.Equal(s.End) {
		t.Errorf("times: %v..%v, want %v..%v", back.Start, back.End, s.Start, s.End)
	}
	back.Start, back.End = s.Start, s.End
	if !reflect.DeepEqual(back, s) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", back, s)
	}
	// The documented units: milliseconds for latencies, seconds for time.
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["budget_ms"] != 300.0 || raw["bucket_s"] != 0.5 {
		t.Errorf("budget_ms = %v, bucket_s = %v", raw["budget_ms"], raw["bucket_s"])
	}
	if max := raw["by_command"].(map[string]any)["all"].(map[string]any)["max_ms"]; max != 320.0 {
		t.Errorf("all.max_ms = %v, want 320", max)
	}
}

func TestAddConcurrent(t *testing.T) {
	const goroutines, each = 16, 2000
	r := NewRecorder(Options{Start: t0})
	cmds := []string{"register", "tweet", "follow", "unfollow"}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				id := int64(g*each + i)
				sched := t0.Add(time.Duration(id) * time.Millisecond)
				r.Add(Sample{ActionID: id, Command: cmds[id%4], Scheduled: sched, Sent: sched, Latency: time.Duration(1+id%10) * time.Millisecond, Outcome: Outcome(id % 6)})
				if i%500 == 0 {
					_ = r.Summary() // readers run alongside writers
				}
			}
		})
	}
	wg.Wait()
	s := r.Summary()
	const total = goroutines * each
	if s.Total != total {
		t.Fatalf("total = %d, want %d", s.Total, total)
	}
	for _, c := range cmds {
		if got := s.ByCommand[c].Count; got != total/4 {
			t.Errorf("%s: %d samples, want %d", c, got, total/4)
		}
	}
	all := s.ByCommand[AllCommands]
	for o, got := range []int64{all.OK, all.Late, all.Timeout, all.ConnError, all.WrongStatus, all.Consequence} {
		// ids 0..total-1 cycle through the six outcomes.
		want := int64(total / 6)
		if int64(o) < total%6 {
			want++
		}
		if got != want {
			t.Errorf("%s: %d, want %d", Outcome(o), got, want)
		}
	}
	var n int64
	for _, b := range s.Series {
		n += b.Count
	}
	if n != total {
		t.Errorf("series holds %d samples, want %d", n, total)
	}
}

func TestSeriesStaysBounded(t *testing.T) {
	// A 30-day run at the default 100 ms resolution would need 25.9 million
	// buckets; the series must merge down instead.
	r := NewRecorder(Options{Start: t0})
	const n = 30 * 24 * 60
	for i := range n {
		sched := t0.Add(time.Duration(i) * time.Minute)
		o := OK
		if i%100 == 0 {
			o = Timeout
		}
		r.Add(Sample{ActionID: int64(i), Command: "tweet", Scheduled: sched, Latency: time.Duration(1+i%50) * time.Millisecond, Outcome: o})
	}
	s := r.Summary()
	if len(s.Series) > MaxBuckets || len(s.Series) < MaxBuckets/2 {
		t.Fatalf("%d buckets, want between %d and %d", len(s.Series), MaxBuckets/2, MaxBuckets)
	}
	if span := time.Duration(len(s.Series)) * s.BucketWidth; span < 30*24*time.Hour-time.Minute {
		t.Errorf("series covers %v, want the whole 30 days", span)
	}
	// The width is the default doubled a whole number of times.
	if w := s.BucketWidth; w%DefaultBucket != 0 || (w/DefaultBucket)&(w/DefaultBucket-1) != 0 {
		t.Errorf("bucket width %v is not 100ms times a power of two", w)
	}
	var total, timeouts int64
	var maxLat time.Duration
	for _, b := range s.Series {
		total += b.Count
		timeouts += b.Timeout
		maxLat = max(maxLat, b.Max)
		if b.Count > 0 && (b.P50 <= 0 || b.P50 > b.P99 || b.P99 > b.Max) {
			t.Fatalf("bucket at %v: p50 %v, p99 %v, max %v", b.Offset, b.P50, b.P99, b.Max)
		}
	}
	if total != n || timeouts != n/100 || maxLat != 50*time.Millisecond {
		t.Errorf("merged series: %d samples, %d timeouts, max %v; want %d, %d, 50ms", total, timeouts, maxLat, n, n/100)
	}
}

func TestAddBadInput(t *testing.T) {
	r := NewRecorder(Options{Start: t0})
	r.Add(Sample{ActionID: -7, Command: "tweet", Scheduled: t0, Latency: -time.Second, Outcome: Outcome(99)})
	r.Add(Sample{ActionID: 1, Command: "tweet", Scheduled: t0, Latency: 24 * time.Hour, Outcome: Timeout})
	r.Add(Sample{ActionID: 2, Command: "tw\neet,\x00", Outcome: OK})       // unusable name, zero times
	r.Add(Sample{ActionID: 3, Command: "", Scheduled: t0.Add(-time.Hour)}) // before the start
	r.Add(Sample{ActionID: 4, Command: AllCommands, Scheduled: t0})        // would clash with the totals
	for i := range 2 * maxCommands {
		r.Add(Sample{ActionID: int64(10 + i), Command: fmt.Sprintf("cmd%d", i), Scheduled: t0})
	}
	s := r.Summary()
	if s.Total != int64(5+2*maxCommands) {
		t.Fatalf("total = %d", s.Total)
	}
	if got := s.ByCommand["tweet"]; got.ConnError != 1 || got.Timeout != 1 || got.Max != 24*time.Hour {
		t.Errorf("tweet = %+v: want the undefined outcome counted as a connection error and the exact 24h max", got)
	}
	if len(s.ByCommand) > maxCommands+2 {
		t.Errorf("%d command rows, want at most %d", len(s.ByCommand), maxCommands+2)
	}
	if s.ByCommand[OtherCommand].Count < 3 {
		t.Errorf("other = %+v, want the unusable names and the overflow in it", s.ByCommand[OtherCommand])
	}
	if s.ByCommand[AllCommands].Count != s.Total {
		t.Errorf("all = %d, want every sample", s.ByCommand[AllCommands].Count)
	}
	var b bytes.Buffer
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte("\x00")) || bytes.Contains(b.Bytes(), []byte("tw\neet")) {
		t.Errorf("table leaks a raw command name:\n%s", b.String())
	}
}

func TestEmptyRecorder(t *testing.T) {
	r := NewRecorder(Options{})
	s := r.Summary()
	if s.Total != 0 || len(s.Series) != 0 || s.Rate() != 0 || s.Duration() != 0 {
		t.Errorf("empty summary = %+v", s)
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"table": func(b *bytes.Buffer) error { return r.WriteTable(b) },
		"json":  func(b *bytes.Buffer) error { return r.WriteJSON(b) },
		"html":  func(b *bytes.Buffer) error { return r.WriteHTML(b) },
	} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := write(&b); err != nil || b.Len() == 0 {
				t.Errorf("wrote %d bytes, err %v", b.Len(), err)
			}
		})
	}
}

func TestSeriesIgnoresMissingScheduledTime(t *testing.T) {
	r := NewRecorder(Options{}) // origin taken from the first placeable sample
	r.Add(Sample{ActionID: 1, Command: "tweet"})
	for i := range 10 {
		r.Add(Sample{ActionID: int64(2 + i), Command: "tweet", Scheduled: t0.Add(time.Duration(i) * time.Second)})
	}
	s := r.Summary()
	if !s.Start.Equal(t0) || s.BucketWidth != DefaultBucket || len(s.Series) != 91 {
		t.Errorf("start %v, width %v, %d buckets; want %v, %v, 91", s.Start, s.BucketWidth, len(s.Series), t0, DefaultBucket)
	}
	if s.Series[0].Count != 2 {
		t.Errorf("first bucket holds %d samples, want 2 (the unplaceable one and the first)", s.Series[0].Count)
	}
}
