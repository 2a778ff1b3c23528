// Package cmd is the simulator's command line: `simulator run` replays a
// scenario against a MiniTwit and reports, `simulator generate` writes
// scenarios of any size, `simulator bench` measures a MiniTwit (the
// benchmark table). Each command is an options struct, a NewCmdX
// constructor and a run function; the tree stands on the kit's CLI
// foundation (internal/cli): its streams (tests capture them and switch
// terminal behaviour on and off), its env-backed flags (SIMULATOR_<FLAG>)
// and its exit codes (0 ok, 1 the run failed, 2 usage, 130 interrupted).
package cmd

import (
	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/internal/cli"
)

// EnvPrefix prefixes the environment equivalents of the flags:
// --max-errors is SIMULATOR_MAX_ERRORS.
const EnvPrefix = "SIMULATOR_"

// Program is the simulator's command line, for cli.Main and cli.Run.
func Program() cli.Program {
	return cli.Program{Name: "simulator", EnvPrefix: EnvPrefix, Root: NewCmdRoot}
}

// NewCmdRoot builds the simulator command tree.
func NewCmdRoot(io *cli.IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "simulator",
		Short: "Replay the MiniTwit course scenario against any MiniTwit, with the 300 ms rule",
		Long: `simulator replays the course's simulator scenario (a TSV of register, tweet,
follow and unfollow actions) against a MiniTwit's simulator API, judges every
request like the course's script does (expected status within 300 ms), keeps
causal order under concurrency, verifies the target's state afterwards and
reports a table, JSON, the course-compatible error log and an HTML page.

Every flag has an environment equivalent: SIMULATOR_ and the flag's name in
capitals with dashes as underscores (--max-errors: SIMULATOR_MAX_ERRORS).
Exit status: 0 ok, 1 the run failed (errors above --max-errors, a
verification mismatch), 2 bad flags or input, 130 interrupted.`,
	}
	root.AddCommand(NewCmdRun(io, nil), NewCmdGenerate(io, nil), NewCmdBench(io, nil), NewCmdFleet(io))
	return root
}
