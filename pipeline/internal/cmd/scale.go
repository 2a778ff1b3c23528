package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/pipeline/deploy"
)

// ScaleOptions are the options of pipeline scale.
type ScaleOptions struct {
	f *Factory
	TargetOptions
	Replicas int
	// Record, when set, records the outcome in the tracker.
	Record func(ctx context.Context, o *ScaleOptions, res deploy.Result, err error) error
}

// NewCmdScale is `pipeline scale`.
func NewCmdScale(f *Factory, runF func(*ScaleOptions) error) *cobra.Command {
	opts := &ScaleOptions{f: f}
	cmd := &cobra.Command{
		Use:   "scale --env NAME --replicas N --host USER@HOST[:PORT] --known-hosts FILE",
		Short: "Change the number of replicas serving an environment, in place",
		Long: `Change the number of containers of the serving colour: new ones join
nginx's upstream once healthy; removed ones leave it before they stop.
Nothing is redeployed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runScale(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	opts.addFlags(fs)
	fs.IntVar(&opts.Replicas, "replicas", 0, "the number of replicas, 1 to 20 (required)")
	return cmd
}

func runScale(ctx context.Context, o *ScaleOptions) error {
	t, err := o.target()
	if err != nil {
		return err
	}
	if o.Replicas < 1 || o.Replicas > 20 {
		return cli.Usagef("--replicas %d: want 1 to 20 (required)", o.Replicas)
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	res, serr := deploy.Scale(ctx, t, o.options(o.f), o.Replicas)
	printResult(o.f, "scale", res)
	if o.Record != nil {
		if err := o.Record(ctx, o, res, serr); err != nil {
			if serr != nil {
				return fmt.Errorf("%w (and recording it failed: %w)", serr, err)
			}
			return fmt.Errorf("scale %s succeeded but recording it failed: %w", o.Env, err)
		}
	}
	return serr
}
