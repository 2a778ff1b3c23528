package cmd

import (
	"bytes"

	"github.com/minitwit-cd/kit/internal/cli"
)

// IOStreams is where a command reads and writes: the kit's one set of
// streams (internal/cli), with OutTTY and ErrTTY for terminals.
type IOStreams = cli.IOStreams

// System returns the process's standard streams.
func System() *IOStreams { return cli.System() }

// Test returns streams backed by buffers (stdin, stdout, stderr), not a TTY.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) { return cli.Test() }
