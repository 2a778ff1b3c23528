// Command simulator replays the MiniTwit course's simulator scenario against
// any MiniTwit with the 300 ms rule and reports what happened; see
// `simulator run --help` and `simulator generate --help`.
package main

import (
	"os"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/simulator/internal/cmd"
)

// After the first Ctrl-C the run winds down and writes its partial report
// (exit 130); a second one kills the process the default way.
func main() { os.Exit(cli.Main(cmd.Program())) }
