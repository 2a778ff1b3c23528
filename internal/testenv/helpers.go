package testenv

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/logline"
)

// update is the -update flag of every test package that uses Golden:
// `go test ./pkg -update` rewrites its golden files.
var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// Updating reports whether the test runs with -update (goldens are being
// rewritten).
func Updating() bool { return *update }

// Golden compares got with the file testdata/name (below the test's
// package directory), or rewrites that file when the test runs with
// -update.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (go test -update creates it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// WaitListening polls logs until the listener called name ("" for the
// main one) has announced its URL, and returns it; the test fails after
// timeout, or as soon as exited is closed.
func WaitListening(t testing.TB, logs func() string, name string, exited <-chan struct{}, timeout time.Duration) string {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if u, ok := logline.ListenURLs(logs())[name]; ok {
			return u
		}
		select {
		case <-exited:
			t.Fatalf("the server exited before listening:\n%s", logs())
		case <-deadline.C:
			t.Fatalf("no %q listening line within %v:\n%s", name, timeout, logs())
		case <-tick.C:
		}
	}
}

// Clock is a settable clock for code under test that takes a
// func() time.Time; safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set stops the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock on by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}
