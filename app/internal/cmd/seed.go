package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/app/storage"
	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/internal/dsn"
)

// SeedOptions are seed's flags.
type SeedOptions struct {
	IO   *cli.IOStreams
	DB   string
	Spec storage.SeedSpec
}

// NewCmdSeed returns `minitwit seed`; runF replaces the run function in
// tests (nil: the real one).
func NewCmdSeed(f *Factory, runF func(context.Context, *SeedOptions) error) *cobra.Command {
	opts := &SeedOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Bulk-load generated users, messages and follows into an empty store",
		Long: `Bulk-load generated users ("user0" … with password "password"), messages and
follow edges into an empty store, in one all-or-nothing pass (a transaction of
multi-row inserts on SQLite, COPY on PostgreSQL). The same counts and seed give
the same data.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runSeed(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DB, "db", "minitwit.db", "SQLite file path or postgres:// URL")
	fl.IntVar(&opts.Spec.Users, "users", 1000, "users to create")
	fl.IntVar(&opts.Spec.Messages, "messages", 10000, "messages to post, by random users")
	fl.IntVar(&opts.Spec.Follows, "follows", 5000, "distinct follow edges between random users")
	fl.Int64Var(&opts.Spec.Seed, "seed", 1, "random seed: the same seed and counts give the same data")
	return cmd
}

// runSeed opens the store, checks that it is empty and loads the data,
// reporting progress on stderr: a live line on a terminal, a line per
// tenth otherwise.
func runSeed(ctx context.Context, opts *SeedOptions) error {
	sp := opts.Spec
	if sp.Users < 0 || sp.Messages < 0 || sp.Follows < 0 {
		return cli.Usagef("--users, --messages and --follows must not be negative")
	}
	if sp.Users == 0 && sp.Messages > 0 {
		return cli.Usagef("%d messages need at least one user (--users)", sp.Messages)
	}
	if maxF := int64(sp.Users) * int64(max(sp.Users-1, 0)); int64(sp.Follows) > maxF {
		return cli.Usagef("%d users allow at most %d distinct follows, not %d (--follows)", sp.Users, maxF, sp.Follows)
	}
	store, err := storage.Open(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer store.Close()
	st, err := store.Stats(ctx)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if st.Users > 0 || st.Messages > 0 {
		return fmt.Errorf("seed: %s already holds %d users and %d messages; seed an empty store",
			dsn.Redact(opts.DB), st.Users, st.Messages)
	}
	start := time.Now()
	lastTenth := -1
	progress := func(done, total int) {
		if total == 0 {
			return
		}
		if opts.IO.ErrTTY {
			fmt.Fprintf(opts.IO.ErrOut, "\rseeding: %d/%d rows (%d%%)", done, total, done*100/total)
			return
		}
		if tenth := done * 10 / total; tenth > lastTenth {
			lastTenth = tenth
			fmt.Fprintf(opts.IO.ErrOut, "seeding: %d/%d rows (%d%%)\n", done, total, done*100/total)
		}
	}
	if err := storage.Seed(ctx, store, sp, progress); err != nil {
		return err
	}
	if opts.IO.ErrTTY {
		fmt.Fprintln(opts.IO.ErrOut)
	}
	fmt.Fprintf(opts.IO.Out, "seeded %s: %d users, %d messages, %d follows (seed %d) in %v\n",
		dsn.Redact(opts.DB), sp.Users, sp.Messages, sp.Follows, sp.Seed, time.Since(start).Round(time.Millisecond))
	return nil
}
