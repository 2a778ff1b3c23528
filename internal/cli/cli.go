// Package cli is the command-line foundation every program of the kit
// stands on (minitwit, simulator, tracker, pipeline): IO streams that know
// whether they are terminals, flag defaults from the environment, a usage
// error that cobra's own flag and argument errors become, and one table of
// exit codes, applied in one place (Run).
//
// A program's main is one line:
//
//	func main() { os.Exit(cli.Main(cli.Program{Name: "simulator", Root: cmd.NewCmdRoot})) }
//
// and its tests call Run with Test streams to drive the real command tree.
package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit codes, the same in every program of the kit.
const (
	ExitOK          = 0   // the job was done
	ExitFailure     = 1   // the job failed: errors over budget, a non-compliant artifact, a failed deploy
	ExitUsage       = 2   // the command was called wrongly: flags, arguments, input files
	ExitAuth        = 3   // a server refused the credentials (401/403)
	ExitNotFound    = 4   // a server does not know the thing named (404)
	ExitUnreachable = 5   // a server did not answer at all
	ExitInterrupted = 130 // stopped by Ctrl-C (SIGINT)
)

// IOStreams is where a command reads and writes. OutTTY and ErrTTY say
// whether Out and ErrOut are terminals: a live progress line or colour
// there, plain lines in a log or CI.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	OutTTY bool
	ErrTTY bool
	// Getenv reads the environment (nil: os.LookupEnv), so tests set
	// variables without touching the process's.
	Getenv func(string) (string, bool)
}

// System returns the process's standard streams.
func System() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		OutTTY: IsTerminal(os.Stdout), ErrTTY: IsTerminal(os.Stderr),
	}
}

// Test returns streams backed by buffers (stdin, stdout, stderr), neither
// a terminal, with an empty environment.
func Test() (s *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	s = &IOStreams{In: in, Out: out, ErrOut: errOut, Getenv: func(string) (string, bool) { return "", false }}
	return s, in, out, errOut
}

// LookupEnv reads variable name through Getenv (or the process's
// environment).
func (s *IOStreams) LookupEnv(name string) (string, bool) {
	if s.Getenv != nil {
		return s.Getenv(name)
	}
	return os.LookupEnv(name)
}

// Env returns variable name's value, or "" when unset.
func (s *IOStreams) Env(name string) string {
	v, _ := s.LookupEnv(name)
	return v
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// UsageError is a mistake in how a command was called; it exits 2.
type UsageError struct{ Err error }

// Error returns the mistake.
func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// ExitError is an error with the exit code it should end the process with.
// A nil Err exits silently (the command already said why).
type ExitError struct {
	Code int
	Err  error
}

// Error returns the cause's message.
func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e *ExitError) Unwrap() error { return e.Err }

// Failed marks err as the job failing (exit 1), for a result the command
// has already reported, such as errors over budget.
func Failed(err error) error { return &ExitError{Code: ExitFailure, Err: err} }

// Program is one of the kit's command lines.
type Program struct {
	// Name is the binary's name, used in messages.
	Name string
	// EnvPrefix, when set, makes every flag readable from the environment
	// variable EnvPrefix + its name in capitals, dashes as underscores
	// (see Setup).
	EnvPrefix string
	// Root builds the command tree on the given streams.
	Root func(*IOStreams) *cobra.Command
	// Code maps errors the table does not know (an HTTP status from a
	// client, say) to an exit code; ok false leaves them to the table.
	Code func(error) (code int, ok bool)
	// Report prints a failed command's error; nil prints "NAME: message"
	// on one line and, for a usage error, how to get help.
	Report func(w io.Writer, cmd *cobra.Command, err error)
}

// ExitCode is the table: it maps a command's error to the exit code.
func (p Program) ExitCode(err error) int {
	var (
		u  *UsageError
		ee *ExitError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &u):
		return ExitUsage
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	}
	if p.Code != nil {
		if code, ok := p.Code(err); ok {
			return code
		}
	}
	return ExitFailure
}

// Run builds the program's command tree on io, runs it with args and
// returns the exit code, having printed the error (if any) to io.ErrOut.
func Run(ctx context.Context, p Program, io *IOStreams, args []string) int {
	root := p.Root(io)
	Setup(root, io, p.EnvPrefix)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	code := p.ExitCode(err)
	if err != nil && !silent(err) {
		if p.Report != nil {
			p.Report(io.ErrOut, cmd, err)
		} else {
			fmt.Fprintf(io.ErrOut, "%s: %s\n", p.Name, OneLine(err.Error()))
			if code == ExitUsage && cmd != nil {
				fmt.Fprintf(io.ErrOut, "Run '%s --help' for usage.\n", cmd.CommandPath())
			}
		}
	}
	return code
}

// silent reports an ExitError without a message.
func silent(err error) bool {
	var ee *ExitError
	return errors.As(err, &ee) && ee.Err == nil
}

// Main runs the program on the process's streams and arguments with a
// context that Ctrl-C or SIGTERM cancels, and returns the exit code for
// os.Exit. After Ctrl-C the code is 130 unless the call was a usage
// error; after SIGTERM (a service manager stopping a server) a clean
// shutdown exits 0. A second signal kills the process the default way.
func Main(p Program) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var interrupted atomic.Bool
	go func() {
		s, ok := <-sigs
		if !ok {
			return
		}
		interrupted.Store(s == os.Interrupt)
		signal.Stop(sigs)
		cancel()
	}()
	code := Run(ctx, p, System(), os.Args[1:])
	signal.Stop(sigs)
	if interrupted.Load() && code != ExitUsage {
		return ExitInterrupted
	}
	return code
}

// OneLine folds a message's white space, newlines included, to single
// spaces, so every error is one line.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
