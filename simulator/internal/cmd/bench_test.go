package cmd_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/simulator/bench"
)

var (
	minitwitOnce sync.Once
	minitwitPath string
	minitwitErr  error
)

// minitwitBinary builds the real MiniTwit once per test binary.
func minitwitBinary(t *testing.T) string {
	t.Helper()
	minitwitOnce.Do(func() {
		dir, err := os.MkdirTemp("", "minitwit-bin-")
		if err != nil {
			minitwitErr = err
			return
		}
		minitwitPath = filepath.Join(dir, "minitwit")
		c := exec.Command("go", "build", "-o", minitwitPath, "./app")
		c.Dir = testenv.RepoRoot(t)
		if out, err := c.CombinedOutput(); err != nil {
			minitwitErr = errors.New(string(out))
		}
	})
	if minitwitErr != nil {
		t.Fatalf("go build ./app: %v", minitwitErr)
	}
	return minitwitPath
}

// TestBenchRunsTheTableAgainstTheRealBinary runs `simulator bench
// --start-server` with small settings on the real minitwit binary: every
// phase's rows are there, with the replay's every action answered as
// expected, the mixed traffic at its rate, the reads answered 200 and the
// server's memory read from its /metrics; the second run takes the seeded
// database from the cache. (How fast is for scripts/bench.sh to say; this
// asserts only what holds on any machine.)
func TestBenchRunsTheTableAgainstTheRealBinary(t *testing.T) {
	bin := minitwitBinary(t)
	cache := t.TempDir()
	scen := generate(t, 10, 120, 4)
	args := []string{"bench", "--start-server", bin, "--scenario", scen, "--users", "20", "--messages", "300",
		"--follows", "40", "--rate", "50", "--duration", "1s", "--read-duration", "500ms", "--cache-dir", cache,
		"--cache-key", "test", "--json", "--html", filepath.Join(t.TempDir(), "charts")}
	r := run(context.Background(), false, args...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var tab bench.Table
	if err := json.Unmarshal([]byte(r.stdout), &tab); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	for _, c := range []struct {
		phase, metric string
		ok            func(float64) bool
		want          string
	}{
		{"replay", "actions", func(v float64) bool { return v == 120 }, "120"},
		{"replay", "unexpected statuses", func(v float64) bool { return v == 0 }, "0"},
		{"replay", "connection errors", func(v float64) bool { return v == 0 }, "0"},
		{"mixed", "requests", func(v float64) bool { return v >= 45 && v <= 55 }, "about 50"},
		{"mixed", "unexpected statuses", func(v float64) bool { return v == 0 }, "0"},
		{"mixed", "connection errors", func(v float64) bool { return v == 0 }, "0"},
		{"read", "requests", func(v float64) bool { return v > 0 }, "some"},
		{"read", "non-200 answers", func(v float64) bool { return v == 0 }, "0"},
		{"replay", "server peak RSS (/metrics, sampled)", func(v float64) bool { return v > 1<<20 }, "over 1 MB"},
		{"mixed", "server peak RSS (/metrics, sampled)", func(v float64) bool { return v > 1<<20 }, "over 1 MB"},
		{"read", "server peak RSS (/metrics, sampled)", func(v float64) bool { return v > 1<<20 }, "over 1 MB"},
	} {
		v, found := tab.Find(c.phase, c.metric)
		if !found || !c.ok(v) {
			t.Errorf("%s %s = %v (found %v), want %s", c.phase, c.metric, v, found, c.want)
		}
	}
	for _, page := range []string{"replay.html", "mixed.html", "read.html"} {
		if b, err := os.ReadFile(filepath.Join(args[len(args)-1], page)); err != nil || !strings.Contains(string(b), "<svg") {
			t.Errorf("--html %s: %v", page, err)
		}
	}
	if strings.Contains(r.stderr, "cached") {
		t.Errorf("the first run found a cached database:\n%s", r.stderr)
	}
	r = run(context.Background(), false, "bench", "--start-server", bin, "--phases", "read", "--users", "20", "--messages", "300",
		"--follows", "40", "--read-duration", "200ms", "--cache-dir", cache, "--cache-key", "test")
	if r.code != 0 || !strings.Contains(r.stderr, "using the cached seeded database") || !strings.Contains(r.stdout, "throughput") {
		t.Errorf("second run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestBenchFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"bench"}, "give one of --target URL"},
		{[]string{"bench", "-t", "http://127.0.0.1:1", "--start-server", "minitwit"}, "give one of --target URL"},
		{[]string{"bench", "-t", "http://127.0.0.1:1", "--phases", "replay,warp"}, `unknown phase "warp"`},
		{[]string{"bench", "-t", "http://127.0.0.1:1", "--rate", "0"}, "--rate 0"},
		{[]string{"bench", "-t", "http://127.0.0.1:1", "--users", "3", "--follows", "7"}, "--follows 7"},
		{[]string{"bench", "--start-server", "minitwit", "--metrics-url", "http://x/metrics"}, "--metrics-url goes with --target"},
	} {
		if r := run(context.Background(), false, tc.args...); r.code != 2 || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tc.args, r.code, r.stderr, tc.msg)
		}
	}
	// A target without the process collector's metric says so.
	target := startApp(t)
	r := run(context.Background(), false, "bench", "-t", target, "--phases", "read", "--read-duration", "100ms", "--metrics-url", target+"/latest")
	if r.code != 1 || !strings.Contains(r.stderr, "has no process_resident_memory_bytes") {
		t.Errorf("metrics without the process collector: exit %d\n%s", r.code, r.stderr)
	}
}
