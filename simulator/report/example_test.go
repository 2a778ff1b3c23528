package report_test

import (
	"os"
	"time"

	"github.com/minitwit-cd/kit/simulator/report"
)

// A run records one Sample per request, shows progress while it goes and
// writes the reports at the end.
func Example() {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rec := report.NewRecorder(report.Options{Target: "http://127.0.0.1:5001", Start: start})
	errs := report.NewErrorLog(os.Stdout, "http://127.0.0.1:5001")
	for i, o := range []report.Outcome{report.OK, report.OK, report.WrongStatus, report.Timeout} {
		sched := start.Add(time.Duration(i) * 10 * time.Millisecond)
		s := report.Sample{
			ActionID: int64(i), Command: "tweet", Scheduled: sched, Sent: sched,
			Latency: 3 * time.Millisecond, Service: 3 * time.Millisecond,
			Status: 204, Outcome: o, Timestamp: 1_600_000_000_000 + int64(i),
		}
		if o == report.WrongStatus {
			s.Status = 500
		}
		if o == report.Timeout {
			s.Status, s.Latency = 0, 300*time.Millisecond
		}
		rec.Add(s)    // from any goroutine
		errs.Write(s) // only failures are written
	}
	_ = errs.Close()
	_ = rec.WriteTable(os.Stdout)
	// Output:
	// 1600000000002,http://127.0.0.1:5001,2,500,tweet
	// 1600000000003,http://127.0.0.1:5001,3,ReadTimeout,tweet
	// http://127.0.0.1:5001: 4 requests in 330ms (12.1/s), budget 300ms
	// command  count  ok  late  timeout  conn err  wrong status  consequence     p50    p90    p99    max
	// ---------------------------------------------------------------------------------------------------
	// tweet        4   2     0        1         0             1            0  3.00ms  300ms  300ms  300ms
	// ---------------------------------------------------------------------------------------------------
	// all          4   2     0        1         0             1            0  3.00ms  300ms  300ms  300ms
	// send lateness: p50 0, p99 0, max 0; late sends (10.0ms or more behind schedule): 0
	// errors: 2 independent, 0 consequences of earlier failures
}
