// Package gotest runs `go test -json` over package patterns and turns the
// stream into the tracker's evidence: a JUnit XML report (through
// github.com/jstemmer/go-junit-report/v2, used as a library), a coverage
// profile and its statement-coverage total.
package gotest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jstemmer/go-junit-report/v2/gtr"
	"github.com/jstemmer/go-junit-report/v2/junit"
	"github.com/jstemmer/go-junit-report/v2/parser/gotest"
)

// Options configure Run.
type Options struct {
	// Root is the module root the tests run in.
	Root string
	// Packages are the package patterns (default ./...).
	Packages []string
	// Out is the directory junit.xml and coverage.out are written to.
	Out string
	// Race turns on the race detector.
	Race bool
	// Env is extra environment for the go command; the process's is
	// inherited.
	Env []string
	// Hostname goes into the JUnit report (default "pipeline"), fixed so
	// the report does not depend on the machine.
	Hostname string
	// Progress, when set, is called as each package finishes.
	Progress func(PackageResult)
}

// PackageResult is one package's outcome, for progress.
type PackageResult struct {
	Package string
	Action  string // pass, fail, skip
	Elapsed float64
}

// Result is the outcome of a run.
type Result struct {
	// Passed is true when every package built and every test passed.
	Passed bool
	// JUnit and Coverage are the written files.
	JUnit    string
	Coverage string
	// CoveragePercent is the statement coverage over all profiled blocks.
	CoveragePercent          float64
	Tests, Failures, Skipped int
	// FailedTests names the failed tests (package.Test) for messages.
	FailedTests []string
}

// event is the part of a `go test -json` line Run looks at.
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
}

// Run runs the tests. Failing tests are not an error (Result.Passed is
// false); a go command that could not run, or produced no report at all,
// is.
func Run(ctx context.Context, o Options) (Result, error) {
	pkgs := o.Packages
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return Result{}, fmt.Errorf("gotest: %w", err)
	}
	out, err := filepath.Abs(o.Out)
	if err != nil {
		return Result{}, fmt.Errorf("gotest: %w", err)
	}
	res := Result{JUnit: filepath.Join(out, "junit.xml"), Coverage: filepath.Join(out, "coverage.out")}
	_ = os.Remove(res.Coverage) // a stale profile must not pass for this run's
	args := []string{"test", "-json", "-covermode=atomic", "-coverprofile=" + res.Coverage}
	if o.Race {
		args = append(args, "-race")
	}
	args = append(args, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = o.Root
	cmd.Env = append(os.Environ(), o.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return Result{}, fmt.Errorf("gotest: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("gotest: start go test: %w", err)
	}
	var stream bytes.Buffer
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		stream.Write(line)
		stream.WriteByte('\n')
		var ev event
		if o.Progress != nil && json.Unmarshal(line, &ev) == nil && ev.Test == "" && ev.Package != "" &&
			(ev.Action == "pass" || ev.Action == "fail" || ev.Action == "skip") {
			o.Progress(PackageResult{Package: ev.Package, Action: ev.Action, Elapsed: ev.Elapsed})
		}
	}
	waitErr := cmd.Wait()
	if ctx.Err() != nil {
		return Result{}, fmt.Errorf("gotest: %w", ctx.Err())
	}
	report, err := gotest.NewJSONParser(gotest.TimestampFunc(func() time.Time { return time.Time{} })).Parse(&stream)
	if err != nil {
		return Result{}, fmt.Errorf("gotest: parse go test -json: %w", err)
	}
	if len(report.Packages) == 0 {
		msg := strings.TrimSpace(stderr.String())
		if waitErr != nil {
			return Result{}, fmt.Errorf("gotest: go test %s: %w: %s", strings.Join(pkgs, " "), waitErr, msg)
		}
		return Result{}, fmt.Errorf("gotest: go test %s matched no packages", strings.Join(pkgs, " "))
	}
	host := o.Hostname
	if host == "" {
		host = "pipeline"
	}
	suites := junit.CreateFromReport(report, host)
	var xml bytes.Buffer
	if err := suites.WriteXML(&xml); err != nil {
		return Result{}, fmt.Errorf("gotest: write junit: %w", err)
	}
	if err := os.WriteFile(res.JUnit, xml.Bytes(), 0o644); err != nil {
		return Result{}, fmt.Errorf("gotest: %w", err)
	}
	res.Tests, res.Failures, res.Skipped = suites.Tests, suites.Failures+suites.Errors, suites.Skipped
	res.FailedTests = failed(report)
	res.Passed = waitErr == nil && report.IsSuccessful()
	if waitErr != nil && res.Failures == 0 {
		// go test failed without a failed test (a vet or build error
		// outside any package's report): still a failure, and counted.
		res.Failures = 1
		res.FailedTests = append(res.FailedTests, "go test: "+oneLine(stderr.String()))
	}
	if f, err := os.Open(res.Coverage); err == nil {
		res.CoveragePercent, err = CoveragePercent(f)
		f.Close()
		if err != nil {
			return Result{}, fmt.Errorf("gotest: %s: %w", res.Coverage, err)
		}
	} else if res.Passed {
		return Result{}, fmt.Errorf("gotest: no coverage profile written: %w", err)
	}
	return res, nil
}

func failed(r gtr.Report) []string {
	var out []string
	for _, p := range r.Packages {
		if p.BuildError.Name != "" {
			out = append(out, p.Name+" (build failed)")
		}
		for _, t := range p.Tests {
			if t.Result == gtr.Fail {
				out = append(out, p.Name+"."+t.Name)
			}
		}
	}
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// CoveragePercent reads a coverage profile and returns the percentage of
// statements covered. A block listed more than once (several test
// binaries profile the same package under -coverpkg) counts once, covered
// if any run covered it.
func CoveragePercent(r io.Reader) (float64, error) {
	type block struct{ stmts, count int64 }
	blocks := map[string]block{}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if line == 1 && strings.HasPrefix(s, "mode:") {
			continue
		}
		if strings.TrimSpace(s) == "" {
			continue
		}
		// file.go:12.34,15.2 3 1
		sp := strings.LastIndexByte(s, ' ')
		sp2 := strings.LastIndexByte(s[:max(sp, 0)], ' ')
		if sp < 0 || sp2 < 0 {
			return 0, fmt.Errorf("line %d: not a coverage block: %q", line, s)
		}
		stmts, err1 := strconv.ParseInt(s[sp2+1:sp], 10, 64)
		count, err2 := strconv.ParseInt(s[sp+1:], 10, 64)
		if err1 != nil || err2 != nil {
			return 0, fmt.Errorf("line %d: not a coverage block: %q", line, s)
		}
		key := s[:sp2]
		b := blocks[key]
		b.stmts = stmts
		b.count += count
		blocks[key] = b
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	var total, covered int64
	for _, b := range blocks {
		total += b.stmts
		if b.count > 0 {
			covered += b.stmts
		}
	}
	if total == 0 {
		return 0, nil
	}
	return 100 * float64(covered) / float64(total), nil
}
