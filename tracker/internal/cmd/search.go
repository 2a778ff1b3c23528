package cmd

import (
	"fmt"
	"strings"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/spf13/cobra"
)

// SearchOptions are the options of search.
type SearchOptions struct {
	f      *Factory
	root   *RootOptions
	output outputFlag
	Value  string
}

// NewCmdSearch finds the artifacts of a commit or fingerprint prefix.
func NewCmdSearch(f *Factory, o *RootOptions, runF func(*SearchOptions) error) *cobra.Command {
	opts := &SearchOptions{f: f, root: o}
	cmd := &cobra.Command{
		Use:     "search {COMMIT | FINGERPRINT}",
		Short:   "Find the artifacts of a commit or fingerprint (a prefix of at least 5 hex digits)",
		Example: "  tracker search 16d9990",
		Args:    exactArgs(1, "a commit or fingerprint prefix"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Value = args[0]
			if err := opts.output.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runSearch(cmd, opts)
		},
	}
	opts.output.add(cmd)
	return cmd
}

func runSearch(cmd *cobra.Command, o *SearchOptions) error {
	c, err := o.root.Client(o.f)
	if err != nil {
		return err
	}
	r, err := c.Search(cmd.Context(), o.Value)
	if err != nil {
		return fmt.Errorf("search %s: %w", o.Value, err)
	}
	out, now, loc := o.f.IO.Out, o.f.Now(), o.f.Location
	if o.output.json() {
		return printJSON(out, r)
	}
	what := "commit"
	if r.ResolvedTo.Type == "fingerprint" {
		what = "artifact with fingerprint"
	}
	fmt.Fprintf(out, "Search result resolved to %s %s\n", what, r.ResolvedTo.FullMatch)
	for _, a := range r.Artifacts {
		rows := []string{
			"Name:\t" + a.Name,
			"Fingerprint:\t" + a.Fingerprint,
			"Flow:\t" + a.Flow,
			"Git commit:\t" + a.GitCommit,
			"Commit URL:\t" + orNA(a.CommitURL),
			"Build URL:\t" + orNA(a.BuildURL),
			"Artifact URL:\t" + a.HTMLURL,
			"Compliance state:\t" + colorState(a.ComplianceState, o.f.IO.OutTTY),
			"Running in:\t[ " + strings.Join(a.RunningIn, ", ") + " ]",
			"Exited from:\t[ " + strings.Join(a.ExitedFrom, ", ") + " ]",
			"History:\t",
		}
		for _, h := range a.History {
			rows = append(rows, fmt.Sprintf("  %s\t%s", h.Event, formatTime(api.Time(h.Timestamp), now, loc, false)))
		}
		fmt.Fprintln(out)
		if err := table(out, nil, rows); err != nil {
			return err
		}
	}
	return nil
}
