package replay

import (
	"time"

	"github.com/minitwit-cd/kit/internal/simreport"
)

// Document converts the stats into the report document's form
// (internal/simreport).
func (s Stats) Document() simreport.Stats {
	return simreport.Stats{
		Sent: s.Sent, Skipped: s.Skipped, Completed: s.Completed, OrderViolations: s.OrderViolations,
		FirstID: s.FirstID, LastID: s.LastID, LatestLow: s.LatestLow, LatestHigh: s.LatestHigh,
		Start: rfc3339(s.Start), End: rfc3339(s.End), Interrupted: s.Interrupted,
	}
}

// Document converts the verification into the report document's form.
func (v Verification) Document() simreport.Verification {
	d := simreport.Verification{Checks: v.Checks, Skipped: v.Skipped, Mismatches: make([]simreport.Mismatch, 0, len(v.Mismatches))}
	for _, m := range v.Mismatches {
		d.Mismatches = append(d.Mismatches, simreport.Mismatch(m))
	}
	return d
}

// rfc3339 formats t with nanoseconds, "" for the zero time.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}
