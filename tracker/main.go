// Command tracker is the commit-to-runtime tracker: its server (tracker
// serve) and its command line. See tracker --help.
package main

import (
	"os"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/tracker/internal/cmd"
)

func main() {
	os.Exit(cli.Main(cmd.Program(cmd.NewFactory())))
}
