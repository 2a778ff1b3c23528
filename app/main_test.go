package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/testenv"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, envOf(nil), &stdout, &stderr); err != nil {
		t.Fatalf("run --version: %v", err)
	}
	if !regexp.MustCompile(`^minitwit \S+ \(commit \S+, built \S+\)\n$`).MatchString(stdout.String()) {
		t.Fatalf("--version printed %q", stdout.String())
	}
	if stderr.Len() != 0 {
		t.Fatalf("stderr %q", stderr.String())
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"unknown flag", []string{"--nope"}, 2},
		{"stray argument", []string{"serve"}, 2},
		{"help", []string{"-h"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), tt.args, envOf(nil), io.Discard, &stderr)
			if got := exitCode(err, io.Discard); got != tt.code {
				t.Fatalf("exit code %d, want %d (err %v)", got, tt.code, err)
			}
			if !strings.Contains(stderr.String(), "-db") {
				t.Fatalf("no usage on stderr: %q", stderr.String())
			}
		})
	}
	t.Run("bad bcrypt cost", func(t *testing.T) {
		var stderr bytes.Buffer
		err := run(context.Background(), nil, envOf(map[string]string{"MINITWIT_BCRYPT_COST": "ten"}), io.Discard, &stderr)
		if exitCode(err, io.Discard) != 2 || !strings.Contains(stderr.String(), "MINITWIT_BCRYPT_COST") {
			t.Fatalf("err %v, stderr %q", err, stderr.String())
		}
		db := filepath.Join(t.TempDir(), "x.db")
		err = run(context.Background(), []string{"--bcrypt-cost", "99", "--db", db, "--addr", "127.0.0.1:0"}, envOf(nil), io.Discard, io.Discard)
		if exitCode(err, io.Discard) != 1 || !strings.Contains(err.Error(), "bcrypt cost 99") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("help is ErrHelp", func(t *testing.T) {
		if err := run(context.Background(), []string{"-h"}, envOf(nil), io.Discard, io.Discard); !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("unopenable database exits 1 with the reason", func(t *testing.T) {
		var stderr bytes.Buffer
		db := filepath.Join(t.TempDir(), "missing", "dir", "x.db")
		err := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--db", db}, envOf(nil), io.Discard, io.Discard)
		if exitCode(err, &stderr) != 1 || !strings.Contains(stderr.String(), "x.db") {
			t.Fatalf("err %v, stderr %q", err, stderr.String())
		}
	})
}

// TestRunServesUntilCancelled starts the real server on :0 through run,
// with settings from the environment, talks to it, and stops it by
// cancelling the context (what SIGINT/SIGTERM do).
func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &testenv.SyncBuffer{}
	env := envOf(map[string]string{
		"MINITWIT_DB":             filepath.Join(t.TempDir(), "minitwit.db"),
		"MINITWIT_API_ADDR":       "127.0.0.1:0",
		"MINITWIT_SIM_USER":       "bot",
		"MINITWIT_SIM_PASSWORD":   "pw",
		"MINITWIT_SESSION_SECRET": "secret",
	})
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--addr", "127.0.0.1:0"}, env, io.Discard, stderr) }()

	re := regexp.MustCompile(`(simulator API )?listening on (http://[^ "]+)`)
	var web, api string
	deadline := time.After(20 * time.Second)
	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()
	for web == "" || api == "" {
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v\n%s", err, stderr)
		case <-deadline:
			t.Fatalf("no listening lines in time:\n%s", stderr)
		case <-poll.C:
		}
		for _, m := range re.FindAllStringSubmatch(stderr.String(), -1) {
			if m[1] == "" {
				web = m[2]
			} else {
				api = m[2]
			}
		}
	}
	if strings.Contains(stderr.String(), "MINITWIT_SESSION_SECRET is not set") {
		t.Fatal("warned about the session secret although it was set")
	}
	for _, base := range []string{web, api} {
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
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after cancel: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Fatalf("no graceful stop logged:\n%s", stderr)
	}
	if _, err := http.Get(web + "/healthz"); err == nil {
		t.Fatal("server still answers after run returned")
	}
}
