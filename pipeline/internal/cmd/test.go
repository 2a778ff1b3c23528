package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/pipeline/gotest"
	"github.com/minitwit-cd/kit/pipeline/state"
)

// TestOptions are pipeline test's.
type TestOptions struct {
	Root     *RootOptions
	Packages []string
	Race     bool
	// MinCoverage is the coverage below which the coverage evidence is
	// not compliant.
	MinCoverage float64
}

// NewCmdTest builds `pipeline test`.
func NewCmdTest(f *Factory, ro *RootOptions, runF func(context.Context, *TestOptions) error) *cobra.Command {
	o := &TestOptions{Root: ro}
	c := &cobra.Command{
		Use:   "test [PACKAGE...]",
		Short: "Run the Go tests: JUnit XML and coverage, attested to the tracker",
		Long: `test runs go test -json over the package patterns (default ./...) with a
coverage profile, writes .pipeline/test/junit.xml (go-junit-report) and
coverage.out, and attests both on the commit's trail: junit evidence
"unit-tests" and coverage evidence "coverage" (compliant at --min-coverage
or more). The result goes into the state file: publish refuses to push a
commit whose tests failed.`,
		Example: `  pipeline test                      # the whole suite (CI's job)
  pipeline test ./internal/... ./pipeline/state`,
		RunE: func(c *cobra.Command, args []string) error {
			o.Packages = args
			if runF != nil {
				return runF(c.Context(), o)
			}
			return runTest(c.Context(), f, o, f.IO.Out)
		},
	}
	c.Flags().BoolVar(&o.Race, "race", false, "run the tests with the race detector")
	c.Flags().Float64Var(&o.MinCoverage, "min-coverage", 0, "coverage percentage below which the coverage evidence is not compliant")
	return c
}

func runTest(ctx context.Context, f *Factory, o *TestOptions, out io.Writer) error {
	if o.MinCoverage < 0 || o.MinCoverage > 100 {
		return cli.Usagef("--min-coverage %g: want a percentage between 0 and 100", o.MinCoverage)
	}
	w, err := o.Root.open(ctx, f, out)
	if err != nil {
		return err
	}
	s, err := w.load()
	if err != nil {
		return usage(err)
	}
	if _, err := s.RequireBuild(); err != nil {
		return usage(err)
	}
	pkgs := o.Packages
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	fmt.Fprintf(out, "test: go test -json %s\n", strings.Join(pkgs, " "))
	start := time.Now()
	res, err := gotest.Run(ctx, gotest.Options{Root: w.dir, Packages: pkgs, Out: w.workDir("test"), Race: o.Race,
		Progress: func(p gotest.PackageResult) {
			fmt.Fprintf(out, "test: %-4s %s (%.1fs)\n", p.Action, p.Package, p.Elapsed)
		}})
	if err != nil {
		return err
	}
	s.Test = &state.Test{Passed: res.Passed, Packages: pkgs, JUnit: res.JUnit, Coverage: res.Coverage,
		CoveragePercent: res.CoveragePercent, Tests: res.Tests, Failures: res.Failures, Skipped: res.Skipped,
		Seconds: time.Since(start).Seconds()}
	junitXML, err := os.ReadFile(res.JUnit)
	if err != nil {
		return err
	}
	// The result is saved before recording, so a tracker that fails now
	// still leaves "the tests failed" in the state for publish to see.
	if err := w.save(s); err != nil {
		return err
	}
	if err := w.rec.Tests(ctx, w.head.Short(), junitXML, res.CoveragePercent, o.MinCoverage); err != nil {
		return err
	}
	w.recorded(s, "test", "junit evidence "+"unit-tests", fmt.Sprintf("coverage evidence coverage (%.1f%%)", res.CoveragePercent))
	if err := w.save(s); err != nil {
		return err
	}
	fmt.Fprintf(out, "test: %d tests, %d failed, %d skipped; coverage %.1f%% (%s)\n", res.Tests, res.Failures, res.Skipped, res.CoveragePercent, res.JUnit)
	if !res.Passed {
		for _, t := range res.FailedTests {
			fmt.Fprintf(out, "test: FAIL %s\n", t)
		}
		return cli.Failed(fmt.Errorf("tests failed: %d of %d", res.Failures, res.Tests))
	}
	return nil
}
