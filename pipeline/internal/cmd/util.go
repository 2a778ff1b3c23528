package cmd

import "github.com/minitwit-cd/kit/internal/cli"

// usage makes err a usage error (exit 2).
func usage(err error) error { return &cli.UsageError{Err: err} }
