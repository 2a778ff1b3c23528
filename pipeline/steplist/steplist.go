// Package steplist shows a run of pipeline steps three ways: on a terminal
// a live list (pending, running, done with its time, failed), redrawn in
// place, each step's own output kept back and shown only when it fails;
// in GitHub Actions one ::group:: per step and a Markdown job summary
// ($GITHUB_STEP_SUMMARY); elsewhere (CI logs, files) plain lines.
package steplist

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Mode is how the list is rendered.
type Mode int

// The renderings.
const (
	Plain Mode = iota
	TTY
	GitHub
)

// String names the mode.
func (m Mode) String() string {
	return [...]string{"plain", "tty", "github"}[m]
}

// ModeFor chooses the rendering: GitHub when GITHUB_ACTIONS=true, TTY on
// a terminal outside CI, plain otherwise.
func ModeFor(tty bool, getenv func(string) string) Mode {
	switch {
	case getenv("GITHUB_ACTIONS") == "true":
		return GitHub
	case tty && getenv("CI") == "":
		return TTY
	}
	return Plain
}

// Status is a step's state.
type Status int

// Step states.
const (
	Pending Status = iota
	Running
	Done
	Failed
	Skipped
)

// Step is one row.
type Step struct {
	Name    string
	Status  Status
	Elapsed time.Duration
	// Note is a one-line result ("3 binaries", "sha256:ab12…") or, for a
	// failed step, the error.
	Note string
	out  bytes.Buffer
}

// List renders a run.
type List struct {
	mu    sync.Mutex
	w     io.Writer
	mode  Mode
	steps []*Step
	drawn int
	start time.Time
	now   func() time.Time
}

// New returns a list of the named steps rendered on w.
func New(w io.Writer, mode Mode, names []string) *List {
	l := &List{w: w, mode: mode, now: time.Now}
	for _, n := range names {
		l.steps = append(l.steps, &Step{Name: n})
	}
	l.start = l.now()
	if mode == TTY {
		l.draw()
	}
	return l
}

// WithClock replaces the clock (for tests).
func (l *List) WithClock(now func() time.Time) *List {
	l.now = now
	l.start = now()
	return l
}

func (l *List) step(name string) *Step {
	for _, s := range l.steps {
		if s.Name == name {
			return s
		}
	}
	s := &Step{Name: name}
	l.steps = append(l.steps, s)
	return s
}

// Begin marks step name running and returns the writer for its output and
// a function that ends it (nil error: done, with note; an error: failed).
func (l *List) Begin(name string) (io.Writer, func(note string, err error)) {
	l.mu.Lock()
	s := l.step(name)
	s.Status = Running
	began := l.now()
	var w io.Writer
	switch l.mode {
	case TTY:
		l.draw()
		w = &lockedWriter{mu: &l.mu, w: &s.out}
	case GitHub:
		fmt.Fprintf(l.w, "::group::%s\n", name)
		w = &lockedWriter{mu: &l.mu, w: l.w}
	default:
		fmt.Fprintf(l.w, "==> %s\n", name)
		w = &lockedWriter{mu: &l.mu, w: l.w}
	}
	l.mu.Unlock()
	return w, func(note string, err error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		s.Elapsed = l.now().Sub(began)
		s.Status, s.Note = Done, note
		if err != nil {
			s.Status, s.Note = Failed, oneLine(err.Error())
		}
		switch l.mode {
		case TTY:
			l.draw()
			if err != nil && s.out.Len() > 0 {
				fmt.Fprintf(l.w, "--- output of %s:\n%s", name, s.out.String())
				l.drawn = 0
			}
		case GitHub:
			fmt.Fprintln(l.w, "::endgroup::")
			if err != nil {
				fmt.Fprintf(l.w, "::error title=pipeline %s::%s\n", name, s.Note)
			}
		default:
			fmt.Fprintf(l.w, "<== %s %s %s%s\n", name, statusWord(s.Status), fmtDur(s.Elapsed), noteSuffix(s.Note))
		}
	}
}

// Skip marks a step skipped, with why.
func (l *List) Skip(name, why string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.step(name)
	s.Status, s.Note = Skipped, why
	switch l.mode {
	case TTY:
		l.draw()
	default:
		fmt.Fprintf(l.w, "--- %s skipped: %s\n", name, why)
	}
}

// Steps returns a copy of the rows.
func (l *List) Steps() []Step {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Step, len(l.steps))
	for i, s := range l.steps {
		out[i] = Step{Name: s.Name, Status: s.Status, Elapsed: s.Elapsed, Note: s.Note}
	}
	return out
}

// Total is the time since the list was made.
func (l *List) Total() time.Duration { return l.now().Sub(l.start) }

// draw redraws the whole list in place (TTY mode; l.mu held).
func (l *List) draw() {
	var b strings.Builder
	if l.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", l.drawn)
	}
	for _, s := range l.steps {
		b.WriteString("\x1b[2K")
		fmt.Fprintf(&b, "  %s %-8s %7s%s\n", symbol(s.Status), s.Name, durOrBlank(s), noteSuffix(s.Note))
	}
	l.drawn = len(l.steps)
	_, _ = io.WriteString(l.w, b.String())
}

func symbol(s Status) string {
	return [...]string{"·", "▸", "✓", "✗", "-"}[s]
}

func statusWord(s Status) string {
	return [...]string{"pending", "running", "ok", "FAILED", "skipped"}[s]
}

func durOrBlank(s *Step) string {
	if s.Status == Done || s.Status == Failed {
		return fmtDur(s.Elapsed)
	}
	if s.Status == Running {
		return "…"
	}
	return ""
}

func fmtDur(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

func noteSuffix(n string) string {
	if n == "" {
		return ""
	}
	return "  " + n
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Summary is the run as a Markdown table, for $GITHUB_STEP_SUMMARY.
func (l *List) Summary(title string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n| step | result | time | note |\n|---|---|---:|---|\n", title)
	for _, s := range l.Steps() {
		icon := map[Status]string{Pending: "⏸ pending", Running: "▶ running", Done: "✅ ok", Failed: "❌ failed", Skipped: "⏭ skipped"}[s.Status]
		el := ""
		if s.Status == Done || s.Status == Failed {
			el = fmtDur(s.Elapsed)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", s.Name, icon, el, strings.ReplaceAll(s.Note, "|", "\\|"))
	}
	fmt.Fprintf(&b, "\nTotal: %s\n", fmtDur(l.Total()))
	return b.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (lw *lockedWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.w.Write(p)
}
