package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/minitwit-cd/kit/internal/repo"
)

// options are the command's flags; each has an environment equivalent
// MINITWIT_BENCH_<NAME> (upper case, dashes as underscores).
type options struct {
	Phases      string
	Scenario    string
	Binary      string
	CacheDir    string
	Rate        int
	Duration    time.Duration
	Users       int
	Messages    int
	Follows     int
	Seed        int64
	ReadFor     time.Duration
	ReadWorkers int
	JSON        bool
	HTML        string
	Progress    string
}

// newFlagSet declares the flags on opts with their defaults.
func newFlagSet(opts *options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opts.Phases, "phases", "replay,mixed,read", "comma-separated phases to run: replay, mixed, read")
	fs.StringVar(&opts.Scenario, "scenario", "", "scenario TSV for the replay phase (default: ../shared/data/minitwit_scenario.tsv next to the repository)")
	fs.StringVar(&opts.Binary, "binary", "", "minitwit binary to measure (default: go build ./app into a temp dir)")
	fs.StringVar(&opts.CacheDir, "cache-dir", defaultCacheDir(), "directory keeping seeded databases between runs (empty: do not cache)")
	fs.IntVar(&opts.Rate, "rate", 2000, "mixed phase: requests per second (open model)")
	fs.DurationVar(&opts.Duration, "duration", 60*time.Second, "mixed phase: how long to send")
	fs.IntVar(&opts.Users, "users", 10000, "seeded users")
	fs.IntVar(&opts.Messages, "messages", 1000000, "seeded messages")
	fs.IntVar(&opts.Follows, "follows", 100000, "seeded follow edges")
	fs.Int64Var(&opts.Seed, "seed", 1, "seed of the generated data and traffic")
	fs.DurationVar(&opts.ReadFor, "read-duration", 15*time.Second, "read phase: how long to send")
	fs.IntVar(&opts.ReadWorkers, "read-workers", 4, "read phase: concurrent keep-alive clients")
	fs.BoolVar(&opts.JSON, "json", false, "print the results as JSON instead of a table")
	fs.StringVar(&opts.HTML, "html", "", "directory for one self-contained HTML page of charts per phase (empty: none)")
	fs.StringVar(&opts.Progress, "progress", "auto", "progress bars on stderr: auto (on a terminal), always, never")
	return fs
}

func defaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "minitwit-bench")
}

// parseOptions parses args over environment defaults and checks the values.
func parseOptions(args []string, stderr io.Writer) (options, error) {
	var opts options
	fs := newFlagSet(&opts, stderr)
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "MINITWIT_BENCH_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", name, v, err)
			}
		}
	})
	if envErr != nil {
		return opts, envErr
	}
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	if fs.NArg() > 0 {
		return opts, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, p := range opts.phases() {
		switch p {
		case "replay", "mixed", "read":
		default:
			return opts, fmt.Errorf("--phases: unknown phase %q (want replay, mixed, read)", p)
		}
	}
	switch {
	case opts.Rate < 1:
		return opts, fmt.Errorf("--rate %d: must be at least 1", opts.Rate)
	case opts.Duration <= 0 || opts.ReadFor <= 0:
		return opts, errors.New("--duration and --read-duration must be positive")
	case opts.ReadWorkers < 1:
		return opts, fmt.Errorf("--read-workers %d: must be at least 1", opts.ReadWorkers)
	case opts.Users < 2 || opts.Messages < 0 || opts.Follows < 0:
		return opts, errors.New("--users must be at least 2, --messages and --follows not negative")
	case int64(opts.Follows) > int64(opts.Users)*int64(opts.Users-1):
		return opts, fmt.Errorf("--follows %d: too many for %d users", opts.Follows, opts.Users)
	}
	switch opts.Progress {
	case "auto", "always", "never":
	default:
		return opts, fmt.Errorf("--progress %q: want auto, always or never", opts.Progress)
	}
	return opts, nil
}

func (o options) phases() []string {
	var ps []string
	for _, p := range strings.Split(o.Phases, ",") {
		if p = strings.TrimSpace(p); p != "" {
			ps = append(ps, p)
		}
	}
	return ps
}

