package cmd

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/minitwit-cd/kit/internal/timefmt"
	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/spf13/cobra"
)

func newCmdGet(f *Factory, o *RootOptions) *cobra.Command {
	return group("get", "Show one flow, environment, artifact or snapshot",
		NewCmdGetFlow(f, o, nil), NewCmdGetEnvironment(f, o, nil), NewCmdGetArtifact(f, o, nil), NewCmdGetSnapshot(f, o, nil),
		NewCmdGetTrail(f, o, nil), NewCmdGetAttestation(f, o, nil))
}

// GetOptions are the options of the get commands.
type GetOptions struct {
	f      *Factory
	root   *RootOptions
	output outputFlag
	// Arg is the flow, environment or expression.
	Arg     string
	Metrics bool
	Days    int
}

func newGet(f *Factory, o *RootOptions, runF func(*GetOptions) error, run func(*cobra.Command, *GetOptions) error) (*cobra.Command, *GetOptions) {
	opts := &GetOptions{f: f, root: o}
	cmd := &cobra.Command{
		Args: exactArgs(1, "one argument"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.output.check(); err != nil {
				return err
			}
			opts.Arg = args[0]
			if runF != nil {
				return runF(opts)
			}
			return run(cmd, opts)
		},
	}
	opts.output.add(cmd)
	return cmd, opts
}

// NewCmdGetFlow shows a flow, and its DORA metrics with --metrics.
func NewCmdGetFlow(f *Factory, o *RootOptions, runF func(*GetOptions) error) *cobra.Command {
	cmd, opts := newGet(f, o, runF, runGetFlow)
	cmd.Use, cmd.Short = "flow NAME", "Show a flow (with --metrics: its DORA metrics per environment)"
	cmd.Flags().BoolVar(&opts.Metrics, "metrics", false, "show the DORA metrics per environment")
	cmd.Flags().IntVar(&opts.Days, "days", 30, "metrics window in days")
	return cmd
}

// NewCmdGetEnvironment shows an environment.
func NewCmdGetEnvironment(f *Factory, o *RootOptions, runF func(*GetOptions) error) *cobra.Command {
	cmd, _ := newGet(f, o, runF, runGetEnvironment)
	cmd.Use, cmd.Aliases, cmd.Short = "environment NAME", []string{"env"}, "Show an environment"
	return cmd
}

// NewCmdGetArtifact shows an artifact and its history.
func NewCmdGetArtifact(f *Factory, o *RootOptions, runF func(*GetOptions) error) *cobra.Command {
	cmd, _ := newGet(f, o, runF, runGetArtifact)
	cmd.Use, cmd.Short = "artifact EXPRESSION", "Show an artifact and its history"
	cmd.Long = `Show an artifact and its history. EXPRESSION is
  FLOW:COMMIT        the artifacts built from a commit (a prefix is enough)
  FLOW@FINGERPRINT   the artifact with a fingerprint (a prefix is enough)`
	cmd.Example = "  tracker get artifact runner:16d9990\n  tracker get artifact runner@9af401c"
	return cmd
}

// NewCmdGetSnapshot shows what ran in one snapshot of an environment.
func NewCmdGetSnapshot(f *Factory, o *RootOptions, runF func(*GetOptions) error) *cobra.Command {
	cmd, _ := newGet(f, o, runF, runGetSnapshot)
	cmd.Use, cmd.Short = "snapshot EXPRESSION", "Show what ran in a snapshot of an environment"
	cmd.Long = `Show what ran in a snapshot. EXPRESSION is
  ENV                         the latest snapshot
  ENV#N                       the N-th snapshot, from 1
  ENV~N                       N snapshots before the latest
  ENV@{YYYY-MM-DDTHH:MM:SS}   the snapshot current at that time (UTC)`
	cmd.Example = "  tracker get snapshot aws-prod#65\n  tracker get snapshot aws-prod~1"
	return cmd
}

func runGetFlow(cmd *cobra.Command, o *GetOptions) error {
	if err := model.ValidateName("flow", o.Arg); err != nil {
		return usageErrorf("%s", model.ErrorMessage(err))
	}
	c, err := o.root.Client(o.f)
	if err != nil {
		return err
	}
	out := o.f.IO.Out
	if o.Metrics {
		if o.Days < 1 {
			return usageErrorf("--days must be at least 1")
		}
		m, err := c.FlowMetrics(cmd.Context(), o.Arg, o.Days)
		if err != nil {
			return fmt.Errorf("get metrics of flow %s: %w", o.Arg, err)
		}
		if o.output.json() {
			return printJSON(out, m)
		}
		return printMetrics(out, o.Arg, o.Days, m)
	}
	fl, err := c.GetFlow(cmd.Context(), o.Arg)
	if err != nil {
		return fmt.Errorf("get flow %s: %w", o.Arg, err)
	}
	if o.output.json() {
		return printJSON(out, fl)
	}
	template := strings.Join(fl.Template, ", ")
	return table(out, nil, []string{
		"Name:\t" + fl.Name,
		"Description:\t" + fl.Description,
		"Visibility:\t" + fl.Visibility,
		"Template:\t" + orNA(template),
	})
}

