package cmd

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/simulator/fleet"
	"github.com/minitwit-cd/kit/simulator/fleet/store"
	"github.com/minitwit-cd/kit/simulator/report"
)

// NewCmdFleet builds `simulator fleet` and its subcommands.
func NewCmdFleet(io *cli.IOStreams) *cobra.Command {
	c := &cobra.Command{
		Use:   "fleet",
		Short: "Run the scenario against every student group for weeks, with a dashboard",
		Long: `fleet runs one sequential replay of the scenario per student group (listed
in a groups file), all groups at once on the scenario's recorded schedule,
keeps the results durably (SQLite or PostgreSQL) and serves a dashboard.`,
		Args: cobra.NoArgs,
	}
	c.AddCommand(NewCmdFleetRun(io, nil), NewCmdFleetActivity(io, nil))
	return c
}

// FleetRunOptions are the flags of `simulator fleet run`.
type FleetRunOptions struct {
	IO          *cli.IOStreams
	Groups      string
	DB          string
	Listen      string
	Scenario    string
	Speedup     float64
	Limit       int64
	Timeout     time.Duration
	KeepAlive   bool
	CheckEvery  time.Duration
	FlushEvery  time.Duration
	Watch       time.Duration
	Refresh     time.Duration
	ActivityDir string
	ExitDone    bool
	Worker      string
	Lease       time.Duration
}

// NewCmdFleetRun builds `simulator fleet run`; runF replaces the run
// function in flag-parsing tests.
func NewCmdFleetRun(io *cli.IOStreams, runF func(context.Context, *FleetRunOptions) error) *cobra.Command {
	opts := &FleetRunOptions{IO: io}
	c := &cobra.Command{
		Use:   "run --groups groups.yaml --db fleet.db --scenario FILE",
		Short: "Replay the scenario against every group and serve the dashboard",
		Long: `run replays the scenario against every group of --groups, one action at a
time per group like the course's script, on the recorded schedule compressed
--speedup times (1: the course's pace over weeks), every group on its own
connections so that a dead or slow group never delays another.

Before the start it checks each group's GET /latest and reports every group
not at -1 (a 404 page, a bare 0, a 500, {'latest': 700} ...). Each completed
action is recorded in --db (a SQLite file, or a postgres:// URL) before the
next one leaves, so a restart resumes after it and never resends an action
a group acknowledged. Results are kept as per-group per-minute windows (counts
by command and outcome, an HDR latency histogram, DNS/connect/TLS/first-byte
phases) plus each group's error log in the course's line format.

The dashboard on --listen shows every group and a page per group, refreshes
itself, and serves the same numbers as JSON and CSV. Editing the groups file
(or SIGHUP) reloads it: a group whose URL changed restarts and resumes; a
malformed file is refused and the running configuration stays.`,
		Example: `  simulator fleet run --groups groups.yaml --db fleet.db --listen :8090 -s minitwit_scenario.tsv
  simulator fleet run --groups mine.yaml --db me.db --speedup 1000 -s minitwit_scenario.tsv   # one group, a demo`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runFleet(c.Context(), opts)
		},
	}
	f := c.Flags()
	f.StringVar(&opts.Groups, "groups", "groups.yaml", "groups file (YAML: groups: [{id, name, web, api, repos, extras}])")
	f.StringVar(&opts.DB, "db", "fleet.db", "results store: a SQLite file or a postgres:// URL")
	f.StringVar(&opts.Listen, "listen", ":8090", "dashboard listen address (empty: no dashboard)")
	f.StringVarP(&opts.Scenario, "scenario", "s", "", "scenario TSV file (required)")
	f.Float64Var(&opts.Speedup, "speedup", 1, "compress the recorded delays this many times (1: the course's pace)")
	f.Int64Var(&opts.Limit, "limit", 0, "replay only this many actions per group (0: all)")
	f.DurationVar(&opts.Timeout, "timeout", report.DefaultBudget, "per-request budget: no answer by then is a timeout")
	f.BoolVar(&opts.KeepAlive, "keep-alive", false, "reuse connections (the course's script sends Connection: close)")
	f.DurationVar(&opts.CheckEvery, "check-every", time.Minute, "period of the consistency checks (/latest, /msgs, public timeline); negative: none")
	f.DurationVar(&opts.FlushEvery, "flush-every", 5*time.Second, "how often the current minute's windows are written")
	f.DurationVar(&opts.Watch, "watch", 2*time.Second, "how often to look for a changed groups file (0: only on SIGHUP)")
	f.DurationVar(&opts.Refresh, "refresh", 10*time.Second, "dashboard pages' refresh period")
	f.StringVar(&opts.ActivityDir, "activity-dir", "", "directory of the activity charts to serve (simulator fleet activity --out)")
	f.BoolVar(&opts.ExitDone, "exit-when-done", false, "exit when every group has replayed the scenario, instead of serving on")
	f.DurationVar(&opts.Lease, "lease", 0, "share the groups with other workers on the same PostgreSQL --db, each group under a lease of this length (0: this worker runs every group)")
	f.StringVar(&opts.Worker, "worker", "", "this worker's name for --lease (default host-pid)")
	return c
}

