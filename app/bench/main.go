// Command bench measures MiniTwit on this machine: it builds the server
// (without the race detector), starts it as a subprocess on 127.0.0.1, and
// drives it from the same machine through four measurements:
//
//   - replay: the course scenario, sequentially, one new connection per
//     request (Connection: close), as the course's simulator sends it;
//   - mixed: open-model simulator traffic (vegeta, constant rate) on a
//     database seeded with users, messages and follows;
//   - read: GET /msgs?no=100 at the maximum rate a few keep-alive workers
//     reach;
//   - the server's peak resident memory (VmHWM) under that load.
//
// It prints a table with each number next to its target (or JSON with
// --json). Usage:
//
//	go run ./app/bench                                   # the full run (several minutes)
//	go run ./app/bench --duration 10s --messages 100000  # a quick one
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
