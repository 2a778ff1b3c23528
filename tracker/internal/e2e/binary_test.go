package e2e

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/logline"
)

// TestBinary builds the tracker binary and runs it as users do: serve on
// :0 from the environment, create an org, talk to it with the env
// variables, and stop it with SIGTERM for a graceful exit 0.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tracker")
	build := exec.Command("go", "build", "-o", bin, "github.com/minitwit-cd/kit/tracker")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "tracker.db")
	serve := exec.Command(bin, "serve")
	serve.Env = append(os.Environ(), "TRACKER_ADDR=127.0.0.1:0", "TRACKER_DB="+db)
	stderr, err := serve.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- serve.Wait()
	}()
	t.Cleanup(func() { _ = serve.Process.Kill() })

	var host string
	timeout := time.After(20 * time.Second)
	for host == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("serve exited before listening")
			}
			if u, ok := logline.ListenURL(line); ok {
				host = u
			}
		case <-timeout:
			t.Fatal("serve did not log its address within 20s")
		}
	}

	run := func(env []string, args ...string) (string, string, int) {
		t.Helper()
		c := exec.Command(bin, args...)
		c.Env = append(os.Environ(), env...)
		var out, errOut strings.Builder
		c.Stdout, c.Stderr = &out, &errOut
		err := c.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errOut.String(), code
	}
	token, errOut, code := run(nil, "admin", "create-org", "course", "--db", db)
	if code != 0 {
		t.Fatalf("create-org: %d %s", code, errOut)
	}
	env := []string{"TRACKER_HOST=" + host, "TRACKER_ORG=course", "TRACKER_API_TOKEN=" + strings.TrimSpace(token)}
	if out, errOut, code := run(env, "create", "flow", "minitwit", "--visibility", "public"); code != 0 || out != "flow minitwit was created\n" {
		t.Errorf("create flow: %d %q %q", code, out, errOut)
	}
	if out, _, code := run(env, "ls", "flows"); code != 0 || !strings.Contains(out, "minitwit") {
		t.Errorf("ls flows: %d %q", code, out)
	}
	if _, errOut, code := run(env, "get", "flow", "nope"); code != 4 || strings.Count(errOut, "\n") != 1 {
		t.Errorf("get flow nope: exit %d, stderr %q", code, errOut)
	}
	// The kit's exit codes through the real binary: usage 2 (typed from
	// cobra's own errors, not matched by text), a failed job 1, Ctrl-C 130.
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"bogus"}, 2, `unknown command "bogus"`},
		{[]string{"ls", "flows", "--no-such-flag"}, 2, "unknown flag: --no-such-flag"},
		{[]string{"get", "flow"}, 2, "expects one argument"},
		{[]string{"ls", "flows", "extra"}, 2, "expects no arguments"},
	} {
		if _, errOut, code := run(env, c.args...); code != c.code || !strings.Contains(errOut, c.msg) || !strings.Contains(errOut, "--help' for usage") {
			t.Errorf("tracker %v: exit %d %q, want %d %q", c.args, code, errOut, c.code, c.msg)
		}
	}
	fpx := strings.Repeat("ab", 32)
	run(env, "create", "flow", "gated", "--template", "unit-tests")
	run(env, "attest", "artifact", "app", "--flow", "gated", "--fingerprint", fpx, "--commit", "1234567")
	if out, errOut, code := run(env, "assert", "artifact", fpx, "--flow", "gated"); code != 1 || !strings.HasPrefix(out, "NON-COMPLIANT") || !strings.Contains(errOut, "artifact is not compliant") {
		t.Errorf("assert artifact of a non-compliant artifact: exit %d %q %q, want 1", code, out, errOut)
	}
	// Ctrl-C stops a reporter on a timer with 130.
	every := exec.Command(bin, "snapshot", "json", "vm", "--file", "-", "--reporter", "server", "--every", "1h")
	every.Env = append(os.Environ(), env...)
	every.Stdin = strings.NewReader(`{"artifacts": []}`)
	everyOut := &strings.Builder{}
	every.Stdout = everyOut
	run(env, "create", "environment", "vm", "--type", "server")
	if err := every.Start(); err != nil {
		t.Fatal(err)
	}
	// Running: its first report has reached the server.
	waitUntil(t, 20*time.Second, func() bool {
		o, _, _ := run(env, "get", "environment", "vm", "-o", "json")
		return strings.Contains(o, `"last_reported_at": 1`)
	})
	if err := every.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var ee *exec.ExitError
	if err := every.Wait(); !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("snapshot --every after Ctrl-C: %v, want exit 130", err)
	}

	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range lines { // drain so the server never blocks on stderr
		}
	}()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v, want exit 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not exit within 15s of SIGTERM")
	}
}

// waitUntil polls cond until it holds, failing the test after timeout.
func waitUntil(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", timeout)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, with a deadline
	}
}
