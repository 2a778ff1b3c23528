package cmd

import (
	"bufio"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/simulator/scenario"
)

// GenerateOptions are the flags of `simulator generate`.
type GenerateOptions struct {
	IO      *cli.IOStreams
	Users   int
	Actions int64
	Seed    uint64
	Output  string
}

// NewCmdGenerate builds `simulator generate`; runF replaces the run
// function in flag-parsing tests.
func NewCmdGenerate(io *cli.IOStreams, runF func(*GenerateOptions) error) *cobra.Command {
	opts := &GenerateOptions{IO: io}
	c := &cobra.Command{
		Use:   "generate",
		Short: "Write a scenario of any size with the course's shape and mix",
		Long: `generate writes a scenario in the course's TSV format: every user registers
before acting, then tweets, follows and unfollows come in the course file's
proportions, causally valid (follows of registered users not yet followed,
unfollows of followed ones). The same flags always write the same bytes.`,
		Example: "  simulator generate --users 2000 --actions 1000000 --seed 1 -o big.tsv",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runGenerate(opts)
		},
	}
	f := c.Flags()
	f.IntVar(&opts.Users, "users", 200, "number of users to register")
	f.Int64Var(&opts.Actions, "actions", 25922, "total number of actions, registrations included")
	f.Uint64Var(&opts.Seed, "seed", 1, "random seed")
	f.StringVarP(&opts.Output, "output", "o", "-", "file to write, - for standard output")
	return c
}

func runGenerate(opts *GenerateOptions) error {
	if opts.Users < 2 {
		return cli.Usagef("--users %d: need at least 2", opts.Users)
	}
	if opts.Actions < int64(opts.Users) {
		return cli.Usagef("--actions %d: must be at least --users (%d), one registration each", opts.Actions, opts.Users)
	}
	cfg := scenario.GenerateConfig{Users: opts.Users, Actions: opts.Actions, Seed: opts.Seed}
	if opts.Output == "-" {
		return scenario.Generate(opts.IO.Out, cfg)
	}
	f, err := os.Create(opts.Output)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	w := bufio.NewWriter(f)
	if err := scenario.Generate(w, cfg); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("generate: write %s: %w", opts.Output, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("generate: close %s: %w", opts.Output, err)
	}
	fmt.Fprintf(opts.IO.ErrOut, "wrote %d actions by %d users to %s\n", opts.Actions, opts.Users, opts.Output)
	return nil
}
