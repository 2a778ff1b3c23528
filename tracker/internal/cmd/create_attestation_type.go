package cmd

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/spf13/cobra"
)

// CreateAttestationTypeOptions are the options of create attestation-type.
type CreateAttestationTypeOptions struct {
	f           *Factory
	root        *RootOptions
	Name        string
	Description string
	Schema      string
	Rules       []string
	DryRun      bool
}

// NewCmdCreateAttestationType creates a custom attestation type: a JSON
// schema its data must match and jq rules that must all be true.
func NewCmdCreateAttestationType(f *Factory, o *RootOptions, runF func(*CreateAttestationTypeOptions) error) *cobra.Command {
	opts := &CreateAttestationTypeOptions{f: f, root: o}
	cmd := &cobra.Command{
		Use:   "attestation-type NAME",
		Short: "Create a custom attestation type (JSON schema and jq rules)",
		Long: `Create or update a custom attestation type. An attestation of it (attest
custom --type NAME) is refused when its data does not match --schema, and
is compliant when every --jq rule is true for it.`,
		Example: "  tracker create attestation-type simulator-run --schema report.schema.json --jq '.errors == 0'",
		Args:    exactArgs(1, "a type name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runCreateAttestationType(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Description, "description", "d", "", "a description")
	fl.StringVar(&opts.Schema, "schema", "", "a JSON Schema file the data must match")
	fl.StringArrayVar(&opts.Rules, "jq", nil, "a jq rule that must be true (repeatable)")
	fl.BoolVarP(&opts.DryRun, "dry-run", "D", false, "print the request instead of sending it")
	return cmd
}

func runCreateAttestationType(cmd *cobra.Command, o *CreateAttestationTypeOptions) error {
	c, err := o.root.WriteClient(o.f, o.DryRun)
	if err != nil {
		return err
	}
	req := api.AttestationTypeRequest{Name: o.Name, Description: o.Description}
	if len(o.Rules) > 0 {
		req.Evaluator = &api.Evaluator{ContentType: "jq", Rules: o.Rules}
	}
	var schema []byte
	if o.Schema != "" {
		if schema, err = os.ReadFile(o.Schema); err != nil {
			return usageErrorf("--schema: %v", err)
		}
	}
	r, err := c.PutAttestationTypeRequest(req, schema, filepath.Base(o.Schema))
	var got api.AttestationType
	return send(cmd.Context(), o.f, c, "create attestation-type "+o.Name, o.DryRun, r, err, &got, func(bool) {
		fmt.Fprintf(o.f.IO.Out, "attestation-type %s was created\n", got.Name)
	})
}