func printMetrics(out io.Writer, flow string, days int, ms []api.DORAMetrics) error {
	if len(ms) == 0 {
		fmt.Fprintf(out, "No deployments of flow %s in the last %d days.\n", flow, days)
		return nil
	}
	rows := make([]string, 0, len(ms))
	for _, m := range ms {
		lead := "N/A"
		if m.LeadTimeSamples > 0 {
			lead = span(time.Duration(m.LeadTimeSeconds * float64(time.Second)))
		}
		recovery := "N/A"
		if m.Recoveries > 0 {
			recovery = span(time.Duration(m.TimeToRecoverySeconds * float64(time.Second)))
		}
		cfr := "N/A"
		if m.Deployments > 0 {
			cfr = fmt.Sprintf("%.0f%% (%d of %d)", m.ChangeFailureRate*100, m.FailedDeployments, m.Deployments)
		}
		rows = append(rows, fmt.Sprintf("%s\t%d\t%.2f/day\t%s\t%s\t%s", m.Environment, m.Deployments, m.DeploymentsPerDay, lead, cfr, recovery))
	}
	fmt.Fprintf(out, "DORA metrics of flow %s, last %d days\n", flow, days)
	return table(out, []string{"ENVIRONMENT", "DEPLOYMENTS", "FREQUENCY", "LEAD TIME", "CHANGE FAILURE RATE", "TIME TO RESTORE"}, rows)
}

// span prints a duration compactly: 3d 4h, 2h 5m, 40s.
func span(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm %ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%ds", int(d.Seconds()))
}

func runGetEnvironment(cmd *cobra.Command, o *GetOptions) error {
	if err := model.ValidateName("environment", o.Arg); err != nil {
		return usageErrorf("%s", model.ErrorMessage(err))
	}
	c, err := o.root.Client(o.f)
	if err != nil {
		return err
	}
	e, err := c.GetEnvironment(cmd.Context(), o.Arg)
	if err != nil {
		return fmt.Errorf("get environment %s: %w", o.Arg, err)
	}
	out, now, loc := o.f.IO.Out, o.f.Now(), o.f.Location
	if o.output.json() {
		return printJSON(out, e)
	}
	scaling := "yes"
	if e.IncludeScaling != nil && !*e.IncludeScaling {
		scaling = "no"
	}
	return table(out, nil, []string{
		"Name:\t" + e.Name,
		"Type:\t" + e.Type,
		"Description:\t" + e.Description,
		"Scaling is a change:\t" + scaling,
		fmt.Sprintf("Snapshots:\t%d", e.Snapshots),
		"Last reported at:\t" + formatTime(api.TimeOrZero(e.LastReportedAt), now, loc, true),
		"Last modified at:\t" + formatTime(api.TimeOrZero(e.LastModifiedAt), now, loc, true),
	})
}

func runGetArtifact(cmd *cobra.Command, o *GetOptions) error {
	expr, err := model.ParseArtifactExpr(o.Arg)
	if err != nil {
		return usageErrorf("%s", model.ErrorMessage(err))
	}
	c, err := o.root.Client(o.f)
	if err != nil {
		return err
	}
	var arts []api.Artifact
	if expr.Fingerprint != "" {
		a, err := c.ArtifactByFingerprint(cmd.Context(), expr.Flow, expr.Fingerprint)
		if err != nil {
			return fmt.Errorf("get artifact %s: %w", o.Arg, err)
		}
		arts = []api.Artifact{a}
	} else {
		arts, err = c.ArtifactsByCommit(cmd.Context(), expr.Flow, expr.Commit)
		if err != nil {
			return fmt.Errorf("get artifact %s: %w", o.Arg, err)
		}
	}
	out := o.f.IO.Out
	if o.output.json() {
		if expr.Fingerprint != "" {
			return printJSON(out, arts[0])
		}
		return printJSON(out, arts)
	}
	if len(arts) == 0 {
		return fmt.Errorf("get artifact %s: no artifact found", o.Arg)
	}
	for i, a := range arts {
		if i > 0 {
			fmt.Fprintln(out)
		}
		if err := printArtifact(out, a, o.f.Now(), o.f.Location, o.f.IO.OutTTY); err != nil {
			return err
		}
	}
	return nil
}

