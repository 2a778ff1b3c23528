package systemtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/logline"
	"github.com/minitwit-cd/kit/internal/testenv"
)

// Build stamps passed to the binary and the image, so the container test
// can check that they arrive in the labels and in /version.
const (
	buildVersion = "v0.0.0-systemtest"
	buildDate    = "2026-01-02T03:04:05Z"
)

var (
	// buildDir holds the binary; TestMain removes it after all tests.
	buildDir   string
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
	// buildCommit is the repository's HEAD, stamped into the binary.
	buildCommit string
	// cleanups run after all tests: things shared between tests, such as
	// the image, outlive any single test's Cleanup.
	cleanups []func()
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "minitwit-systemtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "systemtest:", err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	for _, f := range cleanups {
		f()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// minitwitBinary builds the static binary once per test run, with
// scripts/build-binary.sh (the image's exact build) and without -race even
// when the tests run with it: the subprocess is the system under test, and
// a race-instrumented server would be several times slower on the scenario.
func minitwitBinary(t testing.TB) string {
	t.Helper()
	root := testenv.RepoRoot(t)
	binaryOnce.Do(func() {
		out, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
		if err != nil {
			buildCommit = "unknown"
		} else {
			buildCommit = strings.TrimSpace(string(out))
		}
		binaryPath = filepath.Join(buildDir, "minitwit")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "build-binary.sh"), binaryPath)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "VERSION="+buildVersion, "COMMIT="+buildCommit, "DATE="+buildDate)
		if b, err := cmd.CombinedOutput(); err != nil {
			binaryErr = fmt.Errorf("scripts/build-binary.sh: %w\n%s", err, b)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// server is a running minitwit subprocess.
type server struct {
	URL  string
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	logs bytes.Buffer
	err  error // from Wait, valid after done is closed
}

// startServer runs the binary on 127.0.0.1:0 with the SQLite file db and
// returns once it has logged its address. The process is stopped (SIGTERM)
// at the end of the test unless it has exited before.
func startServer(t testing.TB, db string, args ...string) *server {
	t.Helper()
	bin := minitwitBinary(t)
	s := &server{done: make(chan struct{})}
	args = append([]string{"--addr", "127.0.0.1:0", "--db", db}, args...)
	s.cmd = exec.Command(bin, args...)
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stdout = io.Discard
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	urlc := make(chan string, 1)
	go func() {
		// Read every line so the pipe never fills and blocks the server;
		// keep the first lines and the tail for failure messages.
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		found := false
		for sc.Scan() {
			line := sc.Text()
			if !found {
				if u, ok := logline.ListenURL(line); ok {
					found = true
					urlc <- u
				}
			}
			s.mu.Lock()
			if s.logs.Len() < 256*1024 {
				s.logs.WriteString(line + "\n")
			}
			s.mu.Unlock()
		}
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() { s.stop(t) })
	select {
	case u := <-urlc:
		// The address may be logged as 0.0.0.0 or [::]; dial loopback.
		u = strings.Replace(u, "://0.0.0.0:", "://127.0.0.1:", 1)
		u = strings.Replace(u, "://[::]:", "://127.0.0.1:", 1)
		s.URL = strings.TrimRight(u, "/")
	case <-s.done:
		t.Fatalf("minitwit exited before listening: %v\n%s", s.err, s.Logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("minitwit did not log its address within 30s:\n%s", s.Logs())
	}
	return s
}

// Logs returns what the server wrote to stderr so far.
func (s *server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// kill sends SIGKILL, as a crash would, and waits for the process to go.
func (s *server) kill(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("kill: %v", err)
	}
	<-s.done
}

// stop asks the server to shut down and waits for it, killing it if it
// does not exit within 10 s.
func (s *server) stop(t testing.TB) {
	t.Helper()
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Errorf("minitwit did not stop within 10s of SIGTERM; killing it")
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}
