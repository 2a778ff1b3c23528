package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/minitwit-cd/kit/simulator/scenario"
)

// replayPhase replays the scenario file sequentially against a fresh
// database, like the course's simulator without its pauses: one action at a
// time, a new connection for each (Connection: close).
func replayPhase(ctx context.Context, u *ui, bin, db, path, htmlDir string, rep *report) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open scenario: %w", err)
	}
	defer f.Close()
	total, err := countLines(f)
	if err != nil {
		return fmt.Errorf("read scenario: %w", err)
	}
	srv, err := startServer(ctx, bin, db)
	if err != nil {
		return err
	}
	defer func() { _ = srv.stop() }()

	client := &http.Client{
		// Generous, so a slow answer is measured rather than cut off; the
		// rows count answers slower than the simulator's 300 ms.
		Timeout:   10 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
	}
	lat := newLatencies()
	byCommand := map[scenario.Command]*latencies{}
	for _, c := range scenario.Commands {
		byCommand[c] = newLatencies()
	}
	ch := newCharts(htmlDir, "replay", srv.url)
	r := scenario.NewReader(f)
	b := u.bar(total, fmt.Sprintf("replay %s (sequential, Connection: close)", path))
	var unexpected, failed int64
	start := time.Now()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		a, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *scenario.ParseError
		if errors.As(err, &pe) {
			return err
		} else if err != nil {
			return fmt.Errorf("read scenario: %w", err)
		}
		req := a.Request()
		hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL(srv.url), bytes.NewReader(req.Body))
		if err != nil {
			return err
		}
		hr.Header.Set("Authorization", scenario.Authorization)
		hr.Header.Set("Content-Type", "application/json")
		t0 := time.Now()
		resp, err := client.Do(hr)
		if err != nil {
			failed++
			lat.record(time.Since(t0))
			byCommand[a.Command].record(time.Since(t0))
			ch.add(a.Command.String(), t0, time.Since(t0), 0, false)
			if err := srv.alive(); err != nil {
				return err
			}
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		lat.record(d)
		byCommand[a.Command].record(d)
		accepted := a.Command.Accepts(resp.StatusCode)
		if !accepted {
			unexpected++
		}
		ch.add(a.Command.String(), t0, d, resp.StatusCode, accepted)
		b.set(int64(r.Line()))
	}
	elapsed := time.Since(start)
	b.finish()
	rep.add("replay", "actions", float64(lat.count()), "", "", nil)
	rep.add("replay", "total time", elapsed.Seconds(), "s", "", nil)
	lat.addTo(rep, "replay", 5*time.Millisecond)
	for _, c := range scenario.Commands {
		l := byCommand[c]
		rep.add("replay", fmt.Sprintf("%s: %d, p50 latency", c, l.count()), l.quantile(50), "s", "", nil)
		rep.add("replay", fmt.Sprintf("%s: %d, p99 latency", c, l.count()), l.quantile(99), "s", "", nil)
	}
	rep.add("replay", "unexpected statuses", float64(unexpected), "", "0", isZero)
	rep.add("replay", "connection errors", float64(failed), "", "0", isZero)
	srv.serverSide(rep, "replay")
	srv.memory(rep, "replay", false)
	if p, err := ch.write(); err != nil {
		return err
	} else if p != "" {
		u.logf("charts: %s", p)
	}
	return srv.stop()
}

// countLines counts the lines of f for the progress bar and rewinds it.
func countLines(f *os.File) (int64, error) {
	buf := make([]byte, 256*1024)
	var n int64
	for {
		k, err := f.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return 0, err
		}
	}
	_, err := f.Seek(0, io.SeekStart)
	return n, err
}
