package systemtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/testenv"
)

// TestComposeStack brings up the repository's docker-compose.yml (default
// profile) with the test image, writes through the simulator API, restarts
// the service and checks that the named volume kept the database.
func TestComposeStack(t *testing.T) {
	t.Parallel()
	testenv.Docker(t)
	compose := testenv.Binary(t, "docker-compose")
	tag := buildImage(t)
	root := testenv.RepoRoot(t)
	port := freePort(t)
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	project := "mtsystemtest" + hex.EncodeToString(suffix)

	run := func(args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, compose, append([]string{"-p", project, "-f", "docker-compose.yml"}, args...)...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "MINITWIT_IMAGE="+tag, "MINITWIT_PORT="+strconv.Itoa(port))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("docker-compose %v: %v\n%s", args, err, out)
		}
	}
	t.Cleanup(func() { run("down", "--volumes", "--timeout", "5") })
	run("up", "-d")

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	c := newPooledClient(base, 5*time.Second)
	waitLatest(t, c, -1)
	c.must(t, http.StatusNoContent, http.MethodPost, "/register", 42,
		map[string]string{"username": "composer", "email": "c@example.com", "pwd": "pw"})
	c.must(t, http.StatusNoContent, http.MethodPost, userPath("/msgs/", "composer"), 43, map[string]string{"content": "kept"})

	run("restart", "--timeout", "5")
	waitLatest(t, c, 43)
	if msgs := c.messages(t, userPath("/msgs/", "composer"), 10); len(msgs) != 1 || msgs[0].Content != "kept" {
		t.Fatalf("after restart: %+v, want the message kept in the volume", msgs)
	}
}

// waitLatest polls GET /latest until the server answers want.
func waitLatest(t *testing.T, c *simClient, want int64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := "no answer"
	for time.Now().Before(deadline) {
		status, b, err := c.call(http.MethodGet, "/latest", -1, nil)
		if err == nil && status == http.StatusOK {
			if string(b) == fmt.Sprintf(`{"latest":%d}`, want) {
				return
			}
			last = string(b)
		} else if err != nil {
			last = err.Error()
		}
		<-tick.C
	}
	t.Fatalf("GET /latest never answered %d within 60s; last: %s", want, last)
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
