package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/minitwit-cd/kit/tracker/reporter"
	"github.com/spf13/cobra"
)

func newCmdSnapshot(f *Factory, o *RootOptions) *cobra.Command {
	return group("snapshot", "Report what runs in an environment",
		NewCmdSnapshotDocker(f, o, nil), NewCmdSnapshotPaths(f, o, nil), NewCmdSnapshotServer(f, o, nil), NewCmdSnapshotJSON(f, o, nil))
}

// SnapshotOptions are the options of the snapshot commands.
type SnapshotOptions struct {
	f    *Factory
	root *RootOptions
	// Kind is docker, paths, server or json.
	Kind      string
	Env       string
	Every     time.Duration
	DryRun    bool
	Labels    []string
	PathsFile string
	Paths     []string
	Exclude   []string
	File      string
	Reporter  string
}

func newSnapshot(f *Factory, o *RootOptions, kind string, runF func(*SnapshotOptions) error) (*cobra.Command, *SnapshotOptions) {
	opts := &SnapshotOptions{f: f, root: o, Kind: kind}
	cmd := &cobra.Command{
		Use:  kind + " ENV",
		Args: exactArgs(1, "an environment name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Env = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runSnapshot(cmd.Context(), opts)
		},
	}
	cmd.Flags().DurationVar(&opts.Every, "every", 0, "keep reporting at this interval until stopped (e.g. 60s)")
	cmd.Flags().BoolVarP(&opts.DryRun, "dry-run", "D", false, "print the request instead of sending it")
	return cmd, opts
}

// NewCmdSnapshotDocker reports the running containers of the Docker engine.
func NewCmdSnapshotDocker(f *Factory, o *RootOptions, runF func(*SnapshotOptions) error) *cobra.Command {
	cmd, opts := newSnapshot(f, o, "docker", runF)
	cmd.Short = "Report the running containers (one instance per container, by image digest)"
	cmd.Flags().StringSliceVarP(&opts.Labels, "label", "l", nil, "only containers with this label (key or key=value; repeatable)")
	return cmd
}

// NewCmdSnapshotPaths reports the artifacts named in a paths file.
func NewCmdSnapshotPaths(f *Factory, o *RootOptions, runF func(*SnapshotOptions) error) *cobra.Command {
	cmd, opts := newSnapshot(f, o, "paths", runF)
	cmd.Short = "Report files and directories named in a paths file"
	cmd.Long = `Report the artifacts of a paths file (YAML):

  version: 1
  artifacts:
    minitwit:
      path: /opt/minitwit/bin/minitwit
    static:
      path: /opt/minitwit/static
      exclude: ["*.map"]`
	cmd.Flags().StringVar(&opts.PathsFile, "paths-file", "", "the paths file (required)")
	return cmd
}

// NewCmdSnapshotServer reports files and directories matching globs.
func NewCmdSnapshotServer(f *Factory, o *RootOptions, runF func(*SnapshotOptions) error) *cobra.Command {
	cmd, opts := newSnapshot(f, o, "server", runF)
	cmd.Short = "Report files and directories matching globs (each match is one artifact)"
	cmd.Flags().StringSliceVarP(&opts.Paths, "paths", "p", nil, "globs of artifact paths (required; repeatable)")
	cmd.Flags().StringSliceVarP(&opts.Exclude, "exclude", "x", nil, "globs to leave out of directory fingerprints")
	return cmd
}

// NewCmdSnapshotJSON reports a snapshot written as JSON by another tool,
// for environments without a reporter (and for replaying a story). The
// file holds the wire body the reporters send:
//
//	{"artifacts": [{"digests": {"NAME": "FINGERPRINT"}, "creationTimestamp": UNIX}, …]}
//
// one entry per running instance.
func NewCmdSnapshotJSON(f *Factory, o *RootOptions, runF func(*SnapshotOptions) error) *cobra.Command {
	cmd, opts := newSnapshot(f, o, "json", runF)
	cmd.Short = "Report a snapshot from a JSON file (one entry per running instance)"
	cmd.Long = `Report a snapshot described in a JSON file, over the same route as the
docker reporter. The file is the reporters' wire body, one entry per
running instance:

  {"artifacts": [
    {"digests": {"registry/runner:16d9990": "9af401c4…"}, "creationTimestamp": 1661161200}
  ]}`
	cmd.Flags().StringVar(&opts.File, "file", "", "the JSON file (required; - for stdin)")
	cmd.Flags().StringVar(&opts.Reporter, "reporter", "", "the report route: docker, server, K8S, ECS … (default: the environment's type)")
	return cmd
}

func (o *SnapshotOptions) collector() (reporter.Collector, func(), error) {
	switch o.Kind {
	case "docker":
		d, err := o.f.docker()
		if err != nil {
			return nil, nil, err
		}
		return &reporter.Docker{API: d, Labels: o.Labels, Skipped: func(name, image string) {
			fmt.Fprintf(o.f.IO.ErrOut, "warning: container %s of image %s is not reported: its image has no repository digest\n", name, image)
		}}, func() { d.Close() }, nil
	case "paths":
		if o.PathsFile == "" {
			return nil, nil, usageErrorf("--paths-file is required")
		}
		specs, err := reporter.LoadPathsFile(o.PathsFile)
		if err != nil {
			return nil, nil, usageErrorf("%v", err)
		}
		return &reporter.Paths{Specs: specs}, func() {}, nil
	case "server":
		if len(o.Paths) == 0 {
			return nil, nil, usageErrorf("--paths is required")
		}
		return &reporter.Server{Globs: o.Paths, Exclude: o.Exclude}, func() {}, nil
	}
	return nil, nil, fmt.Errorf("unknown reporter %q", o.Kind)
}

