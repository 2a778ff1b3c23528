package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/pipeline/state"
	"github.com/minitwit-cd/kit/pipeline/steplist"
)

// RunOptions are pipeline run's.
type RunOptions struct {
	Root     *RootOptions
	Packages []string
	Race     bool
	Registry string
	PullAs   string
	Target   string
	Limit    int64
	// Deploy is the deploy step's target (no deploy without --env).
	Deploy TargetOptions
	// Summary is the Markdown job summary file (default
	// $GITHUB_STEP_SUMMARY in GitHub Actions).
	Summary string
}

// NewCmdRun builds `pipeline run`.
func NewCmdRun(f *Factory, ro *RootOptions, runF func(context.Context, *RunOptions) error) *cobra.Command {
	o := &RunOptions{Root: ro}
	c := &cobra.Command{
		Use:   "run",
		Short: "Run the steps in order for the current commit",
		Long: `run runs build, test, image, publish (with --registry), deploy (with --env,
--host, --known-hosts and --key, as pipeline deploy; replicas from
pipeline/environments.json) and smoke (with --target) for HEAD, each step gated on the one before: a failed step stops
the run and the ones after it are skipped.

On a terminal it shows a live step list with timings (a failed step's
output is shown below it); in GitHub Actions (GITHUB_ACTIONS=true) each step
is a ::group:: and a Markdown table goes to $GITHUB_STEP_SUMMARY; elsewhere
(CI logs) it writes plain lines.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), o)
			}
			return runRun(c.Context(), f, o)
		},
	}
	fl := c.Flags()
	fl.StringSliceVar(&o.Packages, "packages", nil, "package patterns for the test step (default ./...)")
	fl.BoolVar(&o.Race, "race", false, "test with the race detector")
	fl.StringVar(&o.Registry, "registry", "", "registry to publish to, HOST[:PORT] (no publish without it)")
	fl.StringVar(&o.PullAs, "pull-as", "", "the registry as the deploy targets reach it (default: --registry)")
	fl.StringVar(&o.Target, "target", "", "app URL to smoke after publishing (no smoke without it)")
	fl.Int64Var(&o.Limit, "limit", 300, "actions the smoke step replays")
	o.Deploy.addFlags(fl)
	fl.StringVar(&o.Summary, "summary", "", "write the Markdown summary here (default $GITHUB_STEP_SUMMARY in Actions)")
	return c
}

// pipelineStep is one step of run.
type pipelineStep struct {
	name string
	// skip, when not "", says why the step does not run.
	skip string
	run  func(ctx context.Context, out io.Writer) error
}

func runRun(ctx context.Context, f *Factory, o *RunOptions) error {
	steps := []pipelineStep{
		{name: "build", run: func(ctx context.Context, out io.Writer) error {
			return runBuild(ctx, f, &BuildOptions{Root: o.Root}, out)
		}},
		{name: "test", run: func(ctx context.Context, out io.Writer) error {
			return runTest(ctx, f, &TestOptions{Root: o.Root, Packages: o.Packages, Race: o.Race}, out)
		}},
		{name: "image", run: func(ctx context.Context, out io.Writer) error {
			return runImage(ctx, f, &ImageOptions{Root: o.Root}, out)
		}},
		{name: "publish", run: func(ctx context.Context, out io.Writer) error {
			return runPublish(ctx, f, &PublishOptions{Root: o.Root, Registry: o.Registry, PullAs: o.PullAs}, out)
		}},
		{name: "deploy", run: func(ctx context.Context, out io.Writer) error {
			sf := &Factory{IO: streamsTo(f.IO, out), Now: f.Now, root: o.Root}
			replicas, err := envReplicas(ctx, sf, o.Root, o.Deploy.Env)
			if err != nil {
				return err
			}
			do := &DeployOptions{f: sf, TargetOptions: o.Deploy, Replicas: replicas, Soak: 10 * time.Second, HealthTimeout: 60 * time.Second}
			if err := prepareDeploy(ctx, sf, do); err != nil {
				return err
			}
			return runDeploy(ctx, do)
		}},
		{name: "smoke", run: func(ctx context.Context, out io.Writer) error {
			return runSmoke(ctx, f, &SmokeOptions{Root: o.Root, Target: o.Target, Limit: o.Limit}, out)
		}},
	}
	if o.Registry == "" {
		steps[3].skip = "no --registry"
	}
	if o.Deploy.Env == "" {
		steps[4].skip = "no --env"
	}
	if o.Target == "" {
		steps[5].skip = "no --target"
	}
	mode := steplist.ModeFor(f.IO.ErrTTY, f.IO.Env)
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = s.name
	}
	w := f.IO.ErrOut
	if mode != steplist.TTY {
		// Logs read top to bottom: one stream.
		w = f.IO.Out
	}
	l := steplist.New(w, mode, names)
	var failed error
	for _, s := range steps {
		switch {
		case failed != nil:
			l.Skip(s.name, "an earlier step failed")
			continue
		case s.skip != "":
			l.Skip(s.name, s.skip)
			continue
		}
		out, end := l.Begin(s.name)
		err := s.run(ctx, out)
		end("", err)
		if err != nil {
			failed = fmt.Errorf("%s: %w", s.name, err)
		}
	}
	summary := o.Summary
	if summary == "" && mode == steplist.GitHub {
		summary = f.IO.Env("GITHUB_STEP_SUMMARY")
	}
	if summary != "" {
		if err := appendFile(summary, l.Summary("pipeline run")); err != nil {
			return fmt.Errorf("job summary: %w", err)
		}
	}
	if failed != nil {
		// The step's own exit code (usage, unreachable, failed) stands.
		return failed
	}
	fmt.Fprintf(f.IO.Out, "run: done in %.1fs\n", l.Total().Seconds())
	return nil
}

// envReplicas is env's replicas in the checkout's environments file.
func envReplicas(ctx context.Context, f *Factory, ro *RootOptions, env string) (int, error) {
	w, err := ro.open(ctx, &Factory{IO: withoutTracker(f.IO)}, io.Discard)
	if err != nil {
		return 0, err
	}
	envs, err := state.LoadEnvironments(w.dir)
	if err != nil {
		return 0, usage(err)
	}
	e, err := envs.Get(env)
	if err != nil {
		return 0, usage(err)
	}
	return e.Replicas, nil
}

// streamsTo is s with both outputs going to w (a step's writer).
func streamsTo(s *cli.IOStreams, w io.Writer) *cli.IOStreams {
	c := *s
	c.Out, c.ErrOut, c.OutTTY, c.ErrTTY = w, w, false, false
	return &c
}

func appendFile(path, text string) error {
	fh, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(fh, text); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
