package report

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestErrorLine(t *testing.T) {
	base := Sample{ActionID: 1234, Command: "tweet", Timestamp: 1_600_000_000_123, Scheduled: t0}
	const target = "http://127.0.0.1:5001"
	tests := []struct {
		name    string
		outcome Outcome
		status  int
		want    string
	}{
		{"ok is no error", OK, 204, ""},
		{"late is a read timeout", Late, 204, "1600000000123,http://127.0.0.1:5001,1234,ReadTimeout,tweet"},
		{"timeout", Timeout, 0, "1600000000123,http://127.0.0.1:5001,1234,ReadTimeout,tweet"},
		{"connection error", ConnError, 0, "1600000000123,http://127.0.0.1:5001,1234,ConnectionError,tweet"},
		{"wrong status", WrongStatus, 500, "1600000000123,http://127.0.0.1:5001,1234,500,tweet"},
		{"wrong status without one", WrongStatus, 0, "1600000000123,http://127.0.0.1:5001,1234,ConnectionError,tweet"},
		{"consequence with an answer", Consequence, 404, "1600000000123,http://127.0.0.1:5001,1234,404,tweet"},
		{"consequence never answered", Consequence, 0, "1600000000123,http://127.0.0.1:5001,1234,ConnectionError,tweet"},
		{"undefined outcome", Outcome(17), 0, "1600000000123,http://127.0.0.1:5001,1234,ConnectionError,tweet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			s.Outcome, s.Status = tt.outcome, tt.status
			if got := ErrorLine(s, target); got != tt.want {
				t.Errorf("ErrorLine = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("line breaks cannot split a line", func(t *testing.T) {
		s := base
		s.Outcome, s.Command = Timeout, "tw\neet"
		got := ErrorLine(s, "http://x\r\ny")
		if strings.ContainsAny(got, "\r\n") {
			t.Errorf("ErrorLine = %q", got)
		}
	})
}

func TestErrorLog(t *testing.T) {
	var b bytes.Buffer
	l := NewErrorLog(&b, "http://app:5000")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				id := int64(g*100 + i)
				l.Write(Sample{ActionID: id, Command: "follow", Outcome: Outcome(id % 6), Status: 500, Timestamp: id})
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l.Write(Sample{ActionID: 9999, Outcome: Timeout}) // after Close: ignored
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	// 800 samples cycle through six outcomes; all but OK are logged.
	want := 800 - (800+5)/6
	if len(lines) != want || l.Lines() != int64(want) {
		t.Fatalf("%d lines (Lines() = %d), want %d", len(lines), l.Lines(), want)
	}
	for _, line := range lines {
		if f := strings.Split(line, ","); len(f) != 5 || f[1] != "http://app:5000" || f[4] != "follow" {
			t.Fatalf("malformed line %q", line)
		}
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errors.New("disk full")
}

func TestErrorLogWriteFailure(t *testing.T) {
	w := &failingWriter{}
	l := NewErrorLog(w, "t")
	l.Write(Sample{Outcome: Timeout, Scheduled: time.Now()})
	err := l.Flush()
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Flush = %v, want the write error", err)
	}
	// Sticky: later writes are dropped rather than retried on a broken writer.
	l.Write(Sample{Outcome: Timeout})
	if err2 := l.Close(); !errors.Is(err2, err) && err2.Error() != err.Error() {
		t.Errorf("Close = %v, want the first error %v", err2, err)
	}
	if w.n != 1 {
		t.Errorf("writer called %d times, want once", w.n)
	}
}

func TestCourseLine(t *testing.T) {
	seen := time.Date(2026, 3, 4, 5, 6, 7, 800, time.FixedZone("X", -2*3600))
	const host = "http://127.0.0.1:5001/"
	base := Sample{ActionID: 1234, Command: "tweet", Timestamp: 1_600_000_000_123}
	for _, tt := range []struct {
		name      string
		outcome   Outcome
		status    int
		exception string
		want      string
	}{
		{"ok is no error", OK, 204, "", ""},
		{"wrong status", WrongStatus, 500, "", "2026-03-04 07:06:07,http://127.0.0.1:5001/,1234,500,tweet"},
		{"200 instead of 204", WrongStatus, 200, "", "2026-03-04 07:06:07,http://127.0.0.1:5001/,1234,200,tweet"},
		{"consequence with an answer", Consequence, 404, "", "2026-03-04 07:06:07,http://127.0.0.1:5001/,1234,404,tweet"},
		{"late is a read timeout", Late, 204, "", "2026-03-04 07:06:07,http://127.0.0.1:5001/,1234,ReadTimeout"},
		{"timeout", Timeout, 0, "ReadTimeout", "2026-03-04 07:06:07,http://127.0.0.1:5001/,1234,ReadTimeout"},
		{"timeout without a class", Timeout, 0, "", "2026-03-04 07:06:07,http://127.0.0.1:5001/,1234,ReadTimeout"},
		{"connection error", ConnError, 0, "ConnectionError", "2026-03-04 07:06:07,http://127.0.0.1:5001/,1234,ConnectionError"},
		{"another exception", ConnError, 0, "ChunkedEncodingError", "2026-03-04 07:06:07,http://127.0.0.1:5001/,1234,ChunkedEncodingError"},
		{"consequence never answered", Consequence, 0, "ConnectionError", "2026-03-04 07:06:07,http://127.0.0.1:5001/,1234,ConnectionError"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			s.Outcome, s.Status, s.Exception = tt.outcome, tt.status, tt.exception
			if got := CourseLine(s, host, seen); got != tt.want {
				t.Errorf("CourseLine = %q, want %q", got, tt.want)
			}
		})
	}
	var b bytes.Buffer
	l := NewCourseLog(&b, host, func() time.Time { return seen })
	l.Write(Sample{ActionID: 1, Outcome: OK, Status: 204})
	l.Write(Sample{ActionID: 2, Command: "follow", Outcome: WrongStatus, Status: 500})
	if err := l.Close(); err != nil || b.String() != "2026-03-04 07:06:07,http://127.0.0.1:5001/,2,500,follow\n" {
		t.Errorf("course log: %v %q", err, b.String())
	}
}
