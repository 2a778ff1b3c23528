package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/internal/repo"
	"github.com/minitwit-cd/kit/simulator/bench"
)

// BenchOptions are the flags of `simulator bench`.
type BenchOptions struct {
	IO          *cli.IOStreams
	Target      string
	MetricsURL  string
	StartServer string
	Phases      []string
	Scenario    string
	Rate        float64
	Duration    time.Duration
	Users       int
	Messages    int
	Follows     int
	Seed        int64
	ReadFor     time.Duration
	ReadWorkers int
	CacheDir    string
	CacheKey    string
	JSON        bool
	HTML        string
}

// NewCmdBench builds `simulator bench`; runF replaces the run function in
// flag-parsing tests.
func NewCmdBench(io *cli.IOStreams, runF func(context.Context, *BenchOptions) error) *cobra.Command {
	opts := &BenchOptions{IO: io}
	c := &cobra.Command{
		Use:   "bench (--target URL | --start-server MINITWIT)",
		Short: "Measure a MiniTwit: course replay, mixed traffic, read throughput, memory",
		Long: `bench measures a MiniTwit through the simulator's engine and prints a table
with each number next to its target:

  replay  the course scenario, sequentially, a new connection per request
          (Connection: close), as the course's simulator sends it; the
          database must start empty.
  mixed   open-model traffic at --rate for --duration: the scenario's writes
          (with latest=N) and the reads dashboards make, acting as the users
          ` + "`minitwit seed --users N`" + ` creates (user0 …).
  read    GET /msgs?no=100 at the maximum rate --read-workers keep-alive
          clients reach, for --read-duration.

The server's peak resident memory and CPU come from its /metrics (the
Prometheus process collector: process_resident_memory_bytes, sampled every
50 ms, and process_cpu_seconds_total).

With --target every phase runs against that server (seed it first for mixed
and read). With --start-server MINITWIT the command runs the whole table on
this machine: MINITWIT serve on a fresh database for the replay, and on a copy
of a database MINITWIT seed loaded (cached in --cache-dir, keyed by the
counts and --cache-key) for mixed and read, one server per phase so that
each peak belongs to its own load. scripts/bench.sh builds both and runs it.`,
		Example: `  scripts/bench.sh                                         # the full table (several minutes)
  simulator bench --start-server ./minitwit --duration 10s --messages 100000
  simulator bench --target http://localhost:5000 --phases read`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runBench(c.Context(), opts)
		},
	}
	f := c.Flags()
	f.StringVarP(&opts.Target, "target", "t", "", "base URL of a running MiniTwit to measure")
	f.StringVar(&opts.MetricsURL, "metrics-url", "", "its Prometheus endpoint (default TARGET/metrics)")
	f.StringVar(&opts.StartServer, "start-server", "", "MiniTwit binary to start for each phase instead of --target")
	f.StringSliceVar(&opts.Phases, "phases", []string{"replay", "mixed", "read"}, "phases to run: replay, mixed, read")
	f.StringVarP(&opts.Scenario, "scenario", "s", "", "scenario TSV for the replay phase (default ../shared/data/minitwit_scenario.tsv beside the repository)")
	f.Float64Var(&opts.Rate, "rate", 2000, "mixed phase: requests per second (open model)")
	f.DurationVar(&opts.Duration, "duration", 60*time.Second, "mixed phase: how long to send")
	f.IntVar(&opts.Users, "users", 10000, "seeded users")
	f.IntVar(&opts.Messages, "messages", 1000000, "seeded messages")
	f.IntVar(&opts.Follows, "follows", 100000, "seeded follow edges")
	f.Int64Var(&opts.Seed, "seed", 1, "seed of the seeded data and of the traffic")
	f.DurationVar(&opts.ReadFor, "read-duration", 15*time.Second, "read phase: how long to send")
	f.IntVar(&opts.ReadWorkers, "read-workers", 4, "read phase: concurrent keep-alive clients")
	f.StringVar(&opts.CacheDir, "cache-dir", defaultCacheDir(), "with --start-server: directory keeping seeded databases between runs (empty: no cache)")
	f.StringVar(&opts.CacheKey, "cache-key", "", "with --start-server: names the schema in the cache, so a schema change reseeds (scripts/bench.sh hashes the migrations)")
	f.BoolVar(&opts.JSON, "json", false, "print the results as JSON instead of a table")
	f.StringVar(&opts.HTML, "html", "", "directory for one self-contained HTML page of charts per phase")
	return c
}

func defaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "minitwit-bench")
}

func (o *BenchOptions) has(phase string) bool { return slices.Contains(o.Phases, phase) }

func (o *BenchOptions) validate() error {
	for _, p := range o.Phases {
		if p != "replay" && p != "mixed" && p != "read" {
			return cli.Usagef("--phases: unknown phase %q (want replay, mixed, read)", p)
		}
	}
	switch {
	case (o.Target == "") == (o.StartServer == ""):
		return cli.Usagef("give one of --target URL (a running MiniTwit) and --start-server MINITWIT (a binary to start)")
	case o.MetricsURL != "" && o.Target == "":
		return cli.Usagef("--metrics-url goes with --target")
	case len(o.Phases) == 0:
		return cli.Usagef("--phases: name at least one of replay, mixed, read")
	case !(o.Rate >= 1):
		return cli.Usagef("--rate %g: must be at least 1", o.Rate)
	case o.Duration <= 0 || o.ReadFor <= 0:
		return cli.Usagef("--duration and --read-duration must be positive")
	case o.ReadWorkers < 1:
		return cli.Usagef("--read-workers %d: must be at least 1", o.ReadWorkers)
	case o.Users < 2 || o.Messages < 0 || o.Follows < 0:
		return cli.Usagef("--users must be at least 2, --messages and --follows not negative")
	case int64(o.Follows) > int64(o.Users)*int64(o.Users-1):
		return cli.Usagef("--follows %d: too many for %d users", o.Follows, o.Users)
	}
	return nil
}

