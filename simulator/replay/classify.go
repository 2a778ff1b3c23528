package replay

import (
	"strings"
	"time"

	"github.com/minitwit-cd/kit/simulator/report"
	"github.com/minitwit-cd/kit/simulator/scenario"
)

// isTimeout reports whether a transport error string means the budget ran
// out (vegeta hands errors over as strings).
func isTimeout(err string) bool {
	return strings.Contains(err, "Client.Timeout") ||
		strings.Contains(err, "deadline exceeded") ||
		strings.Contains(err, "i/o timeout")
}

// describeError turns a transport error into a short cause a student can
// act on, keeping the original text at the end.
func describeError(err string) string {
	var cause string
	switch {
	case isTimeout(err):
		cause = "no answer within the budget"
	case strings.Contains(err, "connection refused"):
		cause = "connection refused (is the target running on that port?)"
	case strings.Contains(err, "connection reset"):
		cause = "connection reset by the target"
	case strings.Contains(err, "EOF"):
		cause = "the target closed the connection without answering"
	case strings.Contains(err, "malformed HTTP"), strings.Contains(err, "HTTP/1.x transport connection broken"):
		cause = "the target's answer is not HTTP"
	case strings.Contains(err, "no such host"):
		cause = "unknown host"
	default:
		return err
	}
	return cause + ": " + err
}

// exception names what the course's Python script (requests, 300 ms
// timeout) raises for a request that got no HTTP answer, from vegeta's
// error text for url: errors from the exchange itself are url.Errors,
// `Post "URL": cause`; an error without that prefix came while reading the
// body, after the status line.
func exception(err, url string) string {
	inExchange := strings.Contains(err, " \""+url+"\": ")
	switch {
	case !inExchange && isTimeout(err):
		// requests turns a read timeout in the body into ConnectionError.
		return "ConnectionError"
	case !inExchange:
		// A body cut short: urllib3's IncompleteRead, which requests raises
		// as ChunkedEncodingError.
		return "ChunkedEncodingError"
	case isTimeout(err) && strings.Contains(err, "dial tcp"):
		// ConnectTimeout is a ConnectionError, which the script catches first.
		return "ConnectionError"
	case isTimeout(err):
		return "ReadTimeout"
	}
	return "ConnectionError"
}

// classify turns one answer (or failure) into an outcome. status is 0 when
// no HTTP answer arrived, err the transport error then. depFailed says
// whether an action this one causally depends on (a registration) failed.
func classify(cmd scenario.Command, status int, err string, latency, budget time.Duration, depFailed bool) report.Outcome {
	if status == 0 {
		if isTimeout(err) {
			return report.Timeout
		}
		return report.ConnError
	}
	if !cmd.Accepts(status) {
		if depFailed {
			return report.Consequence
		}
		return report.WrongStatus
	}
	if latency >= budget {
		return report.Late
	}
	return report.OK
}

// classifyRead judges a load test's read, which expects 200.
func classifyRead(status int, err string, latency, budget time.Duration) report.Outcome {
	switch {
	case status == 0 && isTimeout(err):
		return report.Timeout
	case status == 0:
		return report.ConnError
	case status != 200:
		return report.WrongStatus
	case latency >= budget:
		return report.Late
	}
	return report.OK
}

// failed reports whether an outcome leaves the action's effect in doubt for
// the actions that depend on it. A late answer with the right status is a
// success for them.
func failed(o report.Outcome) bool { return o != report.OK && o != report.Late }