func (o options) has(phase string) bool {
	for _, p := range o.phases() {
		if p == phase {
			return true
		}
	}
	return false
}

// showProgress decides whether progress bars go to stderr.
func (o options) showProgress(stderr io.Writer) bool {
	switch o.Progress {
	case "always":
		return true
	case "never":
		return false
	}
	f, ok := stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// run is the whole command: flags, build, phases, report.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseOptions(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	root, err := repo.Root()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "minitwit-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	ui := &ui{w: stderr, bars: opts.showProgress(stderr)}

	bin := opts.Binary
	if bin == "" {
		ui.logf("building the server (go build ./app, no -race)")
		if bin, err = buildServer(ctx, root, work); err != nil {
			return err
		}
	}

	rep := &report{Settings: map[string]string{
		"machine": fmt.Sprintf("%d CPUs, load generator and server on the same machine", runtime.NumCPU()),
		"server":  bin + " " + serverVersion(ctx, bin),
	}}
	if opts.has("mixed") || opts.has("read") {
		rep.Settings["seeded"] = fmt.Sprintf("%d users, %d messages, %d follows", opts.Users, opts.Messages, opts.Follows)
	}
	if opts.has("mixed") {
		rep.Settings["mixed"] = fmt.Sprintf("%d/s for %s (open model, keep-alive)", opts.Rate, opts.Duration)
	}
	if opts.has("read") {
		rep.Settings["read"] = fmt.Sprintf("%d keep-alive workers for %s", opts.ReadWorkers, opts.ReadFor)
	}
	if opts.has("replay") {
		path := opts.Scenario
		if path == "" {
			path = filepath.Join(root, "..", "shared", "data", "minitwit_scenario.tsv")
		}
		if err := replayPhase(ctx, ui, bin, filepath.Join(work, "replay.db"), path, opts.HTML, rep); err != nil {
			return fmt.Errorf("replay: %w", err)
		}
	}
	if opts.has("mixed") || opts.has("read") {
		db := filepath.Join(work, "seeded.db")
		if err := seededDB(ctx, ui, opts, root, db); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		// A server per phase, so each peak RSS belongs to its own load.
		if opts.has("mixed") {
			srv, err := startServer(ctx, bin, db)
			if err != nil {
				return err
			}
			cpu0, t0 := srv.cpuSeconds(), time.Now()
			err = mixedPhase(ctx, ui, opts, srv, rep)
			addCPU(rep, "mixed", srv.cpuSeconds()-cpu0, time.Since(t0))
			srv.serverSide(rep, "mixed")
			srv.memory(rep, "mixed", true)
			addFileSize(rep, "mixed", "database file after the phase", db)
			addFileSize(rep, "mixed", "WAL file after the phase", db+"-wal")
			if serr := srv.stop(); err == nil {
				err = serr
			}
			if err != nil {
				return fmt.Errorf("mixed: %w", err)
			}
		}
		if opts.has("read") {
			srv, err := startServer(ctx, bin, db)
			if err != nil {
				return err
			}
			cpu0, t0 := srv.cpuSeconds(), time.Now()
			err = readPhase(ctx, ui, opts, srv, rep)
			addCPU(rep, "read", srv.cpuSeconds()-cpu0, time.Since(t0))
			srv.serverSide(rep, "read")
			srv.memory(rep, "read", true)
			if serr := srv.stop(); err == nil {
				err = serr
			}
			if err != nil {
				return fmt.Errorf("read: %w", err)
			}
		}
	}
	if opts.JSON {
		return rep.writeJSON(stdout)
	}
	return rep.writeTable(stdout)
}

// addCPU reports the server's CPU use during a phase, in cores: on this
// 2-core machine the load generator shares the rest.
func addCPU(rep *report, phase string, cpu float64, wall time.Duration) {
	if cpu < 0 || wall <= 0 {
		return
	}
	rep.add(phase, "server CPU (cores busy)", cpu/wall.Seconds(), "", "", nil)
}

// addFileSize reports the size of a file, if it exists.
func addFileSize(rep *report, phase, what, path string) {
	if st, err := os.Stat(path); err == nil {
		rep.add(phase, what, float64(st.Size()), "B", "", nil)
	}
}
