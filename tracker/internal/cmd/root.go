// Package cmd is the tracker's command line: one cobra command per file,
// each an options struct, a NewCmdX(f, runF) constructor that only parses
// flags, and an unexported run function that does the work, so tests can
// check parsing without running and run without parsing. Output goes
// through IOStreams; errors become exit codes in one place (ExitCode).
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/minitwit-cd/kit/internal/buildinfo"
	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/tracker/client"
	"github.com/minitwit-cd/kit/tracker/fingerprint"
	"github.com/minitwit-cd/kit/tracker/reporter"
	"github.com/spf13/cobra"
)

// DefaultHost is the server the CLI talks to when neither --host nor
// TRACKER_HOST says otherwise.
const DefaultHost = "http://localhost:8080"

// DockerConn is a Docker Engine connection the docker commands use.
type DockerConn interface {
	reporter.DockerAPI
	Close() error
}

// Factory holds what commands need from the outside world; tests replace
// any of it (streams, clock, time zone, environment).
type Factory struct {
	IO *IOStreams
	// Now is the CLI's clock, for "15 days ago".
	Now func() time.Time
	// Location is the zone times are printed in (the local zone).
	Location *time.Location
	// Getenv reads the environment (TRACKER_HOST …).
	Getenv func(string) string
	// HTTPClient, when set, is used for every API call.
	HTTPClient *http.Client
	// Docker opens a Docker Engine connection (nil: the engine DOCKER_HOST
	// names, or the local socket).
	Docker func() (DockerConn, error)
	// ServerNow is the clock `serve` gives the server (nil: real time).
	ServerNow func() time.Time
}

// NewFactory returns the factory of the real process.
func NewFactory() *Factory {
	return &Factory{
		IO:       System(),
		Now:      time.Now,
		Location: time.Local,
		Getenv:   os.Getenv,
	}
}

// docker opens the Docker connection, with the real engine by default.
func (f *Factory) docker() (DockerConn, error) {
	if f.Docker != nil {
		return f.Docker()
	}
	return fingerprint.NewDockerClient()
}

// RootOptions are the global flags.
type RootOptions struct {
	Host     string
	Org      string
	APIToken string
	Timeout  time.Duration
}

// Client returns an API client for the global flags; it needs an org.
func (o *RootOptions) Client(f *Factory) (*client.Client, error) {
	if o.Org == "" {
		return nil, usageErrorf("--org is required (or set TRACKER_ORG)")
	}
	opts := []client.Option{client.WithUserAgent("tracker-cli/" + buildinfo.Get().Version), client.WithTimeout(o.Timeout)}
	if f.HTTPClient != nil {
		opts = append(opts, client.WithHTTPClient(f.HTTPClient))
	}
	c, err := client.New(o.Host, o.Org, o.APIToken, opts...)
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("--host: %w", err)}
	}
	return c, nil
}

// WriteClient is Client for commands that change data: they need a token
// (unless they only print what they would send).
func (o *RootOptions) WriteClient(f *Factory, dryRun bool) (*client.Client, error) {
	if o.APIToken == "" && !dryRun {
		return nil, usageErrorf("--api-token is required to write (or set TRACKER_API_TOKEN)")
	}
	return o.Client(f)
}

// envOr is the flag default from environment variable name: its value, or
// def when it is unset or empty.
func (f *Factory) envOr(name, def string) string {
	if v := f.Getenv(name); v != "" {
		return v
	}
	return def
}

// NewCmdRoot builds the whole command tree.
func NewCmdRoot(f *Factory) *cobra.Command {
	o := &RootOptions{}
	root := &cobra.Command{
		Use:   "tracker",
		Short: "Follow every commit to its running replicas",
		Long: `tracker records life after git: the artifact each commit produced, its
evidence, its deployments and what actually runs in each environment over
time. It is a self-hosted server (tracker serve) and this command line,
which speaks the /api/v2 subset of Kosli's API.`,
		Example: `  tracker serve --db tracker.db &
  export TRACKER_ORG=cyber-dojo TRACKER_API_TOKEN=$(tracker admin create-org cyber-dojo --db tracker.db)
  tracker create flow runner --visibility public --template branch-coverage
  tracker create environment aws-prod --type docker
  tracker attest artifact cyberdojo/runner:16d9990 --artifact-type docker --flow runner --commit 16d9990…
  tracker snapshot docker aws-prod --every 60s
  tracker get artifact runner:16d9990
  tracker get snapshot aws-prod#65
  tracker diff snapshots aws-prod#64 aws-prod#65`,
		Version:       buildinfo.Get().String(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetIn(f.IO.In)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })
	pf := root.PersistentFlags()
	pf.StringVar(&o.Host, "host", f.envOr("TRACKER_HOST", DefaultHost), "tracker server URL (env TRACKER_HOST)")
	pf.StringVar(&o.Org, "org", f.envOr("TRACKER_ORG", ""), "org name (env TRACKER_ORG)")
	// The token's env value is read after parsing, not shown as the flag's
	// default, so --help never prints a secret.
	pf.StringVar(&o.APIToken, "api-token", "", "the org's API token (env TRACKER_API_TOKEN)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if !cmd.Flags().Changed("api-token") {
			o.APIToken = f.Getenv("TRACKER_API_TOKEN")
		}
		return nil
	}
	pf.DurationVar(&o.Timeout, "timeout", client.DefaultTimeout, "timeout of each request to the server")

	root.AddCommand(
		NewCmdServe(f, nil),
		newCmdAdmin(f),
		NewCmdStatus(f, o, nil),
		newCmdCreate(f, o),
		newCmdLs(f, o),
		newCmdGet(f, o),
		newCmdDiff(f, o),
		newCmdLog(f, o),
		newCmdBegin(f, o),
		newCmdAttest(f, o),
		newCmdAssert(f, o),
		NewCmdSearch(f, o, nil),
		newCmdReport(f, o),
		NewCmdFingerprint(f, nil),
		newCmdSnapshot(f, o),
	)
	return root
}

