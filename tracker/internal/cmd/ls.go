package cmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/spf13/cobra"
)

func newCmdLs(f *Factory, o *RootOptions) *cobra.Command {
	return group("ls", "List flows, environments, artifacts or snapshots",
		NewCmdLsFlows(f, o, nil), NewCmdLsEnvironments(f, o, nil), NewCmdLsArtifacts(f, o, nil), NewCmdLsSnapshots(f, o, nil),
		NewCmdLsTrails(f, o, nil))
}

// LsOptions are the options of the ls commands.
type LsOptions struct {
	f      *Factory
	root   *RootOptions
	output outputFlag
	// What is flows, environments, artifacts or snapshots.
	What    string
	Env     string
	Flow    string
	Page    int
	PerPage int
}

func newLs(f *Factory, o *RootOptions, what string, runF func(*LsOptions) error, build func(*cobra.Command, *LsOptions)) *cobra.Command {
	opts := &LsOptions{f: f, root: o, What: what}
	cmd := &cobra.Command{
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.output.check(); err != nil {
				return err
			}
			if len(args) == 1 {
				opts.Env = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return runLs(cmd, opts)
		},
	}
	opts.output.add(cmd)
	build(cmd, opts)
	return cmd
}

// NewCmdLsFlows lists the org's flows.
func NewCmdLsFlows(f *Factory, o *RootOptions, runF func(*LsOptions) error) *cobra.Command {
	return newLs(f, o, "flows", runF, func(c *cobra.Command, _ *LsOptions) {
		c.Use, c.Aliases, c.Short, c.Args = "flows", []string{"flow"}, "List flows: NAME, DESCRIPTION, VISIBILITY", exactArgs(0, "no arguments")
	})
}

// NewCmdLsEnvironments lists the org's environments.
func NewCmdLsEnvironments(f *Factory, o *RootOptions, runF func(*LsOptions) error) *cobra.Command {
	return newLs(f, o, "environments", runF, func(c *cobra.Command, _ *LsOptions) {
		c.Use, c.Aliases, c.Short, c.Args = "environments", []string{"environment", "envs", "env"}, "List environments", exactArgs(0, "no arguments")
	})
}

// NewCmdLsArtifacts lists artifacts, newest first.
func NewCmdLsArtifacts(f *Factory, o *RootOptions, runF func(*LsOptions) error) *cobra.Command {
	return newLs(f, o, "artifacts", runF, func(c *cobra.Command, opts *LsOptions) {
		c.Use, c.Aliases, c.Short, c.Args = "artifacts", []string{"artifact"}, "List artifacts, newest first", exactArgs(0, "no arguments")
		c.Flags().StringVarP(&opts.Flow, "flow", "f", "", "only this flow's artifacts")
		c.Flags().IntVar(&opts.Page, "page", 1, "page number")
		c.Flags().IntVarP(&opts.PerPage, "page-limit", "n", 20, "artifacts per page")
	})
}

// NewCmdLsSnapshots lists an environment's snapshots, newest first.
func NewCmdLsSnapshots(f *Factory, o *RootOptions, runF func(*LsOptions) error) *cobra.Command {
	return newLs(f, o, "snapshots", runF, func(c *cobra.Command, opts *LsOptions) {
		c.Use, c.Aliases, c.Short, c.Args = "snapshots ENV", []string{"snapshot"}, "List an environment's snapshots, newest first", exactArgs(1, "an environment name")
		c.Flags().IntVar(&opts.Page, "page", 1, "page number")
		c.Flags().IntVarP(&opts.PerPage, "page-limit", "n", 20, "snapshots per page")
	})
}

