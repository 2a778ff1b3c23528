package cmd

import (
	"fmt"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/spf13/cobra"
)

func newCmdBegin(f *Factory, o *RootOptions) *cobra.Command {
	return group("begin", "Begin a trail", NewCmdBeginTrail(f, o, nil))
}

// BeginTrailOptions are the options of begin trail.
type BeginTrailOptions struct {
	f           *Factory
	root        *RootOptions
	Name        string
	Flow        string
	Description string
	Commit      string
	OriginURL   string
	UserData    string
	DryRun      bool
}

// NewCmdBeginTrail begins a trail (one run of a flow for one change).
func NewCmdBeginTrail(f *Factory, o *RootOptions, runF func(*BeginTrailOptions) error) *cobra.Command {
	opts := &BeginTrailOptions{f: f, root: o}
	cmd := &cobra.Command{
		Use:     "trail NAME",
		Short:   "Begin a trail: one run of a flow for one change, usually named after the commit",
		Example: "  tracker begin trail 16d9990 --flow runner --commit 16d9990…",
		Args:    exactArgs(1, "a trail name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runBeginTrail(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Flow, "flow", "f", "", "the flow (required)")
	fl.StringVarP(&opts.Description, "description", "d", "", "what the change is")
	fl.StringVarP(&opts.Commit, "commit", "g", "", "the git commit of the change")
	fl.StringVar(&opts.OriginURL, "origin-url", "", "where the trail was begun (the CI build)")
	fl.StringVar(&opts.UserData, "user-data", "", "a JSON file of extra data kept with the trail")
	fl.BoolVarP(&opts.DryRun, "dry-run", "D", false, "print the request instead of sending it")
	return cmd
}

func runBeginTrail(cmd *cobra.Command, o *BeginTrailOptions) error {
	if err := requireFlow(o.Flow); err != nil {
		return err
	}
	if err := model.ValidateName("trail", o.Name); err != nil {
		return usageErrorf("%s", model.ErrorMessage(err))
	}
	c, err := o.root.WriteClient(o.f, o.DryRun)
	if err != nil {
		return err
	}
	t := api.Trail{Name: o.Name, Description: o.Description, GitCommit: o.Commit, OriginURL: o.OriginURL}
	if o.UserData != "" {
		if t.UserData, err = readJSONFile(o.UserData, "--user-data"); err != nil {
			return err
		}
	}
	r, err := c.BeginTrailRequest(o.Flow, t)
	var got api.Trail
	return send(cmd.Context(), o.f, c, "begin trail "+o.Name, o.DryRun, r, err, &got, func(created bool) {
		if created {
			fmt.Fprintf(o.f.IO.Out, "trail %s was begun in flow %s\n", o.Name, o.Flow)
		} else {
			fmt.Fprintf(o.f.IO.Out, "trail %s already exists in flow %s\n", o.Name, o.Flow)
		}
	})
}
