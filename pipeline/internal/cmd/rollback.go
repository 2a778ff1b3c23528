package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/pipeline/deploy"
)

// RollbackOptions are the options of pipeline rollback.
type RollbackOptions struct {
	f *Factory
	TargetOptions
	Soak          time.Duration
	HealthTimeout time.Duration
	// Record, when set, records the outcome in the tracker.
	Record func(ctx context.Context, o *RollbackOptions, res deploy.Result, err error) error
}

// NewCmdRollback is `pipeline rollback`.
func NewCmdRollback(f *Factory, runF func(*RollbackOptions) error) *cobra.Command {
	opts := &RollbackOptions{f: f}
	cmd := &cobra.Command{
		Use:   "rollback --env NAME --host USER@HOST[:PORT] --known-hosts FILE",
		Short: "Return an environment to its previous good release",
		Long: `Return the VM to the release before the serving one, from the history of
good releases the VM keeps, blue-green like a deploy (the previous colour's
stopped containers are started again when they are still there). A second
rollback goes one release further back.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runRollback(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	opts.addFlags(fs)
	fs.DurationVar(&opts.Soak, "soak", 2*time.Second, "how long to watch the restored colour before stopping the other")
	fs.DurationVar(&opts.HealthTimeout, "health-timeout", 60*time.Second, "how long the restored colour may take to get healthy")
	return cmd
}

func runRollback(ctx context.Context, o *RollbackOptions) error {
	t, err := o.target()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	opts := o.options(o.f)
	opts.Soak, opts.HealthTimeout = o.Soak, o.HealthTimeout
	res, rerr := deploy.Rollback(ctx, t, opts)
	printResult(o.f, "rollback", res)
	if o.Record != nil {
		if err := o.Record(ctx, o, res, rerr); err != nil {
			if rerr != nil {
				return fmt.Errorf("%w (and recording it failed: %w)", rerr, err)
			}
			return fmt.Errorf("rollback %s succeeded but recording it failed: %w", o.Env, err)
		}
	}
	return rerr
}
