package cmd

import (
	"fmt"

	"github.com/spf13/cobra"
)

// StatusOptions are the options of status.
type StatusOptions struct {
	f    *Factory
	root *RootOptions
}

// NewCmdStatus checks that the server answers and is ready.
func NewCmdStatus(f *Factory, o *RootOptions, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{f: f, root: o}
	return &cobra.Command{
		Use:   "status",
		Short: "Check that the tracker server is up and ready",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			// /ready needs no org; any placeholder builds the client.
			ro := *o
			if ro.Org == "" {
				ro.Org = "-"
			}
			c, err := ro.Client(f)
			if err != nil {
				return err
			}
			if err := c.Ready(cmd.Context()); err != nil {
				return fmt.Errorf("server %s is not ready: %w", o.Host, err)
			}
			_, err = fmt.Fprintf(f.IO.Out, "OK: %s is ready\n", o.Host)
			return err
		},
	}
}
