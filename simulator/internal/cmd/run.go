package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/internal/buildinfo"
	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/internal/simreport"
	"github.com/minitwit-cd/kit/simulator/replay"
	"github.com/minitwit-cd/kit/simulator/report"
	"github.com/minitwit-cd/kit/simulator/scenario"
)

// RunOptions are the flags of `simulator run`.
type RunOptions struct {
	IO            *cli.IOStreams
	Target        string
	Scenario      string
	Compat        bool
	Max           bool
	Speedup       float64
	Concurrency   int
	Timeout       time.Duration
	KeepAlive     bool
	keepAliveSet  bool
	FromLatest    bool
	From          int64
	fromSet       bool
	Resume        string
	Limit         int64
	Verify        bool
	VerifyUsers   int
	Rate          float64
	Duration      time.Duration
	JSON          string
	Errors        string
	HTML          string
	MaxErrors     int64
	Authorization string
}

// NewCmdRun builds `simulator run`; runF replaces the run function in
// flag-parsing tests.
func NewCmdRun(io *cli.IOStreams, runF func(context.Context, *RunOptions) error) *cobra.Command {
	opts := &RunOptions{IO: io}
	c := &cobra.Command{
		Use:   "run --target URL --scenario FILE",
		Short: "Replay a scenario against a MiniTwit and report",
		Long: `run replays a scenario against the simulator API at --target (a base URL; it
may carry a port and a path prefix: http://host:8081/api/v1), one request per
action with latest=ID and the simulator's Authorization header, and judges
each like the course's script: register expects 204 or 400, everything else
204, within --timeout (300 ms).

Pacing (choose one; --max is the default):
  --compat       one action at a time, Connection: close, sleeping delay/1e8 s
                 before each action: a drop-in for the course's script. Its
                 error lines (TS,HOST,LATEST,STATUS,COMMAND; TS,HOST,LATEST,
                 ReadTimeout; TS,HOST,LATEST,ConnectionError) go to standard
                 output unless --errors says where, everything else to
                 standard error: run --compat -t HOST -s FILE > errors.log.
  --speedup X    the recorded delays compressed X times (100000 is about the
                 course script's speed), with --concurrency requests in flight.
  --max          as fast as the target answers, --concurrency in flight.
Actions never start before the actions they depend on have completed (the
user's registration, the other user's, the follow an unfollow undoes).

Before a replay from the start, run checks that GET /latest says -1 (an empty
database) and warns when it does not; --from-latest resumes after it instead,
--from ID after the given action.

A completed replay leaves the target's /latest at the last action's ID, in
every mode and concurrency (the last action is sent alone, after every other
has been answered). An interrupted one reports its resume point: every action
up to it was answered, and under concurrency a few above it were too (listed
in --json). It sets the target's /latest to the resume point, so
--from-latest picks up there; --resume REPORT.json also skips the actions it
acknowledged above it, so nothing acknowledged is sent twice.
After the replay, --verify (on by default) reads the state back and compares
it with the scenario; --rate and --duration then run an open-model load test
of the same mix. The exit status is 1 when errors exceed --max-errors, the
verification finds a mismatch or an ordering violation happened, 2 for bad
input and 130 when interrupted (the partial report is still written).`,
		Example: `  simulator run -t http://localhost:5000 -s minitwit_scenario.tsv --max -c 16
  simulator run -t http://localhost:5001 -s minitwit_scenario.tsv --compat --errors errors.log
  simulator run -t http://host:8081/api/v1 -s big.tsv --speedup 1e6 --html report.html`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.keepAliveSet = c.Flags().Changed("keep-alive")
			opts.fromSet = c.Flags().Changed("from")
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runRun(c.Context(), opts)
		},
	}
	f := c.Flags()
	f.StringVarP(&opts.Target, "target", "t", "", "base URL of the simulator API (required)")
	f.StringVarP(&opts.Scenario, "scenario", "s", "", "scenario TSV file, - for standard input (required)")
	f.BoolVar(&opts.Compat, "compat", false, "pace like the course's script: one at a time, Connection: close, delay/1e8 s sleeps")
	f.BoolVar(&opts.Max, "max", false, "send as fast as the target answers (the default pacing)")
	f.Float64Var(&opts.Speedup, "speedup", 0, "replay the recorded delays compressed this many times")
	f.IntVarP(&opts.Concurrency, "concurrency", "c", 1, "requests in flight (--speedup, --max, load test)")
	f.DurationVar(&opts.Timeout, "timeout", report.DefaultBudget, "per-request budget: no answer by then is a timeout")
	f.BoolVar(&opts.KeepAlive, "keep-alive", true, "reuse connections (off in --compat unless given)")
	f.BoolVar(&opts.FromLatest, "from-latest", false, "resume after the target's GET /latest")
	f.Int64Var(&opts.From, "from", -1, "resume after the action with this ID")
	f.StringVar(&opts.Resume, "resume", "", "resume the replay whose --json report this is: after its resume point, skipping the actions it acknowledged above it")
	f.Int64Var(&opts.Limit, "limit", 0, "replay only this many actions (0: all)")
	f.BoolVar(&opts.Verify, "verify", true, "after the replay, read the target back and check its state")
	f.IntVar(&opts.VerifyUsers, "verify-users", 32, "number of users whose follows and messages --verify checks")
	f.Float64Var(&opts.Rate, "rate", 0, "after the replay, an open-model load test at this many requests per second")
	f.DurationVar(&opts.Duration, "duration", 0, "length of the load test")
	f.StringVar(&opts.JSON, "json", "", "write the report as JSON to this file")
	f.StringVar(&opts.Errors, "errors", "", "write error lines to this file (- for standard output; with --compat, the course script's exact lines, on standard output by default)")
	f.StringVar(&opts.HTML, "html", "", "write a self-contained HTML report with charts to this file")
	f.Int64Var(&opts.MaxErrors, "max-errors", 0, "exit with status 1 when the independent errors exceed this")
	f.StringVar(&opts.Authorization, "authorization", scenario.Authorization, "Authorization header value")
	return c
}

