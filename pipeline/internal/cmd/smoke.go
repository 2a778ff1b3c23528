package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/internal/simreport"
	"github.com/minitwit-cd/kit/pipeline/state"
)

// DefaultSmokeBudget is the smoke run's per-request budget. A smoke run
// asks whether the deployed app works (every action answered, correctly,
// and the state read back matches); the course's 300 ms rule is the full
// simulator run's business, and on a busy CI machine a first
// registration can take longer than that without anything being wrong.
const DefaultSmokeBudget = 2 * time.Second

// SmokeOptions are pipeline smoke's.
type SmokeOptions struct {
	Root     *RootOptions
	Target   string
	Scenario string
	Limit    int64
	// FromLatest resumes after the target's /latest (a target that was
	// smoked before).
	FromLatest bool
	// Budget is the simulator's per-request budget (its --timeout).
	Budget time.Duration
}

// NewCmdSmoke builds `pipeline smoke`.
func NewCmdSmoke(f *Factory, ro *RootOptions, runF func(context.Context, *SmokeOptions) error) *cobra.Command {
	o := &SmokeOptions{Root: ro}
	c := &cobra.Command{
		Use:   "smoke --target URL",
		Short: "Replay a bounded prefix of the scenario against the deployed app; attest the report",
		Long: `smoke runs the built simulator (simulator run --limit N --json) over the first
--limit actions of the scenario against the deployed app, then attests its
JSON report as simulator evidence "smoke" on the published minitwit
artifact: compliant when the simulator counted no errors. The scenario is
--scenario, or the course's (../shared/data/minitwit_scenario.tsv), or, when
neither exists, one the simulator generates.`,
		Example: `  pipeline smoke --target http://127.0.0.1:8081 --limit 300`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), o)
			}
			return runSmoke(c.Context(), f, o, f.IO.Out)
		},
	}
	c.Flags().StringVarP(&o.Target, "target", "t", "", "base URL of the deployed app (required)")
	c.Flags().StringVarP(&o.Scenario, "scenario", "s", "", "scenario TSV (default: the course's, else a generated one)")
	c.Flags().Int64Var(&o.Limit, "limit", 300, "number of actions to replay")
	c.Flags().BoolVar(&o.FromLatest, "from-latest", false, "resume after the target's GET /latest")
	c.Flags().DurationVar(&o.Budget, "budget", DefaultSmokeBudget, "per-request budget: an answer later than this is an error")
	return c
}

func runSmoke(ctx context.Context, f *Factory, o *SmokeOptions, out io.Writer) error {
	u, err := url.Parse(o.Target)
	if o.Target == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cli.Usagef("--target %q: want the app's base URL, http(s)://HOST[:PORT]", o.Target)
	}
	budget := o.Budget
	if budget == 0 {
		budget = DefaultSmokeBudget
	}
	if budget < 0 {
		return cli.Usagef("--budget %s: want a positive duration", budget)
	}
	if o.Limit <= 0 {
		return cli.Usagef("--limit %d: want a positive number of actions", o.Limit)
	}
	w, err := o.Root.open(ctx, f, out)
	if err != nil {
		return err
	}
	s, err := w.load()
	if err != nil {
		return usage(err)
	}
	b, err := s.RequireBuild("simulator")
	if err != nil {
		return usage(err)
	}
	sim := b.Binaries["simulator"].Path
	dir := w.workDir("smoke")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	scen, err := smokeScenario(ctx, o.Scenario, w.dir, sim, dir, o.Limit)
	if err != nil {
		return err
	}
	reportPath := filepath.Join(dir, "report.json")
	_ = os.Remove(reportPath)
	args := []string{"run", "-t", o.Target, "-s", scen, "--limit", strconv.FormatInt(o.Limit, 10),
		"--json", reportPath, "--max-errors", "0", "-c", "2", "--timeout", budget.String()}
	if o.FromLatest {
		args = append(args, "--from-latest")
	}
	fmt.Fprintf(out, "smoke: simulator %s\n", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, sim, args...)
	cmd.Stdout, cmd.Stderr = out, out
	runErr := cmd.Run()
	var ee *exec.ExitError
	if runErr != nil && (!errors.As(runErr, &ee) || ee.ExitCode() != cli.ExitFailure) {
		return fmt.Errorf("smoke: simulator: %w", runErr)
	}
	raw, err := os.ReadFile(reportPath)
	if err != nil {
		return fmt.Errorf("smoke: the simulator wrote no report: %w", err)
	}
	rep, err := simreport.Decode(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("smoke: %s: %w", reportPath, err)
	}
	if s.Smoke == nil {
		s.Smoke = map[string]state.Smoke{}
	}
	passed := runErr == nil && rep.Errors == 0 && rep.Passed
	s.Smoke[o.Target] = state.Smoke{Target: o.Target, Report: reportPath, Errors: rep.Errors, Passed: passed}
	fp := ""
	if ref, err := s.RequirePublished("minitwit"); err == nil {
		_, d, _ := strings.Cut(ref, "@sha256:")
		fp = d
	}
	if err := w.rec.Simulator(ctx, "minitwit", w.head.Short(), fp, bytes.TrimSpace(raw), o.Target); err != nil {
		_ = w.save(s)
		return err
	}
	w.recorded(s, "smoke", "simulator evidence smoke ("+strconv.FormatInt(rep.Errors, 10)+" errors)")
	if err := w.save(s); err != nil {
		return err
	}
	if !passed {
		why := rep.Failure
		if why == "" {
			why = fmt.Sprintf("%d errors", rep.Errors)
		}
		return cli.Failed(fmt.Errorf("smoke against %s failed: %s (report %s)", o.Target, why, reportPath))
	}
	fmt.Fprintf(out, "smoke: %d actions against %s, no errors\n", o.Limit, o.Target)
	return nil
}

// smokeScenario picks the scenario: the given file, the course's, or one
// the simulator generates.
func smokeScenario(ctx context.Context, given, checkout, sim, dir string, limit int64) (string, error) {
	if given != "" {
		if _, err := os.Stat(given); err != nil {
			return "", cli.Usagef("--scenario: %v", err)
		}
		return given, nil
	}
	// The course's data lives beside the checkout, never in it.
	if p := filepath.Join(filepath.Dir(checkout), "shared", "data", "minitwit_scenario.tsv"); fileExists(p) {
		return p, nil
	}
	p := filepath.Join(dir, "generated.tsv")
	n := max(limit, 100)
	cmd := exec.CommandContext(ctx, sim, "generate", "--users", "50", "--actions", strconv.FormatInt(n, 10), "-o", p)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("smoke: simulator generate: %w: %s", err, strings.TrimSpace(string(msg)))
	}
	return p, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