// Program is the tracker's command line on the kit's one foundation
// (internal/cli): its exit-code table, usage errors typed from cobra's own
// flag and argument errors, every flag readable from TRACKER_<FLAG>, and
// Ctrl-C = 130 (cli.Main). f's streams are replaced by the ones the
// program runs on.
func Program(f *Factory) cli.Program {
	return cli.Program{
		Name:      "tracker",
		EnvPrefix: "TRACKER_",
		Root: func(io *IOStreams) *cobra.Command {
			f.IO = io
			if f.Getenv != nil && io.Getenv == nil {
				io.Getenv = func(k string) (string, bool) {
					v := f.Getenv(k)
					return v, v != ""
				}
			}
			return NewCmdRoot(f)
		},
		Code: statusCode,
		// "Error: …" on one line, and how to get help after a usage
		// error: the format the tracker's users and tests know.
		Report: func(w io.Writer, cmd *cobra.Command, err error) {
			fmt.Fprintf(w, "Error: %s\n", cli.OneLine(err.Error()))
			var u *UsageError
			if errors.As(err, &u) && cmd != nil {
				fmt.Fprintf(w, "Run '%s --help' for usage.\n", cmd.CommandPath())
			}
		},
	}
}

// Main runs the CLI with args on f's streams and returns the process exit
// code (tests call it in process; the binary goes through cli.Main).
func Main(ctx context.Context, f *Factory, args []string) int {
	return cli.Run(ctx, Program(f), f.IO, args)
}

// Exit codes of the CLI: the kit's table (internal/cli).
const (
	ExitOK          = cli.ExitOK
	ExitError       = cli.ExitFailure     // the job failed: a non-compliant artifact, a server error (5xx)
	ExitUsage       = cli.ExitUsage       // bad flags, arguments, expressions or input (and a 400 from the server)
	ExitAuth        = cli.ExitAuth        // missing or wrong token (401/403)
	ExitNotFound    = cli.ExitNotFound    // unknown org, flow, environment, artifact or snapshot
	ExitUnreachable = cli.ExitUnreachable // no answer from the server
)

// ExitCode maps an error to the exit code through the kit's table.
func ExitCode(err error) int { return Program(NewFactory()).ExitCode(err) }

// statusCode maps what the client tells of the server to exit codes.
func statusCode(err error) (int, bool) {
	switch status := client.StatusCode(err); {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ExitAuth, true
	case status == http.StatusNotFound:
		return ExitNotFound, true
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		return ExitUsage, true
	case errors.Is(err, client.ErrUnreachable):
		return ExitUnreachable, true
	}
	return 0, false
}

// UsageError is a mistake in how the command was called (exit 2).
type UsageError = cli.UsageError

func usageErrorf(format string, args ...any) error { return cli.Usagef(format, args...) }

// exactArgs is cobra.ExactArgs with a usage error naming what is expected.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("%s expects %s, got %d argument(s)", cmd.CommandPath(), what, len(args))
		}
		return nil
	}
}

func oneLine(s string) string { return cli.OneLine(s) }

// group returns a parent command that only holds subcommands.
func group(use, short string, children ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown %s %q: choose one of %s", cmd.Name(), args[0], subNames(cmd))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageErrorf("%s needs a subcommand: %s", cmd.CommandPath(), subNames(cmd))
		},
	}
	c.AddCommand(children...)
	return c
}

func subNames(cmd *cobra.Command) string {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return strings.Join(names, ", ")
}

// outputFlag adds --output/-o and validates it before running.
type outputFlag struct{ value string }

func (o *outputFlag) add(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.value, "output", "o", "table", "output format: table or json")
}

func (o *outputFlag) check() error {
	if o.value != "table" && o.value != "json" {
		return usageErrorf("invalid --output %q: use table or json", o.value)
	}
	return nil
}

func (o *outputFlag) json() bool { return o.value == "json" }

// dryRun prints the request a write would send instead of sending it.
func dryRun(out io.Writer, r client.Request) error {
	fmt.Fprintf(out, "%s %s\n", r.Method, r.URL)
	if r.ContentType != "" {
		fmt.Fprintf(out, "Content-Type: %s\n", r.ContentType)
	}
	if len(r.Body) > 0 {
		fmt.Fprintf(out, "\n%s\n", r.Body)
	}
	return nil
}