// route is the report route's last segment for this reporter.
func (o *SnapshotOptions) route() string {
	switch o.Kind {
	case "json":
		return o.Reporter
	case "paths":
		return "server"
	}
	return o.Kind
}

func runSnapshot(ctx context.Context, o *SnapshotOptions) error {
	if err := model.ValidateName("environment", o.Env); err != nil {
		return usageErrorf("%s", model.ErrorMessage(err))
	}
	if o.Every < 0 {
		return usageErrorf("--every must be positive")
	}
	var collect func(context.Context) (api.SnapshotReportRequest, error)
	if o.Kind == "json" {
		if o.File == "" {
			return usageErrorf("--file is required")
		}
		collect = func(context.Context) (api.SnapshotReportRequest, error) { return o.readJSON() }
	} else {
		col, closeFn, err := o.collector()
		if err != nil {
			return err
		}
		defer closeFn()
		collect = func(ctx context.Context) (api.SnapshotReportRequest, error) {
			in, err := col.Collect(ctx)
			if err != nil {
				return api.SnapshotReportRequest{}, err
			}
			return toWire(in), nil
		}
	}
	c, err := o.root.WriteClient(o.f, o.DryRun)
	if err != nil {
		return err
	}
	route := o.route()
	if route == "" {
		// The server takes only reports of the environment's own type.
		if o.DryRun {
			return usageErrorf("--reporter is required with --dry-run")
		}
		e, err := c.GetEnvironment(ctx, o.Env)
		if err != nil {
			return fmt.Errorf("report snapshot of %s: %w", o.Env, err)
		}
		route = e.Type
	}
	once := func() error {
		body, err := collect(ctx)
		if err != nil {
			return err
		}
		r, err := c.ReportSnapshotRequest(o.Env, route, body)
		if err != nil {
			return err
		}
		if o.DryRun {
			return dryRun(o.f.IO.Out, r)
		}
		var res api.SnapshotReportResponse
		if _, err := c.Do(ctx, r, &res); err != nil {
			return fmt.Errorf("report snapshot of %s: %w", o.Env, err)
		}
		o.printReport(body, res)
		return nil
	}
	if o.Every == 0 {
		return once()
	}
	// A reporter on a timer survives a failed round (server restarting,
	// network blip): it says so and tries again at the next tick.
	t := time.NewTicker(o.Every)
	defer t.Stop()
	for {
		if err := once(); err != nil {
			if ctx.Err() != nil {
				// Stopped mid-report: that is the way out, not an error.
				return nil
			}
			var u *UsageError
			if errors.As(err, &u) {
				return err
			}
			fmt.Fprintf(o.f.IO.ErrOut, "Error: %s\n", oneLine(err.Error()))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (o *SnapshotOptions) readJSON() (api.SnapshotReportRequest, error) {
	var raw []byte
	var err error
	if o.File == "-" {
		raw, err = readAll(o.f.IO.In)
	} else {
		raw, err = os.ReadFile(o.File)
	}
	if err != nil {
		return api.SnapshotReportRequest{}, fmt.Errorf("snapshot file: %w", err)
	}
	var body api.SnapshotReportRequest
	dec := json.NewDecoder(bytesReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return api.SnapshotReportRequest{}, usageErrorf("snapshot file %s: %v", o.File, err)
	}
	for i, a := range body.Artifacts {
		if len(a.Digests) != 1 {
			return api.SnapshotReportRequest{}, usageErrorf("snapshot file %s: artifact %d: digests must hold exactly one NAME: FINGERPRINT", o.File, i+1)
		}
	}
	return body, nil
}

// toWire turns collected instances into the reporters' wire body.
func toWire(in []reporter.Instance) api.SnapshotReportRequest {
	body := api.SnapshotReportRequest{Artifacts: make([]api.ReportArtifact, 0, len(in))}
	for _, i := range in {
		body.Artifacts = append(body.Artifacts, api.ReportArtifact{
			Digests:           map[string]string{i.Name: i.Fingerprint},
			CreationTimestamp: i.Started.Unix(),
		})
	}
	return body
}

// printReport says what was reported: one line per artifact with its
// replica count, then whether it made a new snapshot.
func (o *SnapshotOptions) printReport(body api.SnapshotReportRequest, res api.SnapshotReportResponse) {
	var in []reporter.Instance
	for _, a := range body.Artifacts {
		for name, fp := range a.Digests {
			in = append(in, reporter.Instance{Name: name, Fingerprint: fp})
		}
	}
	out := o.f.IO.Out
	stamp := o.f.Now().In(o.f.Location).Format(TimeLayout)
	if res.Created {
		fmt.Fprintf(out, "[%s] %s#%d: new snapshot\n", stamp, res.Environment, res.Index)
	} else {
		fmt.Fprintf(out, "[%s] %s#%d: unchanged\n", stamp, res.Environment, res.Index)
	}
	var rows []string
	for _, g := range reporter.Summarize(in) {
		rows = append(rows, fmt.Sprintf("  %s\t%s\t%d replica%s", g.Name, short(g.Fingerprint, 12), g.Replicas, plural(g.Replicas)))
	}
	if len(rows) == 0 {
		fmt.Fprintln(out, "  nothing running")
	}
	_ = table(out, nil, rows)
	for _, e := range res.Events {
		fmt.Fprintf(out, "  %s: %s\n", e.ArtifactName, e.Description)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