// lineLog writes timestamped lines, one writer at a time.
type lineLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineLog) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s "+format+"\n", append([]any{time.Now().UTC().Format("2006-01-02T15:04:05Z")}, args...)...)
}

func runFleet(ctx context.Context, o *FleetRunOptions) error {
	if o.Scenario == "" {
		return cli.Usagef("--scenario is required")
	}
	groups, err := fleet.LoadGroups(o.Groups)
	if err != nil {
		return cli.Usagef("%v", err)
	}
	st, err := store.Open(ctx, o.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	log := &lineLog{w: o.IO.ErrOut}
	fl, err := fleet.New(st, fleet.Config{Scenario: o.Scenario, Speedup: o.Speedup, Budget: o.Timeout, KeepAlive: o.KeepAlive,
		Limit: o.Limit, CheckEvery: o.CheckEvery, FlushEvery: o.FlushEvery, Logf: log.printf})
	if err != nil {
		return cli.Usagef("%v", err)
	}
	var srv *http.Server
	if o.Listen != "" {
		ln, err := net.Listen("tcp", o.Listen)
		if err != nil {
			return cli.Usagef("--listen %s: %v", o.Listen, err)
		}
		srv = &http.Server{Handler: fl.Handler(fleet.DashboardOptions{Refresh: o.Refresh, ActivityDir: o.ActivityDir}),
			ReadHeaderTimeout: 10 * time.Second}
		log.printf("dashboard on http://%s/", ln.Addr())
		go func() { _ = srv.Serve(ln) }()
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
	}
	if o.Lease > 0 {
		if o.Worker == "" {
			host, _ := os.Hostname()
			o.Worker = fmt.Sprintf("%s-%d", host, os.Getpid())
		}
		log.printf("worker %s: sharing %d groups under %s leases", o.Worker, len(groups), o.Lease)
		go watchGroups(ctx, o, fl, log)
		err := fl.RunLeased(ctx, o.Worker, o.Lease, groups)
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return ctx.Err()
		}
		return cli.Usagef("%v", err)
	}
	log.printf("checking GET /latest of %d groups", len(groups))
	for _, c := range fl.Start(ctx, groups) {
		if c.OK {
			log.printf("%s: /latest is -1", c.Group)
		} else {
			log.printf("%s: not at -1 before the start: %s: %s", c.Group, c.Class, c.Detail)
		}
	}
	go watchGroups(ctx, o, fl, log)
	done := make(chan struct{})
	go func() {
		fl.Wait()
		close(done)
	}()
	select {
	case <-done:
		log.printf("every group has stopped")
		if !o.ExitDone {
			<-ctx.Done()
		}
	case <-ctx.Done():
		<-done
	}
	return ctx.Err()
}

