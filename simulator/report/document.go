package report

import (
	"math"
	"time"

	"github.com/minitwit-cd/kit/internal/simreport"
)

// Document converts the summary into the report document's form
// (internal/simreport), the shape `simulator run --json` writes.
func (s Summary) Document() simreport.Summary {
	d := simreport.Summary{
		Target:       s.Target,
		Start:        rfc3339(s.Start),
		End:          rfc3339(s.End),
		Total:        s.Total,
		Errors:       s.Errors,
		Consequences: s.Consequences,
		ByCommand:    make(map[string]simreport.CommandStats, len(s.ByCommand)),
		Lateness: simreport.Lateness{
			ThresholdMS: ms(s.Lateness.Threshold), LateSends: s.Lateness.LateSends,
			P50MS: ms(s.Lateness.P50), P99MS: ms(s.Lateness.P99), MaxMS: ms(s.Lateness.Max),
		},
		Series:    make([]simreport.Bucket, 0, len(s.Series)),
		BudgetMS:  ms(s.Budget),
		DurationS: math.Round(s.Duration().Seconds()*1000) / 1000,
		RatePerS:  math.Round(s.Rate()*100) / 100,
		BucketS:   s.BucketWidth.Seconds(),
	}
	for name, c := range s.ByCommand {
		d.ByCommand[name] = simreport.CommandStats{
			Count: c.Count, OK: c.OK, Late: c.Late, Timeout: c.Timeout, ConnError: c.ConnError,
			WrongStatus: c.WrongStatus, Consequence: c.Consequence,
			P50MS: ms(c.P50), P90MS: ms(c.P90), P99MS: ms(c.P99), MaxMS: ms(c.Max),
		}
	}
	for _, b := range s.Series {
		d.Series = append(d.Series, simreport.Bucket{
			TS: b.Offset.Seconds(), Count: b.Count, OK: b.OK, Late: b.Late, Timeout: b.Timeout,
			ConnError: b.ConnError, WrongStatus: b.WrongStatus, Consequence: b.Consequence,
			P50MS: ms(b.P50), P99MS: ms(b.P99), MaxMS: ms(b.Max),
		})
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
