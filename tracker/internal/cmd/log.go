package cmd

import (
	"fmt"
	"strings"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/spf13/cobra"
)

func newCmdLog(f *Factory, o *RootOptions) *cobra.Command {
	return group("log", "Show the event log of an environment", NewCmdLogEnvironment(f, o, nil))
}

// LogOptions are the options of log environment.
type LogOptions struct {
	f       *Factory
	root    *RootOptions
	output  outputFlag
	Env     string
	Page    int
	PerPage int
	Reverse bool
}

// NewCmdLogEnvironment lists an environment's derived events.
func NewCmdLogEnvironment(f *Factory, o *RootOptions, runF func(*LogOptions) error) *cobra.Command {
	opts := &LogOptions{f: f, root: o}
	cmd := &cobra.Command{
		Use:     "environment ENV",
		Aliases: []string{"env"},
		Short:   "List what started, scaled and exited in an environment, oldest first",
		Args:    exactArgs(1, "an environment name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.output.check(); err != nil {
				return err
			}
			opts.Env = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runLog(cmd, opts)
		},
	}
	opts.output.add(cmd)
	cmd.Flags().IntVar(&opts.Page, "page", 1, "page number")
	cmd.Flags().IntVarP(&opts.PerPage, "page-limit", "n", 100, "events per page")
	cmd.Flags().BoolVar(&opts.Reverse, "reverse", false, "oldest first (default: newest first)")
	return cmd
}

func runLog(cmd *cobra.Command, o *LogOptions) error {
	if err := model.ValidateName("environment", o.Env); err != nil {
		return usageErrorf("%s", model.ErrorMessage(err))
	}
	if o.Page < 1 || o.PerPage < 1 {
		return usageErrorf("--page and --page-limit must be at least 1")
	}
	c, err := o.root.Client(o.f)
	if err != nil {
		return err
	}
	events, err := c.Events(cmd.Context(), o.Env, o.Page, o.PerPage, o.Reverse)
	if err != nil {
		return fmt.Errorf("log environment %s: %w", o.Env, err)
	}
	out := o.f.IO.Out
	if o.output.json() {
		return printJSON(out, events)
	}
	if len(events) == 0 {
		fmt.Fprintf(out, "No events were found for environment %s.\n", o.Env)
		return nil
	}
	var rows []string
	for _, e := range events {
		deps := make([]string, 0, len(e.Deployments))
		for _, d := range e.Deployments {
			deps = append(deps, fmt.Sprintf("#%d", d))
		}
		rows = append(rows,
			fmt.Sprintf("#%d\tArtifact: %s\t%s\t%s", e.SnapshotIndex, e.ArtifactName, orNA(e.Flow), orNA(strings.Join(deps, ", "))),
			"\tFingerprint: "+e.Fingerprint+"\t\t",
			"\tDescription: "+e.Description+"\t\t",
			"\tReported at: "+formatTime(api.Time(e.ReportedAt), o.f.Now(), o.f.Location, false)+"\t\t",
			"\t\t\t")
	}
	return table(out, []string{"SNAPSHOT", "EVENT", "FLOW", "DEPLOYMENTS"}, trimLast(rows))
}