// watchGroups reloads the groups file on SIGHUP and whenever its content
// changes (looked at every --watch).
func watchGroups(ctx context.Context, o *FleetRunOptions, fl *fleet.Fleet, log *lineLog) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var tick <-chan time.Time
	if o.Watch > 0 {
		t := time.NewTicker(o.Watch)
		defer t.Stop()
		tick = t.C
	}
	sum := func() [32]byte {
		b, _ := os.ReadFile(o.Groups)
		return sha256.Sum256(b)
	}
	last := sum()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		case <-tick:
			if s := sum(); s == last {
				continue
			}
		}
		last = sum()
		gs, err := fleet.LoadGroups(o.Groups)
		if err != nil {
			fl.ReloadFailed(err)
			continue
		}
		fl.Reload(gs)
	}
}

// FleetActivityOptions are the flags of `simulator fleet activity`.
type FleetActivityOptions struct {
	IO       *cli.IOStreams
	Groups   string
	Clones   string
	Out      string
	Fetch    bool
	GitToken string
}

// NewCmdFleetActivity builds `simulator fleet activity`; runF replaces the
// run function in flag-parsing tests.
func NewCmdFleetActivity(io *cli.IOStreams, runF func(*FleetActivityOptions) error) *cobra.Command {
	opts := &FleetActivityOptions{IO: io}
	c := &cobra.Command{
		Use:   "activity --groups groups.yaml --clones DIR --out DIR",
		Short: "Chart every group's daily and weekly commits and weekly releases from local clones",
		Long: `activity reads the local clones of every group's repositories (the groups
file's repos; a clone of https://github.com/x/minitwit is expected at
--clones/<group id>/minitwit, fetched by whoever has the credentials and the
network) and writes commits-daily.svg, commits-weekly.svg,
releases-weekly.svg (tags) and activity.json into --out. The fleet's
dashboard serves them with --activity-dir.

With --fetch it first clones the missing repositories (bare) and fetches
the others' branches and tags, with SIMULATOR_GIT_TOKEN (a GitHub token)
for https repositories when set. A repository it cannot reach is named in
a warning and charted from what its clone holds.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runFleetActivity(c.Context(), opts)
		},
	}
	f := c.Flags()
	f.StringVar(&opts.Groups, "groups", "groups.yaml", "groups file")
	f.StringVar(&opts.Clones, "clones", "clones", "directory of the local clones: <group id>/<repository name>")
	f.StringVarP(&opts.Out, "out", "o", "activity", "directory to write the charts into")
	f.BoolVar(&opts.Fetch, "fetch", false, "clone the missing repositories and fetch the others first")
	f.StringVar(&opts.GitToken, "git-token", "", "token for https repositories with --fetch (set SIMULATOR_GIT_TOKEN instead of passing it here)")
	return c
}

func runFleetActivity(ctx context.Context, o *FleetActivityOptions) error {
	groups, err := fleet.LoadGroups(o.Groups)
	if err != nil {
		return cli.Usagef("%v", err)
	}
	if o.Fetch {
		for _, r := range fleet.SyncClones(ctx, o.Clones, groups, fleet.GitAuth(o.GitToken)) {
			if r.Err != nil {
				fmt.Fprintf(o.IO.ErrOut, "warning: %s: %s: %v (charted from the local clone, if any)\n", r.Group, r.Repo, r.Err)
				continue
			}
			fmt.Fprintf(o.IO.ErrOut, "%s: %s: %s\n", r.Group, r.Repo, r.Action)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	as, err := fleet.ReadActivity(o.Clones, groups)
	if err != nil {
		return err
	}
	for _, a := range as {
		n := 0
		for _, c := range a.Daily {
			n += c
		}
		r := 0
		for _, c := range a.Releases {
			r += c
		}
		fmt.Fprintf(o.IO.ErrOut, "%s: %d commits, %d releases", a.Group, n, r)
		if len(a.Missing) > 0 {
			fmt.Fprintf(o.IO.ErrOut, "; no local clone of %v", a.Missing)
		}
		fmt.Fprintln(o.IO.ErrOut)
	}
	if err := fleet.WriteActivity(o.Out, as); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "wrote %v and activity.json to %s\n", fleet.ActivityFiles, o.Out)
	return nil
}
