package report

import (
	"bytes"
	"flag"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/testenv"
)

// t0 is a fixed start so that reports are byte-for-byte reproducible.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fixtureSamples is a small deterministic run: 40 actions over 4 seconds
// with every outcome represented.
func fixtureSamples() []Sample {
	cmds := []string{"register", "tweet", "follow", "unfollow"}
	var out []Sample
	for i := range 40 {
		sched := t0.Add(time.Duration(i) * 100 * time.Millisecond)
		lateBy := time.Duration(i%5) * time.Millisecond
		service := time.Duration(1+i%7) * time.Millisecond
		s := Sample{
			ActionID:  int64(i),
			Command:   cmds[i%4],
			Scheduled: sched,
			Sent:      sched.Add(lateBy),
			Service:   service,
			Latency:   lateBy + service,
			Status:    204,
			Outcome:   OK,
			Timestamp: 1_600_000_000_000 + int64(i)*1000,
		}
		switch i {
		case 5:
			s.Outcome, s.Latency = Late, 320*time.Millisecond
		case 9:
			s.Outcome, s.Status, s.Latency, s.Err = Timeout, 0, 300*time.Millisecond, "read timeout"
		case 13:
			s.Outcome, s.Status, s.Err = ConnError, 0, "connection refused"
		case 17, 18:
			s.Outcome, s.Status = WrongStatus, 500
		case 22:
			s.Outcome, s.Status = Consequence, 403
		case 30:
			s.Sent = sched.Add(25 * time.Millisecond)
			s.Latency = 25*time.Millisecond + service
		}
		out = append(out, s)
	}
	return out
}

func fixtureRecorder(t testing.TB) *Recorder {
	t.Helper()
	r := NewRecorder(Options{Target: "http://127.0.0.1:5001", Start: t0, Bucket: 500 * time.Millisecond})
	for _, s := range fixtureSamples() {
		r.Add(s)
	}
	return r
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := fixtureRecorder(t).WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "table.golden", b.Bytes())
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := fixtureRecorder(t).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.golden.json", b.Bytes())
}

var htmlOut = flag.String("html-out", "", "also write TestWriteHTML's report to this file, to look at it")

// golden compares got with testdata/name (testenv.Golden).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testenv.Golden(t, name, got)
}
