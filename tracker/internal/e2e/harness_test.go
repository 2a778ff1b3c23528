package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the golden files are in Europe/Berlin time everywhere

	"github.com/minitwit-cd/kit/internal/logline"
	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/internal/cmd"
)

// tracker is a running server and the CLI pointed at it.
type tracker struct {
	t     *testing.T
	clock *clock
	loc   *time.Location
	db    string
	host  string
	org   string
	token string
	dir   string
}

// clock is the fake time shared by the server and the CLI (testenv.Clock).
type clock = testenv.Clock

// start runs `tracker serve` in-process on 127.0.0.1:0 with a fresh
// SQLite file, waits for its "listening on" line and stops it (checking
// the graceful shutdown) when the test ends.
func start(t *testing.T, c *clock) *tracker {
	t.Helper()
	return startDB(t, c, "")
}

// startDB is start with a database DSN ("" for a SQLite file in a temp dir).
func startDB(t *testing.T, c *clock, dsn string) *tracker {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if dsn == "" {
		dsn = filepath.Join(dir, "tracker.db")
	}
	tr := &tracker{t: t, clock: c, loc: loc, db: dsn, dir: dir}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testenv.SyncBuffer{}
	f := tr.factory(&bytes.Buffer{}, logs, nil)
	f.ServerNow = c.Now
	done := make(chan int, 1)
	go func() { done <- cmd.Main(ctx, f, []string{"serve", "--addr", "127.0.0.1:0", "--db", tr.db}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited with %d: %s", code, logs.String())
			}
		case <-time.After(15 * time.Second):
			t.Errorf("serve did not shut down within 15s")
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if u, ok := logline.ListenURL(logs.String()); ok {
			tr.host = u
			return tr
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited early with %d: %s", code, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not log its address: %s", logs.String())
		}
		time.Sleep(10 * time.Millisecond) // polling for the log line, with a deadline
	}
}

func (tr *tracker) factory(out, errOut interface{ Write([]byte) (int, error) }, env map[string]string) *cmd.Factory {
	return &cmd.Factory{
		IO:       &cmd.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut},
		Now:      tr.clock.Now,
		Location: tr.loc,
		Getenv: func(k string) string {
			if v, ok := env[k]; ok {
				return v
			}
			switch k {
			case "TRACKER_HOST":
				return tr.host
			case "TRACKER_ORG":
				return tr.org
			case "TRACKER_API_TOKEN":
				return tr.token
			}
			return ""
		},
	}
}

// result is one CLI run.
type result struct {
	args   string
	out    string
	errOut string
	code   int
}

// run runs the CLI with args (environment from the tracker, overridable).
func (tr *tracker) run(env map[string]string, args ...string) result {
	tr.t.Helper()
	var out, errOut bytes.Buffer
	code := cmd.Main(context.Background(), tr.factory(&out, &errOut, env), args)
	return result{args: strings.Join(args, " "), out: out.String(), errOut: errOut.String(), code: code}
}

// must runs the CLI and fails the test unless it exits 0.
func (tr *tracker) must(args ...string) string {
	tr.t.Helper()
	r := tr.run(nil, args...)
	if r.code != 0 {
		tr.t.Fatalf("tracker %s: exit %d: %s%s", r.args, r.code, r.errOut, r.out)
	}
	return r.out
}

// createOrg runs admin create-org against the server's database and keeps
// the token it prints.
func (tr *tracker) createOrg(name string) {
	tr.t.Helper()
	r := tr.run(nil, "admin", "create-org", name, "--db", tr.db)
	if r.code != 0 {
		tr.t.Fatalf("create-org: %d %s", r.code, r.errOut)
	}
	tr.org, tr.token = name, strings.TrimSpace(r.out)
	if !strings.HasPrefix(tr.token, "trk_") || strings.Contains(tr.token, "\n") {
		tr.t.Fatalf("create-org printed %q, want just the token", r.out)
	}
}

// running is what runs of one artifact in a snapshot report.
type running struct {
	name, fp string
	since    time.Time
	replicas int
}

// report writes the wire body of a snapshot (one entry per instance) to a
// file and reports it with `tracker snapshot json`.
func (tr *tracker) report(env string, rs ...running) string {
	tr.t.Helper()
	body := api.SnapshotReportRequest{Artifacts: []api.ReportArtifact{}}
	for _, r := range rs {
		for i := 0; i < r.replicas; i++ {
			body.Artifacts = append(body.Artifacts, api.ReportArtifact{Digests: map[string]string{r.name: r.fp}, CreationTimestamp: r.since.Unix()})
		}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		tr.t.Fatal(err)
	}
	file := filepath.Join(tr.dir, "snapshot.json")
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		tr.t.Fatal(err)
	}
	return tr.must("snapshot", "json", env, "--file", file)
}

// fp is a story fingerprint: the SHA-256 of a seed, like an image digest.
func fp(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:])
}

// golden compares got with testdata/NAME.golden (testenv.Golden).
func golden(t *testing.T, name, got string) {
	t.Helper()
	testenv.Golden(t, name+".golden", []byte(got))
}
