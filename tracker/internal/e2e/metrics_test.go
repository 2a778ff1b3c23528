package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/logline"
	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/tracker/internal/cmd"
)

// TestServeMetricsAddr runs `tracker serve --metrics-addr`: /metrics
// answers on its own address, counting the API's requests, and is gone
// from the API's address.
func TestServeMetricsAddr(t *testing.T) {
	logs := &testenv.SyncBuffer{}
	f := &cmd.Factory{IO: &cmd.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: logs}, Now: time.Now, Getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- cmd.Main(ctx, f, []string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "tracker.db")})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited with %d: %s", code, logs)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("serve did not shut down within 15s")
		}
	})
	metricsRE := regexp.MustCompile(`metrics on (http://[0-9.]+:[0-9]+)/metrics`)
	var apiURL, metricsURL string
	for deadline := time.Now().Add(20 * time.Second); apiURL == "" || metricsURL == ""; {
		if u, ok := logline.ListenURL(logs.String()); ok {
			apiURL = u
		}
		if m := metricsRE.FindStringSubmatch(logs.String()); m != nil {
			metricsURL = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not log both addresses: %s", logs)
		}
		time.Sleep(10 * time.Millisecond) // polling for the log lines, with a deadline
	}
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(apiURL + "/ready"); code != 200 {
		t.Fatalf("/ready = %d", code)
	}
	if code, _ := get(apiURL + "/metrics"); code != 404 {
		t.Fatalf("/metrics on the API's address = %d, want 404", code)
	}
	code, body := get(metricsURL + "/metrics")
	if code != 200 || !strings.Contains(body, `route="/ready"`) {
		t.Fatalf("/metrics = %d, want the API's /ready counted:\n%.1500s", code, body)
	}
}

// TestCreateEnvironmentVisibility: `create environment --visibility
// public` makes an environment an anonymous reader can see; the default is
// private, answered like a missing one; a bad value is a usage error.
func TestCreateEnvironmentVisibility(t *testing.T) {
	c := testenv.NewClock(time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC))
	tr := start(t, c)
	tr.createOrg("course")
	tr.must("create", "environment", "shop", "--type", "docker", "--visibility", "public")
	tr.must("create", "environment", "vault", "--type", "docker")
	for env, want := range map[string]int{"shop": 200, "vault": 404, "nope": 404} {
		resp, err := http.Get(tr.host + "/api/v2/environments/course/" + env)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("anonymous GET of environment %s = %d, want %d", env, resp.StatusCode, want)
		}
	}
	if r := tr.run(nil, "create", "environment", "x", "--type", "docker", "--visibility", "secret"); r.code != 2 || !strings.Contains(r.errOut, "--visibility") {
		t.Errorf("bad --visibility: exit %d, stderr %q; want 2 naming the flag", r.code, r.errOut)
	}
}
