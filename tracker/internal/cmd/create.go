package cmd

import (
	"github.com/spf13/cobra"
)

func newCmdCreate(f *Factory, o *RootOptions) *cobra.Command {
	return group("create", "Create a flow, an environment or an attestation type",
		NewCmdCreateFlow(f, o, nil), NewCmdCreateEnvironment(f, o, nil), NewCmdCreateAttestationType(f, o, nil))
}
