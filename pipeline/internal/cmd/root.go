// Package cmd is the pipeline's command line: one cobra command per file,
// each an options struct, a NewCmdX(f, runF) constructor that only parses
// flags and an unexported run function that does the work. Every command
// stands on the kit's CLI foundation (internal/cli): its streams, its
// env-backed flags (PIPELINE_<FLAG>) and its exit codes.
package cmd

import (
	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/internal/cli"
)

// EnvPrefix prefixes the environment equivalents of the flags:
// --state is PIPELINE_STATE.
const EnvPrefix = "PIPELINE_"

// Factory holds what commands need from the outside world; tests replace
// any of it.
type Factory struct {
	IO *cli.IOStreams
}

// Program is the pipeline's command line for cli.Main and cli.Run.
func Program() cli.Program {
	return cli.Program{Name: "pipeline", EnvPrefix: EnvPrefix, Root: func(io *cli.IOStreams) *cobra.Command {
		return NewCmdRoot(&Factory{IO: io})
	}}
}

// NewCmdRoot builds the whole command tree. Each step's command adds
// itself here.
func NewCmdRoot(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "pipeline",
		Short: "Build, test, image, publish and deploy the kit, every step recorded in the tracker",
	}
	root.AddCommand(
		NewCmdDeploy(f, nil),
		NewCmdRollback(f, nil),
		NewCmdScale(f, nil),
		NewCmdRelease(f, nil),
	)
	return root
}
