package cmd

import (
	"fmt"
	"io"
	"time"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/spf13/cobra"
)

func newCmdDiff(f *Factory, o *RootOptions) *cobra.Command {
	return group("diff", "Compare two snapshots", NewCmdDiffSnapshots(f, o, nil))
}

// DiffOptions are the options of diff snapshots.
type DiffOptions struct {
	f      *Factory
	root   *RootOptions
	output outputFlag
	A, B   string
}

// NewCmdDiffSnapshots compares two snapshot expressions.
func NewCmdDiffSnapshots(f *Factory, o *RootOptions, runF func(*DiffOptions) error) *cobra.Command {
	opts := &DiffOptions{f: f, root: o}
	cmd := &cobra.Command{
		Use:     "snapshots SNAPPISH_1 SNAPPISH_2",
		Aliases: []string{"snapshot"},
		Short:   "Show what started, stopped or scaled between two snapshots",
		Long: `Compare two snapshots, of one environment or of two. Each SNAPPISH is
ENV (latest), ENV#N, ENV~N or ENV@{YYYY-MM-DDTHH:MM:SS}.`,
		Example: "  tracker diff snapshots aws-prod#64 aws-prod#65",
		Args:    exactArgs(2, "two snapshot expressions"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.output.check(); err != nil {
				return err
			}
			opts.A, opts.B = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return runDiff(cmd, opts)
		},
	}
	opts.output.add(cmd)
	return cmd
}

func runDiff(cmd *cobra.Command, o *DiffOptions) error {
	for _, s := range []string{o.A, o.B} {
		if _, err := model.ParseSnapshotExpr(s, o.f.Now()); err != nil {
			return usageErrorf("%s", model.ErrorMessage(err))
		}
	}
	c, err := o.root.Client(o.f)
	if err != nil {
		return err
	}
	d, err := c.DiffSnapshots(cmd.Context(), o.A, o.B)
	if err != nil {
		return fmt.Errorf("diff snapshots %s %s: %w", o.A, o.B, err)
	}
	if o.output.json() {
		return printJSON(o.f.IO.Out, d)
	}
	return printDiff(o.f.IO.Out, o.A, o.B, d, o.f.Now(), o.f.Location)
}

// printDiff writes the spec's sections: only in A, only in B, and scaling.
func printDiff(out io.Writer, a, b string, d api.SnapshotDiff, now time.Time, loc *time.Location) error {
	title := func(expr string, item api.DiffItem) string {
		if item.SnapshotID == "" || item.SnapshotID == expr {
			return "Only present in " + expr
		}
		return fmt.Sprintf("Only present in %s (snapshot: %s)", expr, item.SnapshotID)
	}
	sections := []struct {
		title   string
		entries []api.DiffArtifact
		scaling bool
	}{
		{title(a, d.Snappish1), d.Snappish1.Artifacts, false},
		{title(b, d.Snappish2), d.Snappish2.Artifacts, false},
		{fmt.Sprintf("%s -> %s scaling", a, b), d.Changed.Artifacts, true},
	}
	printed := false
	for _, s := range sections {
		if len(s.entries) == 0 {
			continue
		}
		if printed {
			fmt.Fprintln(out)
		}
		printed = true
		fmt.Fprintln(out, s.title)
		for _, e := range s.entries {
			rows := []string{
				"\tName:\t" + e.Name,
				"\tFingerprint:\t" + e.Fingerprint,
				"\tFlow:\t" + orUnknown(e.Flow),
				"\tCommit URL:\t" + orUnknown(e.CommitURL),
				"\tStarted:\t" + formatTime(time.Unix(e.MostRecentTimestamp, 0), now, loc, true),
			}
			if s.scaling {
				rows = append(rows, fmt.Sprintf("\tInstances:\tscaled from %d to %d", e.S1InstanceCount, e.S2InstanceCount))
			}
			fmt.Fprintln(out)
			if err := table(out, nil, rows); err != nil {
				return err
			}
		}
	}
	if !printed {
		fmt.Fprintf(out, "No differences between %s and %s.\n", a, b)
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "Unknown"
	}
	return s
}