// mode resolves the pacing flags.
func (o *RunOptions) mode() (replay.Option, replay.Mode, error) {
	n := 0
	for _, set := range []bool{o.Compat, o.Max, o.Speedup != 0} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return nil, 0, cli.Usagef("--compat, --speedup and --max exclude each other")
	case o.Compat:
		return replay.WithMode(replay.Compat), replay.Compat, nil
	case o.Speedup != 0:
		if !(o.Speedup > 0) {
			return nil, 0, cli.Usagef("--speedup %g: must be positive", o.Speedup)
		}
		return replay.WithSpeedup(o.Speedup), replay.Speedup, nil
	}
	return replay.WithMode(replay.Max), replay.Max, nil
}

func (o *RunOptions) validate() error {
	switch {
	case o.Target == "":
		return cli.Usagef("--target is required (e.g. http://localhost:5000)")
	case o.Scenario == "":
		return cli.Usagef("--scenario is required (the course's minitwit_scenario.tsv or one from `simulator generate`)")
	case o.Concurrency < 1:
		return cli.Usagef("--concurrency %d: must be at least 1", o.Concurrency)
	case o.Timeout <= 0:
		return cli.Usagef("--timeout %s: must be positive", o.Timeout)
	case o.Limit < 0:
		return cli.Usagef("--limit %d: must not be negative", o.Limit)
	case o.Rate < 0 || (o.Rate > 0) != (o.Duration > 0):
		return cli.Usagef("--rate and --duration go together and must be positive")
	case o.MaxErrors < 0:
		return cli.Usagef("--max-errors %d: must not be negative", o.MaxErrors)
	case o.FromLatest && o.fromSet:
		return cli.Usagef("--from-latest and --from exclude each other")
	case o.fromSet && o.From < -1:
		return cli.Usagef("--from %d: must be an action ID (or -1, the start)", o.From)
	}
	return nil
}

