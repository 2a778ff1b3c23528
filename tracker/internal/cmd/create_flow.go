package cmd

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/client"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/spf13/cobra"
)

// CreateFlowOptions are the options of create flow.
type CreateFlowOptions struct {
	f            *Factory
	root         *RootOptions
	Name         string
	Description  string
	Visibility   string
	Template     []string
	TemplateFile string
	DryRun       bool
}

// NewCmdCreateFlow creates or updates a flow.
func NewCmdCreateFlow(f *Factory, o *RootOptions, runF func(*CreateFlowOptions) error) *cobra.Command {
	opts := &CreateFlowOptions{f: f, root: o}
	cmd := &cobra.Command{
		Use:     "flow NAME",
		Short:   "Create or update a flow (one per service)",
		Example: "  tracker create flow runner --description 'Test runner' --visibility public --template unit-tests,coverage",
		Args:    exactArgs(1, "a flow name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runCreateFlow(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Description, "description", "d", "", "what the flow builds")
	fl.StringVar(&opts.Visibility, "visibility", "private", "public (anonymous reads allowed) or private")
	fl.StringSliceVarP(&opts.Template, "template", "t", nil, "evidence names an artifact needs to be compliant (comma-separated)")
	fl.StringVar(&opts.TemplateFile, "template-file", "", "YAML template file sent to the server as is")
	fl.BoolVarP(&opts.DryRun, "dry-run", "D", false, "print the request instead of sending it")
	return cmd
}

func runCreateFlow(cmd *cobra.Command, o *CreateFlowOptions) error {
	if err := model.ValidateName("flow", o.Name); err != nil {
		return usageErrorf("%s", model.ErrorMessage(err))
	}
	if o.Visibility != "public" && o.Visibility != "private" {
		return usageErrorf("invalid --visibility %q: use public or private", o.Visibility)
	}
	if o.TemplateFile != "" && len(o.Template) > 0 {
		return usageErrorf("use --template or --template-file, not both")
	}
	c, err := o.root.WriteClient(o.f, o.DryRun)
	if err != nil {
		return err
	}
	body := api.Flow{Name: o.Name, Description: o.Description, Visibility: o.Visibility, Template: o.Template, Tags: map[string]string{}}
	if body.Template == nil {
		body.Template = []string{}
	}
	var r client.Request
	if o.TemplateFile != "" {
		raw, err := os.ReadFile(o.TemplateFile)
		if err != nil {
			return fmt.Errorf("template file: %w", err)
		}
		r, err = c.PutFlowTemplateRequest(body, raw, filepath.Base(o.TemplateFile))
		if err != nil {
			return err
		}
	} else if r, err = c.PutFlowRequest(body); err != nil {
		return err
	}
	var got api.Flow
	return send(cmd.Context(), o.f, c, "create flow "+o.Name, o.DryRun, r, nil, &got, func(created bool) {
		fmt.Fprintf(o.f.IO.Out, "flow %s was %s\n", got.Name, verb(created))
	})
}
