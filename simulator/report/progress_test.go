package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/testenv"
)

func newTestProgress(w *bytes.Buffer, total int64, tty bool, c *testenv.Clock) *Progress {
	p := NewProgress(w, total, tty)
	p.now = c.Now
	p.started = c.Now()
	return p
}

func progressSummary(done, errs, cons int64, p99 time.Duration) Summary {
	return Summary{Total: done, Errors: errs, Consequences: cons, ByCommand: map[string]CommandStats{AllCommands: {Count: done, P99: p99}}}
}

func TestProgressPlain(t *testing.T) {
	var b bytes.Buffer
	c := testenv.NewClock(t0)
	p := newTestProgress(&b, 1000, false, c)
	// One update per second for 12 seconds: lines at 1s, 6s and 11s only.
	for i := int64(1); i <= 12; i++ {
		c.Set(t0.Add(time.Duration(i) * time.Second))
		p.Update(progressSummary(i*80, i/4, 0, 12*time.Millisecond))
	}
	p.Finish()
	p.Update(progressSummary(1000, 0, 0, 0)) // after Finish: ignored
	got := b.String()
	want := "80/1,000 (8.0%) | 80/s | errors 0 | p99 12.0ms | 1s | ETA 12s\n" +
		"480/1,000 (48.0%) | 80/s | errors 1 | p99 12.0ms | 6s | ETA 7s\n" +
		"880/1,000 (88.0%) | 80/s | errors 2 | p99 12.0ms | 11s | ETA 2s\n" +
		"960/1,000 (96.0%) | 80/s | errors 3 | p99 12.0ms | 12s | ETA 1s\n"
	if got != want {
		t.Errorf("plain progress:\n%s\nwant:\n%s", got, want)
	}
	if strings.ContainsAny(got, "\r\x1b") {
		t.Error("plain progress contains terminal control characters")
	}
}

func TestProgressTTY(t *testing.T) {
	var b bytes.Buffer
	c := testenv.NewClock(t0)
	p := newTestProgress(&b, 200, true, c)
	c.Set(t0.Add(time.Second))
	p.Update(progressSummary(50, 2, 3, 250*time.Millisecond))
	c.Advance(10 * time.Millisecond) // within the redraw interval: skipped
	p.Update(progressSummary(51, 2, 3, 250*time.Millisecond))
	c.Advance(time.Second)
	p.Update(progressSummary(150, 2, 3, 250*time.Millisecond))
	c.Advance(10 * time.Millisecond) // skipped, then shown by Finish
	p.Update(progressSummary(200, 2, 3, 250*time.Millisecond))
	p.Finish()
	got := b.String()
	frames := strings.Split(strings.TrimSuffix(got, "\n"), "\r")[1:]
	if len(frames) != 3 {
		t.Fatalf("%d frames, want 3 (two updates and the final one shown by Finish): %q", len(frames), got)
	}
	if want := "[###.........] 50/200 25.0% | 50/s | p99 250ms | errors 2 (+3 conseq.) | ETA 3s"; frames[0] != want {
		t.Errorf("first frame %q, want %q", frames[0], want)
	}
	if !strings.HasPrefix(frames[2], "[############] 200/200 100.0% | 99/s | p99 250ms") || !strings.HasSuffix(got, "\n") {
		t.Errorf("final frame %q (output must end the line)", frames[2])
	}
}

func TestProgressUnknownTotal(t *testing.T) {
	var b bytes.Buffer
	c := testenv.NewClock(t0)
	p := newTestProgress(&b, 0, false, c)
	c.Set(t0.Add(2 * time.Second))
	p.Update(progressSummary(10, 0, 0, time.Millisecond))
	p.Finish()
	// Finish does not repeat a line already shown.
	if want := "10 | 5/s | errors 0 | p99 1.00ms | 2s\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestProgressTTYNeverWraps(t *testing.T) {
	var b bytes.Buffer
	c := testenv.NewClock(t0)
	p := newTestProgress(&b, 1_000_000, true, c)
	p.width = 60
	c.Set(t0.Add(time.Second))
	p.Update(progressSummary(123_456, 12_345, 67_890, 1234*time.Millisecond))
	line := strings.TrimPrefix(b.String(), "\r")
	if len(line) != 59 || !strings.HasPrefix(line, "[#...") {
		t.Errorf("live line %q is %d columns, want 59 (the terminal's 60 minus one)", line, len(line))
	}
}