func runRun(ctx context.Context, o *RunOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	modeOpt, mode, err := o.mode()
	if err != nil {
		return err
	}
	src, total, closeSrc, err := openScenario(o.Scenario, o.IO.In)
	if err != nil {
		return err
	}
	defer closeSrc()

	rec := report.NewRecorder(report.Options{Target: o.Target, Budget: o.Timeout, Start: time.Now()})
	// The report (tables, verification, resume point) goes to standard
	// output, unless the error lines do: then to standard error, so that
	// `simulator run --compat ... > errors.log` gets the lines alone, as
	// `python minitwit_simulator.py HOST > errors.log` does.
	var elogOut io.Writer
	w := o.IO.Out
	switch {
	case o.Errors == "" && !o.Compat:
	case o.Errors == "" || o.Errors == "-":
		// Like the course's script, which prints its error lines.
		elogOut, w = o.IO.Out, o.IO.ErrOut
	default:
		f, err := os.Create(o.Errors)
		if err != nil {
			return cli.Usagef("--errors: %w", err)
		}
		defer f.Close()
		elogOut = f
	}
	var elog *report.ErrorLog
	switch {
	case elogOut == nil:
	case o.Compat:
		elog = report.NewCourseLog(elogOut, o.Target, clock)
	default:
		elog = report.NewErrorLog(elogOut, o.Target)
	}
	if elog != nil {
		defer elog.Close()
	}
	var resumed *simreport.Report
	if o.Resume != "" {
		r, err := readResume(o.Resume)
		if err != nil {
			return err
		}
		resumed = &r
	}
	model := replay.NewModel(o.VerifyUsers, 10)
	opts := []replay.Option{
		modeOpt,
		replay.WithConcurrency(o.Concurrency),
		replay.WithTimeout(o.Timeout),
		replay.WithAuthorization(o.Authorization),
		replay.WithLimit(o.Limit),
		replay.WithModel(model),
		replay.WithObserver(func(s report.Sample) {
			rec.Add(s)
			if elog != nil {
				elog.Write(s)
			}
		}),
	}
	if o.keepAliveSet {
		opts = append(opts, replay.WithKeepAlive(o.KeepAlive))
	}
	if resumed != nil {
		opts = append(opts, replay.WithResume(resumed.Resume))
	}
	if o.fromSet {
		opts = append(opts, replay.WithAfter(o.From))
	}
	e, err := replay.New(o.Target, opts...)
	if err != nil {
		return cli.Usagef("%w", err)
	}
	defer e.Close()
	errOut := o.IO.ErrOut

	// Preflight: where does the target stand?
	latest, lerr := e.Latest(ctx)
	switch {
	case o.FromLatest && lerr != nil:
		return fmt.Errorf("--from-latest: %w", lerr)
	case o.FromLatest:
		if latest >= 0 {
			fmt.Fprintf(errOut, "resuming after action %d (the target's /latest)\n", latest)
			total -= latest + 1
		}
		e, err = replay.New(o.Target, append(opts, replay.WithAfter(latest))...)
		if err != nil {
			return cli.Usagef("%w", err)
		}
		// The deferred Close above is bound to the preflight engine.
		defer e.Close()
	case lerr != nil:
		fmt.Fprintf(errOut, "warning: %v\n", lerr)
	case resumed != nil || o.fromSet:
		from := o.From
		if !o.fromSet {
			from = resumed.Resume.Point
		}
		fmt.Fprintf(errOut, "resuming after action %d", from)
		if resumed != nil && len(resumed.Resume.Acked) > 0 {
			fmt.Fprintf(errOut, ", skipping the %d actions above it that %s acknowledged", resumed.Resume.AckedCount(), o.Resume)
		}
		fmt.Fprintf(errOut, " (the target's /latest is %d)\n", latest)
		if from >= 0 {
			total -= from + 1
		}
	case latest != -1:
		fmt.Fprintf(errOut, "warning: the target's /latest is %d, not -1: its database is not empty, so the replay "+
			"may see \"user exists\" answers and --verify may find earlier data (use --from-latest to resume instead)\n", latest)
	}
	if o.Limit > 0 && (total <= 0 || total > o.Limit) {
		total = o.Limit
	}
	total = max(total, 0)

	prog := report.NewProgress(errOut, total, o.IO.ErrTTY)
	stopProg := make(chan struct{})
	var progWG sync.WaitGroup
	progWG.Add(1)
	go func() {
		defer progWG.Done()
		every := time.Second
		if o.IO.ErrTTY {
			every = 100 * time.Millisecond
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				prog.Update(rec.Totals())
			case <-stopProg:
				return
			}
		}
	}()
	st, rerr := e.Replay(ctx, src)
	close(stopProg)
	progWG.Wait()
	prog.Update(rec.Totals())
	prog.Finish()

	out := simreport.Report{
		Schema: simreport.Schema, Simulator: buildinfo.Get().Version,
		Target: o.Target, Scenario: o.Scenario, Mode: mode.String(), Concurrency: o.Concurrency,
		Stats: st.Document(),
	}
	interrupted := errors.Is(rerr, context.Canceled) || st.Interrupted
	stoppedEarly := interrupted || rerr != nil // before the source's (or --limit's) end
	var failures []string
	switch {
	case interrupted:
		fmt.Fprintf(errOut, "interrupted after %d of %d actions; the report covers those\n", st.Completed, total)
	case rerr != nil:
		failures = append(failures, "replay stopped: "+rerr.Error())
	}

	if elog != nil {
		if err := elog.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "replay (%s pacing, concurrency %d): %d actions sent", mode, o.Concurrency, st.Sent)
	if st.Skipped > 0 {
		fmt.Fprintf(w, ", %d skipped (before the resume point)", st.Skipped)
	}
	fmt.Fprintf(w, ", %d ordering violations\n", st.OrderViolations)
	if err := rec.WriteTable(w); err != nil {
		return err
	}
	sum := rec.Summary()
	out.Replay = sum.Document()
	out.Total, out.Errors, out.Consequences = sum.Total, sum.Errors, sum.Consequences
	if st.OrderViolations > 0 {
		failures = append(failures, fmt.Sprintf("%d ordering violations", st.OrderViolations))
	}
	if sum.Errors > o.MaxErrors {
		failures = append(failures, fmt.Sprintf("%d errors, more than --max-errors %d", sum.Errors, o.MaxErrors))
	}

	if o.Verify && !interrupted && rerr == nil && st.Sent > 0 {
		v, err := e.Verify(ctx, model, st)
		if err == nil {
			vd := v.Document()
			out.Verification = &vd
			passed := v.OK()
			out.VerificationPassed = &passed
			fmt.Fprintf(w, "verify: %d checks, %d skipped (uncertain after a failed action), %d mismatches\n", v.Checks, v.Skipped, len(v.Mismatches))
			for i, m := range v.Mismatches {
				if i == 20 {
					fmt.Fprintf(w, "  … and %d more (see --json)\n", len(v.Mismatches)-20)
					break
				}
				fmt.Fprintf(w, "  %s\n", m)
			}
			if !v.OK() {
				failures = append(failures, fmt.Sprintf("verification found %d mismatches", len(v.Mismatches)))
			}
		} else {
			interrupted = true
		}
	}

	if o.Rate > 0 && !interrupted && rerr == nil {
		lrec := report.NewRecorder(report.Options{Target: o.Target, Budget: o.Timeout, Start: time.Now()})
		le, err := replay.New(o.Target, replay.WithConcurrency(o.Concurrency), replay.WithTimeout(o.Timeout),
			replay.WithAuthorization(o.Authorization), replay.WithObserver(lrec.Add))
		if err != nil {
			return cli.Usagef("%w", err)
		}
		defer le.Close()
		fmt.Fprintf(errOut, "load test: %g requests/s for %s\n", o.Rate, o.Duration)
		_, lerr := le.Load(ctx, o.Rate, o.Duration, model.Pool(), 1)
		switch {
		case errors.Is(lerr, context.Canceled):
			interrupted = true
		case lerr != nil:
			failures = append(failures, "load test: "+lerr.Error())
		}
		fmt.Fprintf(w, "load test (open model, %g/s for %s):\n", o.Rate, o.Duration)
		if err := lrec.WriteTable(w); err != nil {
			return err
		}
		ls := lrec.Summary()
		ld := ls.Document()
		out.Load = &ld
		if ls.Errors > 0 {
			fmt.Fprintf(w, "load test errors are reported, not counted against --max-errors\n")
		}
	}

	out.Resume = st.Resume
	if stoppedEarly || st.Resume.Point < st.LastID {
		fmt.Fprintf(w, "resume point: %d (every action up to it was answered)", st.Resume.Point)
		if n := st.Resume.AckedCount(); n > 0 {
			fmt.Fprintf(w, "; %d acknowledged above it", n)
		}
		fmt.Fprintln(w)
	}
	if stoppedEarly && st.Sent > 0 {
		// /latest is whichever request the target processed last; make it
		// the resume point, for --from-latest and the instructors' resume.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if err := e.PinLatest(pctx, st.Resume.Point); err != nil {
			fmt.Fprintf(errOut, "warning: %v; resume with --from %d", err, st.Resume.Point)
		} else {
			fmt.Fprintf(errOut, "the target's /latest is now %d, the resume point: resume with --from-latest", st.Resume.Point)
		}
		if st.Resume.AckedCount() > 0 {
			if o.JSON != "" {
				fmt.Fprintf(errOut, " --resume %s (it skips the %d actions acknowledged above it)", o.JSON, st.Resume.AckedCount())
			} else {
				fmt.Fprintf(errOut, " (%d acknowledged actions above it will be sent again; --json FILE records them for --resume FILE)", st.Resume.AckedCount())
			}
		}
		fmt.Fprintln(errOut)
		cancel()
	}

	out.Failure = strings.Join(failures, "; ")
	out.Interrupted = interrupted
	out.Passed = !interrupted && len(failures) == 0
	if err := writeReports(o, rec, out); err != nil {
		return err
	}
	if elog != nil {
		if err := elog.Close(); err != nil {
			return err
		}
	}
	if interrupted {
		// Already said: "interrupted after ...".
		return &cli.ExitError{Code: cli.ExitInterrupted}
	}
	if len(failures) > 0 {
		var pe *scenario.ParseError
		if errors.As(rerr, &pe) {
			return &cli.UsageError{Err: errors.New(out.Failure)}
		}
		return cli.Failed(errors.New(out.Failure))
	}
	return nil
}

