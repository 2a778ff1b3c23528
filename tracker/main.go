// Command tracker is the commit-to-runtime tracker: its server (tracker
// serve) and its command line. See tracker --help.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/minitwit-cd/kit/tracker/internal/cmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cmd.Main(ctx, cmd.NewFactory(), os.Args[1:])
	stop()
	os.Exit(code)
}