func runLs(cmd *cobra.Command, o *LsOptions) error {
	if (o.What == "artifacts" || o.What == "snapshots") && (o.Page < 1 || o.PerPage < 1) {
		return usageErrorf("--page and --page-limit must be at least 1")
	}
	c, err := o.root.Client(o.f)
	if err != nil {
		return err
	}
	ctx, out, now, loc := cmd.Context(), o.f.IO.Out, o.f.Now(), o.f.Location
	switch o.What {
	case "flows":
		flows, err := c.ListFlows(ctx)
		if err != nil {
			return fmt.Errorf("list flows: %w", err)
		}
		if o.output.json() {
			return printJSON(out, flows)
		}
		if len(flows) == 0 {
			fmt.Fprintf(out, "No flows were found in org %s.\n", o.root.Org)
			return nil
		}
		rows := make([]string, 0, len(flows))
		for _, fl := range flows {
			rows = append(rows, fmt.Sprintf("%s\t%s\t%s", fl.Name, fl.Description, fl.Visibility))
		}
		return table(out, []string{"NAME", "DESCRIPTION", "VISIBILITY"}, rows)
	case "environments":
		envs, err := c.ListEnvironments(ctx)
		if err != nil {
			return fmt.Errorf("list environments: %w", err)
		}
		if o.output.json() {
			return printJSON(out, envs)
		}
		if len(envs) == 0 {
			fmt.Fprintf(out, "No environments were found in org %s.\n", o.root.Org)
			return nil
		}
		rows := make([]string, 0, len(envs))
		for _, e := range envs {
			rows = append(rows, fmt.Sprintf("%s\t%s\t%s\t%s", e.Name, e.Type,
				formatTime(api.TimeOrZero(e.LastReportedAt), now, loc, false), formatTime(api.TimeOrZero(e.LastModifiedAt), now, loc, false)))
		}
		return table(out, []string{"NAME", "TYPE", "LAST REPORT", "LAST MODIFIED"}, rows)
	case "artifacts":
		arts, err := c.ListArtifacts(ctx, o.Flow, o.Page, o.PerPage)
		if err != nil {
			return fmt.Errorf("list artifacts: %w", err)
		}
		if o.output.json() {
			return printJSON(out, arts)
		}
		if len(arts) == 0 {
			fmt.Fprintln(out, "No artifacts were found.")
			return nil
		}
		// The STATE column appears when the server sends states in lists
		// (ours always does; one that does not gets no empty column).
		withState := false
		for _, a := range arts {
			withState = withState || a.State != ""
		}
		var rows []string
		for _, a := range arts {
			// Every row has every column, so that the table writer
			// aligns STATE across the artifacts' blocks.
			state, empty := "", ""
			if withState {
				state, empty = orNA(a.State)+"\t", "\t"
			}
			rows = append(rows,
				fmt.Sprintf("%s\tName: %s\t%s%s", short(a.GitCommit, 7), a.Name, state, formatTime(api.Time(a.CreatedAt), now, loc, false)),
				fmt.Sprintf("\tFingerprint: %s\t%s", a.Fingerprint, empty),
				"\t\t"+empty)
		}
		header := []string{"COMMIT", "ARTIFACT", "CREATED_AT"}
		if withState {
			header = []string{"COMMIT", "ARTIFACT", "STATE", "CREATED_AT"}
		}
		return table(out, header, trimLast(rows))
	case "snapshots":
		if err := model.ValidateName("environment", o.Env); err != nil {
			return usageErrorf("%s", model.ErrorMessage(err))
		}
		snaps, err := c.ListSnapshots(ctx, o.Env, o.Page, o.PerPage)
		if err != nil {
			return fmt.Errorf("list snapshots of %s: %w", o.Env, err)
		}
		if o.output.json() {
			return printJSON(out, snaps)
		}
		if len(snaps) == 0 {
			fmt.Fprintf(out, "No snapshots were found for environment %s.\n", o.Env)
			return nil
		}
		rows := make([]string, 0, len(snaps))
		for _, s := range snaps {
			to := "now"
			if s.To != 0 {
				to = formatTime(api.Time(s.To), now, loc, false)
			}
			rows = append(rows, fmt.Sprintf("%d\t%s\t%s\t%s", s.Index, formatTime(api.Time(s.From), now, loc, false), to,
				duration(time.Duration(s.Duration*float64(time.Second)))))
		}
		return table(out, []string{"SNAPSHOT", "FROM", "TO", "DURATION"}, rows)
	}
	return fmt.Errorf("unknown list %q", o.What)
}

// duration prints a snapshot's life span the way people say it.
func duration(d time.Duration) string {
	d = d.Round(time.Second)
	n := func(v int, unit string) string {
		if v == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", v, unit)
	}
	switch {
	case d < time.Minute:
		return n(int(d.Seconds()), "second")
	case d < time.Hour:
		return n(int(d.Minutes()), "minute")
	case d < 48*time.Hour:
		return n(int(d.Hours()), "hour")
	}
	return n(int(d.Hours()/24), "day")
}

func trimLast(rows []string) []string {
	if n := len(rows); n > 0 && strings.Trim(rows[n-1], "\t") == "" {
		return rows[:n-1]
	}
	return rows
}
