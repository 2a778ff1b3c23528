package cmd

import (
	"fmt"
	"strings"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/spf13/cobra"
)

func newCmdReport(f *Factory, o *RootOptions) *cobra.Command {
	return group("report", "Report a deployment", NewCmdReportDeployment(f, o, nil))
}

// ReportDeploymentOptions are the options of report deployment.
type ReportDeploymentOptions struct {
	f           *Factory
	root        *RootOptions
	Flow        string
	Fingerprint string
	Environment string
	Description string
	BuildURL    string
	Status      string
	DryRun      bool
}

// NewCmdReportDeployment reports the intent to run an artifact in an
// environment; the server numbers it per flow.
func NewCmdReportDeployment(f *Factory, o *RootOptions, runF func(*ReportDeploymentOptions) error) *cobra.Command {
	opts := &ReportDeploymentOptions{f: f, root: o}
	cmd := &cobra.Command{
		Use:     "deployment",
		Short:   "Report a deployment of an artifact to an environment",
		Example: "  tracker report deployment --flow runner --fingerprint 9af401c4… --environment aws-prod",
		Args:    exactArgs(0, "no arguments (use flags)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runReportDeployment(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Flow, "flow", "f", "", "the flow (required)")
	fl.StringVarP(&opts.Fingerprint, "fingerprint", "F", "", "the artifact deployed (required)")
	fl.StringVarP(&opts.Environment, "environment", "e", "", "where (required)")
	fl.StringVarP(&opts.Description, "description", "d", "", "a description")
	fl.StringVarP(&opts.BuildURL, "build-url", "b", "", "URL of the deploying job")
	fl.StringVar(&opts.Status, "status", "", "failed or rolled_back, for a deployment that did not succeed")
	fl.BoolVarP(&opts.DryRun, "dry-run", "D", false, "print the request instead of sending it")
	return cmd
}

func runReportDeployment(cmd *cobra.Command, o *ReportDeploymentOptions) error {
	if err := requireFlow(o.Flow); err != nil {
		return err
	}
	if o.Environment == "" {
		return usageErrorf("--environment is required")
	}
	if o.Fingerprint == "" {
		return usageErrorf("--fingerprint is required")
	}
	fp, err := model.NormalizeFingerprint(o.Fingerprint)
	if err != nil {
		return usageErrorf("%s", model.ErrorMessage(err))
	}
	switch o.Status {
	case "", "failed", "rolled_back":
	default:
		return usageErrorf("invalid --status %q: use failed or rolled_back", o.Status)
	}
	c, err := o.root.WriteClient(o.f, o.DryRun)
	if err != nil {
		return err
	}
	r, err := c.ReportDeploymentRequest(o.Flow, api.DeploymentRequest{ArtifactFingerprint: fp, Environment: o.Environment,
		Description: o.Description, BuildURL: o.BuildURL, Status: o.Status})
	var got api.Deployment
	return send(cmd.Context(), o.f, c, "report deployment to "+o.Environment, o.DryRun, r, err, &got, func(bool) {
		fmt.Fprintf(o.f.IO.Out, "Deployment #%d to %s environment was reported\n", got.Number, strings.TrimSpace(got.Environment))
	})
}
