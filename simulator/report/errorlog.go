package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrorLine formats a failed sample as the course simulator logs it:
//
//	{timestamp},{host},{latest},{status|ConnectionError|ReadTimeout},{command}
//
// with timestamp = s.Timestamp (the scenario's recorded time), host = target,
// latest = s.ActionID and command = s.Command. The status column is chosen
// per outcome:
//
//   - Late and Timeout: ReadTimeout. The course script reads with a 300 ms
//     timeout, so an answer that arrives after the budget is, in its log, a
//     read timeout, whether or not it eventually came.
//   - ConnError: ConnectionError.
//   - WrongStatus: the HTTP status.
//   - Consequence: the HTTP status when there was an answer (the course
//     script sends dependent actions regardless and logs what it got),
//     otherwise ConnectionError.
//
// OK samples are not errors: ErrorLine returns "" for them. Line breaks in
// the target or command are replaced so that a sample is always one line.
func ErrorLine(s Sample, target string) string {
	var status string
	switch s.Outcome {
	case OK:
		return ""
	case Late, Timeout:
		status = "ReadTimeout"
	case WrongStatus, Consequence:
		if s.Status > 0 {
			status = strconv.Itoa(s.Status)
		} else {
			status = "ConnectionError"
		}
	default: // ConnError and anything unclassified
		status = "ConnectionError"
	}
	var b strings.Builder
	b.WriteString(strconv.FormatInt(s.Timestamp, 10))
	b.WriteByte(',')
	b.WriteString(safeLine(target))
	b.WriteByte(',')
	b.WriteString(strconv.FormatInt(s.ActionID, 10))
	b.WriteByte(',')
	b.WriteString(status)
	b.WriteByte(',')
	b.WriteString(safeLine(s.Command))
	return b.String()
}

// CourseTimeLayout is the timestamp format of the course script's error
// lines, in UTC.
const CourseTimeLayout = "2006-01-02 15:04:05"

// CourseLine formats a failed sample exactly as the course's
// minitwit_simulator.py prints it, seen being when the outcome was seen:
//
//	TS,HOST,LATEST,STATUS,COMMAND   an answer with a status the command does not accept
//	TS,HOST,LATEST,ReadTimeout      no answer within the budget (or a late one)
//	TS,HOST,LATEST,ConnectionError  refused, reset, unresolvable, not HTTP
//	TS,HOST,LATEST,<exception>      anything else (s.Exception)
//
// TS is seen in UTC as CourseTimeLayout, HOST the target exactly as given.
// A late answer is a ReadTimeout, because the script's 300 ms read timeout
// fires before it arrives; a consequence is logged like the error it is
// (the script sends dependent actions regardless). OK samples give "".
func CourseLine(s Sample, host string, seen time.Time) string {
	var tail string
	switch {
	case s.Outcome == OK:
		return ""
	case s.Status > 0 && (s.Outcome == WrongStatus || s.Outcome == Consequence):
		tail = strconv.Itoa(s.Status) + "," + safeLine(s.Command)
	case s.Outcome == Late:
		tail = "ReadTimeout"
	case s.Exception != "":
		tail = safeLine(s.Exception)
	case s.Outcome == Timeout:
		tail = "ReadTimeout"
	default:
		tail = "ConnectionError"
	}
	return seen.UTC().Format(CourseTimeLayout) + "," + safeLine(host) + "," + strconv.FormatInt(s.ActionID, 10) + "," + tail
}

// ErrorLog writes the course-compatible error lines of failed samples to a
// writer, buffered. It is safe for concurrent use. Write errors are sticky:
// the first one is returned by Flush and Close, and later lines are dropped.
type ErrorLog struct {
	mu     sync.Mutex
	w      *bufio.Writer
	line   func(Sample) string
	lines  int64
	err    error
	closed bool
}

// NewErrorLog returns an ErrorLog writing ErrorLine's lines to w for the
// given target (the host column). The caller keeps ownership of w.
func NewErrorLog(w io.Writer, target string) *ErrorLog {
	return &ErrorLog{w: bufio.NewWriterSize(w, 64<<10), line: func(s Sample) string { return ErrorLine(s, target) }}
}

// NewCourseLog returns an ErrorLog writing exactly the course script's
// lines (CourseLine) to w, for the target host as given, with the time now
// returns when a sample is written (time.Now when nil).
func NewCourseLog(w io.Writer, host string, now func() time.Time) *ErrorLog {
	if now == nil {
		now = time.Now
	}
	return &ErrorLog{w: bufio.NewWriterSize(w, 64<<10), line: func(s Sample) string { return CourseLine(s, host, now()) }}
}

// Write logs s if it is an error of any kind, consequences included (the
// course simulator logs those too); successful samples are ignored.
func (l *ErrorLog) Write(s Sample) {
	if s.Outcome == OK {
		return
	}
	line := l.line(s)
	if line == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil || l.closed {
		return
	}
	if _, err := l.w.WriteString(line); err != nil {
		l.err = fmt.Errorf("write error log: %w", err)
		return
	}
	if err := l.w.WriteByte('\n'); err != nil {
		l.err = fmt.Errorf("write error log: %w", err)
		return
	}
	l.lines++
}

// Lines returns the number of lines written so far.
func (l *ErrorLog) Lines() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lines
}

// Flush writes buffered lines through and returns the first write error.
func (l *ErrorLog) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		if err := l.w.Flush(); err != nil {
			l.err = fmt.Errorf("flush error log: %w", err)
		}
	}
	return l.err
}

// Close flushes and stops the log: later Writes are ignored. It does not
// close the underlying writer, which belongs to the caller.
func (l *ErrorLog) Close() error {
	err := l.Flush()
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	return err
}
