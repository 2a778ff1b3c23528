// Package report records the outcome of every request a simulator run sends
// and turns the records into reports: a live progress line, a final text
// table, a JSON document, the course-compatible error log and a
// self-contained HTML page (inline SVG, no script, nothing from a network)
// with latency, errors and throughput over time and the latency
// distribution per command.
//
// Errors are counted in two kinds: independent errors (late, timeout,
// connection error, wrong status) and consequences, failures caused by an
// earlier failure the action depends on. Outcome.IsError is true for both;
// Summary.Errors counts only the first, Summary.Consequences the second.
//
// Latency is measured from the time a request was scheduled to be sent, not
// from when it was actually sent, so a sender that falls behind shows up in
// the numbers instead of hiding them (coordinated omission); how late the
// sends themselves were is reported separately as "lateness".
//
// Memory is bounded whatever the length of the run: latencies go into HDR
// histograms (one per command, plus a sparse one per time bucket) and the time
// series has a fixed maximum number of buckets whose width doubles when a run
// outlasts it. Nothing keeps one entry per sample.
package report
