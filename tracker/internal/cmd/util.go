package cmd

import (
	"bytes"
	"io"
)

// maxInput bounds what a command reads from stdin.
const maxInput = 16 << 20

func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(io.LimitReader(r, maxInput)) }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
