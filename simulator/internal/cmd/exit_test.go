package cmd_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// simulatorBinary builds the simulator command once per test binary.
func simulatorBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "simulator-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "simulator")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/minitwit-cd/kit/simulator").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("go build the simulator: %v", buildErr)
	}
	return binPath
}

// TestExitCodesOfTheBinary runs the real simulator binary: an unknown
// command and a bad flag exit 2 (as the README promises), a failed run 1,
// Ctrl-C during a replay 130 with the partial report written.
func TestExitCodesOfTheBinary(t *testing.T) {
	bin := simulatorBinary(t)
	scen := generate(t, 4, 2000, 3)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown command", []string{"bogus"}, 2, `unknown command "bogus"`},
		{"unknown flag", []string{"run", "--bogus"}, 2, "unknown flag: --bogus"},
		{"bad value", []string{"run", "-t", deadURL, "-s", scen, "-c", "none"}, 2, "invalid argument"},
		{"failed run", []string{"run", "-t", deadURL, "-s", scen, "--limit", "5", "--verify=false"}, 1, "5 errors, more than --max-errors 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			c := exec.Command(bin, tc.args...)
			c.Stderr = &stderr
			err := c.Run()
			var ee *exec.ExitError
			if code := c.ProcessState.ExitCode(); code != tc.code || (err != nil && !errors.As(err, &ee)) || !strings.Contains(stderr.String(), tc.msg) {
				t.Errorf("exit %d (want %d), %v, stderr:\n%s\nwant it to contain %q", code, tc.code, err, stderr.String(), tc.msg)
			}
		})
	}

	t.Run("interrupted", func(t *testing.T) {
		answered := make(chan struct{}, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/latest" {
				_, _ = io.WriteString(w, `{"latest": -1}`)
				return
			}
			select {
			case answered <- struct{}{}:
			default:
			}
			w.WriteHeader(204)
		}))
		defer srv.Close()
		jsonPath := filepath.Join(t.TempDir(), "r.json")
		var stderr bytes.Buffer
		c := exec.Command(bin, "run", "-t", srv.URL, "-s", scen, "--compat", "--json", jsonPath)
		c.Stderr = &stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-answered:
		case <-time.After(30 * time.Second):
			_ = c.Process.Kill()
			t.Fatal("no request reached the target within 30 s")
		}
		if err := c.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		_ = c.Wait()
		if code := c.ProcessState.ExitCode(); code != 130 || !strings.Contains(stderr.String(), "interrupted after") {
			t.Errorf("after Ctrl-C: exit %d, want 130; stderr:\n%s", code, stderr.String())
		}
		if rep := readReport(t, jsonPath); !rep.Stats.Interrupted || rep.Stats.Sent == 0 || rep.Stats.Sent >= 2000 {
			t.Errorf("partial report: %+v", rep.Stats)
		}
	})
}
