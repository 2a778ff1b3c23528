package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	simreport "github.com/minitwit-cd/kit/simulator/report"
)

// charts feeds one phase's requests to the simulator's report recorder,
// whose self-contained HTML page (inline SVG) shows latency, errors and
// throughput over time and the latency distribution per kind of request.
// A nil *charts (no --html) records nothing.
type charts struct {
	rec  *simreport.Recorder
	path string
	n    int64
}

// newCharts returns a recorder writing dir/phase.html, or nil when dir is "".
func newCharts(dir, phase, target string) *charts {
	if dir == "" {
		return nil
	}
	return &charts{
		rec:  simreport.NewRecorder(simreport.Options{Target: target + " (" + phase + ")", Budget: slowLimit}),
		path: filepath.Join(dir, phase+".html"),
	}
}

// add records one request that started at start; status 0 means no answer,
// ok whether the status was the expected one.
func (c *charts) add(kind string, start time.Time, latency time.Duration, status int, ok bool) {
	if c == nil {
		return
	}
	out := simreport.OK
	switch {
	case status == 0:
		out = simreport.ConnError
	case !ok:
		out = simreport.WrongStatus
	case latency >= slowLimit:
		out = simreport.Late
	}
	c.n++
	c.rec.Add(simreport.Sample{
		ActionID: c.n, Command: kind, Scheduled: start, Sent: start,
		Latency: latency, Service: latency, Status: status, Outcome: out,
	})
}

// write saves the page and returns its path ("" for a nil *charts).
func (c *charts) write() (string, error) {
	if c == nil {
		return "", nil
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return "", err
	}
	f, err := os.Create(c.path)
	if err != nil {
		return "", err
	}
	if err := c.rec.WriteHTML(f); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write %s: %w", c.path, err)
	}
	return c.path, nil
}
