// Command simulator replays the MiniTwit course's simulator scenario against
// any MiniTwit with the 300 ms rule and reports what happened; see
// `simulator run --help` and `simulator generate --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/minitwit-cd/kit/simulator/internal/cmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal the run winds down and writes its partial
	// report; a second signal kills the process the default way.
	go func() {
		<-ctx.Done()
		stop()
	}()
	err := cmd.Execute(ctx, os.Args[1:], cmd.IOStreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		IsTTY:  term.IsTerminal(int(os.Stderr.Fd())),
	})
	stop()
	os.Exit(cmd.ExitCode(err))
}