// writeReports writes the --json and --html files.
func writeReports(o *RunOptions, rec *report.Recorder, out simreport.Report) error {
	if o.JSON != "" {
		var buf bytes.Buffer
		if err := simreport.Encode(&buf, out); err != nil {
			return fmt.Errorf("--json: %w", err)
		}
		if err := os.WriteFile(o.JSON, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("--json: %w", err)
		}
	}
	if o.HTML != "" {
		var buf bytes.Buffer
		if err := rec.WriteHTML(&buf); err != nil {
			return fmt.Errorf("--html: %w", err)
		}
		if err := os.WriteFile(o.HTML, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("--html: %w", err)
		}
	}
	return nil
}

// clock is the time of the --compat error lines (a test replaces it).
var clock = time.Now

// readResume reads the report of the replay to resume.
func readResume(path string) (simreport.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return simreport.Report{}, cli.Usagef("--resume: %w", err)
	}
	defer f.Close()
	r, err := simreport.Decode(f)
	if err != nil {
		return simreport.Report{}, cli.Usagef("--resume %s: %w", path, err)
	}
	return r, nil
}

// openScenario opens the scenario and counts its lines for the progress
// bar (0 when it is standard input or not a regular file).
func openScenario(path string, stdin io.Reader) (*scenario.Reader, int64, func(), error) {
	if path == "-" {
		return scenario.NewReader(stdin), 0, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, nil, cli.Usagef("scenario: %w", err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return scenario.NewReader(f), 0, func() { f.Close() }, nil
	}
	n, err := countLines(f)
	if err != nil {
		f.Close()
		return nil, 0, nil, fmt.Errorf("scenario: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, 0, nil, fmt.Errorf("scenario: %w", err)
	}
	return scenario.NewReader(f), n, func() { f.Close() }, nil
}

// countLines counts newline-terminated lines plus a final unterminated one.
func countLines(r io.Reader) (int64, error) {
	buf := make([]byte, 256<<10)
	var n int64
	var last byte = '\n'
	for {
		k, err := r.Read(buf)
		if k > 0 {
			n += int64(bytes.Count(buf[:k], []byte{'\n'}))
			last = buf[k-1]
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if last != '\n' {
		n++
	}
	return n, nil
}
