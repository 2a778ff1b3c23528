package systemtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/minitwit-cd/kit/internal/testenv"
)

var (
	imageOnce sync.Once
	imageTag  string
	imageErr  error
)

// buildImage runs scripts/build-image.sh around the test's static binary
// once per test run and returns the tag; TestMain removes the image.
func buildImage(t *testing.T) string {
	t.Helper()
	root := testenv.RepoRoot(t)
	bin := minitwitBinary(t)
	imageOnce.Do(func() {
		suffix := make([]byte, 4)
		_, _ = rand.Read(suffix)
		tag := "minitwit:systemtest-" + hex.EncodeToString(suffix)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "build-image.sh"), tag)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "MINITWIT_BINARY="+bin,
			"VERSION="+buildVersion, "COMMIT="+buildCommit, "DATE="+buildDate)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			imageErr = fmt.Errorf("scripts/build-image.sh: %w\n%s%s", err, out, stderr.String())
			return
		}
		cleanups = append(cleanups, func() {
			if out, err := exec.Command("docker", "image", "rm", "--force", tag).CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "remove image %s: %v %s\n", tag, err, out)
			}
		})
		if got := strings.TrimSpace(string(out)); got != tag {
			imageErr = fmt.Errorf("build-image.sh printed %q, want the tag %q", got, tag)
			return
		}
		imageTag = tag
	})
	if imageErr != nil {
		t.Fatal(imageErr)
	}
	return imageTag
}

// TestContainer builds the image, runs it under the Docker engine with
// testcontainers-go, and checks the simulator API contract, the OCI
// labels, the build info and that the server does not run as root.
func TestContainer(t *testing.T) {
	// Parallel tests start after the scenario replay, which runs alone
	// because it holds every answer to the simulator's 300 ms.
	t.Parallel()
	testenv.Docker(t)
	tag := buildImage(t)
	ctx := context.Background()

	docker, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer docker.Close()

	t.Run("labels", func(t *testing.T) {
		img, err := docker.ImageInspect(ctx, tag)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"org.opencontainers.image.title":    "minitwit",
			"org.opencontainers.image.version":  buildVersion,
			"org.opencontainers.image.revision": buildCommit,
			"org.opencontainers.image.created":  buildDate,
			"org.opencontainers.image.source":   "https://github.com/minitwit-cd/kit",
		}
		for k, v := range want {
			if got := img.Config.Labels[k]; got != v {
				t.Errorf("label %s = %q, want %q", k, got, v)
			}
		}
		if img.Config.User != "65534:65534" {
			t.Errorf("image user = %q, want 65534:65534", img.Config.User)
		}
		if _, ok := img.Config.Volumes["/data"]; !ok {
			t.Errorf("image volumes %v lack /data", img.Config.Volumes)
		}
		if _, ok := img.Config.ExposedPorts["5000/tcp"]; !ok {
			t.Errorf("image exposes %v, want 5000/tcp", img.Config.ExposedPorts)
		}
		if !slices.Equal(img.Config.Entrypoint, []string{"/minitwit"}) {
			t.Errorf("entrypoint = %q", img.Config.Entrypoint)
		}
	})

	port := network.MustParsePort("5000/tcp")
	ctr, err := testcontainers.Run(ctx, tag,
		testcontainers.WithExposedPorts("5000/tcp"),
		// Publish on loopback only, not on every interface.
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = network.PortMap{port: {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "0"}}}
		}),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/latest").WithPort("5000/tcp").
			WithStartupTimeout(60*time.Second)),
	)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatalf("run %s: %v", tag, err)
	}
	base, err := ctr.PortEndpoint(ctx, "5000/tcp", "http")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("container endpoint %s is not on 127.0.0.1", base)
	}

	t.Run("non-root", func(t *testing.T) {
		// ps on the host, through the engine: the uid the kernel sees.
		top, err := docker.ContainerTop(ctx, ctr.GetContainerID(), client.ContainerTopOptions{Arguments: []string{"-o", "pid,uid,comm"}})
		if err != nil {
			t.Fatal(err)
		}
		uid := slices.Index(top.Titles, "UID")
		if uid < 0 || len(top.Processes) == 0 {
			t.Fatalf("ps in the container: titles %q, %d processes", top.Titles, len(top.Processes))
		}
		for _, p := range top.Processes {
			if p[uid] != "65534" {
				t.Errorf("process %q runs as uid %s, want 65534 (not root)", p, p[uid])
			}
		}
	})

	t.Run("version", func(t *testing.T) {
		c := newPooledClient(base, 5*time.Second)
		b := c.must(t, http.StatusOK, http.MethodGet, "/version", -1, nil)
		var v struct{ Version, Commit, Date string }
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("/version %s: %v", b, err)
		}
		if v.Version != buildVersion || v.Commit != buildCommit || v.Date != buildDate {
			t.Errorf("/version = %+v, want %s %s %s", v, buildVersion, buildCommit, buildDate)
		}
	})

	t.Run("simulator API", func(t *testing.T) {
		simContract(t, base)
	})
}

