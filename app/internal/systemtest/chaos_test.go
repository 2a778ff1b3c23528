package systemtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/testenv"
)

var (
	simOnce sync.Once
	simPath string
	simErr  error
)

// simulatorBinary builds the real simulator (simulator/) once per run.
func simulatorBinary(t testing.TB) string {
	t.Helper()
	root := testenv.RepoRoot(t)
	simOnce.Do(func() {
		simPath = filepath.Join(buildDir, "simulator")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", simPath, "./simulator")
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			simErr = fmt.Errorf("go build ./simulator: %w\n%s", err, b)
		}
	})
	if simErr != nil {
		t.Fatal(simErr)
	}
	return simPath
}

// chaosActions is the length of the scenario prefix each trial replays.
const chaosActions = 1500

// chaosTrials is 1, or MINITWIT_CHAOS_TRIALS (the 10 of 10).
func chaosTrials(t *testing.T) int {
	v := os.Getenv("MINITWIT_CHAOS_TRIALS")
	if v == "" {
		return 1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		t.Fatalf("MINITWIT_CHAOS_TRIALS=%q: want 1..100", v)
	}
	return n
}

// runSimulator runs `simulator run --compat` against target: strictly one
// action after the other in file order, with Connection: close, as the
// instructors' fleet replays (only then does one latest number say which
// actions landed; --max -c 1 may send an independent action ahead of one
// still completing). It returns the simulator's exit code and output.
func runSimulator(t *testing.T, target, scenarioFile string, extra ...string) (int, string) {
	t.Helper()
	args := append([]string{"run", "-t", target, "-s", scenarioFile, "--compat", "--timeout", "10s", "--verify=false"}, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, simulatorBinary(t), args...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee) && ctx.Err() == nil:
		return ee.ExitCode(), string(out)
	default:
		t.Fatalf("simulator %q: %v\n%s", args, err, out)
		return 0, ""
	}
}

// state is what the simulator API shows of a MiniTwit: latest, and each
// user's messages (newest first, without times) and follows.
type state struct {
	Latest   int64
	Messages map[string][]string
	Follows  map[string][]string
}

func readState(t *testing.T, base string, users []string) state {
	t.Helper()
	c := newPooledClient(base, 10*time.Second)
	s := state{Latest: c.latest(t), Messages: map[string][]string{}, Follows: map[string][]string{}}
	for _, u := range users {
		for _, m := range c.messages(t, userPath("/msgs/", u), 1000) {
			s.Messages[u] = append(s.Messages[u], m.Content)
		}
		s.Follows[u] = c.follows(t, u, 1000)
	}
	return s
}

// scenarioPrefix writes the course scenario's first n actions, their
// delays zeroed, to a file and returns it with the users they register.
func scenarioPrefix(t *testing.T, n int) (string, []string) {
	t.Helper()
	f, err := os.Open(testenv.CourseScenario(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	var users []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for len(lines) < n && sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) < 4 {
			t.Fatalf("scenario line %d: %q", len(lines)+1, sc.Text())
		}
		// No recorded delays: --compat would sleep them (25 s for 1,500
		// actions), and pacing is not what this test is about.
		fields[1] = "0"
		lines = append(lines, strings.Join(fields, "\t"))
		if len(fields) > 4 && fields[3] == "register" {
			users = append(users, fields[4])
		}
	}
	if len(lines) < n {
		t.Fatalf("the scenario has only %d lines", len(lines))
	}
	p := filepath.Join(t.TempDir(), "prefix.tsv")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, users
}

// TestChaosKillAndResume is the chaos test: the real simulator
// replays a prefix of the course scenario one action at a time against the
// real binary, which is killed with SIGKILL at a random moment, restarted
// on the same database, and the simulator resumes with --from-latest. The
// final state must equal that of a run without the crash: latest names
// exactly the actions whose writes survived. One trial by default;
// MINITWIT_CHAOS_TRIALS=10 runs the ten.
func TestChaosKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("replays the scenario with the real simulator")
	}
	file, users := scenarioPrefix(t, chaosActions)

	ref := startServer(t, filepath.Join(t.TempDir(), "ref.db"))
	if code, out := runSimulator(t, ref.URL, file); code != 0 {
		t.Fatalf("reference replay exited %d:\n%s", code, tail(out, 3000))
	}
	want := readState(t, ref.URL, users)
	ref.stop(t)
	if want.Latest != chaosActions-1 {
		t.Fatalf("reference latest %d, want %d", want.Latest, chaosActions-1)
	}

	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	t.Logf("random seed %d", seed)
	for trial := range chaosTrials(t) {
		t.Run(fmt.Sprintf("trial %d", trial), func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "chaos.db")
			srv := startServer(t, db)
			killAt := int64(chaosActions/5 + rng.IntN(chaosActions*3/5))
			done := make(chan struct{})
			go func() {
				defer close(done)
				// The crashed run's own exit code is an error count; the
				// state after the resume is what is judged.
				runSimulator(t, srv.URL, file)
			}()
			// Wait for the replay to pass a random action, then a random
			// few milliseconds more, and kill the server mid-stride.
			c := newPooledClient(srv.URL, 5*time.Second)
			deadline := time.Now().Add(3 * time.Minute)
			for {
				st, b, err := c.call("GET", "/latest", -1, nil)
				var l struct{ Latest int64 }
				if err == nil && st == 200 && json.Unmarshal(b, &l) == nil && l.Latest >= killAt {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the replay never reached action %d:\n%s", killAt, tail(srv.Logs(), 2000))
				}
				time.Sleep(time.Millisecond) // polling /latest
			}
			time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond) // the random moment
			srv.kill(t)
			<-done

			again := startServer(t, db)
			before := newPooledClient(again.URL, 5*time.Second).latest(t)
			t.Logf("killed after action %d; /latest after restart %d", killAt, before)
			if code, out := runSimulator(t, again.URL, file, "--from-latest"); code != 0 {
				t.Fatalf("resumed replay exited %d:\n%s", code, tail(out, 3000))
			}
			got := readState(t, again.URL, users)
			if !reflect.DeepEqual(got, want) {
				for _, u := range users {
					if g, w := got.Messages[u], want.Messages[u]; !reflect.DeepEqual(g, w) {
						i := 0
						for i < min(len(g), len(w)) && g[i] == w[i] {
							i++
						}
						t.Errorf("%s: %d messages, want %d; first difference at %d (newest first): %q, want %q",
							u, len(g), len(w), i, g[i:min(len(g), i+3)], w[i:min(len(w), i+3)])
					}
					if !reflect.DeepEqual(got.Follows[u], want.Follows[u]) {
						t.Errorf("%s: follows %q, want %q", u, got.Follows[u], want.Follows[u])
					}
				}
				t.Fatalf("state after kill at ~%d and resume differs from the uncrashed run (latest %d, want %d)", killAt, got.Latest, want.Latest)
			}
		})
	}
}
