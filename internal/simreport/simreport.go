// Package simreport is the simulator's report document: what `simulator run
// --json FILE` writes, defined once for every program that reads it (the
// tracker attests it as evidence, a resumed replay reads its resume point
// back). The simulator converts its own records into these types; the
// package imports nothing of the kit, so any program may depend on it.
//
// Durations are plain numbers whose unit is in the field's name (_ms
// milliseconds, _s seconds), so a reader in any language, jq or a JSON
// schema sees the same values as Go does.
package simreport

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Schema is the value of Report.Schema for this version of the document.
// A reader refuses documents with another schema rather than misreading
// them.
const Schema = "minitwit-simulator-report/v1"

// Report is the whole document. The top-level fields up to Resume are the
// summary a reader needs without looking further (the tracker's compliance
// reads Errors and Passed); the rest is the detail.
type Report struct {
	// Schema is always the constant Schema.
	Schema string `json:"schema"`
	// Simulator is the version of the simulator that wrote the report.
	Simulator string `json:"simulator,omitempty"`
	// Target is the base URL replayed against, exactly as given.
	Target string `json:"target"`
	// Scenario is the scenario file as given (- for standard input).
	Scenario string `json:"scenario"`
	// Mode is the pacing: "compat", "speedup" or "max".
	Mode string `json:"mode"`
	// Concurrency is the number of requests allowed in flight.
	Concurrency int `json:"concurrency"`

	// Total is the number of replay requests judged (Replay.Total).
	Total int64 `json:"total"`
	// Errors counts the replay's independent errors: late, timeout,
	// connection error and wrong status (Replay.Errors). Load-test errors
	// are not in it.
	Errors int64 `json:"errors"`
	// Consequences counts failures caused by an earlier failure
	// (Replay.Consequences); they are not errors of their own.
	Consequences int64 `json:"consequences"`
	// VerificationPassed is whether the read-back of the target's state
	// found no mismatch; null when no verification ran (--verify=false, an
	// interrupted replay, nothing sent).
	VerificationPassed *bool `json:"verification_passed"`
	// Interrupted is set when Ctrl-C (or SIGTERM) stopped the run before
	// it finished; the report covers what was done, and Resume says where
	// to pick up. --limit is a planned end, not an interruption.
	Interrupted bool `json:"interrupted"`
	// Passed is the run's verdict, the same as its exit status 0: not
	// interrupted and no Failure.
	Passed bool `json:"passed"`
	// Failure says why the run failed (errors above --max-errors,
	// verification mismatches, ordering violations...); empty when it did
	// not.
	Failure string `json:"failure,omitempty"`
	// Resume is where a later run picks up (see Resume).
	Resume Resume `json:"resume"`

	// Stats describes the replay's sending.
	Stats Stats `json:"stats"`
	// Replay is the judgement of every replay request.
	Replay Summary `json:"replay"`
	// Verification is the read-back's result, absent when none ran.
	Verification *Verification `json:"verification,omitempty"`
	// Load is the open-model load test's judgement, absent when none ran.
	Load *Summary `json:"load,omitempty"`
}

// Resume is the replay's resume point: Point is the highest action ID such
// that every action up to it was acknowledged (answered with an HTTP status)
// or skipped as already done, -1 when none was. Acked lists the acknowledged
// actions above Point (under concurrency, requests that were answered while
// an earlier one was not). A resumed run (`--resume FILE`, or `--from
// POINT`) sends the actions after Point that are not in Acked, and nothing
// else. After a completed replay whose every request was answered, Point is
// the last action's ID and Acked is empty.
type Resume struct {
	Point int64   `json:"point"`
	Acked []Range `json:"acked"`
}

// Range is the actions with IDs First..Last, both included.
type Range struct {
	First int64 `json:"first"`
	Last  int64 `json:"last"`
}

// Done reports whether the action with the given ID needs no resending: it
// is at or before the resume point or in an acknowledged range.
func (r Resume) Done(id int64) bool {
	if id <= r.Point {
		return true
	}
	_, found := slices.BinarySearchFunc(r.Acked, id, func(g Range, id int64) int {
		switch {
		case g.Last < id:
			return -1
		case g.First > id:
			return 1
		}
		return 0
	})
	return found
}

// AckedCount is the number of action IDs the Acked ranges cover.
func (r Resume) AckedCount() int64 {
	var n int64
	for _, g := range r.Acked {
		n += g.Last - g.First + 1
	}
	return n
}

// Stats describes how the replay sent its requests.
type Stats struct {
	// Sent is the number of requests sent; Skipped the actions skipped as
	// already done (before the resume point, or acknowledged by the run
	// being resumed).
	Sent    int64 `json:"sent"`
	Skipped int64 `json:"skipped"`
	// Completed is the number of requests that ended (answered or failed).
	Completed int64 `json:"completed"`
	// OrderViolations counts requests sent before an action they depend on
	// had completed (zero unless the simulator has a bug).
	OrderViolations int64 `json:"order_violations"`
	// FirstID and LastID are the lowest and highest action IDs sent (-1
	// when none was).
	FirstID int64 `json:"first_id"`
	LastID  int64 `json:"last_id"`
	// LatestLow and LatestHigh bound what the target's /latest may say
	// after the replay (equal after a completed one).
	LatestLow  int64 `json:"latest_low"`
	LatestHigh int64 `json:"latest_high"`
	// Start and End bound the replay, RFC 3339.
	Start string `json:"start"`
	End   string `json:"end"`
	// Interrupted is set when the context ended the replay early.
	Interrupted bool `json:"interrupted"`
}