// printArtifact writes the spec's key/value rows and the history, one line
// per event with its time. On a terminal the state is coloured.
func printArtifact(out io.Writer, a api.Artifact, now time.Time, loc *time.Location, tty bool) error {
	rows := []string{
		"Name:\t" + a.Name,
		"Flow:\t" + a.Flow,
		"Fingerprint:\t" + a.Fingerprint,
		"Created on:\t" + formatTime(api.Time(a.CreatedAt), now, loc, true),
		"Git commit:\t" + a.GitCommit,
		"Commit URL:\t" + orNA(a.CommitURL),
		"Build URL:\t" + orNA(a.BuildURL),
		"State:\t" + colorState(orNA(a.State), tty),
	}
	if len(a.History) > 0 {
		rows = append(rows, "History:")
		for _, h := range a.History {
			rows = append(rows, fmt.Sprintf("    %s\t%s", h.Event, formatTime(api.Time(h.Timestamp), now, loc, false)))
		}
	}
	return table(out, nil, rows)
}

func runGetSnapshot(cmd *cobra.Command, o *GetOptions) error {
	expr, err := model.ParseSnapshotExpr(o.Arg, o.f.Now())
	if err != nil {
		return usageErrorf("%s", model.ErrorMessage(err))
	}
	c, err := o.root.Client(o.f)
	if err != nil {
		return err
	}
	s, err := c.GetSnapshot(cmd.Context(), expr.Environment, snapshotRef(o.Arg, expr))
	if err != nil {
		return fmt.Errorf("get snapshot %s: %w", o.Arg, err)
	}
	if o.output.json() {
		return printJSON(o.f.IO.Out, s)
	}
	return printSnapshot(o.f.IO.Out, s, o.f.Now())
}

// snapshotRef is the route's form of an expression's snapshot part: what
// the user typed after the environment, or -1 for the latest.
func snapshotRef(raw string, e model.SnapshotExpr) string {
	ref := strings.TrimPrefix(raw, e.Environment)
	if ref == "" {
		return "-1"
	}
	return ref
}

// printSnapshot writes one block per running artifact. Two artifacts of
// one flow running side by side is a blue-green deployment in progress,
// which a closing line says in words.
func printSnapshot(out io.Writer, s api.Snapshot, now time.Time) error {
	var running []api.SnapshotArtifact
	for _, a := range s.Artifacts {
		if a.Annotation.Now > 0 && len(a.CreationTimestamp) > 0 {
			running = append(running, a)
		}
	}
	if len(running) == 0 {
		fmt.Fprintf(out, "No running artifacts were reported in %s#%d.\n", s.Environment, s.Index)
		return nil
	}
	var rows []string
	byFlow := map[string][]string{}
	for _, a := range running {
		oldest := a.CreationTimestamp[0]
		for _, t := range a.CreationTimestamp {
			oldest = min(oldest, t)
		}
		commit, flow := "N/A", "N/A"
		if a.GitCommit != "" {
			commit = short(a.GitCommit, 7)
		}
		if a.FlowName != "" {
			flow = a.FlowName
			byFlow[flow] = append(byFlow[flow], commit)
		}
		rows = append(rows,
			fmt.Sprintf("%s\tName: %s\t%s\t%s\t%d", commit, a.Name, flow, timefmt.Ago(now, time.Unix(oldest, 0)), len(a.CreationTimestamp)),
			fmt.Sprintf("\tFingerprint: %s\t\t\t", a.Fingerprint),
			"\t\t\t\t")
	}
	if err := table(out, []string{"COMMIT", "ARTIFACT", "FLOW", "RUNNING_SINCE", "REPLICAS"}, trimLast(rows)); err != nil {
		return err
	}
	flows := make([]string, 0, len(byFlow))
	for fl, versions := range byFlow {
		if len(versions) > 1 {
			flows = append(flows, fl)
		}
	}
	sort.Strings(flows)
	for _, fl := range flows {
		fmt.Fprintf(out, "\nBlue-green: flow %s runs %d versions side by side (%s).\n", fl, len(byFlow[fl]), strings.Join(byFlow[fl], ", "))
	}
	return nil
}

// colorState paints a compliance state green, red or yellow for a terminal.
func colorState(state string, tty bool) string {
	if !tty {
		return state
	}
	code := map[string]string{"COMPLIANT": "32", "NON-COMPLIANT": "31", "INCOMPLETE": "33"}[state]
	if code == "" {
		return state
	}
	return "\x1b[" + code + "m" + state + "\x1b[0m"
}
