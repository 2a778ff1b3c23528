package report

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Progress shows a run's progress from successive Summaries (Recorder.Totals
// is enough: the time series is not used). On a terminal
// it redraws one live line (a bar, actions done of total, rate, errors so
// far and the current p99) at most ten times a second; elsewhere (CI logs)
// it prints a plain line at most every five seconds. Safe for concurrent use.
type Progress struct {
	mu       sync.Mutex
	w        io.Writer
	total    int64
	tty      bool
	now      func() time.Time // injectable for tests
	interval time.Duration
	width    int // a live line is cut to this many columns, so it never wraps
	started  time.Time
	last     time.Time // time of the last line written
	lastLen  int
	latest   Summary
	pending  bool // latest has not been shown yet
	finished bool
}

const (
	ttyInterval   = 100 * time.Millisecond
	plainInterval = 5 * time.Second
	barWidth      = 12
	defaultWidth  = 80
)

// NewProgress returns a Progress writing to w for a run of total actions
// (0 when unknown). isTTY selects the live bar over plain lines.
func NewProgress(w io.Writer, total int64, isTTY bool) *Progress {
	p := &Progress{w: w, total: total, tty: isTTY, now: time.Now, interval: plainInterval, width: defaultWidth}
	if isTTY {
		p.interval = ttyInterval
		if f, ok := w.(*os.File); ok {
			if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 20 {
				p.width = cols
			}
		}
	}
	p.started = p.now()
	return p
}

// Update shows s if enough time has passed since the last line.
func (p *Progress) Update(s Summary) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.latest, p.pending = s, true
	now := p.now()
	if !p.last.IsZero() && now.Sub(p.last) < p.interval {
		return
	}
	p.render(now)
}

// Finish shows the last Summary given if it has not been shown yet,
// whatever the interval, and ends the live line. Updates after Finish are
// ignored.
func (p *Progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	if p.pending {
		p.render(p.now())
	}
	if p.tty && p.lastLen > 0 {
		fmt.Fprint(p.w, "\n")
	}
}

func (p *Progress) render(now time.Time) {
	p.last, p.pending = now, false
	line := p.line(now)
	if p.tty && len(line) >= p.width {
		// A wrapped line would make every redraw start a new one; the
		// least important fields come last, so cut those.
		line = line[:p.width-1]
	}
	if !p.tty {
		fmt.Fprintln(p.w, line)
		return
	}
	// \r returns to the line's start; padding erases a longer previous line
	// without relying on terminal escape sequences.
	pad := max(p.lastLen-len(line), 0)
	fmt.Fprint(p.w, "\r"+line+strings.Repeat(" ", pad))
	p.lastLen = len(line)
}

// line formats one progress line. The live line is compact, most
// important fields first (it is cut to the terminal's width); the plain line
// for logs spells everything out.
func (p *Progress) line(now time.Time) string {
	s := p.latest
	elapsed := now.Sub(p.started)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(s.Total) / elapsed.Seconds()
	}
	p99 := s.ByCommand[AllCommands].P99
	var eta string
	if p.total > 0 && s.Total > 0 && s.Total < p.total && rate > 0 {
		eta = " | ETA " + time.Duration(float64(p.total-s.Total)/rate*float64(time.Second)).Round(time.Second).String()
	}
	var b strings.Builder
	if p.tty {
		b.WriteString(bar(s.Total, p.total))
		b.WriteByte(' ')
		if p.total > 0 {
			fmt.Fprintf(&b, "%s/%s %.1f%%", count(s.Total), count(p.total), 100*float64(s.Total)/float64(p.total))
		} else {
			b.WriteString(count(s.Total))
		}
		fmt.Fprintf(&b, " | %.0f/s | p99 %s | errors %s", rate, dur(p99), count(s.Errors))
		if s.Consequences > 0 {
			fmt.Fprintf(&b, " (+%s conseq.)", count(s.Consequences))
		}
		b.WriteString(eta)
		return b.String()
	}
	if p.total > 0 {
		fmt.Fprintf(&b, "%s/%s (%.1f%%)", count(s.Total), count(p.total), 100*float64(s.Total)/float64(p.total))
	} else {
		b.WriteString(count(s.Total))
	}
	fmt.Fprintf(&b, " | %.0f/s | errors %s", rate, count(s.Errors))
	if s.Consequences > 0 {
		fmt.Fprintf(&b, " (+%s consequences)", count(s.Consequences))
	}
	fmt.Fprintf(&b, " | p99 %s | %s%s", dur(p99), elapsed.Round(time.Second), eta)
	return b.String()
}

// bar draws a fixed-width bar; an unknown total draws an empty frame.
func bar(done, total int64) string {
	filled := 0
	if total > 0 {
		filled = int(min(done, total) * barWidth / total)
	}
	return "[" + strings.Repeat("#", filled) + strings.Repeat(".", barWidth-filled) + "]"
}
