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
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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

// LegacyArgs rewrites the single-dash long flags that minitwit accepted
// before it moved to cobra (Go's flag package takes -addr as well as
// --addr; pflag reads -addr as the shorthands -a -d -d -r) into their
// double-dash form, so scripts and deployments that start `minitwit -addr
// :5000 -db x.db` keep working. Only names of flags in the command tree
// are rewritten, and nothing after a "--".
func LegacyArgs(args []string) []string {
	names := map[string]bool{}
	var collect func(c *cobra.Command)
	collect = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { names[f.Name] = true })
		for _, sub := range c.Commands() {
			collect(sub)
		}
	}
	io, _, _, _ := cli.Test()
	collect(NewCmdRoot(&Factory{IO: io}))
	names["version"], names["help"] = true, true
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			if names[name] {
				a = "-" + a
			}
		}
		out = append(out, a)
	}
	return out
}
