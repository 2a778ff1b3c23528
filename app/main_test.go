package main

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/app/internal/cmd"
	"github.com/minitwit-cd/kit/app/storage"
	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/internal/testenv"
)

// run drives the real command tree with test streams and env.
func run(ctx context.Context, t *testing.T, env map[string]string, args ...string) (code int, out, errOut string) {
	t.Helper()
	io, _, o, e := cli.Test()
	io.Getenv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code = cli.Run(ctx, cmd.Program(), io, args)
	return code, o.String(), e.String()
}

func TestVersion(t *testing.T) {
	code, out, errOut := run(context.Background(), t, nil, "--version")
	if code != 0 || !regexp.MustCompile(`^minitwit \S+ \(commit \S+(, [^,]+)?, built \S+\)\n$`).MatchString(out) {
		t.Fatalf("--version: %d %q", code, out)
	}
	if errOut != "" {
		t.Fatalf("stderr %q", errOut)
	}
}

func TestUsageAndFailureCodes(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing", "dir", "x.db")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"unknown flag", nil, []string{"--nope"}, 2, "unknown flag: --nope"},
		{"unknown command", nil, []string{"bogus"}, 2, `unknown command "bogus"`},
		{"stray argument to serve", nil, []string{"serve", "x"}, 2, "unknown command"},
		{"help", nil, []string{"-h"}, 0, ""},
		{"bad bcrypt cost in env", map[string]string{"MINITWIT_BCRYPT_COST": "ten"}, nil, 2, "MINITWIT_BCRYPT_COST"},
		{"bad session ttl", nil, []string{"--session-ttl", "soon"}, 2, "session-ttl"},
		{"negative counts for seed", nil, []string{"seed", "--users", "-1"}, 2, "must not be negative"},
		{"too many follows", nil, []string{"seed", "--users", "2", "--follows", "3"}, 2, "at most 2 distinct follows"},
		{"bcrypt cost out of range", nil, []string{"--bcrypt-cost", "99", "--db", filepath.Join(t.TempDir(), "x.db"), "--addr", "127.0.0.1:0"}, 1, "bcrypt cost 99"},
		{"unopenable database", nil, []string{"--addr", "127.0.0.1:0", "--db", missing}, 1, "x.db"},
		{"seed into an unopenable database", nil, []string{"seed", "--db", missing}, 1, "x.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(context.Background(), t, tt.env, tt.args...)
			if code != tt.code {
				t.Fatalf("exit code %d, want %d; stderr %q", code, tt.code, errOut)
			}
			if tt.want != "" && !strings.Contains(errOut, tt.want) {
				t.Fatalf("stderr %q lacks %q", errOut, tt.want)
			}
			if tt.code == 0 && !strings.Contains(out, "--db") {
				t.Fatalf("help lacks the flags: %q", out)
			}
		})
	}
}

// TestServeUntilCancelled starts the real server on :0 through the
// command, with settings from the environment, talks to it, and stops it
// by cancelling the context (what SIGINT/SIGTERM do).
func TestServeUntilCancelled(t *testing.T) {
	for _, args := range [][]string{{"--addr", "127.0.0.1:0"}, {"serve", "--addr", "127.0.0.1:0"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stderr := &testenv.SyncBuffer{}
			io, _, _, _ := cli.Test()
			io.ErrOut = stderr
			env := map[string]string{
				"MINITWIT_DB":             filepath.Join(t.TempDir(), "minitwit.db"),
				"MINITWIT_API_ADDR":       "127.0.0.1:0",
				"MINITWIT_METRICS_ADDR":   "127.0.0.1:0",
				"MINITWIT_SIM_USER":       "bot",
				"MINITWIT_SIM_PASSWORD":   "pw",
				"MINITWIT_SESSION_SECRET": "secret",
			}
			io.Getenv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			done := make(chan int, 1)
			go func() { done <- cli.Run(ctx, cmd.Program(), io, args) }()

			exited := make(chan struct{})
			var code int
			go func() { code = <-done; close(exited) }()
			urls := map[string]string{}
			for _, name := range []string{"", "simulator API", "metrics"} {
				urls[name] = testenv.WaitListening(t, stderr.String, name, exited, 20*time.Second)
			}
			if strings.Contains(stderr.String(), "MINITWIT_SESSION_SECRET is not set") {
				t.Fatal("warned about the session secret although it was set")
			}
			for _, base := range []string{urls[""], urls["simulator API"]} {
				r, _ := http.NewRequest("GET", base+"/msgs", nil)
				r.SetBasicAuth("bot", "pw")
				resp, err := http.DefaultClient.Do(r)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s/msgs with the env credentials: %d", base, resp.StatusCode)
				}
			}
			if resp, err := http.Get(urls["metrics"] + "/metrics"); err != nil || resp.StatusCode != 200 {
				t.Fatalf("metrics listener: %v %v", resp, err)
			} else {
				resp.Body.Close()
			}
			cancel()
			select {
			case <-exited:
				if code != 0 {
					t.Fatalf("exit code after cancel: %d\n%s", code, stderr)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("serve did not return after cancel")
			}
			if !strings.Contains(stderr.String(), "stopped") {
				t.Fatalf("no graceful stop logged:\n%s", stderr)
			}
		})
	}
}

