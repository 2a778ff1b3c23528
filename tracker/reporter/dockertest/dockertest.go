// Package dockertest gives tests a real registry on loopback and a tiny
// FROM-scratch image pushed to it, so the docker reporter can be tested
// against the real engine and a real repository digest. Everything it
// creates is removed in t.Cleanup.
package dockertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/testenv"
)

// Registry starts Debian's docker-registry on a free 127.0.0.1 port (see
// testenv.Registry) and returns its host:port.
func Registry(t testing.TB) string { return testenv.Registry(t) }

// sleeper blocks until SIGTERM/SIGINT, so `docker stop` ends it at once.
const sleeper = `package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, os.Interrupt)
	<-c
}
`

// Image builds a FROM-scratch image around a static Go binary that waits
// for a signal, tags it registry/NAME:v1, pushes it and returns the
// reference and the pushed repository digest (hex, no "sha256:").
func Image(t testing.TB, registry, name string) (ref, digest string) {
	t.Helper()
	dir := buildContext(t, "")
	ref = registry + "/" + name + ":v1"
	run(t, dir, "docker", "build", "-q", "-t", ref, ".")
	t.Cleanup(func() {
		_ = exec.Command("docker", "image", "rm", "-f", ref).Run()
	})
	run(t, dir, "docker", "push", "-q", ref)
	out := run(t, dir, "docker", "image", "inspect", "--format", "{{range .RepoDigests}}{{println .}}{{end}}", ref)
	for _, line := range strings.Fields(out) {
		if repo, d, ok := strings.Cut(line, "@sha256:"); ok && repo == registry+"/"+name {
			return ref, d
		}
	}
	t.Fatalf("no repo digest for %s after push: %q", ref, out)
	return "", ""
}

// LocalImage builds an image like Image's but distinct from it (a unique
// label) and never pushes it, so it has no repository digest.
func LocalImage(t testing.TB, name string) string {
	t.Helper()
	dir := buildContext(t, name)
	ref := name + ":local"
	run(t, dir, "docker", "build", "-q", "-t", ref, ".")
	t.Cleanup(func() {
		_ = exec.Command("docker", "image", "rm", "-f", ref).Run()
	})
	return ref
}

// buildContext writes the sleeper's source, builds it statically and
// writes a FROM-scratch Dockerfile (with a label when one is given).
func buildContext(t testing.TB, label string) string {
	t.Helper()
	testenv.Docker(t)
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module sleeper\n\ngo 1.22\n")
	write("main.go", sleeper)
	dockerfile := "FROM scratch\nCOPY sleeper /sleeper\nENTRYPOINT [\"/sleeper\"]\n"
	if label != "" {
		dockerfile += "LABEL tracker.test.variant=" + label + "\n"
	}
	write("Dockerfile", dockerfile)
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", "sleeper", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build sleeper: %v: %s", err, out)
	}
	return dir
}

// Run starts n detached containers of ref carrying label, and returns their
// IDs; they are removed when the test ends.
func Run(t testing.TB, ref, label string, n int) []string {
	t.Helper()
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		id := strings.TrimSpace(run(t, "", "docker", "run", "-d", "--label", label, "--network", "none", ref))
		ids = append(ids, id)
		t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", id).Run() })
	}
	return ids
}

// Stop stops one container; docker stop returns once it has exited.
func Stop(t testing.TB, id string) {
	t.Helper()
	run(t, "", "docker", "stop", "-t", "5", id)
}

// Label returns a label unique to this test run, to scope the reporter
// to the test's own containers.
func Label(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "tracker-test=" + hex.EncodeToString(b)
}

func run(t testing.TB, dir string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
