package replay

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/minitwit-cd/kit/simulator/report"
	"github.com/minitwit-cd/kit/simulator/scenario"
)

// Send sends one action at its scheduled time (it waits for it, returning
// early when ctx ends) and classifies the answer exactly as Replay does:
// the same request, header, budget, outcome classes and error texts. It is
// the building block of callers that pace and record each action
// themselves, such as the fleet, which persists every acknowledgement
// before the next action leaves. depFailed says whether an action a
// causally depends on (a registration) failed, making a's failure a
// Consequence. ctx is the request's context: an httptrace.ClientTrace in
// it observes the exchange. ctx ends the wait only: a request that has
// left is always completed (within the budget), so a caller stopping the
// replay never loses the answer to an action the target received. When
// ctx ends before the send, Send returns a zero Sample and false.
func (e *Engine) Send(ctx context.Context, a scenario.Action, scheduled time.Time, depFailed bool) (report.Sample, bool) {
	if !sleepUntil(ctx, scheduled) {
		return report.Sample{}, false
	}
	r := a.Request()
	sent := time.Now()
	var (
		status  int
		errText string
		body    []byte
	)
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), r.Method, r.URL(e.base), bytes.NewReader(r.Body))
	if err != nil {
		errText = err.Error()
	} else {
		req.Header = e.requestHeader()
		resp, err := e.client.Do(req)
		if err != nil {
			errText = err.Error()
		} else {
			body, err = io.ReadAll(io.LimitReader(resp.Body, 1024))
			resp.Body.Close()
			if err != nil {
				errText = err.Error()
			} else {
				status = resp.StatusCode
			}
		}
	}
	end := time.Now()
	latency := end.Sub(scheduled)
	var exc string
	if status == 0 {
		exc = exception(errText, r.URL(e.base))
	}
	out := classify(a.Command, status, errText, latency, e.cfg.timeout, depFailed)
	switch out {
	case report.WrongStatus, report.Consequence:
		errText = "status " + strconv.Itoa(status) + ": " + snippet(body)
	case report.Timeout, report.ConnError:
		errText = describeError(errText)
	case report.Late:
		errText = "answered " + latency.Round(time.Millisecond).String() + " after its scheduled time"
	default:
		errText = ""
	}
	return report.Sample{
		ActionID:  a.ID,
		Command:   a.Command.String(),
		Scheduled: scheduled,
		Sent:      sent,
		Latency:   latency,
		Service:   end.Sub(sent),
		Status:    status,
		Outcome:   out,
		Err:       errText,
		Timestamp: a.Timestamp,
		Exception: exc,
	}, true
}

// Failed reports whether an outcome leaves the action's effect in doubt for
// the actions that depend on it (everything but OK and Late), as Replay
// judges it for consequences.
func Failed(o report.Outcome) bool { return failed(o) }

// Snippet shortens an answer body to one line of at most 120 characters,
// as the engine quotes bodies in its error texts.
func Snippet(b []byte) string { return snippet(b) }