// Summary is the judgement of a set of requests (the replay's or the load
// test's).
type Summary struct {
	// Target is the base URL.
	Target string `json:"target"`
	// Start is the origin of Series; End the last answer seen (RFC 3339).
	Start string `json:"start"`
	End   string `json:"end"`
	// Total is the number of requests judged.
	Total int64 `json:"total"`
	// Errors counts independent errors, Consequences failures caused by
	// earlier ones.
	Errors       int64 `json:"errors"`
	Consequences int64 `json:"consequences"`
	// ByCommand has one entry per command (register, tweet, follow,
	// unfollow) and "all", the totals.
	ByCommand map[string]CommandStats `json:"by_command"`
	// Lateness is how far behind schedule requests were sent.
	Lateness Lateness `json:"lateness"`
	// Series is the run over time, in buckets of BucketS seconds.
	Series []Bucket `json:"series"`
	// BudgetMS is the per-request latency budget.
	BudgetMS float64 `json:"budget_ms"`
	// DurationS is the time from Start to End; RatePerS is Total over it.
	DurationS float64 `json:"duration_s"`
	RatePerS  float64 `json:"rate_per_s"`
	// BucketS is the width of each Series bucket.
	BucketS float64 `json:"bucket_s"`
}

// CommandStats is the tally of one command. Latencies are measured from
// the request's scheduled send time.
type CommandStats struct {
	Count       int64   `json:"count"`
	OK          int64   `json:"ok"`
	Late        int64   `json:"late"`
	Timeout     int64   `json:"timeout"`
	ConnError   int64   `json:"connection_error"`
	WrongStatus int64   `json:"wrong_status"`
	Consequence int64   `json:"consequence"`
	P50MS       float64 `json:"p50_ms"`
	P90MS       float64 `json:"p90_ms"`
	P99MS       float64 `json:"p99_ms"`
	MaxMS       float64 `json:"max_ms"`
}

// Lateness is how far behind schedule requests were sent; LateSends counts
// those ThresholdMS or more behind.
type Lateness struct {
	ThresholdMS float64 `json:"threshold_ms"`
	LateSends   int64   `json:"late_sends"`
	P50MS       float64 `json:"p50_ms"`
	P99MS       float64 `json:"p99_ms"`
	MaxMS       float64 `json:"max_ms"`
}

// Bucket is one interval of a Summary's series, starting TS seconds after
// Summary.Start.
type Bucket struct {
	TS          float64 `json:"t_s"`
	Count       int64   `json:"count"`
	OK          int64   `json:"ok"`
	Late        int64   `json:"late"`
	Timeout     int64   `json:"timeout"`
	ConnError   int64   `json:"connection_error"`
	WrongStatus int64   `json:"wrong_status"`
	Consequence int64   `json:"consequence"`
	P50MS       float64 `json:"p50_ms"`
	P99MS       float64 `json:"p99_ms"`
	MaxMS       float64 `json:"max_ms"`
}

// Verification is the result of reading the target's state back.
type Verification struct {
	// Checks is the number of checks made; Skipped the checks left out
	// because an action on that user failed and its effect is unknown.
	Checks  int `json:"checks"`
	Skipped int `json:"skipped"`
	// Mismatches lists every difference found.
	Mismatches []Mismatch `json:"mismatches"`
}

// Mismatch is one difference between the target's state and the scenario's.
type Mismatch struct {
	// Check is "latest", "follows" or "messages".
	Check string `json:"check"`
	// User is the user checked, empty for latest.
	User string `json:"user,omitempty"`
	// Want and Got describe the difference.
	Want string `json:"want"`
	Got  string `json:"got"`
}

// ErrSchema is returned by Decode for a document that is not this version
// of the simulator's report.
var ErrSchema = errors.New("not a " + Schema + " document (want the file `simulator run --json FILE` writes)")

// Decode reads a Report and checks that it is one: the schema matches and
// the summary's counts are consistent.
func Decode(r io.Reader) (Report, error) {
	var rep Report
	dec := json.NewDecoder(r)
	if err := dec.Decode(&rep); err != nil {
		return Report{}, fmt.Errorf("simreport: decode: %w", err)
	}
	if err := rep.Validate(); err != nil {
		return Report{}, err
	}
	return rep, nil
}

// Validate checks the parts of the document readers rely on.
func (r Report) Validate() error {
	switch {
	case r.Schema != Schema:
		return fmt.Errorf("simreport: schema %q: %w", r.Schema, ErrSchema)
	case r.Total < 0 || r.Errors < 0 || r.Consequences < 0:
		return fmt.Errorf("simreport: negative count (total %d, errors %d, consequences %d)", r.Total, r.Errors, r.Consequences)
	case r.Errors+r.Consequences > r.Total:
		return fmt.Errorf("simreport: %d errors and %d consequences in %d requests", r.Errors, r.Consequences, r.Total)
	}
	for i, g := range r.Resume.Acked {
		if g.First > g.Last || g.First <= r.Resume.Point || (i > 0 && g.First <= r.Resume.Acked[i-1].Last) {
			return fmt.Errorf("simreport: resume: acked range %d..%d is not above the point %d and in order", g.First, g.Last, r.Resume.Point)
		}
	}
	return nil
}

// Encode writes r as indented JSON with a final newline.
func Encode(w io.Writer, r Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("simreport: encode: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("simreport: write: %w", err)
	}
	return nil
}