// simContract runs the simulator API contract (sim-api.md) against base
// with a fresh database: register, tweet, follow, unfollow, msgs, fllws,
// latest and the 403 for a missing Authorization header.
func simContract(t *testing.T, base string) {
	c := newSimClient(base)
	// Give the first requests to a cold container a little more room.
	c.http.Timeout = 2 * time.Second
	if got := c.latest(t); got != -1 {
		t.Errorf("/latest on a fresh database = %d, want -1", got)
	}
	c.must(t, http.StatusNoContent, http.MethodPost, "/register", 1,
		map[string]string{"username": "Roger Histand", "email": "roger@example.com", "pwd": "pw"})
	c.must(t, http.StatusNoContent, http.MethodPost, "/register", 2,
		map[string]string{"username": "b", "email": "b@example.com", "pwd": "pw"})
	b := c.must(t, http.StatusBadRequest, http.MethodPost, "/register", 3,
		map[string]string{"username": "b", "email": "b@example.com", "pwd": "pw"})
	if !strings.Contains(string(b), "The username is already taken") {
		t.Errorf("duplicate register body %s", b)
	}
	c.must(t, http.StatusNoContent, http.MethodPost, userPath("/msgs/", "Roger Histand"), 4, map[string]string{"content": "first"})
	c.must(t, http.StatusNoContent, http.MethodPost, userPath("/msgs/", "Roger Histand"), 5, map[string]string{"content": "second"})
	c.must(t, http.StatusNoContent, http.MethodPost, userPath("/fllws/", "Roger Histand"), 6, map[string]string{"follow": "b"})
	if got := c.follows(t, "Roger Histand", 100); !slices.Equal(got, []string{"b"}) {
		t.Errorf("follows after follow = %q, want [b]", got)
	}
	c.must(t, http.StatusNoContent, http.MethodPost, userPath("/fllws/", "Roger Histand"), 7, map[string]string{"unfollow": "b"})
	if got := c.follows(t, "Roger Histand", 100); len(got) != 0 {
		t.Errorf("follows after unfollow = %q, want none", got)
	}
	msgs := c.messages(t, userPath("/msgs/", "Roger Histand"), 100)
	if len(msgs) != 2 || msgs[0].Content != "second" || msgs[1].Content != "first" || msgs[0].User != "Roger Histand" {
		t.Errorf("user messages = %+v, want second, first by Roger Histand", msgs)
	}
	if all := c.messages(t, "/msgs", 1); len(all) != 1 || all[0].Content != "second" {
		t.Errorf("/msgs?no=1 = %+v, want [second]", all)
	}
	c.must(t, http.StatusNotFound, http.MethodGet, userPath("/msgs/", "nobody"), 8, nil)
	if got := c.latest(t); got != 8 {
		t.Errorf("/latest = %d, want 8", got)
	}

	c.auth = ""
	for _, p := range []string{"/msgs", userPath("/msgs/", "b"), userPath("/fllws/", "b")} {
		b := c.must(t, http.StatusForbidden, http.MethodGet, p, -1, nil)
		var e struct {
			Status   int    `json:"status"`
			ErrorMsg string `json:"error_msg"`
		}
		if err := json.Unmarshal(b, &e); err != nil || e.Status != 403 || e.ErrorMsg != "You are not authorized to use this resource!" {
			t.Errorf("GET %s without auth: body %s", p, b)
		}
	}
	c.auth = "Basic d3Jvbmc6d3Jvbmc="
	c.must(t, http.StatusForbidden, http.MethodPost, userPath("/msgs/", "b"), -1, map[string]string{"content": "x"})
}

// TestBuildImageRejectsBadInput checks that the image script fails with a
// message naming the problem, and builds nothing.
func TestBuildImageRejectsBadInput(t *testing.T) {
	t.Parallel()
	testenv.Docker(t)
	root := testenv.RepoRoot(t)
	fake := filepath.Join(t.TempDir(), "minitwit")
	if err := os.WriteFile(fake, []byte("not a binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, binary, tag, want string
	}{
		{"missing binary", filepath.Join(t.TempDir(), "nope"), "minitwit:never", "no such file"},
		{"bad tag", fake, "Bad Tag", "invalid reference format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(root, "scripts", "build-image.sh"), tt.tag)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "MINITWIT_BINARY="+tt.binary)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("build-image.sh %q succeeded:\n%s", tt.tag, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Fatalf("build-image.sh output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}
