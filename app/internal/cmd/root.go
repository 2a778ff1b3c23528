// Package cmd is MiniTwit's command line on the kit's CLI foundation
// (internal/cli): one cobra command per file, each an options struct, a
// NewCmdX(f, runF) constructor that only parses flags and an unexported
// run function that does the work. Every flag has the environment
// equivalent MINITWIT_<FLAG> (--api-addr is MINITWIT_API_ADDR); the
// session secret comes only from MINITWIT_SESSION_SECRET, so it never
// shows in `ps`.
//
//	minitwit [serve] [--addr :5000] [--db minitwit.db | postgres://…] …
//	minitwit seed --db FILE --users N --messages N --follows N --seed S
package cmd

import (
	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/internal/cli"
)

// EnvPrefix prefixes the environment equivalents of the flags.
const EnvPrefix = "MINITWIT_"

// Factory holds what commands need from the outside world; tests replace
// any of it.
type Factory struct {
	IO *cli.IOStreams
}

// Program is MiniTwit's command line for cli.Main and cli.Run.
func Program() cli.Program {
	return cli.Program{Name: "minitwit", EnvPrefix: EnvPrefix, Root: func(io *cli.IOStreams) *cobra.Command {
		return NewCmdRoot(&Factory{IO: io})
	}}
}

// NewCmdRoot builds the command tree. The root itself serves, with
// serve's flags, so that `go run ./app` and `minitwit --addr :8080` keep
// working as they always have.
func NewCmdRoot(f *Factory) *cobra.Command {
	root := NewCmdServe(f, nil)
	root.Use = "minitwit"
	root.Short = "MiniTwit, the course's Twitter clone: web UI and simulator API on SQLite or PostgreSQL"
	root.Long = root.Short + ".\n\nWithout a command it serves, as `minitwit serve` does."
	root.SetVersionTemplate("minitwit {{.Version}}\n")
	root.AddCommand(NewCmdServe(f, nil), NewCmdSeed(f, nil))
	return root
}
