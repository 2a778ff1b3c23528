package cmd

import (
	"fmt"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/spf13/cobra"
)

// CreateEnvironmentOptions are the options of create environment.
type CreateEnvironmentOptions struct {
	f    *Factory
	root *RootOptions
	Name string
	Type string
	// Included are the environments a logical one is made of.
	Included    []string
	Description string
	Visibility  string
	NoScaling   bool
	DryRun      bool
}

// NewCmdCreateEnvironment creates or updates an environment.
func NewCmdCreateEnvironment(f *Factory, o *RootOptions, runF func(*CreateEnvironmentOptions) error) *cobra.Command {
	opts := &CreateEnvironmentOptions{f: f, root: o}
	cmd := &cobra.Command{
		Use:     "environment NAME",
		Aliases: []string{"env"},
		Short:   "Create or update an environment",
		Example: "  tracker create environment aws-prod --type docker --description 'Production'",
		Args:    exactArgs(1, "an environment name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runCreateEnvironment(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Type, "type", "t", "", "docker, server, K8S, ECS, …, or logical")
	fl.StringSliceVar(&opts.Included, "included-environments", nil, "the environments a logical one is made of")
	fl.StringVarP(&opts.Description, "description", "d", "", "what runs there")
	fl.StringVar(&opts.Visibility, "visibility", "private", "public (anonymous reads of its public flows' artifacts allowed) or private")
	fl.BoolVar(&opts.NoScaling, "exclude-scaling", false, "do not make a change of instance count a new snapshot")
	fl.BoolVarP(&opts.DryRun, "dry-run", "D", false, "print the request instead of sending it")
	return cmd
}

func runCreateEnvironment(cmd *cobra.Command, o *CreateEnvironmentOptions) error {
	if err := model.ValidateName("environment", o.Name); err != nil {
		return usageErrorf("%s", model.ErrorMessage(err))
	}
	if o.Type == "" {
		return usageErrorf("--type is required (docker, server, K8S, ECS, …)")
	}
	if o.Visibility != model.VisibilityPublic && o.Visibility != model.VisibilityPrivate {
		return usageErrorf("invalid --visibility %q: use public or private", o.Visibility)
	}
	c, err := o.root.WriteClient(o.f, o.DryRun)
	if err != nil {
		return err
	}
	scaling := !o.NoScaling
	r, err := c.PutEnvironmentRequest(api.Environment{Name: o.Name, Type: o.Type, Description: o.Description, Visibility: o.Visibility, IncludeScaling: &scaling, Tags: map[string]string{}, IncludedEnvironments: o.Included})
	var got api.Environment
	return send(cmd.Context(), o.f, c, "create environment "+o.Name, o.DryRun, r, err, &got, func(created bool) {
		fmt.Fprintf(o.f.IO.Out, "environment %s was %s\n", got.Name, verb(created))
	})
}