// TestSeed loads a store through the command and reads it back; a second
// seed into the now non-empty store fails with the reason.
func TestSeed(t *testing.T) {
	for _, db := range []struct{ name, dsn string }{
		{"sqlite", filepath.Join(t.TempDir(), "seeded.db")},
		{"postgres", testenv.PostgresURL(t)},
	} {
		t.Run(db.name, func(t *testing.T) {
			code, out, errOut := run(context.Background(), t, map[string]string{"MINITWIT_DB": db.dsn},
				"seed", "--users", "50", "--messages", "400", "--follows", "120", "--seed", "7")
			if code != 0 || !strings.Contains(out, "50 users, 400 messages, 120 follows (seed 7)") {
				t.Fatalf("seed: %d %q %q", code, out, errOut)
			}
			if !strings.Contains(errOut, "seeding: 570/570 rows (100%)") {
				t.Fatalf("no plain progress lines on stderr: %q", errOut)
			}
			store, err := storage.Open(context.Background(), db.dsn)
			if err != nil {
				t.Fatal(err)
			}
			st, err := store.Stats(context.Background())
			store.Close()
			if err != nil || st.Users != 50 || st.Messages != 400 || st.Follows != 120 {
				t.Fatalf("stats after seed: %+v %v", st, err)
			}
			code, _, errOut = run(context.Background(), t, nil, "seed", "--db", db.dsn, "--users", "5", "--messages", "5", "--follows", "5")
			if code != 1 || !strings.Contains(errOut, "already holds 50 users") {
				t.Fatalf("second seed: %d %q", code, errOut)
			}
		})
	}
}

// TestBinaryExitCodes runs the built binary: a usage error exits 2, a
// failure 1, Ctrl-C (SIGINT) 130 after a graceful stop, SIGTERM 0.
func TestBinaryExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "minitwit")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	exitOf := func(err error) int {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	}
	if out, err := exec.Command(bin, "bogus").CombinedOutput(); exitOf(err) != 2 {
		t.Fatalf("minitwit bogus: %v %s", err, out)
	}
	if out, err := exec.Command(bin, "--db", filepath.Join(t.TempDir(), "no", "x.db"), "--addr", "127.0.0.1:0").CombinedOutput(); exitOf(err) != 1 {
		t.Fatalf("unopenable database: %v %s", err, out)
	}
	for _, sig := range []struct {
		s    syscall.Signal
		code int
		args []string
	}{
		{syscall.SIGINT, 130, []string{"serve", "--addr", "127.0.0.1:0"}},
		// Go-flag style single dashes, as before cobra, still work.
		{syscall.SIGTERM, 0, []string{"-addr", "127.0.0.1:0"}},
	} {
		c := exec.Command(bin, append(sig.args, "-db", filepath.Join(t.TempDir(), "x.db"))...)
		c.Env = append(os.Environ(), "MINITWIT_SESSION_SECRET=x")
		stderr, _ := c.StderrPipe()
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stderr)
		for sc.Scan() && !strings.Contains(sc.Text(), "listening on") {
		}
		if err := c.Process.Signal(sig.s); err != nil {
			t.Fatal(err)
		}
		go func() {
			for sc.Scan() {
			}
		}()
		if code := exitOf(c.Wait()); code != sig.code {
			t.Fatalf("after %v: exit %d, want %d", sig.s, code, sig.code)
		}
	}
}
