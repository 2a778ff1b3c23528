// Command minitwit serves MiniTwit, the course's Twitter clone: the web UI
// and the simulator API on one port (and optionally the API alone on a
// second), on SQLite or PostgreSQL; `minitwit seed` bulk-loads generated
// data into a store. See app/internal/cmd for the commands and flags.
//
//	minitwit [serve] [--addr :5000] [--api-addr :5001] [--db minitwit.db | postgres://…]
//	minitwit seed --db FILE --users N --messages N --follows N --seed S
package main

import (
	"os"

	"github.com/minitwit-cd/kit/app/internal/cmd"
	"github.com/minitwit-cd/kit/internal/cli"
)

func main() {
	// Go-flag style -addr, as minitwit took before cobra, still works.
	os.Args = append(os.Args[:1], cmd.LegacyArgs(os.Args[1:])...)
	os.Exit(cli.Main(cmd.Program()))
}
