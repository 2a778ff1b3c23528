// Package cmd is the simulator's command line: `simulator run` replays a
// scenario against a MiniTwit and reports, `simulator generate` writes
// scenarios of any size. Each command is an options struct, a NewCmdX
// constructor and a run function; output goes through IOStreams so tests
// capture it and switch terminal behaviour on and off.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/minitwit-cd/kit/internal/buildinfo"
)

// IOStreams are the command's input and outputs. IsTTY says whether ErrOut
// is a terminal (a live progress bar) or a log (plain progress lines).
type IOStreams struct {
	In          io.Reader
	Out, ErrOut io.Writer
	IsTTY       bool
}

// ExitError carries a process exit status with its message.
type ExitError struct {
	Code int
	Err  error
}

// Error implements error.
func (e *ExitError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *ExitError) Unwrap() error { return e.Err }

// Exit statuses, mapped in one place (ExitCode).
const (
	exitOK          = 0
	exitFailure     = 1 // errors above --max-errors, verification mismatches, ordering violations
	exitUsage       = 2 // bad flags or input
	exitInterrupted = 130
)

// ExitCode maps an error from Execute to the process exit status.
func ExitCode(err error) int {
	var ee *ExitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitFailure
}

// EnvPrefix prefixes the environment equivalents of the flags:
// --max-errors is SIMULATOR_MAX_ERRORS.
const EnvPrefix = "SIMULATOR_"

// NewCmdRoot builds the simulator command tree.
func NewCmdRoot(io IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "simulator",
		Short: "Replay the MiniTwit course scenario against any MiniTwit, with the 300 ms rule",
		Long: `simulator replays the course's simulator scenario (a TSV of register, tweet,
follow and unfollow actions) against a MiniTwit's simulator API, judges every
request like the course's script does (expected status within 300 ms), keeps
causal order under concurrency, verifies the target's state afterwards and
reports a table, JSON, the course-compatible error log and an HTML page.

Every flag has an environment equivalent: SIMULATOR_ and the flag's name in
capitals with dashes as underscores (--max-errors: SIMULATOR_MAX_ERRORS).`,
		Version:       buildinfo.Get().String(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	root.AddCommand(NewCmdRun(io, nil), NewCmdGenerate(io, nil), NewCmdFleet(io))
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &ExitError{Code: exitUsage, Err: err}
	})
	return root
}

// Execute runs the command line args with ctx (cancelled on Ctrl-C by
// main) and returns the error to map with ExitCode.
func Execute(ctx context.Context, args []string, io IOStreams) error {
	root := NewCmdRoot(io)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(io.ErrOut, "simulator:", err)
	}
	return err
}

// bindEnv sets every flag not given on the command line from its
// environment variable, if set.
func bindEnv(fs *pflag.FlagSet) error {
	var firstErr error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		name := EnvPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v, ok := os.LookupEnv(name)
		if !ok {
			return
		}
		if err := fs.Set(f.Name, v); err != nil && firstErr == nil {
			firstErr = &ExitError{Code: exitUsage, Err: fmt.Errorf("%s=%q: %w", name, v, err)}
		}
	})
	return firstErr
}

// usageErr marks a bad-input error.
func usageErr(format string, args ...any) error {
	return &ExitError{Code: exitUsage, Err: fmt.Errorf(format, args...)}
}
