package cmd

import (
	"fmt"
	"sort"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/spf13/cobra"
)

// TrailOptions are the options of get trail and ls trails.
type TrailOptions struct {
	f           *Factory
	root        *RootOptions
	output      outputFlag
	Trail       string
	Flow        string
	Fingerprint string
	Page        int
	PerPage     int
}

// NewCmdGetTrail shows a trail: its compliance, commit, artifacts and
// events.
func NewCmdGetTrail(f *Factory, o *RootOptions, runF func(*TrailOptions) error) *cobra.Command {
	opts := &TrailOptions{f: f, root: o}
	cmd := &cobra.Command{
		Use:     "trail NAME --flow FLOW",
		Short:   "Show a trail: compliance, commit, artifacts and events",
		Example: "  tracker get trail 16d9990 --flow runner",
		Args:    exactArgs(1, "a trail name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Trail = args[0]
			if err := opts.output.check(); err != nil {
				return err
			}
			if err := requireFlow(opts.Flow); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runGetTrail(cmd, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Flow, "flow", "f", "", "the flow (required)")
	opts.output.add(cmd)
	return cmd
}

func runGetTrail(cmd *cobra.Command, o *TrailOptions) error {
	c, err := o.root.Client(o.f)
	if err != nil {
		return err
	}
	t, err := c.GetTrail(cmd.Context(), o.Flow, o.Trail)
	if err != nil {
		return fmt.Errorf("get trail %s: %w", o.Trail, err)
	}
	out, now, loc := o.f.IO.Out, o.f.Now(), o.f.Location
	if o.output.json() {
		return printJSON(out, t)
	}
	rows := []string{
		"Name:\t" + t.Name,
		"Flow:\t" + t.Flow,
		"Description:\t" + t.Description,
		"Compliance:\t" + colorState(t.ComplianceState, o.f.IO.OutTTY),
		"Last modified at:\t" + formatTime(api.Time(t.LastModifiedAt), now, loc, true),
	}
	if g := t.GitCommitInfo; g != nil {
		rows = append(rows, "Git commit:\t"+g.Sha1)
		if g.Author != "" {
			rows = append(rows, "  Author:\t"+g.Author)
		}
		if g.URL != "" {
			rows = append(rows, "  URL:\t"+g.URL)
		}
	}
	if t.OriginURL != "" {
		rows = append(rows, "Origin:\t"+t.OriginURL)
	}
	names := make([]string, 0, len(t.ComplianceStatus.ArtifactsStatuses))
	for n := range t.ComplianceStatus.ArtifactsStatuses {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		rows = append(rows, fmt.Sprintf("Artifact %s:\t%s", n, t.ComplianceStatus.ArtifactsStatuses[n].Status))
	}
	rows = append(rows, "Events:\t")
	for _, e := range t.Events {
		rows = append(rows, fmt.Sprintf("  %s\t%s", formatTime(api.Time(e.Timestamp), now, loc, false), trailEventText(e)))
	}
	return table(out, nil, rows)
}

// trailEventText describes a trail event as Kosli's get trail does.
func trailEventText(e api.TrailEvent) string {
	switch e.Type {
	case "trail_reported":
		return "trail started"
	case "artifact_creation_reported":
		return fmt.Sprintf("artifact '%s' created for template name '%s'", e.ArtifactName, e.TemplateReferenceName)
	case "artifact_attestation_reported":
		return fmt.Sprintf("'%s' attestation reported for %s.%s%s", e.AttestationType, e.TargetArtifact, e.TemplateReferenceName, compliance(e.IsCompliant))
	case "trail_attestation_reported":
		return fmt.Sprintf("'%s' attestation reported for %s on the trail%s", e.AttestationType, e.TemplateReferenceName, compliance(e.IsCompliant))
	}
	return e.Type
}

func compliance(ok *bool) string {
	switch {
	case ok == nil:
		return ""
	case *ok:
		return " (compliant)"
	}
	return " (non-compliant)"
}

// NewCmdLsTrails lists trails, newest first.
func NewCmdLsTrails(f *Factory, o *RootOptions, runF func(*TrailOptions) error) *cobra.Command {
	opts := &TrailOptions{f: f, root: o}
	cmd := &cobra.Command{
		Use:     "trails",
		Aliases: []string{"trail"},
		Short:   "List trails, newest first: NAME, DESCRIPTION, COMPLIANCE",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.output.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runLsTrails(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Flow, "flow", "f", "", "only this flow's trails")
	fl.StringVarP(&opts.Fingerprint, "fingerprint", "F", "", "only trails holding this artifact")
	fl.IntVar(&opts.Page, "page", 1, "page number")
	fl.IntVarP(&opts.PerPage, "page-limit", "n", 20, "trails per page")
	opts.output.add(cmd)
	return cmd
}

func runLsTrails(cmd *cobra.Command, o *TrailOptions) error {
	if o.Page < 1 || o.PerPage < 1 {
		return usageErrorf("--page and --page-limit must be positive")
	}
	c, err := o.root.Client(o.f)
	if err != nil {
		return err
	}
	page, err := c.ListTrails(cmd.Context(), o.Flow, o.Fingerprint, o.Page, o.PerPage)
	if err != nil {
		return fmt.Errorf("ls trails: %w", err)
	}
	out := o.f.IO.Out
	if o.output.json() {
		return printJSON(out, page)
	}
	if len(page.Data) == 0 {
		_, err := fmt.Fprintln(out, "No trails were found.")
		return err
	}
	rows := make([]string, 0, len(page.Data))
	for _, t := range page.Data {
		rows = append(rows, fmt.Sprintf("%s\t%s\t%s\t%s", t.Name, t.Flow, t.Description, colorState(t.ComplianceState, o.f.IO.OutTTY)))
	}
	if err := table(out, []string{"NAME", "FLOW", "DESCRIPTION", "COMPLIANCE"}, rows); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "\nShowing page %d of %d, total %d items\n", page.Pagination.Page, page.Pagination.PageCount, page.Pagination.Total)
	return err
}