func runBench(ctx context.Context, o *BenchOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	scen := o.Scenario
	if o.has("replay") && scen == "" {
		var err error
		if scen, err = repo.CourseScenario(); err != nil {
			return cli.Usagef("--scenario is needed here: %v", err)
		}
	}
	tab := &bench.Table{}
	tab.Set("machine", fmt.Sprintf("%d CPUs, load generator and server on the same machine", runtime.NumCPU()))
	spec := bench.SeedSpec{Users: o.Users, Messages: o.Messages, Follows: o.Follows, Seed: o.Seed}
	if o.has("mixed") || o.has("read") {
		tab.Set("seeded", fmt.Sprintf("%d users, %d messages, %d follows", o.Users, o.Messages, o.Follows))
	}
	if o.has("mixed") {
		tab.Set("mixed", fmt.Sprintf("%g/s for %s (open model, keep-alive)", o.Rate, o.Duration))
	}
	if o.has("read") {
		tab.Set("read", fmt.Sprintf("%d keep-alive workers for %s", o.ReadWorkers, o.ReadFor))
	}
	prog := newBenchProgress(o.IO.ErrOut, o.IO.ErrTTY)
	run := func(target, metrics string) *bench.Run {
		return &bench.Run{Target: target, MetricsURL: metrics, Table: tab, HTMLDir: o.HTML, Progress: prog.update}
	}
	// server returns the target of a phase: --target, or a fresh server.
	var work string
	server := func(db string) (string, func() error, error) {
		if o.Target != "" {
			return strings.TrimRight(o.Target, "/"), func() error { return nil }, nil
		}
		s, err := bench.StartServer(ctx, o.StartServer, filepath.Join(work, db))
		if err != nil {
			return "", nil, err
		}
		tab.Set("server", o.StartServer+" "+serverVersion(ctx, o.StartServer))
		return s.URL, s.Stop, nil
	}
	if o.StartServer != "" {
		var err error
		if work, err = os.MkdirTemp("", "simulator-bench-"); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer os.RemoveAll(work)
	} else {
		tab.Set("server", o.Target)
	}

	phase := func(name, db string, f func(*bench.Run) error) error {
		target, stop, err := server(db)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		err = f(run(target, o.MetricsURL))
		prog.done()
		if serr := stop(); err == nil {
			err = serr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	if o.has("replay") {
		src, total, closeSrc, err := openScenario(scen, o.IO.In)
		if err != nil {
			return err
		}
		fmt.Fprintf(o.IO.ErrOut, "replay %s (sequential, Connection: close)\n", scen)
		err = phase("replay", "replay.db", func(r *bench.Run) error { return r.Replay(ctx, src, total) })
		closeSrc()
		if err != nil {
			return err
		}
	}
	if (o.has("mixed") || o.has("read")) && o.StartServer != "" {
		fmt.Fprintf(o.IO.ErrOut, "seeding %d users, %d messages, %d follows (%s seed)\n", o.Users, o.Messages, o.Follows, o.StartServer)
		t0 := time.Now()
		cached, err := bench.SeededDB(ctx, o.StartServer, spec, o.CacheDir, o.CacheKey, filepath.Join(work, "seeded.db"))
		if err != nil {
			return err
		}
		if cached {
			fmt.Fprintf(o.IO.ErrOut, "using the cached seeded database in %s\n", o.CacheDir)
		} else {
			fmt.Fprintf(o.IO.ErrOut, "seeded in %s\n", time.Since(t0).Round(time.Millisecond))
		}
	}
	if o.has("mixed") {
		fmt.Fprintf(o.IO.ErrOut, "mixed traffic at %g/s for %s\n", o.Rate, o.Duration)
		cfg := bench.MixedConfig{Rate: o.Rate, Duration: o.Duration, Users: spec.UserNames(), Seed: uint64(o.Seed)}
		if err := phase("mixed", "seeded.db", func(r *bench.Run) error { return r.Mixed(ctx, cfg) }); err != nil {
			return err
		}
	}
	if o.has("read") {
		fmt.Fprintf(o.IO.ErrOut, "GET /msgs?no=100 at maximum rate, %d workers, %s\n", o.ReadWorkers, o.ReadFor)
		if err := phase("read", "seeded.db", func(r *bench.Run) error { return r.Read(ctx, o.ReadFor, o.ReadWorkers) }); err != nil {
			return err
		}
	}
	if o.HTML != "" {
		fmt.Fprintf(o.IO.ErrOut, "charts: %s\n", o.HTML)
	}
	if o.JSON {
		return tab.WriteJSON(o.IO.Out)
	}
	return tab.WriteTable(o.IO.Out)
}

// serverVersion is the binary's --version line, for the table.
func serverVersion(ctx context.Context, bin string) string {
	out, err := execOutput(ctx, bin, "--version")
	if err != nil {
		return "(--version failed)"
	}
	return strings.TrimSpace(out)
}

// benchProgress shows how far a phase is: a line redrawn in place on a
// terminal, a plain line every 5 s otherwise.
type benchProgress struct {
	w    io.Writer
	tty  bool
	mu   sync.Mutex
	last time.Time
	drew bool
}

func newBenchProgress(w io.Writer, tty bool) *benchProgress { return &benchProgress{w: w, tty: tty} }

func (p *benchProgress) update(phase string, done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	every := 5 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if time.Since(p.last) < every {
		return
	}
	p.last = time.Now()
	line := fmt.Sprintf("%s: %d", phase, done)
	if total > 0 {
		line += fmt.Sprintf("/%d (%.0f%%)", total, 100*float64(done)/float64(total))
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.drew = true
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// done ends a phase's progress line.
func (p *benchProgress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drew {
		fmt.Fprintln(p.w)
		p.drew = false
	}
	p.last = time.Time{}
}

func execOutput(ctx context.Context, bin string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	return string(out), err
}
