// Package testenv gives tests the real services they need (PostgreSQL,
// Docker, Chromium) and applies the kit's rule for a missing one: when the
// CI environment variable is set the test fails, on a laptop it is skipped
// with the reason.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/minitwit-cd/kit/internal/dsn"
	"github.com/minitwit-cd/kit/internal/repo"
)

// DefaultPostgresURL is the server .ci/run starts: Debian's PostgreSQL on
// loopback with the password "postgres".
const DefaultPostgresURL = "postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable"

// InCI reports whether the tests run in CI, where every service is required.
func InCI() bool { return os.Getenv("CI") != "" }

// Require fails the test in CI and skips it elsewhere when err says that
// service cannot be used.
func Require(t testing.TB, service string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if InCI() {
		t.Fatalf("%s is required in CI but unavailable: %v", service, err)
	}
	t.Skipf("skipping: %s unavailable on this machine: %v (CI requires it; see .ci/run)", service, err)
}

// PostgresURL creates a fresh, empty database on the test PostgreSQL server
// (TEST_POSTGRES_URL, or DefaultPostgresURL), drops it when the test ends,
// and returns its connection URL.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TEST_POSTGRES_URL")
	if base == "" {
		base = DefaultPostgresURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	Require(t, "PostgreSQL at "+dsn.Redact(base), err)
	defer admin.Close()

	name := "test_" + randomHex(8)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Docker makes testcontainers-go usable on this machine (no reaper, dial
// the published ports on loopback) and fails or skips when the Docker
// engine does not answer.
func Docker(t testing.TB) {
	t.Helper()
	SetupTestcontainers()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").CombinedOutput()
	if err != nil {
		err = fmt.Errorf("docker version: %w: %s", err, strings.TrimSpace(string(out)))
	}
	Require(t, "Docker engine", err)
}

// SetupTestcontainers sets the environment testcontainers-go needs here:
// the Ryuk reaper cannot be pulled (no registry), and container ports must
// be reached on 127.0.0.1 rather than through the default gateway.
func SetupTestcontainers() {
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" {
		os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
}

// Chromium returns the path of a headless-capable Chromium or Chrome
// binary, failing in CI and skipping elsewhere when there is none.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Require(t, "Chromium", fmt.Errorf("no chromium binary on PATH (apt-get install chromium)"))
	return ""
}

// Binary returns the path of a command the test needs (sshd, registry,
// wrk …), failing in CI and skipping elsewhere when it is not installed.
func Binary(t testing.TB, name string, candidates ...string) string {
	t.Helper()
	for _, c := range append([]string{name}, candidates...) {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	Require(t, name, fmt.Errorf("%s not found on PATH", name))
	return ""
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// RepoRoot returns the module root above the test's directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// CourseScenario returns the course's scenario file kept beside the
// repository (../shared/data/minitwit_scenario.tsv): required in CI,
// skipped with the reason elsewhere.
func CourseScenario(t testing.TB) string {
	t.Helper()
	p, err := repo.CourseScenario()
	Require(t, "the course scenario", err)
	return p
}

// SyncBuffer is a bytes.Buffer that a server goroutine writes (its logs,
// a command's output) while the test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
